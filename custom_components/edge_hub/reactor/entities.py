"""Sensor entities of a reactor board: one per measurement, and a diagnostic last-seen per
physical sensor. The feature pushes state into them; they never poll or compute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.components.sensor.const import DEVICE_CLASS_UNITS
from homeassistant.const import EntityCategory
from homeassistant.core import Context, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from ..const import LOGGER
from ..edge_hub_core.reactor import SensorInfo
from .model import SensorState

# kinds without a device class that get their own icon (icons.json: entity.sensor.<kind>)
ICON_KINDS = frozenset(
    {"dissolved_oxygen", "oxygen_saturation", "orp", "tds", "salinity", "specific_gravity", "level"}
)


def normalize_unit(unit: str | None) -> str | None:
    """HA spells micro with the Greek mu (μS/cm); accept the micro sign (µ) too."""
    return unit.replace("\u00b5", "\u03bc") if unit else unit


def sensor_classes(info: SensorInfo) -> tuple[SensorDeviceClass | None, SensorStateClass | None]:
    """The device and state class of `info`, dropping what HA would reject for its unit."""
    device_class: SensorDeviceClass | None = None
    if info.device_class is not None:
        try:
            device_class = SensorDeviceClass(info.device_class)
        except ValueError:
            LOGGER.info("sensor %s: unknown device class %r ignored", info.id, info.device_class)
        else:
            units = DEVICE_CLASS_UNITS.get(device_class)
            if units is not None and normalize_unit(info.unit) not in units:
                LOGGER.info(
                    "sensor %s: unit %r does not fit device class %s; showing it without one",
                    info.id,
                    info.unit,
                    device_class,
                )
                device_class = None
    state_class: SensorStateClass | None = None
    if info.state_class is not None:
        try:
            state_class = SensorStateClass(info.state_class)
        except ValueError:
            state_class = None
    return device_class, state_class


Calibrate = Callable[[SensorInfo, str, float | None], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class EntityContext:
    """What every entity of one board shares."""

    unique_prefix: str
    device_info: DeviceInfo
    is_online: Callable[[], bool]


class PushedEntity(Entity):
    """An entity the feature writes to directly. It may write only once HA has finished
    adding it (`live`); whatever arrived before is taken when it is added."""

    live = False

    def refresh(self) -> None:
        """Take the current state (without writing)."""

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.refresh()
        self.live = True

    async def async_will_remove_from_hass(self) -> None:
        self.live = False
        await super().async_will_remove_from_hass()


class ReactorSensor(PushedEntity, SensorEntity):
    """One measurement of a board."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, ctx: EntityContext, info: SensorInfo, state: SensorState, calibrate: Calibrate
    ) -> None:
        self.info = info
        self.sensor_state = state
        self._calibrate = calibrate
        self._is_online = ctx.is_online
        self._attr_unique_id = f"{ctx.unique_prefix}_{info.id}"
        self._attr_device_info = ctx.device_info
        self._attr_name = info.name
        self._attr_native_unit_of_measurement = normalize_unit(info.unit)
        self._attr_device_class, self._attr_state_class = sensor_classes(info)
        self._attr_suggested_display_precision = info.precision
        if info.kind in ICON_KINDS and self._attr_device_class is None:
            self._attr_translation_key = info.kind
        self.sync(ctx.is_online())

    def refresh(self) -> None:
        self.sync(self._is_online())

    def sync(self, online: bool) -> None:
        """Take the sensor's state (without writing it)."""
        state = self.sensor_state
        self._attr_native_value = state.value
        self._attr_available = online and state.ok

    @callback
    def show(self, online: bool, context: Context | None = None) -> None:
        """Write the sensor's state (the feature calls it only when something changed),
        under `context`: the one context of the record that changed it."""
        state = self.sensor_state
        self._attr_native_value = state.value
        self._attr_available = online and state.ok
        if context is not None:
            self.async_set_context(context)
        self.async_write_ha_state()

    async def async_calibrate(self, step: str, value: float | None) -> dict[str, Any]:
        """The `edge_hub.calibrate` action on this entity: the agent's answer."""
        return await self._calibrate(self.info, step, value)

    def displays(self, online: bool) -> bool:
        """Whether the entity already shows the current state."""
        state = self.sensor_state
        return (
            self._attr_available == (online and state.ok) and self._attr_native_value == state.value
        )


class LastSeenSensor(PushedEntity, SensorEntity):
    """When a physical sensor last answered (diagnostic, disabled by default: it changes at
    every reading, and most people only care once a sensor goes offline)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False
    _attr_translation_key = "sensor_last_seen"

    def __init__(
        self,
        ctx: EntityContext,
        device_id: str,
        label: str,
        source: Callable[[], tuple[SensorState, bool]],
    ) -> None:
        self.device_id = device_id
        self._source = source
        self._attr_unique_id = f"{ctx.unique_prefix}_{device_id}_last_seen"
        self._attr_device_info = ctx.device_info
        self._attr_translation_placeholders = {"sensor": label}
        self._attr_available = False
        self._attr_native_value = None
        self._shown: tuple[Any, ...] = ()

    def refresh(self) -> None:
        self.sync(*self._source())

    def sync(self, state: SensorState, online: bool) -> bool:
        """Take `state`'s last-seen time and status; whether they changed."""
        shown = (state.last_seen, state.status, state.error, online)
        if shown == self._shown:
            return False
        self._shown = shown
        self._attr_native_value = (
            datetime.fromtimestamp(state.last_seen, UTC) if state.last_seen is not None else None
        )
        self._attr_available = online and state.last_seen is not None
        self._attr_extra_state_attributes = {"status": state.status, "error": state.error}
        return True

    @callback
    def show(self, state: SensorState, online: bool, context: Context | None = None) -> None:
        """Show `state`'s last-seen time and status, writing only when they changed."""
        if self.sync(state, online):
            if context is not None:
                self.async_set_context(context)
            self.async_write_ha_state()
