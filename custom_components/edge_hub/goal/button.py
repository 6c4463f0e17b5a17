"""The goal sensor's reset-score button (a new game for this sensor alone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity

if TYPE_CHECKING:
    from .runtime import GoalRuntime


class ResetScoreButton(ButtonEntity):
    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "reset_score"

    def __init__(self, runtime: GoalRuntime) -> None:
        self._runtime = runtime
        self._attr_unique_id = f"{runtime.address}-reset_score"
        self._attr_device_info = runtime.device_info

    async def async_press(self) -> None:
        self._runtime.async_new_game()
