"""The goal sensor's sensors: goals, score, last goal, battery voltage, signal, firmware."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.components.bluetooth.passive_update_processor import (
    PassiveBluetoothDataUpdate,
    PassiveBluetoothEntityKey,
    PassiveBluetoothProcessorEntity,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricPotential,
)
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import GoalProcessor, GoalSnapshot

if TYPE_CHECKING:
    from .runtime import GoalRuntime

Value = int | float | str | None

DESCRIPTIONS: dict[str, SensorEntityDescription] = {
    description.key: description
    for description in (
        SensorEntityDescription(
            key="goals", translation_key="goals", state_class=SensorStateClass.TOTAL_INCREASING
        ),
        SensorEntityDescription(
            key="score", translation_key="score", state_class=SensorStateClass.MEASUREMENT
        ),
        SensorEntityDescription(
            key="last_goal", translation_key="last_goal", device_class=SensorDeviceClass.TIMESTAMP
        ),
        SensorEntityDescription(
            key="battery_voltage",
            translation_key="battery_voltage",
            device_class=SensorDeviceClass.VOLTAGE,
            native_unit_of_measurement=UnitOfElectricPotential.MILLIVOLT,
            suggested_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=2,
            state_class=SensorStateClass.MEASUREMENT,
            entity_category=EntityCategory.DIAGNOSTIC,
        ),
        SensorEntityDescription(
            key="signal_strength",
            device_class=SensorDeviceClass.SIGNAL_STRENGTH,
            native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
            state_class=SensorStateClass.MEASUREMENT,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
        ),
        SensorEntityDescription(
            key="firmware", translation_key="firmware", entity_category=EntityCategory.DIAGNOSTIC
        ),
    )
}


def sensor_update(
    runtime: GoalRuntime, snapshot: GoalSnapshot
) -> PassiveBluetoothDataUpdate[Value]:
    """A snapshot as the sensor platform's processor data."""
    if not snapshot.seen:
        return PassiveBluetoothDataUpdate()
    values: dict[str, Value] = {
        "goals": snapshot.total,
        "score": snapshot.game,
        "last_goal": snapshot.last_goal_ts,
        "battery_voltage": snapshot.battery_mv,
        "signal_strength": snapshot.rssi,
        "firmware": snapshot.firmware,
    }
    return PassiveBluetoothDataUpdate(
        devices={None: runtime.device_info},
        entity_descriptions={
            PassiveBluetoothEntityKey(key, None): DESCRIPTIONS[key] for key in values
        },
        entity_data={PassiveBluetoothEntityKey(key, None): value for key, value in values.items()},
    )


def async_setup_sensors(
    runtime: GoalRuntime, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    processor: GoalProcessor[Value] = GoalProcessor(lambda s: sensor_update(runtime, s))
    entry = runtime.entry
    entry.async_on_unload(
        processor.async_add_entities_listener(GoalSensorEntity, async_add_entities)
    )
    # the description class turns on HA's restore of the processor's values after a restart
    entry.async_on_unload(
        runtime.coordinator.async_register_processor(processor, SensorEntityDescription)
    )
    if runtime.snapshot().seen:
        # our own store is the authority (saved after every goal, HA's every 15 minutes)
        processor.async_handle_update(runtime.snapshot())


class GoalSensorEntity(PassiveBluetoothProcessorEntity[GoalProcessor[Value]], SensorEntity):
    """One value of a goal sensor."""

    @property
    def native_value(self) -> int | float | str | datetime | None:
        value = self.processor.entity_data.get(self.entity_key)
        if self.entity_key.key == "last_goal" and isinstance(value, int | float):
            return dt_util.utc_from_timestamp(value)
        return value

    @property
    def available(self) -> bool:
        return self.processor.coordinator.goal_available
