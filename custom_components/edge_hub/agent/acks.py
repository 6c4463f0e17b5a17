"""Persist what was applied, then acknowledge exactly that (docs/protocol.md §1.7).

The applied sequence number and every feature's `state()` are written together, in one
Store, from one synchronous snapshot; only once the write has finished is the ack published
(retained). After a crash HA therefore restarts from a consistent (seq, state) pair, and the
agent, which deletes only acknowledged records, replays everything after it.

Writes (and acks) are batched: at most one every ACK_INTERVAL seconds, or at once when
ACK_EVERY records have been applied since the last ack. The interval is longer than the 5 s
sampling round of a reactor board on purpose: with one record per round, a shorter one wrote
the Store (an fsync'ed file) and published an ack for every single record, 20 times a second
for 100 boards. A longer wait costs nothing: the agent keeps what is not acknowledged, HA
writes at once on unload and stop, and after a crash the agent replays what the last write
did not cover (exactly once: the applied seq is stored with the state it produced).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ..const import LOGGER

ACK_INTERVAL = 10.0
ACK_EVERY = 1000


@dataclass(frozen=True, slots=True)
class Snapshot:
    data: dict[str, Any]  # what the Store holds
    epoch: str | None
    seq: int


class AckWriter:
    def __init__(
        self,
        hass: HomeAssistant,
        store: Store[dict[str, Any]],
        snapshot: Callable[[], Snapshot],
        publish_ack: Callable[[str, int], Awaitable[None]],
    ) -> None:
        self._hass = hass
        self._store = store
        self._snapshot = snapshot
        self._publish_ack = publish_ack
        self._timer: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False
        self._last_write = 0.0
        self.saved: tuple[str | None, int] = (None, 0)  # what the Store holds
        self.acked: tuple[str | None, int] = (None, 0)  # what the last ack said
        self.writes = 0

    def restored(self, epoch: str | None, seq: int) -> None:
        self.saved = self.acked = (epoch, seq)

    def schedule(self, applied: int) -> None:
        """Records were applied (or state changed): write and acknowledge soon."""
        if self._closed:
            return
        if self._task is not None and not self._task.done():  # writing: once more after it
            self._again = True
            return
        now = time.monotonic()
        due = self._last_write + ACK_INTERVAL
        if applied - self.acked[1] >= ACK_EVERY:
            due = now
        if self._timer is not None:
            if self._due <= due:
                return
            self._timer.cancel()
        self._due = due
        self._timer = self._hass.loop.call_later(max(0.0, due - now), self._start)

    def _start(self) -> None:
        self._timer = None
        # not eager: `_task` must be set before the write can finish
        self._task = self._hass.async_create_background_task(
            self._write(), "edge_hub agent state write", eager_start=False
        )

    async def _write(self) -> None:
        try:
            await self._write_once()
        except Exception:
            LOGGER.exception("Could not save the state of an edge agent")
        finally:
            self._task = None
            self._last_write = time.monotonic()
            if self._again:
                self._again = False
                self.schedule(self._snapshot().seq)

    async def _write_once(self) -> None:
        snapshot = self._snapshot()  # seq and states from one instant
        await self._store.async_save(snapshot.data)
        self.writes += 1
        self.saved = (snapshot.epoch, snapshot.seq)
        if self.saved != self.acked:
            await self.async_republish()

    async def async_republish(self) -> None:
        """Publish the last stored seq as the ack (again: the broker may have lost its
        retained copy). Without a connection it waits for the next one (HA republishes
        on every MQTT reconnect and every announce)."""
        epoch, seq = saved = self.saved
        if epoch is None or seq <= 0:
            return
        try:
            await self._publish_ack(epoch, seq)
        except HomeAssistantError as err:
            LOGGER.debug("Ack %s/%d not published: %s", epoch, seq, err)
            return
        self.acked = saved

    async def async_flush(self) -> None:
        """Write now (unload, HA stop) and acknowledge it."""
        self._cancel_timer()
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        self._again = False
        self._cancel_timer()  # the write that just finished may have set one
        await self._write_once()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def async_close(self) -> None:
        """The entry unloads: a last write, then nothing more."""
        self._closed = True
        await self.async_flush()
