"""The runtime of one goal-sensor entry: count, persist, acknowledge, tell the table.

Exactly once: goals are counted by the beacon's goal counter (edge_hub_core.goal_count), never
by packets, so 20 repeats heard by 3 adapters count once and a gap is recovered from the
counter delta. The count, the device's last counter and the replay counter are persisted
together after every change, so a restart neither loses nor repeats a goal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components import bluetooth
from homeassistant.components.bluetooth import MONOTONIC_TIME, BluetoothServiceInfoBleak
from homeassistant.components.bluetooth.const import DOMAIN as BLUETOOTH_DOMAIN
from homeassistant.const import CONF_ADDRESS, Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import CONNECTION_BLUETOOTH, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..edge_hub_core import beacon
from ..edge_hub_core.goal_count import Applied, GoalCount, GoalCounter
from ..models import EdgeHubConfigEntry, KindRuntime
from .ack import GoalAcker
from .const import (
    CONF_HEARTBEAT_MIN,
    CONF_KEY,
    DEFAULT_HEARTBEAT_MIN,
    MANUFACTURER,
    MIN_AVAILABILITY_GRACE_S,
    MODEL,
    STORE_DELAY_S,
    STORE_VERSION,
)
from .coordinator import GoalCoordinator, GoalSnapshot
from .signals import (
    GoalEvent,
    GoalUpdate,
    TableCommand,
    goal_event_signal,
    goal_update_signal,
    table_command_signal,
)

# reasons a beacon is rejected that point at an attack or a misconfigured key
_SECURITY_REASONS = frozenset({"mic_failed", "replayed", "downgrade", "no_key"})
# an advertisement older than this (a remote scanner's report) is dated "now - this"
_MAX_ADVERT_AGE_S = 300.0


def downgrade_issue_id(entry_id: str) -> str:
    return f"goal_encryption_removed_{entry_id}"


class GoalRuntime(KindRuntime):
    """One goal sensor."""

    platforms = (Platform.BINARY_SENSOR, Platform.BUTTON, Platform.EVENT, Platform.SENSOR)

    def __init__(self, hass: HomeAssistant, entry: EdgeHubConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.address: str = entry.data[CONF_ADDRESS]
        key_hex = entry.data.get(CONF_KEY)
        self.key = bytes.fromhex(key_hex) if key_hex else None
        self.counter = GoalCounter(self.address, self.key)
        self.coordinator = GoalCoordinator(hass, LOGGER, self.address, self._process, self)
        self.acker = GoalAcker(hass, entry, self.address, self._build_ack, self._acked)
        self.available = False
        self.game_mode = beacon.GAME_IDLE
        self.game_id: str | None = None  # the table game the score counts for
        self.ack_counter = 0
        self.device_heartbeat_min = DEFAULT_HEARTBEAT_MIN  # what the sensor uses, as known
        self.rssi: int | None = None
        self.battery_mv: int | None = None
        self.battery_low: bool | None = None
        self.firmware: str | None = None
        self.last_source: str | None = None
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.goal.{entry.entry_id}"
        )
        self._availability_timer: CALLBACK_TYPE | None = None
        self._availability_listeners: list[Callable[[], None]] = []
        self._logged_reasons: set[str] = set()
        self._downgrade_raised = False
        self._unsubscribes: list[CALLBACK_TYPE] = []

    # --- set-up ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.entry.title

    @property
    def heartbeat_min(self) -> int:
        value = self.entry.options.get(CONF_HEARTBEAT_MIN, DEFAULT_HEARTBEAT_MIN)
        return int(value)

    @property
    def device_info(self) -> DeviceInfo:
        """The sensor's device (the processor entities build the same one)."""
        return DeviceInfo(
            identifiers={(BLUETOOTH_DOMAIN, self.address)},
            connections={(CONNECTION_BLUETOOTH, self.address)},
            name=self.name,
            manufacturer=MANUFACTURER,
            model=MODEL,
            sw_version=self.firmware,
        )

    async def async_load(self) -> None:
        """Restore what was persisted (before the platforms are set up)."""
        data = await self._store.async_load() or {}
        self.counter.state = GoalCount.from_dict(data.get("count"))
        self.ack_counter = _int(data.get("ack_counter"), 0)
        self.device_heartbeat_min = _int(data.get("device_heartbeat_min"), DEFAULT_HEARTBEAT_MIN)
        self.game_mode = _int(data.get("game_mode"), beacon.GAME_IDLE)
        game_id = data.get("game_id")
        self.game_id = game_id if isinstance(game_id, str) else None
        self.rssi = _opt_int(data.get("rssi"))
        self.battery_mv = _opt_int(data.get("battery_mv"))
        low = data.get("battery_low")
        self.battery_low = low if isinstance(low, bool) else None
        firmware = data.get("firmware")
        self.firmware = firmware if isinstance(firmware, str) else None

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        # imported here: each platform module only when its platform is set up
        if platform is Platform.SENSOR:
            from .sensor import async_setup_sensors  # noqa: PLC0415

            async_setup_sensors(self, async_add_entities)
        elif platform is Platform.BINARY_SENSOR:
            from .binary_sensor import async_setup_binary_sensors  # noqa: PLC0415

            async_setup_binary_sensors(self, async_add_entities)
        elif platform is Platform.EVENT:
            from .event import GoalEventEntity  # noqa: PLC0415

            async_add_entities([GoalEventEntity(self)])
        elif platform is Platform.BUTTON:
            from .button import ResetScoreButton  # noqa: PLC0415

            async_add_entities([ResetScoreButton(self)])

    async def async_start(self) -> None:
        self._unsubscribes.append(
            async_dispatcher_connect(
                self.hass, table_command_signal(self.address), self._table_command
            )
        )
        # the coordinator starts only now: every platform has subscribed its entities
        self._unsubscribes.append(self.coordinator.async_start())
        self._update_availability()
        self._send_update(ready=True)

    async def async_unload(self) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes.clear()
        if self._availability_timer is not None:
            self._availability_timer()
            self._availability_timer = None
        await self.acker.async_stop()
        # written now, not later: a reload must read this entry's latest count
        await self._store.async_save(self._data_to_save())

    # --- state ----------------------------------------------------------------------------

    def snapshot(self) -> GoalSnapshot:
        state = self.counter.state
        return GoalSnapshot(
            seen=state.device_goals is not None,
            total=state.total,
            game=state.game,
            last_goal_ts=state.last_goal_ts,
            battery_mv=self.battery_mv,
            battery_low=self.battery_low,
            rssi=self.rssi,
            firmware=self.firmware,
        )

    def add_availability_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        self._availability_listeners.append(listener)
        return lambda: self._availability_listeners.remove(listener)

    @callback
    def async_new_game(self, game_id: str | None = None) -> None:
        """The game score goes back to 0 (the reset button, or the table's start/reset)."""
        self.counter.new_game()
        self.game_id = game_id
        self._save()
        self.coordinator.async_push_snapshot(self.snapshot())
        self._send_update()

    # --- advertisements -------------------------------------------------------------------

    @callback
    def _process(self, service_info: BluetoothServiceInfoBleak) -> GoalSnapshot:
        """One advertisement from HA's Bluetooth stack (any adapter, proxy or agent)."""
        payload = service_info.manufacturer_data.get(beacon.COMPANY_ID)
        if payload is None or not beacon.is_goal_beacon(payload):
            return self.snapshot()
        rx_ts = _reception_ts(service_info)
        applied = self.counter.apply(payload, rx_ts)
        if not applied.accepted:
            self._rejected(applied)
            return self.snapshot()
        decoded = applied.beacon
        assert decoded is not None
        if decoded.encrypted and self._downgrade_raised:
            self._downgrade_raised = False
            ir.async_delete_issue(self.hass, DOMAIN, downgrade_issue_id(self.entry.entry_id))
            LOGGER.info("Goal sensor %s sends encrypted beacons again", self.name)
        self.rssi = service_info.rssi
        self.last_source = service_info.source
        self.battery_mv = decoded.battery_mv or None
        self.battery_low = decoded.battery_low
        self.firmware = decoded.firmware_version
        self._update_availability()
        if applied.added:
            state = self.counter.state
            async_dispatcher_send(
                self.hass,
                goal_event_signal(self.address),
                GoalEvent(applied.added, state.total, state.game, state.last_goal_ts),
            )
            self._send_update(added=applied.added)
        self._save()
        if decoded.wants_ack:
            self.acker.request(decoded)
        return self.snapshot()

    def _rejected(self, applied: Applied) -> None:
        reason = applied.reason or "invalid"
        if reason == "downgrade" and not self._downgrade_raised:
            self._downgrade_raised = True
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                downgrade_issue_id(self.entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="goal_encryption_removed",
                translation_placeholders={"name": self.name},
            )
        if reason in self._logged_reasons:
            return
        self._logged_reasons.add(reason)
        if reason in _SECURITY_REASONS:
            LOGGER.warning(
                "Goal sensor %s: beacon rejected (%s), counted in diagnostics; further "
                "rejections for this reason are not logged",
                self.name,
                reason,
            )
        else:
            LOGGER.info("Goal sensor %s: invalid beacon dropped (%s)", self.name, reason)

    # --- availability: two missed heartbeats -------------------------------------------------

    def availability_window_s(self) -> float:
        period = max(self.heartbeat_min, self.device_heartbeat_min) * 60.0
        return 2 * period + max(MIN_AVAILABILITY_GRACE_S, 0.1 * period)

    @callback
    def _update_availability(self, _now: object = None) -> None:
        if self._availability_timer is not None:
            self._availability_timer()
            self._availability_timer = None
        last_seen = self.counter.state.last_seen_ts
        window = self.availability_window_s()
        remaining = -1.0 if last_seen is None else last_seen + window - dt_util.utcnow().timestamp()
        if remaining > 0:
            self._availability_timer = async_call_later(
                self.hass, remaining, self._update_availability
            )
            # HA's stack would otherwise forget a sleeping sensor after 15 minutes
            bluetooth.async_set_fallback_availability_interval(self.hass, self.address, window)
        available = remaining > 0
        if available == self.available:
            return
        self.available = available
        if available:
            LOGGER.info("Goal sensor %s is available", self.name)
        elif last_seen is not None:
            LOGGER.info(
                "Goal sensor %s is unavailable: no beacon for two heartbeats (%.0f min)",
                self.name,
                window / 60,
            )
        self.coordinator.async_availability_changed()
        for listener in list(self._availability_listeners):
            listener()

    # --- tables ---------------------------------------------------------------------------

    def _send_update(self, *, added: int = 0, ready: bool = False) -> None:
        state = self.counter.state
        async_dispatcher_send(
            self.hass,
            goal_update_signal(self.address),
            GoalUpdate(
                self.address,
                state.total,
                state.game,
                added,
                state.last_goal_ts,
                ready,
                self.game_id,
            ),
        )

    @callback
    def _table_command(self, command: TableCommand) -> None:
        if command.game_mode is not None and command.game_mode != self.game_mode:
            self.game_mode = command.game_mode  # goes to the sensor with its next ack
            self._save()
        if command.new_game is not None:
            self.async_new_game(command.new_game)
        elif command.request_state:
            self._send_update(ready=True)

    # --- acks -----------------------------------------------------------------------------

    def _build_ack(self, wanted: beacon.GoalBeacon) -> bytes:
        now = int(dt_util.utcnow().timestamp())
        counter: int | None = None
        if self.key is not None:
            # strictly increasing even if this store were lost (docs/protocol.md §2.5)
            self.ack_counter = max(self.ack_counter + 1, now) & 0xFFFFFFFF
            counter = self.ack_counter
            self._save()
        acked = self.counter.state.device_goals
        ack = beacon.GoalAck(
            acked_goals=wanted.goals if acked is None else acked,
            unix_time=now,
            game_mode=self.game_mode,
            heartbeat_min=self.heartbeat_min,
            counter=counter,
        )
        return beacon.encode_ack(ack, key=self.key, address=self.address)

    def _acked(self, wanted: beacon.GoalBeacon) -> None:
        if self.device_heartbeat_min != self.heartbeat_min:
            self.device_heartbeat_min = self.heartbeat_min
            self._update_availability()
        self._save()

    # --- persistence ----------------------------------------------------------------------

    def _save(self) -> None:
        self._store.async_delay_save(self._data_to_save, STORE_DELAY_S)

    def _data_to_save(self) -> dict[str, Any]:
        return {
            "count": self.counter.state.as_dict(),
            "ack_counter": self.ack_counter,
            "device_heartbeat_min": self.device_heartbeat_min,
            "game_mode": self.game_mode,
            "game_id": self.game_id,
            "rssi": self.rssi,
            "battery_mv": self.battery_mv,
            "battery_low": self.battery_low,
            "firmware": self.firmware,
        }

    def diagnostics(self) -> dict[str, Any]:
        state = self.counter.state.as_dict()
        state.pop("counter_payload", None)
        return {
            "encrypted": self.key is not None,
            "available": self.available,
            "availability_window_s": self.availability_window_s(),
            "heartbeat_min": self.heartbeat_min,
            "device_heartbeat_min": self.device_heartbeat_min,
            "game_mode": self.game_mode,
            "count": state,
            "rejected": dict(self.counter.rejected),
            "rssi": self.rssi,
            "last_source": self.last_source,
            "battery_mv": self.battery_mv,
            "firmware": self.firmware,
            "ack": self.acker.diagnostics(),
        }


def _reception_ts(service_info: BluetoothServiceInfoBleak) -> float:
    """Wall time the advertisement was received (remote scanners report it late)."""
    age = min(max(MONOTONIC_TIME() - service_info.time, 0.0), _MAX_ADVERT_AGE_S)
    return dt_util.utcnow().timestamp() - age


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
