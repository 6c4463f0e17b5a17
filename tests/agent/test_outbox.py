"""The durable outbox: sequence numbers, epochs, batched commits, acks and bounds."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import sqlite3
import threading

import pytest

from edge_agent.outbox import Outbox, OutboxError


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.db"


@pytest.fixture
def outbox(path: Path) -> Iterator[Outbox]:
    box = Outbox(path, commit_interval=0.05)
    box.start()
    yield box
    box.close()


def bodies(box: Outbox, after: int = 0) -> list[dict[str, object]]:
    return [json.loads(body) for _, body in box.read(after, 10**9)]


def test_seq_and_epoch_survive_a_restart(path: Path) -> None:
    box = Outbox(path)
    box.start()
    assert [box.emit("event", {"name": f"e{i}"}) for i in range(3)] == [1, 2, 3]
    epoch = box.epoch
    assert len(epoch) == 16
    box.close()

    box = Outbox(path)
    box.start()
    assert box.epoch == epoch
    assert box.committed_seq == 3
    assert box.emit("event", {"name": "e3"}) == 4
    box.close()


def test_a_new_database_is_a_new_epoch(tmp_path: Path) -> None:
    a = Outbox(tmp_path / "a.db")
    b = Outbox(tmp_path / "b.db")
    assert a.epoch != b.epoch
    a.close()
    b.close()


def test_records_are_committed_in_batches(path: Path) -> None:
    commits: list[int] = []
    box = Outbox(path, commit_interval=0.2, on_commit=lambda: commits.append(1))
    box.start()
    for i in range(1000):
        box.emit("readings", {"readings": [{"sensor": "t", "value": i, "status": "ok"}]})
    assert box.flush(5)
    # 1,000 readings, but only a couple of transactions (one fsync each)
    assert 1 <= len(commits) <= 3
    assert box.committed_seq == 1000
    box.close()


def test_a_lone_record_is_committed_at_once(outbox: Outbox) -> None:
    committed = threading.Event()
    outbox._on_commit = committed.set
    outbox.emit("event", {"name": "x"})
    assert committed.wait(2)  # no waiting for a batch that will not come
    assert outbox.committed_seq == 1


def test_only_committed_records_are_readable(path: Path) -> None:
    box = Outbox(path)  # writer not started: nothing gets committed on its own
    box.emit("event", {"name": "a"})
    assert box.read(0, 10**6) == []
    assert box.committed_seq == 0
    box.flush()
    assert [row["seq"] for row in bodies(box)] == [1]
    box.close()


def test_crash_before_commit_loses_only_unpublished_seqs(path: Path) -> None:
    box = Outbox(path)
    box.emit("event", {"name": "committed"})
    box.flush()
    box.emit("event", {"name": "in the crash window"})
    # the process dies here: the second record was never committed, so never published
    box._reader.close()
    box._writer.close()

    box = Outbox(path)
    assert box.committed_seq == 1
    assert box.emit("event", {"name": "after restart"}) == 2
    box.flush()
    assert [row["data"] for row in bodies(box)] == [
        {"name": "committed"},
        {"name": "after restart"},
    ]
    box.close()


def test_record_format_matches_the_protocol(outbox: Outbox) -> None:
    outbox.emit("lap", {"lane": 1, "car": "1", "lap": 0, "lap_time_us": None, "crossed_ns": 5})
    outbox.flush()
    [record] = bodies(outbox)
    assert set(record) == {"seq", "ts", "type", "data"}
    assert record["type"] == "lap"
    assert isinstance(record["ts"], float)


def test_invalid_records_are_refused(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        outbox.emit("readings", {"value": float("nan")})
    with pytest.raises(ValueError, match="too large"):
        outbox.emit("event", {"name": "x" * 300_000})
    assert outbox.emit("event", {"name": "ok"}) == 1  # no seq was consumed


def test_ack_deletes_and_persists(path: Path, outbox: Outbox) -> None:
    for i in range(10):
        outbox.emit("event", {"name": str(i)})
    outbox.flush()
    assert outbox.ack(6)
    assert not outbox.ack(6)  # not forward
    assert not outbox.ack(3)
    outbox.flush()
    assert [row["seq"] for row in bodies(outbox)] == [7, 8, 9, 10]
    stats = outbox.stats()
    assert stats.backlog == 4
    assert stats.oldest_ts is not None
    outbox.close()

    box = Outbox(path)
    assert box.acked_seq == 6
    assert box.stats().backlog == 4
    box.ack(10)
    box.flush()
    assert box.stats().backlog == 0
    assert box.stats().bytes == 0
    assert box.emit("event", {"name": "next"}) == 11  # seqs go on after everything was acked
    box.close()


def test_ack_beyond_the_database_never_reuses_seqs(outbox: Outbox) -> None:
    outbox.emit("event", {"name": "a"})
    outbox.flush()
    outbox.ack(50)  # HA has applied 50 records this database no longer knows
    assert outbox.emit("event", {"name": "b"}) == 51
    outbox.flush()
    assert [row["seq"] for row in bodies(outbox)] == [51]
    assert outbox.stats().backlog == 1


def test_bounded_by_rows_drops_the_oldest(path: Path) -> None:
    box = Outbox(path, max_rows=100)
    box.start()
    for i in range(250):
        box.emit("event", {"name": str(i)})
        if i % 60 == 0:
            box.flush()
    box.flush()
    rows = bodies(box)
    assert [row["seq"] for row in rows] == list(range(151, 251))
    stats = box.stats()
    assert (stats.backlog, stats.dropped) == (100, 150)
    box.close()

    box = Outbox(path, max_rows=100)
    assert box.stats().dropped == 150  # persisted, reported in every status
    box.close()


def test_bounded_by_bytes(path: Path) -> None:
    box = Outbox(path, max_bytes=1 << 20)
    box.start()
    for _ in range(50):
        box.emit("event", {"name": "x" * 100_000})
    box.flush()
    stats = box.stats()
    assert stats.bytes <= 1 << 20
    assert stats.backlog + stats.dropped == 50
    assert stats.backlog == 10
    assert [row["seq"] for row in bodies(box)] == list(range(41, 51))
    box.close()


def test_read_cuts_batches_by_size(outbox: Outbox) -> None:
    for i in range(100):
        outbox.emit("event", {"name": "y" * 1000, "attrs": {"i": i}})
    outbox.flush()
    first = outbox.read(0, 10_000)
    assert [seq for seq, _ in first] == list(range(1, 10))
    assert sum(len(body) + 1 for _, body in first) <= 10_000
    assert outbox.read(first[-1][0], 10_000)[0][0] == 10
    # a record larger than the limit still goes, alone
    assert len(outbox.read(0, 10)) == 1


def test_emit_from_threads_keeps_seqs_unique(outbox: Outbox) -> None:
    seqs: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(200):
            seq = outbox.emit("event", {"name": "t"})
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outbox.flush()
    assert sorted(seqs) == list(range(1, 801))
    assert [row["seq"] for row in bodies(outbox)] == list(range(1, 801))


def test_not_a_database(path: Path) -> None:
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox(path)


def test_newer_schema_is_refused(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(OutboxError, match="newer agent"):
        Outbox(path)


def test_flush_after_an_ack_beyond_the_database(outbox: Outbox) -> None:
    outbox.emit("event", {"name": "a"})
    outbox.ack(50)
    assert outbox.flush(2)
