"""Exactly-once, in-order application of an agent's records, and its identity rules.

Pure and HA-free (docs/protocol.md §1.3, §1.6). The integration feeds every data message of
the bound epoch to a `Sequencer` and applies exactly the records it hands back, in that
order; `AgentIdentity` decides which epoch is bound and spots a second agent claiming the
same id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from .protocol import Record

GAP_WAIT_S: Final = 5.0
MAX_BUFFER: Final = 10_000


@dataclass(frozen=True, slots=True)
class Gap:
    """Sequence numbers that never arrived (reported after the wait, then skipped)."""

    first: int
    last: int

    @property
    def missing(self) -> int:
        return self.last - self.first + 1


@dataclass(slots=True)
class Outcome:
    ready: list[Record] = field(default_factory=list)  # apply these, in this order
    gaps: list[Gap] = field(default_factory=list)
    duplicates: int = 0


class Sequencer:
    """Turns records arriving in any order, repeated or not, into one in-order stream.

    - seq ≤ applied (or already waiting): a duplicate, ignored;
    - seq = applied + 1: ready, followed by any waiting successors now contiguous;
    - seq > applied + 1: waits (at most `max_buffer` records) for the gap to fill. A gap that
      has not filled `gap_wait` seconds after the first record beyond it arrived is reported
      and skipped (`expire`), as is the oldest gap when the buffer is full.
    """

    def __init__(
        self, applied: int = 0, *, gap_wait: float = GAP_WAIT_S, max_buffer: int = MAX_BUFFER
    ) -> None:
        self.applied = applied
        self.gap_wait = gap_wait
        self.max_buffer = max_buffer
        # seq -> (record, arrival); insertion order is arrival order, so the first entry
        # left is the one that has been waiting longest
        self._waiting: dict[int, tuple[Record, float]] = {}

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def deadline(self) -> float | None:
        """When the oldest waiting record stops waiting for its gap (None: nothing waits)."""
        for _record, arrived in self._waiting.values():
            return arrived + self.gap_wait
        return None

    def reset(self, applied: int = 0) -> None:
        """A new epoch (or a restore): start again from `applied`."""
        self.applied = applied
        self._waiting.clear()

    def offer(self, records: Iterable[Record], now: float) -> Outcome:
        outcome = Outcome()
        for record in records:
            seq = record.seq
            if seq <= self.applied or seq in self._waiting:
                outcome.duplicates += 1
            elif seq == self.applied + 1:
                outcome.ready.append(record)
                self.applied = seq
                self._drain(outcome)
            else:
                if len(self._waiting) >= self.max_buffer:
                    self._skip_gap(outcome)  # the buffer is full: stop waiting for the oldest
                    if seq <= self.applied:  # the skip went past this one
                        outcome.duplicates += 1
                        continue
                    if seq == self.applied + 1:
                        outcome.ready.append(record)
                        self.applied = seq
                        self._drain(outcome)
                        continue
                self._waiting[seq] = (record, now)
        return outcome

    def expire(self, now: float) -> Outcome:
        """Report and skip every gap that has waited long enough."""
        outcome = Outcome()
        while (deadline := self.deadline) is not None and deadline <= now:
            self._skip_gap(outcome)
        return outcome

    def _skip_gap(self, outcome: Outcome) -> None:
        lowest = min(self._waiting)
        outcome.gaps.append(Gap(self.applied + 1, lowest - 1))
        self.applied = lowest - 1
        self._drain(outcome)

    def _drain(self, outcome: Outcome) -> None:
        while (entry := self._waiting.pop(self.applied + 1, None)) is not None:
            outcome.ready.append(entry[0])
            self.applied += 1


class EpochDecision(Enum):
    BOUND = "bound"  # the first epoch this entry sees
    SAME = "same"  # the bound epoch (a reconnect or restart of the bound agent)
    NEW_EPOCH = "new_epoch"  # the bound agent was re-installed: start again at seq 0
    SECOND_AGENT = "second_agent"  # another agent claims the id: reject its data


@dataclass(slots=True)
class AgentIdentity:
    """Which epoch (stream of seqs) an entry is bound to, and who is online (§1.3).

    A new epoch is accepted only while the bound agent's process (its `instance`) is not
    online; announced while it is, the new epoch is a second agent with the same id.
    """

    epoch: str | None = None
    instance: str | None = None
    # processes that said `online` and have not said `offline` since
    online: set[str] = field(default_factory=set)

    @property
    def bound_online(self) -> bool:
        return self.instance is not None and self.instance in self.online

    def status(self, online: bool, instance: str | None) -> None:
        if online and instance is not None:
            self.online.add(instance)
        elif not online:
            if instance is None:  # an offline form that does not say whose: nobody is
                self.online.clear()
            else:
                self.online.discard(instance)

    def connection_lost(self) -> None:
        """HA's own MQTT connection dropped: nobody is known to be online any more."""
        self.online.clear()

    def announce(self, epoch: str, instance: str) -> EpochDecision:
        if self.epoch is None:
            self.epoch, self.instance = epoch, instance
            return EpochDecision.BOUND
        if epoch == self.epoch:
            self.instance = instance
            return EpochDecision.SAME
        if self.bound_online and instance != self.instance:
            return EpochDecision.SECOND_AGENT
        self.epoch, self.instance = epoch, instance
        return EpochDecision.NEW_EPOCH
