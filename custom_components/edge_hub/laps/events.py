"""Event entities: a car's laps (lap, personal best, track record) and the race's events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity

from .const import CAR_EVENT_TYPES, RACE_EVENT_TYPES
from .entity import LapsEntity

if TYPE_CHECKING:
    from .feature import LapsFeature


class _LapsEventEntity(LapsEntity, EventEntity):
    def _snapshot(self) -> Any:
        return self.available  # events are written when fired

    def fire(self, event_type: str, attributes: dict[str, Any]) -> None:
        if not self.live:  # not added yet, or already removed
            return
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()


class CarEventEntity(_LapsEventEntity):
    _attr_translation_key = "car_lap"
    _attr_event_types = CAR_EVENT_TYPES

    def __init__(self, feature: LapsFeature, car: str) -> None:
        super().__init__(feature, "lap_event", car)


class RaceEventEntity(_LapsEventEntity):
    _attr_translation_key = "race"
    _attr_event_types = RACE_EVENT_TYPES

    def __init__(self, feature: LapsFeature) -> None:
        super().__init__(feature, "event")
