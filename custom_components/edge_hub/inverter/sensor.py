"""Sensor entities of an inverter, one per mapped value that feeds an entity.

The register map says which value feeds which entity (its `entity` key) and in which unit;
this table says how Home Assistant shows each kind of entity. Energy counters are restored
across restarts together with their guard, so a restart never lets a lower value through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..const import LOGGER
from ..edge_hub_core.modbus_map import Value
from .coordinator import InverterCoordinator

#: normalised operating states (every map's "states" table maps onto these)
OPERATING_STATES = [
    "off",
    "sleeping",
    "starting",
    "producing",
    "throttled",
    "shutting_down",
    "fault",
    "standby",
]


@dataclass(frozen=True, kw_only=True)
class InverterSensorDescription(SensorEntityDescription):
    """How one kind of inverter value is shown."""

    #: name of the translation placeholder filled with the value's index (MPPT 1, phase A)
    placeholder: str | None = None
    #: an energy counter: restored with its guard across restarts
    counter: bool = False


def _power(key: str, **kw: Any) -> InverterSensorDescription:
    return InverterSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        **kw,
    )


def _energy(key: str, state_class: SensorStateClass) -> InverterSensorDescription:
    return InverterSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENERGY,
        state_class=state_class,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        counter=True,
    )


DESCRIPTIONS: Mapping[str, InverterSensorDescription] = {
    d.key: d
    for d in (
        _power("ac_power"),
        _power("dc_power"),
        _power("mppt_power", placeholder="mppt"),
        InverterSensorDescription(
            key="pv_voltage",
            translation_key="pv_voltage",
            placeholder="mppt",
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=1,
            entity_category=EntityCategory.DIAGNOSTIC,
        ),
        InverterSensorDescription(
            key="pv_current",
            translation_key="pv_current",
            placeholder="mppt",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=2,
            entity_category=EntityCategory.DIAGNOSTIC,
        ),
        InverterSensorDescription(
            key="grid_frequency",
            translation_key="grid_frequency",
            device_class=SensorDeviceClass.FREQUENCY,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=2,
        ),
        InverterSensorDescription(
            key="phase_voltage",
            translation_key="phase_voltage",
            placeholder="phase",
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=1,
        ),
        InverterSensorDescription(
            key="phase_current",
            translation_key="phase_current",
            placeholder="phase",
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=2,
        ),
        InverterSensorDescription(
            key="reactive_power",
            translation_key="reactive_power",
            device_class=SensorDeviceClass.REACTIVE_POWER,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=0,
            entity_category=EntityCategory.DIAGNOSTIC,
        ),
        InverterSensorDescription(
            key="power_factor",
            translation_key="power_factor",
            device_class=SensorDeviceClass.POWER_FACTOR,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=2,
            entity_category=EntityCategory.DIAGNOSTIC,
        ),
        InverterSensorDescription(
            key="inverter_temperature",
            translation_key="inverter_temperature",
            device_class=SensorDeviceClass.TEMPERATURE,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=1,
        ),
        InverterSensorDescription(
            key="operating_state",
            translation_key="operating_state",
            device_class=SensorDeviceClass.ENUM,
            options=OPERATING_STATES,
        ),
        # the Energy dashboard's solar production: lifetime and today, total_increasing,
        # and guarded so that a zero or a drop never reaches HA's statistics
        _energy("energy_total", SensorStateClass.TOTAL_INCREASING),
        _energy("energy_today", SensorStateClass.TOTAL_INCREASING),
        InverterSensorDescription(
            key="battery_soc",
            translation_key="battery_soc",
            device_class=SensorDeviceClass.BATTERY,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=PERCENTAGE,
            suggested_display_precision=0,
        ),
        _power("battery_power"),
        _energy("battery_charged_total", SensorStateClass.TOTAL_INCREASING),
        _energy("battery_discharged_total", SensorStateClass.TOTAL_INCREASING),
    )
}


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
    def native_value(self) -> Value:
        """The latest value (None: unknown, e.g. "not implemented" at night)."""
        return self.coordinator.value(self._value_key)


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
