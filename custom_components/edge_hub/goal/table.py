"""The table kind: two goal sensors paired into one table device (score A-B, first to N).

A table entry names its home and away goal sensors by address. It takes each side's score
from that sensor's game count (idempotent: a goal heard twice or a restart never counts
twice), fires `game_won` when a side reaches the target, and sends the game mode to both
sensors, which forward it to the hardware with their next GATT ack.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..edge_hub_core.table_game import AWAY, HOME, SIDES, TableGame
from ..models import EdgeHubConfigEntry, KindModule, KindRuntime
from .const import (
    CONF_AWAY,
    CONF_GOALS_TO_WIN,
    CONF_HOME,
    MANUFACTURER,
    STORE_DELAY_S,
    STORE_VERSION,
    TABLE_MODEL,
)
from .signals import GoalUpdate, TableCommand, goal_update_signal, table_command_signal

# (event type, attributes) for the table's event entity
TableEventListener = Callable[[str, dict[str, Any]], None]


class TableRuntime(KindRuntime):
    """One table."""

    platforms = (Platform.BUTTON, Platform.EVENT, Platform.NUMBER, Platform.SENSOR)

    def __init__(self, hass: HomeAssistant, entry: EdgeHubConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.addresses: dict[str, str] = {HOME: entry.data[CONF_HOME], AWAY: entry.data[CONF_AWAY]}
        self.game = TableGame(goals_to_win=int(entry.data.get(CONF_GOALS_TO_WIN, 10)))
        self.sensor_state: dict[str, GoalUpdate | None] = dict.fromkeys(SIDES)
        # each started game has an id; a sensor's score counts only once it runs that game
        self.game_id: str | None = None
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.table.{entry.entry_id}"
        )
        self._state_listeners: list[Callable[[], None]] = []
        self._event_listeners: list[TableEventListener] = []
        self._unsubscribes: list[CALLBACK_TYPE] = []

    @property
    def device_info(self) -> DeviceInfo:
        return DeviceInfo(
            identifiers={(DOMAIN, f"table_{self.entry.entry_id}")},
            name=self.entry.title,
            manufacturer=MANUFACTURER,
            model=TABLE_MODEL,
        )

    async def async_load(self) -> None:
        data = await self._store.async_load()
        if data is not None:
            self.game = TableGame.from_dict(data.get("game"))
            game_id = data.get("game_id")
            self.game_id = game_id if isinstance(game_id, str) else None

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        from .table_entities import entities_for  # noqa: PLC0415

        async_add_entities(entities_for(self, platform))

    async def async_start(self) -> None:
        for side, address in self.addresses.items():
            self._unsubscribes.append(
                async_dispatcher_connect(
                    self.hass,
                    goal_update_signal(address),
                    partial(self._goal_update, side),
                )
            )
        # a sensor already loaded answers at once; one loading later says "ready" itself
        self._command(TableCommand(game_mode=self.game.game_mode, request_state=True))

    async def async_unload(self) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes.clear()
        await self._store.async_save(self._data_to_save())

    # --- listeners (the entities) -----------------------------------------------------------

    def add_state_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        self._state_listeners.append(listener)
        return lambda: self._state_listeners.remove(listener)

    def add_event_listener(self, listener: TableEventListener) -> CALLBACK_TYPE:
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    def _changed(self, event_type: str | None = None) -> None:
        self._store.async_delay_save(self._data_to_save, STORE_DELAY_S)
        for listener in list(self._state_listeners):
            listener()
        if event_type is not None:
            attributes = {
                "score": self.game.score_text,
                "home_score": self.game.score[HOME],
                "away_score": self.game.score[AWAY],
                "goals_to_win": self.game.goals_to_win,
                "winner": self.game.winner,
            }
            for event_listener in list(self._event_listeners):
                event_listener(event_type, attributes)

    # --- game control ----------------------------------------------------------------------

    def _next_game_id(self) -> str:
        return f"{self.entry.entry_id}-{self.game.games_played}-{dt_util.utcnow().timestamp()}"

    @callback
    def async_start_game(self) -> None:
        self.game.start(dt_util.utcnow().timestamp())
        self.game_id = self._next_game_id()
        LOGGER.debug("Table %s: game started", self.entry.title)
        # both sensors' game scores go back to 0 and they learn they are playing
        self._command(TableCommand(game_mode=self.game.game_mode, new_game=self.game_id))
        self._changed("game_started")

    @callback
    def async_reset_game(self) -> None:
        self.game.reset()
        self.game_id = self._next_game_id()
        self._command(TableCommand(game_mode=self.game.game_mode, new_game=self.game_id))
        self._changed("game_reset")

    @callback
    def async_set_goals_to_win(self, goals: int) -> None:
        won = self.game.set_goals_to_win(goals, dt_util.utcnow().timestamp())
        self._after_score(won)

    @callback
    def _goal_update(self, side: str, update: GoalUpdate) -> None:
        self.sensor_state[side] = update
        if update.game_id != self.game_id:
            # the sensor missed the start (not loaded then, or its own reset button): it
            # joins the running game at 0, and its goals count from then on
            if self.game_id is not None:
                self._command(
                    TableCommand(game_mode=self.game.game_mode, new_game=self.game_id), only=side
                )
            elif update.ready:
                self._command(TableCommand(game_mode=self.game.game_mode), only=side)
            return
        if update.ready:
            # a sensor (re)started: it must know whether a game is on
            self._command(TableCommand(game_mode=self.game.game_mode), only=side)
        won = self.game.set_side_score(side, update.game, dt_util.utcnow().timestamp())
        self._after_score(won)

    def _after_score(self, won: bool) -> None:
        if won:
            LOGGER.debug("Table %s: %s won %s", self.entry.title, self.game.winner, self.game)
            self._command(TableCommand(game_mode=self.game.game_mode))
            self._changed("game_won")
        else:
            self._changed()

    def _command(self, command: TableCommand, only: str | None = None) -> None:
        for side, address in self.addresses.items():
            if only is None or side == only:
                async_dispatcher_send(self.hass, table_command_signal(address), command)

    # --- persistence and diagnostics -----------------------------------------------------------

    def _data_to_save(self) -> dict[str, Any]:
        return {"game": self.game.as_dict(), "game_id": self.game_id}

    def diagnostics(self) -> dict[str, Any]:
        return {
            "addresses": self.addresses,
            "game": self.game.as_dict(),
            "game_id": self.game_id,
            "sensors_seen": {side: state is not None for side, state in self.sensor_state.items()},
        }


class _TableKind(KindModule):
    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        runtime = TableRuntime(hass, entry)
        await runtime.async_load()
        return runtime


KIND: KindModule = _TableKind()
