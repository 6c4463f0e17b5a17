"""Sends committed outbox records to the `data` topic, in order, as batches, with a window.

The sender never holds the backlog in memory: it reads the next ≤ 64 KiB of committed records
from the outbox when the broker has confirmed (PUBACK) one of the at most WINDOW batches in
flight. After a reconnect, an agent restart or an HA birth message it starts again just after
the last sequence HA acknowledged, so HA gets everything it is missing, in order; what it
already has is ignored there (docs/protocol.md §1.6).
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from edge_hub_core.protocol import MAX_BATCH_BYTES, SCHEMA_VERSION

from .outbox import Outbox

_LOGGER = logging.getLogger(__name__)

WINDOW = 8  # batches in flight (unconfirmed by the broker) at most
_ENVELOPE = 96  # bytes around the records of a batch: {"v":1,"epoch":"…","type":"batch",…}


def build_message(epoch: str, bodies: list[bytes]) -> bytes:
    """One record as itself, several as a batch (docs/protocol.md §1.6), from stored bodies."""
    head = f'{{"v":{SCHEMA_VERSION},"epoch":"{epoch}",'.encode()
    if len(bodies) == 1:
        return head + bodies[0][1:]
    return head + b'"type":"batch","records":[' + b",".join(bodies) + b"]}"


class Sender:
    def __init__(self, outbox: Outbox, publish: Callable[[bytes], int | None]) -> None:
        self._outbox = outbox
        self._publish = publish
        self._active = False
        self._inflight: dict[int, int] = {}  # mid -> last seq of the batch
        self.sent_upto = outbox.acked_seq
        self.batches = 0  # messages sent (diagnostics, benchmarks)
        self.records = 0

    def connected(self) -> None:
        self._active = True
        self._inflight.clear()
        self.sent_upto = self._outbox.acked_seq
        self.pump()

    def disconnected(self) -> None:
        self._active = False
        self._inflight.clear()

    def replay(self) -> None:
        """HA (re)started: send again everything it has not acknowledged."""
        self.sent_upto = min(self.sent_upto, self._outbox.acked_seq)
        self.pump()

    def replay_after(self, after: int) -> int:
        """HA asked for everything after `after` (a gap, or a new entry): send it again."""
        self.sent_upto = min(self.sent_upto, max(after, self._outbox.acked_seq))
        first = self.sent_upto + 1
        self.pump()
        return first

    def acked(self, seq: int) -> None:
        """HA has everything up to `seq`: no need to send it (again)."""
        self.sent_upto = max(self.sent_upto, seq)

    def published(self, mid: int) -> None:
        if self._inflight.pop(mid, None) is not None:
            self.pump()

    def pump(self) -> None:
        """Send committed records while the window has room."""
        outbox = self._outbox
        while (
            self._active and len(self._inflight) < WINDOW and self.sent_upto < outbox.committed_seq
        ):
            rows = outbox.read(self.sent_upto, MAX_BATCH_BYTES - _ENVELOPE)
            if not rows:  # acknowledged or dropped meanwhile
                self.sent_upto = outbox.committed_seq
                return
            mid = self._publish(build_message(outbox.epoch, [body for _, body in rows]))
            if mid is None:  # the connection just went; link_disconnected follows
                self._active = False
                return
            self._inflight[mid] = rows[-1][0]
            self.sent_upto = rows[-1][0]
            self.batches += 1
            self.records += len(rows)
