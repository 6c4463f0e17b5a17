"""A table: two goal sensors, score A-B, first to N, start/reset, the winner event, the game
mode forwarded to the sensors with their next ack; and its config flow."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import AsyncMock, MagicMock, patch

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core import beacon

from .ble import ADDRESS
from .goal_support import ADDRESS_AWAY, bluetooth_ready, inject, payload, setup_goal_entry

__all__ = ["bluetooth_ready"]

pytestmark = pytest.mark.usefixtures("bluetooth_ready")


@pytest.fixture
def client() -> Iterator[MagicMock]:
    mock = MagicMock()
    mock.write_gatt_char = AsyncMock()
    mock.disconnect = AsyncMock()
    with patch(
        "custom_components.edge_hub.goal.ack.establish_connection", AsyncMock(return_value=mock)
    ):
        yield mock


async def _setup_table(hass: HomeAssistant, goals_to_win: int = 3) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kicker",
        unique_id=f"table-{ADDRESS}-{ADDRESS_AWAY}",
        data={
            CONF_KIND: EntryKind.TABLE,
            "home": ADDRESS,
            "away": ADDRESS_AWAY,
            "goals_to_win": goals_to_win,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _table_entity(hass: HomeAssistant, entry: MockConfigEntry, platform: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"table_{entry.entry_id}-{key}"
    )
    assert found is not None, key
    return found


async def _press(hass: HomeAssistant, entity: str) -> None:
    await hass.services.async_call("button", "press", {"entity_id": entity}, blocking=True)


async def test_first_to_n_wins_and_game_mode_reaches_the_sensors(
    hass: HomeAssistant, client: MagicMock
) -> None:
    await setup_goal_entry(hass, address=ADDRESS, side="home", title="Home goal")
    await setup_goal_entry(hass, address=ADDRESS_AWAY, side="away", title="Away goal")
    table = await _setup_table(hass, goals_to_win=3)
    state = _table_entity(hass, table, "sensor", "game_state")
    score = _table_entity(hass, table, "sensor", "score")
    game_event = _table_entity(hass, table, "event", "game_event")
    assert hass.states.get(state).state == "idle"

    # goals before the game starts do not count for the table
    inject(hass, payload(1), address=ADDRESS)
    await hass.async_block_till_done()
    assert hass.states.get(score).state == "0-0"

    await _press(hass, _table_entity(hass, table, "button", "start_game"))
    assert hass.states.get(state).state == "playing"
    assert hass.states.get(game_event).attributes["event_type"] == "game_started"

    # the next ack tells the home sensor a game is on
    client.write_gatt_char.reset_mock()
    inject(hass, payload(2), address=ADDRESS, connectable=True)
    await hass.async_block_till_done()
    ack = beacon.decode_ack(bytes(client.write_gatt_char.await_args.args[1]))
    assert ack.game_mode == beacon.GAME_PLAYING

    # away scores one (heard 5 times), home two more: 3-1, home wins
    for _ in range(5):
        inject(hass, payload(1), address=ADDRESS_AWAY)
    inject(hass, payload(4, since_ds=10), address=ADDRESS)  # goal 3 missed, recovered
    await hass.async_block_till_done()
    assert hass.states.get(score).state == "3-1"
    assert hass.states.get(state).state == "won"
    assert hass.states.get(_table_entity(hass, table, "sensor", "winner")).state == "home"
    won = hass.states.get(game_event)
    assert won.attributes["event_type"] == "game_won"
    assert won.attributes["winner"] == "home"
    assert won.attributes["score"] == "3-1"

    # after the win the score stays, and the sensors learn the game is over
    inject(hass, payload(2), address=ADDRESS_AWAY)
    await hass.async_block_till_done()
    assert hass.states.get(score).state == "3-1"
    client.write_gatt_char.reset_mock()
    inject(hass, payload(5), address=ADDRESS, connectable=True)
    await hass.async_block_till_done()
    assert beacon.decode_ack(bytes(client.write_gatt_char.await_args.args[1])).game_mode == 0

    # reset: 0-0, idle, and each sensor's own game score is back to 0
    await _press(hass, _table_entity(hass, table, "button", "reset_game"))
    assert hass.states.get(score).state == "0-0"
    assert hass.states.get(state).state == "idle"
    home_score = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ADDRESS}-score")
    assert home_score is not None
    assert hass.states.get(home_score).state == "0"


async def test_lowering_the_target_decides_and_state_survives_reload(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass, address=ADDRESS)
    await setup_goal_entry(hass, address=ADDRESS_AWAY, side="away", title="Away goal")
    table = await _setup_table(hass, goals_to_win=10)
    await _press(hass, _table_entity(hass, table, "button", "start_game"))
    inject(hass, payload(1), address=ADDRESS_AWAY)
    inject(hass, payload(2), address=ADDRESS_AWAY)
    await hass.async_block_till_done()
    score = _table_entity(hass, table, "sensor", "score")
    assert hass.states.get(score).state == "0-2"
    assert await hass.config_entries.async_reload(table.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(score).state == "0-2"
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": _table_entity(hass, table, "number", "goals_to_win"), "value": 2},
        blocking=True,
    )
    assert hass.states.get(_table_entity(hass, table, "sensor", "winner")).state == "away"


async def test_a_sensor_loaded_after_the_start_joins_at_zero(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass, address=ADDRESS)
    away = await setup_goal_entry(hass, address=ADDRESS_AWAY, side="away", title="Away goal")
    inject(hass, payload(1), address=ADDRESS_AWAY)
    inject(hass, payload(2), address=ADDRESS_AWAY)
    await hass.async_block_till_done()
    assert away.runtime_data.counter.state.game == 2  # its own game, before any table
    # the away sensor is not loaded when the table's game starts
    assert await hass.config_entries.async_unload(away.entry_id)
    table = await _setup_table(hass)
    await _press(hass, _table_entity(hass, table, "button", "start_game"))
    assert await hass.config_entries.async_setup(away.entry_id)
    await hass.async_block_till_done()
    assert away.runtime_data.counter.state.game == 0  # it joined the running game at 0
    inject(hass, payload(3), address=ADDRESS_AWAY)
    await hass.async_block_till_done()
    assert hass.states.get(_table_entity(hass, table, "sensor", "score")).state == "0-1"


async def test_table_config_flow(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "table"}
    )
    assert result == result | {"type": FlowResultType.ABORT, "reason": "not_enough_goal_sensors"}

    await setup_goal_entry(hass, address=ADDRESS, side="home")
    await setup_goal_entry(hass, address=ADDRESS_AWAY, side="away", title="Away goal")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "table"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "table"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"name": "Kicker", "home": ADDRESS, "away": ADDRESS, "goals_to_win": 5},
    )
    assert result["errors"] == {"base": "same_goal_sensor"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"name": "Kicker", "home": ADDRESS, "away": ADDRESS_AWAY, "goals_to_win": 5},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kicker"
    assert result["data"] == {
        CONF_KIND: EntryKind.TABLE,
        "home": ADDRESS,
        "away": ADDRESS_AWAY,
        "goals_to_win": 5,
    }
    await hass.async_block_till_done()
    # the same pair again is the same table
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "table"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"name": "Again", "home": ADDRESS_AWAY, "away": ADDRESS, "goals_to_win": 5},
    )
    assert result == result | {"type": FlowResultType.ABORT, "reason": "already_configured"}


async def test_goal_sensor_options_flow(hass: HomeAssistant) -> None:
    entry = await setup_goal_entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "goal_heartbeat"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"heartbeat_min": 5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"heartbeat_min": 5}
