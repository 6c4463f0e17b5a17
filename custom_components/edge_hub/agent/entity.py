"""The agent's own entities: connectivity, and diagnostics about its link and outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

# HA 2026.10 moved the enum to binary_sensor/const.py (re-exported), 2026.2 has it here only
from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.helpers.entity import Entity

if TYPE_CHECKING:
    from .runtime import AgentRuntime


class AgentEntity(Entity):
    """An entity of the agent's device, updated by its runtime (push, never polled)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: AgentRuntime, key: str) -> None:
        self.runtime = runtime
        self._attr_unique_id = f"{runtime.agent_id}_{key}"
        self._attr_device_info = runtime.device_info

    @property
    def available(self) -> bool:
        return self.runtime.available

    async def async_added_to_hass(self) -> None:
        self.async_on_remove(self.runtime.async_add_listener(self.async_write_ha_state))


class AgentConnectivity(AgentEntity, BinarySensorEntity):
    """Whether the agent is connected (its status and last will); itself always available."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, runtime: AgentRuntime) -> None:
        super().__init__(runtime, "connectivity")

    @property
    def available(self) -> bool:
        return True

    @property
    def is_on(self) -> bool:
        return self.runtime.available


@dataclass(frozen=True, kw_only=True)
class AgentSensorDescription(SensorEntityDescription):
    value_fn: Callable[[AgentRuntime], int | datetime | None]
    # still meaningful while the agent is offline (when was it last heard of)
    always_available: bool = False


SENSORS: tuple[AgentSensorDescription, ...] = (
    AgentSensorDescription(
        key="last_seen",
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.last_seen,
        always_available=True,
    ),
    AgentSensorDescription(
        key="outbox_backlog",
        translation_key="outbox_backlog",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.outbox_backlog,
    ),
    AgentSensorDescription(
        key="dropped_readings",
        translation_key="dropped_readings",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda runtime: runtime.outbox_dropped,
    ),
)


class AgentSensor(AgentEntity, SensorEntity):
    entity_description: AgentSensorDescription

    def __init__(self, runtime: AgentRuntime, description: AgentSensorDescription) -> None:
        super().__init__(runtime, description.key)
        self.entity_description = description

    @property
    def available(self) -> bool:
        return self.entity_description.always_available or self.runtime.available

    @property
    def native_value(self) -> int | datetime | None:
        return self.entity_description.value_fn(self.runtime)
