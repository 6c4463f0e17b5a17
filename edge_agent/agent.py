"""The agent core: runs the features, keeps the outbox, talks to Home Assistant over MQTT.

Threads: the event loop (this module, the features, the sender), the outbox writer (commits)
and the MQTT network thread (link.py). The two others only ever hand work to the event loop.
Nothing polls: when no feature emits and nothing arrives, every thread is blocked waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import logging
import secrets
import time
from typing import Any

from edge_hub_core import protocol

from . import __version__
from .config import Config
from .feature import CommandError, Feature, FeatureContext
from .link import MqttLink, Will
from .outbox import Outbox
from .sender import Sender

_LOGGER = logging.getLogger(__name__)

STATUS_MIN_INTERVAL = 5.0  # seconds between two status messages (docs/protocol.md §1.5)
# The status reports the backlog once its oldest record has waited this long for HA's ack
# (HA acks every 10 s at most), 0 before: records merely on their way are normal, and
# reporting them made a healthy board publish a status after every record and every ack - as
# many messages as its data - and flip HA's backlog sensor between 0 and 1 all day.
BACKLOG_LATE_S = 30.0
SHUTDOWN_BUDGET = 4.5  # seconds: SIGTERM must end the process within 5 s


class FeatureStartError(Exception):
    """A feature could not be built (its hardware is missing, for instance)."""


class Agent:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.agent_id = config.agent.id
        self.instance = secrets.token_hex(8)
        self.features: list[Feature] = []
        for fc in config.features:
            try:
                self.features.append(fc.spec.build(fc.config))
            except Exception as err:
                raise FeatureStartError(f"feature {fc.section} could not start: {err}") from err
        self._commands: dict[str, Feature] = {}
        for feature in self.features:
            for cmd in feature.commands:
                self._commands.setdefault(cmd, feature)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._status_timer: asyncio.TimerHandle | None = None
        self._status_sent_at = 0.0
        self._reported: tuple[int, int] | None = None  # (backlog, dropped) last published
        self._late_timer: asyncio.TimerHandle | None = None
        self._bad_acks: set[str] = set()
        self.outbox: Outbox
        self.link: MqttLink
        self.sender: Sender

    def topic(self, leaf: str) -> str:
        return protocol.topic(self.agent_id, leaf)

    # --- life cycle ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        """Run until `stop` is set; then shut down cleanly (exit code 0)."""
        self._loop = loop = asyncio.get_running_loop()
        cfg = self.config
        self.outbox = Outbox(
            cfg.outbox.path,
            max_rows=cfg.outbox.max_rows,
            max_bytes=cfg.outbox.max_bytes,
            commit_interval=cfg.outbox.commit_interval_ms / 1000,
            on_commit=self._committed_threadsafe,
        )
        self.outbox.start()
        will = Will(self.topic(protocol.STATUS), self._offline_payload())
        self.link = MqttLink(cfg.mqtt, self.agent_id, will, self, loop)
        self.sender = Sender(
            self.outbox, lambda payload: self.link.publish(self.topic(protocol.DATA), payload)
        )
        _LOGGER.info(
            "edge agent %s (%s) starting: epoch %s, %d records not yet acknowledged",
            self.agent_id,
            __version__,
            self.outbox.epoch,
            self.outbox.stats().backlog,
        )
        self.link.start()
        ctx = FeatureContext(
            agent_id=self.agent_id, emit=self._emit, publish_live=self._publish_live
        )
        runs = [
            loop.create_task(self._run_feature(feature, ctx), name=f"feature {feature.name}")
            for feature in self.features
        ]
        try:
            await stop.wait()
        finally:
            await self._shutdown(runs)
        return 0

    async def _run_feature(self, feature: Feature, ctx: FeatureContext) -> None:
        try:
            await feature.run(ctx)
            _LOGGER.warning("feature %s stopped by itself", feature.name)
        except asyncio.CancelledError:
            raise
        except Exception:
            # one broken feature must not take the others (or the outbox) down with it
            _LOGGER.exception("feature %s failed", feature.name)

    async def _shutdown(self, runs: list[asyncio.Task[None]]) -> None:
        started = time.monotonic()

        def left(share: float) -> float:
            return max(0.1, min(share, SHUTDOWN_BUDGET - (time.monotonic() - started)))

        for task in runs:
            task.cancel()
        if runs:
            await asyncio.wait(runs, timeout=left(1.0))
        for feature in self.features:
            try:
                async with asyncio.timeout(left(0.5)):
                    await feature.close()
            except Exception:
                _LOGGER.exception("feature %s did not close cleanly", feature.name)
        for task in list(self._tasks):
            task.cancel()
        for timer in (self._status_timer, self._late_timer):
            if timer is not None:
                timer.cancel()
        # in-flight writes first: what was emitted is on disk before we say goodbye
        if not await asyncio.to_thread(self.outbox.flush, left(1.5)):
            _LOGGER.error("the outbox could not commit its last records in time")
        await self.link.stop(Will(self.topic(protocol.STATUS), self._offline_payload()), left(1.5))
        await asyncio.to_thread(self.outbox.close, left(0.5))
        _LOGGER.info("stopped")

    # --- what features use -----------------------------------------------------------------

    def _emit(self, kind: str, data: Mapping[str, Any]) -> int:
        return self.outbox.emit(kind, data)

    def _publish_live(self, leaf: str, payload: Mapping[str, Any]) -> None:
        body = protocol.encode_payload({"v": protocol.SCHEMA_VERSION, **payload})
        self.link.publish(self.topic(leaf), body, qos=0)

    # --- outbox events ---------------------------------------------------------------------

    def _committed_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(self._committed)

    def _committed(self) -> None:
        self.sender.pump()
        self._status_changed()

    # --- link events (event loop thread) ---------------------------------------------------

    def link_connected(self) -> None:
        self._publish_announce()
        self._publish_status()
        self.sender.connected()

    def link_disconnected(self) -> None:
        self.sender.disconnected()

    def link_published(self, mid: int) -> None:
        self.sender.published(mid)

    def link_message(self, topic: str, payload: bytes, retain: bool) -> None:
        try:
            if topic == protocol.HA_STATUS_TOPIC:
                # HA's birth (not a stale retained copy): re-announce and replay
                if payload.strip() == b"online" and not retain:
                    _LOGGER.info("Home Assistant is online: announcing and replaying")
                    self._publish_announce()
                    self._publish_status()
                    self.sender.replay()
            elif topic == self.topic(protocol.ACK):
                self._handle_ack(payload)
            elif topic == self.topic(protocol.CMD) and not retain:
                self._spawn(self._handle_command(payload))
        except Exception:
            _LOGGER.exception("error handling a message on %s", topic)

    def _handle_ack(self, payload: bytes) -> None:
        if not payload:
            return  # the retained ack was cleared
        try:
            ack = protocol.parse_ack(protocol.decode_payload(payload))
        except protocol.ProtocolError as err:
            if err.reason not in self._bad_acks:  # once per kind of problem
                self._bad_acks.add(err.reason)
                _LOGGER.warning("ignoring an invalid ack: %s", err)
            return
        if ack.epoch != self.outbox.epoch:
            _LOGGER.debug("ignoring an ack for epoch %s", ack.epoch)
            return
        if self.outbox.ack(ack.seq):
            self.sender.acked(ack.seq)
            self._status_changed()

    async def _handle_command(self, payload: bytes) -> None:
        try:
            command = protocol.parse_command(protocol.decode_payload(payload))
        except protocol.ProtocolError as err:
            _LOGGER.warning("ignoring an invalid command: %s", err)
            return
        reply: dict[str, Any] = {"v": protocol.SCHEMA_VERSION, "id": command.id}
        try:
            result = await self._execute(command.cmd, command.args)
        except CommandError as err:
            reply |= {"ok": False, "error": {"code": err.code, "message": str(err)}}
        except Exception as err:
            _LOGGER.exception("command %s failed", command.cmd)
            reply |= {"ok": False, "error": {"code": "internal_error", "message": str(err)}}
        else:
            reply |= {"ok": True, "result": result}
        self.link.publish(self.topic(protocol.REPLY), protocol.encode_payload(reply))

    async def _execute(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if cmd == "ping":
            return {"instance": self.instance, "sw_version": __version__}
        if cmd == "replay":
            after = args.get("after", 0)
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                raise CommandError("invalid_args", "after must be a non-negative integer")
            return {"from": self.sender.replay_after(after)}
        feature = self._commands.get(cmd)
        if feature is None:
            raise CommandError("unknown_command", f"unknown command {cmd!r}")
        return await feature.handle_command(cmd, args)

    def _spawn(self, coro: Any) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _outbox_figures(self) -> tuple[int, int, float | None]:
        """(backlog, dropped, oldest_ts) as the status reports them: the backlog only once
        its oldest record is late (0 and None while records are merely on their way)."""
        backlog, dropped = self.outbox.counts()
        if not backlog:
            return 0, dropped, None
        stats = self.outbox.stats()
        oldest = stats.oldest_ts  # None: not committed yet, so not late either
        if oldest is None or time.time() - oldest < BACKLOG_LATE_S:
            if self._late_timer is None:  # look again when it would be late
                assert self._loop is not None
                since = time.time() if oldest is None else oldest
                wait = since + BACKLOG_LATE_S - time.time() + 0.1
                self._late_timer = self._loop.call_later(wait, self._late_check)
            return 0, stats.dropped, None
        return stats.backlog, stats.dropped, oldest

    def _late_check(self) -> None:
        self._late_timer = None
        self._status_changed()

    # --- announce and status ---------------------------------------------------------------

    def announce(self) -> dict[str, Any]:
        agent = self.config.agent
        capabilities: dict[str, Any] = {}
        for feature in self.features:
            capabilities[feature.name] = feature.capability()
        message: dict[str, Any] = {
            "v": protocol.SCHEMA_VERSION,
            "agent_id": self.agent_id,
            "epoch": self.outbox.epoch,
            "instance": self.instance,
            "name": agent.name,
            "manufacturer": agent.manufacturer,
            "model": agent.model,
            "sw_version": __version__,
            "hw_version": agent.hw_version,
            "capabilities": capabilities,
            "ts": time.time(),
        }
        return {key: value for key, value in message.items() if value is not None}

    def _publish_announce(self) -> None:
        payload = protocol.encode_payload(self.announce())
        self.link.publish(self.topic(protocol.ANNOUNCE), payload, retain=True)

    def _offline_payload(self) -> bytes:
        return protocol.encode_payload(protocol.build_offline(self.instance))

    def status(self) -> dict[str, Any]:
        backlog, dropped, oldest = self._outbox_figures()
        self._reported = (backlog, dropped)
        return {
            "v": protocol.SCHEMA_VERSION,
            "state": protocol.ONLINE,
            "instance": self.instance,
            "outbox": {"backlog": backlog, "dropped": dropped, "oldest_ts": oldest},
            "ts": time.time(),
        }

    def _publish_status(self) -> None:
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None
        if (
            self.link.publish(
                self.topic(protocol.STATUS), protocol.encode_payload(self.status()), retain=True
            )
            is not None
        ):
            self._status_sent_at = time.monotonic()

    def _status_changed(self) -> None:
        """The outbox figures changed: publish them if worth it, at most once every 5 s."""
        if not self.link.connected or self._status_timer is not None:
            return
        if self._reported is not None and self._outbox_figures()[:2] == self._reported:
            return
        wait = self._status_sent_at + STATUS_MIN_INTERVAL - time.monotonic()
        if wait <= 0:
            self._publish_status()
        else:
            assert self._loop is not None
            self._status_timer = self._loop.call_later(wait, self._publish_status)
