"""The table device's entities: scores, game state, winner, target, start/reset, game event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.event import EventEntity
from homeassistant.components.number import NumberEntity, NumberMode
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity

from ..edge_hub_core.table_game import AWAY, GOALS_TO_WIN_RANGE, HOME, SIDES, GameState, TableGame
from .const import TABLE_EVENT_TYPES

if TYPE_CHECKING:
    from .table import TableRuntime


class _TableEntity(Entity):
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runtime: TableRuntime, key: str) -> None:
        self._runtime = runtime
        self._attr_unique_id = f"table_{runtime.entry.entry_id}-{key}"
        self._attr_device_info = runtime.device_info

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._runtime.add_state_listener(self.async_write_ha_state))


@dataclass(frozen=True, kw_only=True)
class TableSensorDescription(SensorEntityDescription):
    value: Callable[[TableGame], str | int | None]


SENSORS: tuple[TableSensorDescription, ...] = (
    TableSensorDescription(
        key="home_score",
        translation_key="home_score",
        state_class=SensorStateClass.MEASUREMENT,
        value=lambda game: game.score[HOME],
    ),
    TableSensorDescription(
        key="away_score",
        translation_key="away_score",
        state_class=SensorStateClass.MEASUREMENT,
        value=lambda game: game.score[AWAY],
    ),
    TableSensorDescription(
        key="score", translation_key="table_score", value=lambda game: game.score_text
    ),
    TableSensorDescription(
        key="game_state",
        translation_key="game_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in GameState],
        value=lambda game: game.state.value,
    ),
    TableSensorDescription(
        key="winner",
        translation_key="winner",
        device_class=SensorDeviceClass.ENUM,
        options=list(SIDES),
        value=lambda game: game.winner,
    ),
)


class TableSensor(_TableEntity, SensorEntity):
    entity_description: TableSensorDescription

    def __init__(self, runtime: TableRuntime, description: TableSensorDescription) -> None:
        super().__init__(runtime, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | int | None:
        return self.entity_description.value(self._runtime.game)


class GoalsToWinNumber(_TableEntity, NumberEntity):
    """First to this many goals wins (changing it mid-game may decide the game)."""

    _attr_translation_key = "goals_to_win"
    _attr_entity_category = EntityCategory.CONFIG
    _attr_mode = NumberMode.BOX
    _attr_native_step = 1
    _attr_native_min_value = GOALS_TO_WIN_RANGE[0]
    _attr_native_max_value = GOALS_TO_WIN_RANGE[1]

    def __init__(self, runtime: TableRuntime) -> None:
        super().__init__(runtime, "goals_to_win")

    @property
    def native_value(self) -> float:
        return self._runtime.game.goals_to_win

    async def async_set_native_value(self, value: float) -> None:
        self._runtime.async_set_goals_to_win(int(value))


BUTTONS = (
    ButtonEntityDescription(key="start_game", translation_key="start_game"),
    ButtonEntityDescription(key="reset_game", translation_key="reset_game"),
)


class TableButton(_TableEntity, ButtonEntity):
    def __init__(self, runtime: TableRuntime, description: ButtonEntityDescription) -> None:
        super().__init__(runtime, description.key)
        self.entity_description = description

    async def async_press(self) -> None:
        if self.entity_description.key == "start_game":
            self._runtime.async_start_game()
        else:
            self._runtime.async_reset_game()


class TableGameEvent(_TableEntity, EventEntity):
    """game_started, game_won (with the winner and the score) and game_reset."""

    _attr_translation_key = "game"
    _attr_event_types = list(TABLE_EVENT_TYPES)

    def __init__(self, runtime: TableRuntime) -> None:
        super().__init__(runtime, "game_event")

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._runtime.add_event_listener(self._handle_event))

    @callback
    def _handle_event(self, event_type: str, attributes: dict[str, Any]) -> None:
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()


def entities_for(runtime: TableRuntime, platform: Platform) -> list[Entity]:
    if platform is Platform.SENSOR:
        return [TableSensor(runtime, description) for description in SENSORS]
    if platform is Platform.NUMBER:
        return [GoalsToWinNumber(runtime)]
    if platform is Platform.BUTTON:
        return [TableButton(runtime, description) for description in BUTTONS]
    if platform is Platform.EVENT:
        return [TableGameEvent(runtime)]
    return []
