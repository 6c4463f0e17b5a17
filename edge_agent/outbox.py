"""The durable outbox: every record gets its sequence number here and is stored before it is sent.

paho-mqtt keeps unacknowledged QoS 1 messages in memory only, so durability is ours: records
go to a local SQLite database (WAL) and stay there until Home Assistant acknowledges their
sequence number (docs/protocol.md §1.6, §1.7). The link replays whatever is unacknowledged,
in order, after a reconnect, an agent restart or an HA birth message.

Write path and its crash window (read this before relying on `emit`):
- `emit` assigns the next seq, encodes the record and queues it in memory; it never touches
  the disk, so a feature (or the event loop) is never blocked by a slow SD card.
- A writer thread commits queued records in batches: at once when nothing was committed in
  the last `commit_interval` (so a slow stream is committed record by record, within
  milliseconds), otherwise at the end of that interval. One transaction, one fsync
  (synchronous=FULL: the WAL is fsynced at every commit) per batch - at most
  1/commit_interval fsyncs per second under load, none when idle.
- Only committed records are ever published (`read` sees committed rows only), so a seq that
  HA has seen is always on disk.
- Crash window: records emitted during the last commit interval (50 ms by default) that were
  not yet committed are lost if the process is killed or the power fails. Their seqs were
  never published, so the restarted agent reuses them without HA noticing; `emit` returning
  means "queued for the next commit", not "on disk" (`flush()` waits for the disk).

Bounds: at most `max_rows` records and `max_bytes` bytes of record bodies are kept; when a
commit would exceed either, the oldest records are deleted and counted in `dropped`
(persisted, reported in the status message).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import json
import logging
from pathlib import Path
import secrets
import sqlite3
import threading
import time
from typing import Any

from edge_hub_core.protocol import MAX_PAYLOAD

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# room left in a message for the envelope (v, epoch) around one record
_MAX_RECORD_BYTES = MAX_PAYLOAD - 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, ts REAL NOT NULL, body BLOB NOT NULL);
"""


class OutboxError(Exception):
    """The outbox database cannot be used."""


@dataclass(frozen=True, slots=True)
class OutboxStats:
    backlog: int  # records not yet acknowledged by HA
    dropped: int  # records discarded because the outbox was full, since the epoch began
    oldest_ts: float | None  # the oldest unacknowledged record's timestamp
    bytes: int  # stored record bodies


