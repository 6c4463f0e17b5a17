"""Base of the lap counter's entities: they read the feature and write only on change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

if TYPE_CHECKING:
    from .feature import LapsFeature


class LapsEntity(Entity):
    """An entity of one lap counter (race controls) or of one of its cars."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, feature: LapsFeature, key: str, car: str | None = None) -> None:
        self.feature = feature
        self.car = car
        self._written: Any = None
        self.live = False  # between being added to and removed from Home Assistant
        agent_id = feature.ctx.agent_id
        if car is None:
            self._attr_unique_id = f"{agent_id}_race_{key}"
            self._attr_device_info = DeviceInfo(identifiers={feature.agent_identifier})
        else:
            self._attr_unique_id = f"{agent_id}_car_{car}_{key}"
            self._attr_device_info = feature.car_device_info(car)

    @property
    def available(self) -> bool:
        # a car's figures come from the agent; the race itself is Home Assistant's own
        return self.car is None or self.feature.ctx.is_online()

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.feature.register_entity(self))
        self._written = self._snapshot()
        self.live = True

    async def async_will_remove_from_hass(self) -> None:
        self.live = False
        await super().async_will_remove_from_hass()

    def _snapshot(self) -> Any:
        """What the entity shows; its state is written only when this changes."""
        return (self.available, self.state, self.extra_state_attributes)

    @callback
    def async_refresh(self, *, force: bool = False) -> None:
        if not self.live:
            return
        snapshot = self._snapshot()
        if force or snapshot != self._written:
            self._written = snapshot
            self.async_write_ha_state()
