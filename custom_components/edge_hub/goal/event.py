"""The goal sensor's event entity: fires `goal` for the goals counted from each beacon."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.util import dt as dt_util

from .const import EVENT_GOAL
from .signals import GoalEvent, goal_event_signal

if TYPE_CHECKING:
    from .runtime import GoalRuntime


class GoalEventEntity(EventEntity):
    """`goal`, with how many goals (a gap recovered at once counts several), the total, the
    game score and the goal's time (corrected by the beacon's time-since-goal)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "goal"
    _attr_event_types = [EVENT_GOAL]

    def __init__(self, runtime: GoalRuntime) -> None:
        self._runtime = runtime
        self._attr_unique_id = f"{runtime.address}-goal_event"
        self._attr_device_info = runtime.device_info

    @property
    def available(self) -> bool:
        return self._runtime.available

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, goal_event_signal(self._runtime.address), self._handle_goal
            )
        )
        self.async_on_remove(self._runtime.add_availability_listener(self.async_write_ha_state))

    @callback
    def _handle_goal(self, event: GoalEvent) -> None:
        goal_time = (
            dt_util.utc_from_timestamp(event.goal_ts).isoformat()
            if event.goal_ts is not None
            else None
        )
        self._trigger_event(
            EVENT_GOAL,
            {
                "goals": event.added,
                "total": event.total,
                "score": event.game,
                "goal_time": goal_time,
            },
        )
        self.async_write_ha_state()
