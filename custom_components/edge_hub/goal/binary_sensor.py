"""The goal sensor's low-battery binary sensor (the beacon's battery_low flag)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.bluetooth.passive_update_processor import (
    PassiveBluetoothDataUpdate,
    PassiveBluetoothEntityKey,
    PassiveBluetoothProcessorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..compat import BinarySensorDeviceClass
from .coordinator import GoalProcessor, GoalSnapshot

if TYPE_CHECKING:
    from .runtime import GoalRuntime

BATTERY = BinarySensorEntityDescription(
    key="battery",
    device_class=BinarySensorDeviceClass.BATTERY,
    entity_category=EntityCategory.DIAGNOSTIC,
)
_KEY = PassiveBluetoothEntityKey(BATTERY.key, None)


def binary_sensor_update(
    runtime: GoalRuntime, snapshot: GoalSnapshot
) -> PassiveBluetoothDataUpdate[bool | None]:
    if not snapshot.seen:
        return PassiveBluetoothDataUpdate()
    return PassiveBluetoothDataUpdate(
        devices={None: runtime.device_info},
        entity_descriptions={_KEY: BATTERY},
        entity_data={_KEY: snapshot.battery_low},
    )


def async_setup_binary_sensors(
    runtime: GoalRuntime, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    processor: GoalProcessor[bool | None] = GoalProcessor(
        lambda s: binary_sensor_update(runtime, s)
    )
    entry = runtime.entry
    entry.async_on_unload(
        processor.async_add_entities_listener(GoalBinarySensorEntity, async_add_entities)
    )
    entry.async_on_unload(
        runtime.coordinator.async_register_processor(processor, BinarySensorEntityDescription)
    )
    if runtime.snapshot().seen:
        processor.async_handle_update(runtime.snapshot())


class GoalBinarySensorEntity(
    PassiveBluetoothProcessorEntity[GoalProcessor[bool | None]], BinarySensorEntity
):
    @property
    def is_on(self) -> bool | None:
        return self.processor.entity_data.get(self.entity_key)

    @property
    def available(self) -> bool:
        return self.processor.coordinator.goal_available
