"""The sender (ordered, windowed batches of committed records) and the reconnect backoff."""

from __future__ import annotations

from pathlib import Path

from edge_agent.backoff import Backoff
from edge_agent.outbox import Outbox
from edge_agent.sender import WINDOW, Sender, build_message
from edge_hub_core import protocol


class FakeLink:
    def __init__(self) -> None:
        self.sent: dict[int, bytes] = {}
        self.next_mid = 1
        self.up = True

    def publish(self, payload: bytes) -> int | None:
        if not self.up:
            return None
        mid, self.next_mid = self.next_mid, self.next_mid + 1
        self.sent[mid] = payload
        return mid

    def seqs(self, mids: list[int] | None = None) -> list[int]:
        out = []
        for mid in mids or sorted(self.sent):
            message = protocol.parse_data(protocol.decode_payload(self.sent[mid]))
            out.extend(record.seq for record in message.records)
        return out


def make(tmp_path: Path, records: int, size: int = 10) -> tuple[Outbox, FakeLink, Sender]:
    box = Outbox(tmp_path / "o.db")
    for i in range(records):
        box.emit("event", {"name": "x" * size, "attrs": {"i": i}})
    box.flush()
    link = FakeLink()
    return box, link, Sender(box, link.publish)


def test_messages_follow_the_protocol(tmp_path: Path) -> None:
    box, _, _ = make(tmp_path, 3)
    rows = box.read(0, 10**6)
    single = protocol.parse_data(protocol.decode_payload(build_message(box.epoch, [rows[0][1]])))
    assert [r.seq for r in single.records] == [1]
    batch = protocol.decode_payload(build_message(box.epoch, [body for _, body in rows]))
    assert batch["type"] == "batch"
    assert [r.seq for r in protocol.parse_data(batch).records] == [1, 2, 3]
    assert batch["epoch"] == box.epoch
    box.close()


def test_window_and_batch_size(tmp_path: Path) -> None:
    box, link, sender = make(tmp_path, 2000, size=200)
    sender.connected()
    assert len(link.sent) == WINDOW  # no more until the broker confirms
    assert all(len(p) <= protocol.MAX_BATCH_BYTES for p in link.sent.values())
    confirmed: set[int] = set()
    while pending := [mid for mid in link.sent if mid not in confirmed]:
        for mid in pending:  # the broker confirms; each confirmation sends the next batch
            confirmed.add(mid)
            sender.published(mid)
    assert link.seqs() == list(range(1, 2001))
    box.close()


def test_reconnect_and_birth_replay_from_the_ack(tmp_path: Path) -> None:
    box, link, sender = make(tmp_path, 10)
    sender.connected()
    assert link.seqs() == list(range(1, 11))
    box.ack(4)
    sender.acked(4)
    sender.disconnected()
    link.sent.clear()
    sender.connected()  # reconnect: everything not acknowledged, in order
    assert link.seqs() == list(range(5, 11))
    link.sent.clear()
    sender.replay()  # HA birth: the same
    assert link.seqs() == list(range(5, 11))
    box.close()


def test_connection_lost_while_sending(tmp_path: Path) -> None:
    box, link, sender = make(tmp_path, 5)
    link.up = False
    sender.connected()
    assert link.sent == {}
    assert sender.sent_upto == 0
    box.close()


def test_backoff_ladder() -> None:
    backoff = Backoff(0.005, 1.0, rand=lambda: 1.0)  # no jitter: the steps themselves
    steps = [backoff.next() for _ in range(10)]
    assert steps == [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0]
    backoff.reset()
    assert backoff.next() == 0.005


def test_backoff_jitter_stays_within_half_a_step() -> None:
    low = Backoff(0.005, 1.0, rand=lambda: 0.0)
    assert [low.next() for _ in range(3)] == [0.0025, 0.005, 0.01]