class Outbox:
    """A durable, bounded, ordered store of records with sequence numbers (thread-safe)."""

    def __init__(
        self,
        path: Path,
        *,
        max_rows: int = 1_000_000,
        max_bytes: int = 256 * 1024 * 1024,
        commit_interval: float = 0.05,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.commit_interval = commit_interval
        self._on_commit = on_commit
        self._cond = threading.Condition()
        self._pending: list[tuple[int, float, bytes]] = []
        self._ack_to_apply: int | None = None
        self._closing = False
        self._flush_requested = False
        self._thread: threading.Thread | None = None
        self._read_lock = threading.Lock()
        self._writer, self._reader = self._open()
        self._load()

    # --- opening ---------------------------------------------------------------------------

    def _open(self) -> tuple[sqlite3.Connection, sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            writer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            writer.execute("PRAGMA journal_mode=WAL")
            # WAL + FULL: every commit is fsynced, and commits are batched (see the module doc)
            writer.execute("PRAGMA synchronous=FULL")
            version = writer.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise OutboxError(f"{self.path} was written by a newer agent (v{version})")
            writer.executescript(_SCHEMA)
            writer.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except (sqlite3.Error, OSError) as err:
            raise OutboxError(f"cannot open the outbox {self.path}: {err}") from err
        return writer, reader

    def _load(self) -> None:
        db = self._writer
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if "epoch" not in meta:
            meta = {"epoch": secrets.token_hex(8), "last_seq": 0, "acked_seq": 0, "dropped": 0}
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            _LOGGER.info("new outbox %s, epoch %s", self.path, meta["epoch"])
        self.epoch: str = meta["epoch"]
        first, last, size = db.execute(
            "SELECT MIN(seq), MAX(seq), COALESCE(SUM(LENGTH(body)), 0) FROM records"
        ).fetchone()
        self._committed_seq: int = max(int(meta["last_seq"]), last or 0)
        self._next_seq = self._committed_seq + 1
        self._last_queued = self._committed_seq
        self._first_seq: int = first if first is not None else self._committed_seq + 1
        self._bytes: int = size
        self._acked_seq: int = int(meta["acked_seq"])
        self._acked_stored = self._acked_seq  # the ack the database has applied
        self._dropped: int = int(meta["dropped"])

    def start(self) -> None:
        """Start the writer thread (records emitted before are committed at once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_loop, name="outbox", daemon=True)
            self._thread.start()

    # --- the producer side -----------------------------------------------------------------

    def emit(self, kind: str, data: Mapping[str, Any], ts: float | None = None) -> int:
        """Queue a record for the next commit and return its seq (see the crash window above).

        Raises ValueError for data that is not JSON (NaN included) or too large to send."""
        data_json = json.dumps(data, separators=(",", ":"), allow_nan=False)
        kind_json = json.dumps(kind)
        stamp = time.time() if ts is None else float(ts)
        with self._cond:
            if self._closing:
                raise RuntimeError("the outbox is closed")
            seq = self._next_seq
            body = f'{{"seq":{seq},"ts":{stamp!r},"type":{kind_json},"data":{data_json}}}'.encode()
            if len(body) > _MAX_RECORD_BYTES:
                raise ValueError(f"a {kind} record of {len(body)} bytes is too large to send")
            self._next_seq = seq + 1
            self._last_queued = seq
            self._pending.append((seq, stamp, body))
            if len(self._pending) == 1:
                self._cond.notify()
        return seq

    def ack(self, seq: int) -> bool:
        """HA has stored every record up to `seq`: delete them (at the next commit).

        Returns whether the ack moved forward."""
        with self._cond:
            if seq <= self._acked_seq:
                return False
            if seq >= self._next_seq:
                # HA holds records this database no longer has (restored from a backup, or
                # an fsync the disk lied about): never reuse seqs HA has already applied
                _LOGGER.warning(
                    "HA acknowledged seq %d but the outbox has only reached %d: continuing at %d",
                    seq,
                    self._next_seq - 1,
                    seq + 1,
                )
                self._next_seq = seq + 1
            self._acked_seq = seq
            self._ack_to_apply = seq
            self._cond.notify()
            return True

    def flush(self, timeout: float = 5.0) -> bool:
        """Commit everything emitted so far now; False if that did not happen in time."""
        if self._thread is None:  # not started (tests, or a failed start-up)
            self._commit_once()
            return True
        deadline = time.monotonic() + timeout
        with self._cond:
            target, acked = self._last_queued, self._acked_seq

            def done() -> bool:
                return self._committed_seq >= target and self._acked_stored >= acked

            self._flush_requested = True
            self._cond.notify_all()
            while not done() and self._thread.is_alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return done()

    def close(self, timeout: float = 3.0) -> None:
        """Commit what is queued, stop the writer and close the database."""
        self.flush(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._read_lock:
            self._reader.close()
        self._writer.close()

    # --- the reader side (the link) --------------------------------------------------------

    @property
    def committed_seq(self) -> int:
        return self._committed_seq

    @property
    def acked_seq(self) -> int:
        return self._acked_seq

    @property
    def last_seq(self) -> int:
        """The highest seq handed out (committed or not)."""
        return self._next_seq - 1

    def read(self, after: int, max_bytes: int, max_rows: int = 10_000) -> list[tuple[int, bytes]]:
        """Committed records with seq > `after`, in order, whose bodies total at most
        `max_bytes` (always at least one record when there is one)."""
        rows: list[tuple[int, bytes]] = []
        size = 0
        with self._read_lock:
            cursor = self._reader.execute(
                "SELECT seq, body FROM records WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, max_rows),
            )
            for seq, body in cursor:
                size += len(body) + 1
                if rows and size > max_bytes:
                    break
                rows.append((seq, body))
            cursor.close()
        return rows

    def counts(self) -> tuple[int, int]:
        """(backlog, dropped), without touching the database."""
        with self._cond:
            acked, last = self._acked_seq, self._next_seq - 1
            return max(0, last - max(acked, self._first_seq - 1)), self._dropped

    def stats(self) -> OutboxStats:
        with self._cond:
            acked, last = self._acked_seq, self._next_seq - 1
            backlog = max(0, last - max(acked, self._first_seq - 1))
            dropped, size = self._dropped, self._bytes
        oldest = None
        if backlog:
            with self._read_lock:
                row = self._reader.execute(
                    "SELECT ts FROM records WHERE seq > ? ORDER BY seq LIMIT 1", (acked,)
                ).fetchone()
            oldest = row[0] if row else None
        return OutboxStats(backlog=backlog, dropped=dropped, oldest_ts=oldest, bytes=size)

    # --- the writer thread -----------------------------------------------------------------

    def _write_loop(self) -> None:
        last_commit = 0.0
        while True:
            with self._cond:
                while not (self._pending or self._ack_to_apply is not None or self._closing):
                    self._flush_requested = False
                    self._cond.wait()
                if self._closing and not self._pending and self._ack_to_apply is None:
                    return
                # bound the commit (and fsync) rate: gather what arrives until the interval ends
                wait = last_commit + self.commit_interval - time.monotonic()
                while wait > 0 and not (self._flush_requested or self._closing):
                    self._cond.wait(wait)
                    wait = last_commit + self.commit_interval - time.monotonic()
            try:
                self._commit_once()
            except sqlite3.Error:
                # the records stay queued in memory; a full or failing disk is retried
                _LOGGER.exception("outbox commit failed, retrying in 1 s")
                with self._cond:
                    self._cond.wait(1.0)
                continue
            last_commit = time.monotonic()
            if self._on_commit is not None:
                try:
                    self._on_commit()
                except Exception:
                    _LOGGER.exception("outbox commit callback failed")

    def _commit_once(self) -> None:
        with self._cond:
            batch, self._pending = self._pending, []
            ack, self._ack_to_apply = self._ack_to_apply, None
            # only this thread changes these three (and _load before it started)
            committed, first, size = self._committed_seq, self._first_seq, self._bytes
        if not batch and ack is None:
            return
        try:
            committed, first, size, dropped = self._write(batch, ack, committed, first, size)
        except BaseException:
            with self._cond:  # put the batch back in front, keep the order
                self._pending[:0] = batch
                if ack is not None and self._ack_to_apply is None:
                    self._ack_to_apply = ack
            raise
        with self._cond:
            self._committed_seq, self._first_seq, self._bytes = committed, first, size
            self._dropped += dropped
            if ack is not None:
                self._acked_stored = ack
            self._flush_requested = False
            self._cond.notify_all()
        if dropped:
            _LOGGER.warning("outbox full: dropped the %d oldest records", dropped)

    def _write(
        self,
        batch: list[tuple[int, float, bytes]],
        ack: int | None,
        committed: int,
        first: int,
        size: int,
    ) -> tuple[int, int, int, int]:
        """One transaction: insert, delete what is acknowledged, enforce the bounds.

        Stored seqs are always contiguous (consecutive inserts, deletions of a prefix), so
        the count and size are tracked here instead of being recomputed by a table scan.
        Returns the new (committed seq, first stored seq, stored bytes, records dropped)."""
        db = self._writer
        dropped = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            if batch:
                db.executemany("INSERT INTO records VALUES (?, ?, ?)", batch)
                db.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", (batch[-1][0],))
                committed = batch[-1][0]
                size += sum(len(body) for _, _, body in batch)
            if ack is not None:
                if ack >= first:
                    size -= db.execute(
                        "SELECT COALESCE(SUM(LENGTH(body)), 0) FROM records WHERE seq <= ?",
                        (ack,),
                    ).fetchone()[0]
                    db.execute("DELETE FROM records WHERE seq <= ?", (ack,))
                    first = ack + 1
                db.execute("UPDATE meta SET value = ? WHERE key = 'acked_seq'", (ack,))
            first = min(first, committed + 1) if batch else first
            count = committed - first + 1
            if count > self.max_rows or size > self.max_bytes:
                cutoff = first - 1
                cursor = db.execute("SELECT seq, LENGTH(body) FROM records ORDER BY seq")
                for seq, length in cursor:
                    if count - dropped <= self.max_rows and size <= self.max_bytes:
                        break
                    cutoff, dropped, size = seq, dropped + 1, size - length
                cursor.close()
                db.execute("DELETE FROM records WHERE seq <= ?", (cutoff,))
                db.execute("UPDATE meta SET value = value + ? WHERE key = 'dropped'", (dropped,))
                first = cutoff + 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return committed, first, size, dropped
