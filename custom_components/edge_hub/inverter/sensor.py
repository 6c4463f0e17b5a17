"""Sensor entities of an inverter, one per mapped value that feeds an entity.

The register map says which value feeds which entity (its `entity` key) and in which unit;
sensor_descriptions.py says how Home Assistant shows each kind. Energy counters are
restored across restarts together with their guard, so a restart never lets a lower value
through.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..edge_hub_core.modbus_derived import local_epoch_to_datetime
from ..edge_hub_core.modbus_map import Value
from .coordinator import InverterCoordinator
from .sensor_descriptions import DESCRIPTIONS, InverterSensorDescription


def build_sensors(coordinator: InverterCoordinator) -> list[InverterSensor]:
    """One entity per value of the inverter's map that feeds an entity."""
    regmap = coordinator.regmap
    sources: list[tuple[str, str, str | None, str | None]] = [
        (p.key, p.entity, p.index, p.unit) for p in regmap.points if p.entity
    ]
    sources += [(d.key, d.entity, d.index, d.unit) for d in regmap.derived if d.entity]
    entities: list[InverterSensor] = []
    for key, entity, index, unit in sources:
        description = DESCRIPTIONS.get(entity)
        if description is None:
            LOGGER.warning("%s map: no sensor description for %r", regmap.profile, entity)
            continue
        cls = InverterCounterSensor if description.counter else InverterSensor
        entities.append(cls(coordinator, description, key, index, unit))
    return entities


class InverterSensor(CoordinatorEntity[InverterCoordinator], SensorEntity):
    """One value of the inverter."""

    _attr_has_entity_name = True
    entity_description: InverterSensorDescription

    def __init__(
        self,
        coordinator: InverterCoordinator,
        description: InverterSensorDescription,
        key: str,
        index: str | None,
        unit: str | None,
    ) -> None:
        super().__init__(coordinator)
        changes: dict[str, Any] = {}
        if description.native_unit_of_measurement is None and unit is not None:
            changes["native_unit_of_measurement"] = unit
        if description.placeholder is not None:
            changes["translation_placeholders"] = {description.placeholder: index or "1"}
        self.entity_description = replace(description, **changes) if changes else description
        self._value_key = key
        suffix = f"_{index.lower()}" if index else ""
        self._attr_unique_id = f"{coordinator.identity.serial}_{description.key}{suffix}"
        self._attr_device_info = coordinator.device_info

    @property
    def available(self) -> bool:
        """Unavailable while the inverter does not answer (asleep, or offline)."""
        data = self.coordinator.data
        return super().available and data is not None and data.online

    @property
    def native_value(self) -> Value | datetime:
        """The latest value (None: unknown, e.g. "not implemented" at night)."""
        value = self.coordinator.value(self._value_key)
        if self.entity_description.device_class is SensorDeviceClass.TIMESTAMP:
            # the inverter counts on its local clock, set to where it (and HA) stands
            if not isinstance(value, int):
                return None
            return local_epoch_to_datetime(value, dt_util.get_default_time_zone())
        return value

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The names of the active alarms, for an alarm count."""
        if not self.entity_description.flags:
            return None
        return {"active": self.coordinator.active_flags(self._value_key) or []}


class CounterStoredData(ExtraStoredData):
    """A counter guard's state, stored with its entity."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        return self.state


class InverterCounterSensor(InverterSensor, RestoreEntity):
    """An energy counter: never a zero or a decrease, not even across a restart."""

    async def async_added_to_hass(self) -> None:
        """Give the guard the floor stored before the restart."""
        await super().async_added_to_hass()
        stored = await self.async_get_last_extra_data()
        if stored is not None:
            self.coordinator.restore_counter(self._value_key, stored.as_dict())

    @property
    def extra_restore_state_data(self) -> CounterStoredData:
        """The guard's state, for the next start."""
        return CounterStoredData(self.coordinator.counter_state(self._value_key))
