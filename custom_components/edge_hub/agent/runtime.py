"""The runtime of one edge agent's entry (docs/protocol.md part 1, the HA side).

It subscribes to the agent's announce, status, data and reply topics; validates everything
with edge_hub_core.protocol (a bad message is dropped with one log line, never raised);
applies each record exactly once and in order (edge_hub_core.sequence) to the features the
agent announced; persists the applied seq together with the features' state and only then
acknowledges it (acks.py); and keeps the agent's device and diagnostic entities.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import ALL_PLATFORMS, DOMAIN, LOGGER
from ..edge_hub_core import protocol
from ..edge_hub_core.sequence import (
    GAP_WAIT_S,
    AgentIdentity,
    EpochDecision,
    Outcome,
    Sequencer,
)
from ..models import EdgeHubConfigEntry, KindRuntime
from .acks import AckWriter, Snapshot
from .commands import CommandChannel
from .const import CONF_AGENT_ID
from .entity import SENSORS, AgentConnectivity, AgentSensor
from .feature import AgentContext, AgentFeature
from .feature_set import FeatureSet
from .problems import ProblemLog

STORAGE_VERSION = 1
# data held back while an announce is adding features (so none misses its records)
HOLD_LIMIT = 1000
# a gap is asked to be replayed at most this often (it is skipped after GAP_WAIT_S)
REPLAY_INTERVAL = 1.0
# the last-seen sensor is rewritten on data at most this often (status messages: always)
LAST_SEEN_INTERVAL = 60.0


class AgentRuntime(KindRuntime):
    # every platform: features announced later add entities without a reload
    platforms = ALL_PLATFORMS
    gap_wait = GAP_WAIT_S

    def __init__(self, hass: HomeAssistant, entry: EdgeHubConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.agent_id: str = entry.data[CONF_AGENT_ID]
        self.identity = AgentIdentity()
        self.sequencer = Sequencer(gap_wait=self.gap_wait)
        self.announce: protocol.Announce | None = None
        self._announce_raw: dict[str, Any] | None = None
        self._statuses: dict[str, protocol.Status] = {}  # latest online status per instance
        self.last_seen: datetime | None = None
        self._last_seen_written = 0.0
        self._mqtt_connected = False
        self._available: bool | None = None
        self._logged_unavailable = False
        self._removed = False  # the user deleted the device: not recreated until announced
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._held: list[mqtt.ReceiveMessage] | None = None
        self._announcing = 0
        self._announce_lock = asyncio.Lock()
        self._gap_timer: asyncio.TimerHandle | None = None
        self._replay_asked = float("-inf")
        self._replay_on_announce = True  # the first announce after set-up asks for a replay
        self._tasks: set[asyncio.Task[Any]] = set()
        self.counters: Counter[str] = Counter()
        self._problems = ProblemLog(self.agent_id, self.counters)
        self.device_info = DeviceInfo(identifiers={(DOMAIN, self.agent_id)}, name=entry.title)
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.agent_{entry.entry_id}"
        )
        self._acks = AckWriter(hass, self._store, self._snapshot, self._async_publish_ack)
        self._commands = CommandChannel(
            hass, self.agent_id, self._async_publish, lambda: self.available
        )
        self.context = AgentContext(
            hass=hass,
            entry=entry,
            agent_id=self.agent_id,
            device_info=DeviceInfo(identifiers={(DOMAIN, self.agent_id)}),
            send_command=self._commands.async_send,
            is_online=lambda: self.available,
            schedule_save=lambda: self._acks.schedule(self.sequencer.applied),
        )
        self._features = FeatureSet(hass, self.context)

    # --- state seen by entities --------------------------------------------------------------

    @property
    def features(self) -> dict[str, AgentFeature]:
        return self._features.features

    @property
    def available(self) -> bool:
        """The agent is online (its bound process said so) and HA's MQTT is connected."""
        return self._mqtt_connected and self.identity.bound_online

    @property
    def _status(self) -> protocol.Status | None:
        instance = self.identity.instance
        return self._statuses.get(instance) if instance is not None else None

    @property
    def outbox_backlog(self) -> int | None:
        return self._status.backlog if self._status else None

    @property
    def outbox_dropped(self) -> int | None:
        return self._status.dropped if self._status else None

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # --- set-up ------------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore the bound epoch, the applied seq, the features and their state."""
        data = await self._store.async_load() or {}
        epoch, instance = data.get("epoch"), data.get("instance")
        applied = int(data.get("applied", 0))
        self.identity.epoch, self.identity.instance = epoch, instance
        self.sequencer.reset(applied)
        self._acks.restored(epoch, applied)
        self._features.restore(data.get("features") or {})
        self._removed = bool(data.get("removed", False))
        raw = data.get("announce")
        if isinstance(raw, dict):
            try:
                self.announce = protocol.parse_announce(raw, self.agent_id)
            except protocol.ProtocolError:
                return
            self._announce_raw = raw
            self._set_device_info(self.announce)
            await self._features.async_add(self.announce.capabilities, setup=False)

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        if not self._removed:  # a deleted device comes back only when announced again
            if platform is Platform.BINARY_SENSOR:
                async_add_entities([AgentConnectivity(self)])
            elif platform is Platform.SENSOR:
                async_add_entities([AgentSensor(self, description) for description in SENSORS])
        await self._features.async_setup_platform(
            platform, async_add_entities, entities=not self._removed
        )

    async def async_start(self) -> None:
        """Subscribe (status first: who is online decides what an announce means)."""
        topics: tuple[tuple[str, Callable[[mqtt.ReceiveMessage], None]], ...] = (
            (protocol.STATUS, self._on_status),
            (protocol.ANNOUNCE, self._on_announce),
            (protocol.DATA, self._on_data),
            (protocol.REPLY, self._on_reply),
        )
        for leaf, handler in topics:
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass, protocol.topic(self.agent_id, leaf), handler, 1, encoding=None
                )
            )
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(self.hass, self._on_mqtt_connection)
        )
        self._unsubscribe.append(
            self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_ha_stop)
        )
        self._mqtt_connected = mqtt.is_connected(self.hass)
        if self._mqtt_connected:
            await self._acks.async_republish()  # HA (re)started: tell the agent where it is
        self._update_availability()

    async def async_unload(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._cancel_gap_timer()
        self._commands.cancel_all()
        for task in self._tasks:
            task.cancel()
        await self._features.async_unload()
        try:
            await self._acks.async_close()
        except (HomeAssistantError, OSError):
            LOGGER.exception("Could not save the state of edge agent %s", self.agent_id)
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    async def _async_ha_stop(self, _event: Event) -> None:
        await self._acks.async_flush()

    # --- messages (all callbacks: they never raise) ------------------------------------------

    @callback
    def _on_status(self, msg: mqtt.ReceiveMessage) -> None:
        if not msg.payload:
            return  # the retained status was cleared
        try:
            status = protocol.parse_status(protocol.decode_payload(msg.payload))
        except protocol.ProtocolError as err:
            self._problems.rejected(msg.topic, err)
            return
        self._seen(msg, status.ts)
        self.identity.status(status.online, status.instance)
        if status.online and status.instance is not None:
            self._statuses[status.instance] = status
        elif status.instance is None:
            self._statuses.clear()
        else:
            self._statuses.pop(status.instance, None)
        self._update_availability()
        self._notify()

    @callback
    def _on_announce(self, msg: mqtt.ReceiveMessage) -> None:
        if not msg.payload:
            LOGGER.info("Edge agent %s withdrew its announcement (gone for good?)", self.agent_id)
            return
        try:
            raw = protocol.decode_payload(msg.payload)
            announce = protocol.parse_announce(raw, self.agent_id)
        except protocol.ProtocolError as err:
            self._problems.rejected(msg.topic, err)
            return
        self._seen(msg, announce.ts)
        if self._removed:
            if msg.retain:  # an old announcement, not the agent announcing again
                return
            LOGGER.info("Edge agent %s announced itself again: adding its device", self.agent_id)
            self._removed = False
            self._acks.schedule(self.sequencer.applied)
            self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
            return
        decision = self.identity.announce(announce.epoch, announce.instance)
        if decision is EpochDecision.SECOND_AGENT:
            self._second_agent(announce)
            return
        if decision is EpochDecision.NEW_EPOCH:
            LOGGER.warning(
                "Edge agent %s starts a new sequence (epoch %s): it was re-installed or its "
                "outbox was wiped; records of the old epoch not yet applied are lost",
                self.agent_id,
                announce.epoch,
            )
            self.counters["new_epochs"] += 1
            self.sequencer.reset(0)
            self._cancel_gap_timer()
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        self.announce, self._announce_raw = announce, raw
        self._set_device_info(announce)
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, self.agent_id)},
            name=announce.name,
            manufacturer=announce.manufacturer,
            model=announce.model,
            sw_version=announce.sw_version,
            hw_version=announce.hw_version,
        )
        self._update_availability()
        # hold data back until the features of this announcement exist
        if self._held is None:
            self._held = []
        self._announcing += 1
        self._spawn(self._async_announced(announce, decision))

    async def _async_announced(self, announce: protocol.Announce, decision: EpochDecision) -> None:
        try:
            async with self._announce_lock:
                await self._features.async_add(announce.capabilities, setup=not self._removed)
        finally:
            self._announcing -= 1
            if not self._announcing:
                held, self._held = self._held or [], None
                for msg in held:
                    self._handle_data(msg)
        self._acks.schedule(self.sequencer.applied)
        # the agent just connected: our retained ack may be gone with a broker restart
        await self._acks.async_republish()
        if decision is not EpochDecision.SAME or self._replay_on_announce:
            # whatever the agent sent while this entry was not listening (first set-up,
            # reload): without this it would come only with the next gap or HA birth
            self._replay_on_announce = False
            self._ask_replay()

    @callback
    def _on_data(self, msg: mqtt.ReceiveMessage) -> None:
        if self._held is not None:
            if len(self._held) < HOLD_LIMIT:
                self._held.append(msg)
            # else: dropped unapplied, hence unacknowledged: the replay brings it back
            return
        self._handle_data(msg)

    @callback
    def _handle_data(self, msg: mqtt.ReceiveMessage) -> None:
        try:
            message = protocol.parse_data(protocol.decode_payload(msg.payload))
        except protocol.ProtocolError as err:
            self._problems.rejected(msg.topic, err)
            return
        self._seen(msg, None, data=True)
        if message.epoch != self.identity.epoch:
            self.counters["foreign_epoch"] += 1
            self._problems.once(
                f"epoch:{message.epoch}",
                "data of epoch %s dropped: the entry is bound to epoch %s",
                message.epoch,
                self.identity.epoch,
            )
            return
        self._apply(self.sequencer.offer(message.records, time.monotonic()))
        if self.sequencer.waiting:
            self._ask_replay()
            self._arm_gap_timer()

    @callback
    def _on_reply(self, msg: mqtt.ReceiveMessage) -> None:
        try:
            reply = protocol.parse_reply(protocol.decode_payload(msg.payload))
        except protocol.ProtocolError as err:
            self._problems.rejected(msg.topic, err)
            return
        if not self._commands.reply(reply):
            LOGGER.debug("Edge agent %s: a reply nobody waits for (%s)", self.agent_id, reply.id)

    @callback
    def _on_mqtt_connection(self, connected: bool) -> None:
        self._mqtt_connected = connected
        if connected:
            self._spawn(self._acks.async_republish())
        else:
            self.identity.connection_lost()
            self._statuses.clear()
        self._update_availability()
        self._notify()

    # --- applying ----------------------------------------------------------------------------

    @callback
    def _apply(self, outcome: Outcome) -> None:
        for record in outcome.ready:
            self._features.apply(record)
        if outcome.ready:
            self.counters["applied"] += len(outcome.ready)
            self._acks.schedule(self.sequencer.applied)
        self.counters["duplicates"] += outcome.duplicates
        for gap in outcome.gaps:
            self.counters["gaps"] += 1
            self.counters["missing"] += gap.missing
            LOGGER.warning(
                "Edge agent %s: records %d to %d never arrived; continuing without them",
                self.agent_id,
                gap.first,
                gap.last,
            )

    def _arm_gap_timer(self) -> None:
        self._cancel_gap_timer()
        deadline = self.sequencer.deadline
        if deadline is not None:
            delay = max(0.0, deadline - time.monotonic())
            self._gap_timer = self.hass.loop.call_later(delay, self._gap_expired)

    def _cancel_gap_timer(self) -> None:
        if self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    @callback
    def _gap_expired(self) -> None:
        self._gap_timer = None
        self._apply(self.sequencer.expire(time.monotonic()))
        self._arm_gap_timer()

    def _ask_replay(self) -> None:
        """Ask the agent for what HA is missing now, rather than wait for a reconnect."""
        now = time.monotonic()
        if now - self._replay_asked < REPLAY_INTERVAL or not self.available:
            return
        self._replay_asked = now
        self._spawn(self._async_ask_replay(self.sequencer.applied))

    async def _async_ask_replay(self, after: int) -> None:
        try:
            await self._commands.async_send("replay", {"after": after})
        except HomeAssistantError as err:
            LOGGER.debug("Edge agent %s: replay request failed: %s", self.agent_id, err)

    # --- persistence and acks ----------------------------------------------------------------

    def _snapshot(self) -> Snapshot:
        data = {
            "epoch": self.identity.epoch,
            "instance": self.identity.instance,
            "applied": self.sequencer.applied,
            "announce": self._announce_raw,
            "removed": self._removed,
            "features": self._features.states(),
        }
        return Snapshot(data, self.identity.epoch, self.sequencer.applied)

    async def _async_publish_ack(self, epoch: str, seq: int) -> None:
        ack = protocol.build_ack(epoch, seq, time.time())
        await mqtt.async_publish(
            self.hass,
            protocol.topic(self.agent_id, protocol.ACK),
            protocol.encode_payload(ack),
            qos=1,
            retain=True,
        )

    async def _async_publish(self, topic: str, payload: bytes) -> None:
        await mqtt.async_publish(self.hass, topic, payload, qos=1)

    # --- availability, device ----------------------------------------------------------------

    def _seen(self, msg: mqtt.ReceiveMessage, ts: float | None, *, data: bool = False) -> None:
        """The agent was heard from: now, or - for the broker's retained copy of an older
        message - when the agent sent it (if it says)."""
        if msg.retain:
            if ts is None:
                return
            when = dt_util.utc_from_timestamp(ts)
            if self.last_seen is not None and when <= self.last_seen:
                return
            self.last_seen = when
        else:
            self.last_seen = dt_util.utcnow()
        now = time.monotonic()
        if data and now - self._last_seen_written >= LAST_SEEN_INTERVAL:
            self._last_seen_written = now
            self._notify()
        elif not data:
            self._last_seen_written = now

    def _update_availability(self) -> None:
        available = self.available
        if available == self._available:
            return
        # log once on loss and once on recovery (not at start-up, before anything was known)
        if not available and self._available:
            LOGGER.info("Edge agent %s is unavailable (offline)", self.agent_id)
            self._logged_unavailable = True
        elif available and self._logged_unavailable:
            LOGGER.info("Edge agent %s is available again", self.agent_id)
            self._logged_unavailable = False
        self._available = available
        self._notify()
        self._features.availability_changed()

    def _set_device_info(self, announce: protocol.Announce) -> None:
        self.device_info = DeviceInfo(
            identifiers={(DOMAIN, self.agent_id)},
            name=announce.name,
            manufacturer=announce.manufacturer,
            model=announce.model,
            sw_version=announce.sw_version,
            hw_version=announce.hw_version,
        )

    async def async_remove_device(self, device: dr.DeviceEntry) -> bool:
        """The user deletes the agent's device: allowed; it comes back when the agent
        announces itself again (not from the broker's retained copy)."""
        if (DOMAIN, self.agent_id) not in device.identifiers:
            return True  # a device of a feature: nothing of ours to keep
        self._removed = True
        await self._acks.async_flush()
        return True

    # --- problems ----------------------------------------------------------------------------

    @property
    def _issue_id(self) -> str:
        return f"second_agent_{self.entry.entry_id}"

    def _second_agent(self, announce: protocol.Announce) -> None:
        self.counters["second_agent"] += 1
        self._problems.once(
            f"second:{announce.epoch}",
            "another agent (epoch %s, instance %s) claims the id while the bound agent "
            "(epoch %s) is online: its data is ignored",
            announce.epoch,
            announce.instance,
            self.identity.epoch,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="second_agent",
            translation_placeholders={"agent_id": self.agent_id, "name": self.entry.title},
        )

    def _spawn(self, coro: Any) -> None:
        task = self.hass.async_create_task(coro, eager_start=True)
        if not task.done():
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # --- diagnostics -------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "available": self.available,
            "mqtt_connected": self._mqtt_connected,
            "announce": self._announce_raw,
            "status": self._status
            and {
                "instance": self._status.instance,
                "backlog": self._status.backlog,
                "dropped": self._status.dropped,
                "oldest_ts": self._status.oldest_ts,
            },
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "identity": {
                "epoch": self.identity.epoch,
                "instance": self.identity.instance,
                "online_instances": sorted(self.identity.online),
            },
            "sequence": {
                "applied": self.sequencer.applied,
                "waiting": self.sequencer.waiting,
                "saved": self._acks.saved[1],
                "acked": self._acks.acked[1],
                "state_writes": self._acks.writes,
            },
            "counters": dict(self.counters),
            "device_removed": self._removed,
            "features": self._features.diagnostics(),
        }
