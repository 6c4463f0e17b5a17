"""The edge agent's options flow: a menu; the lap counter's step names drivers and cars."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind

from .laps_harness import Harness, S, device, laps_harness, race_id

__all__ = ["laps_harness"]


async def name_car(
    hass: HomeAssistant, entry_id: str, car: str, driver: str, model: str
) -> dict[str, object]:
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["car_names"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "car_names"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "car_names"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"car": car})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "car_name"
    assert result["description_placeholders"] == {"car": car}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"driver": driver, "car_name": model}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return dict(result["data"])


async def test_naming_a_car_renames_its_device_and_the_standings(
    hass: HomeAssistant, laps_harness: Harness
) -> None:
    entry = await laps_harness.setup(options={"other_feature": {"keep": True}})
    laps_harness.lap("2", 10 * S, None)
    laps_harness.lap("2", 14 * S, 4_000_000)
    await hass.async_block_till_done()
    leader = race_id(hass, "sensor", "leader")
    assert hass.states.get(leader).state == "Car 2"  # type: ignore[union-attr]

    data = await name_car(hass, entry.entry_id, "2", " Ann ", "Ferrari 312 T2")
    assert data == {
        "other_feature": {"keep": True},  # other features' options are left alone
        "cars": {"2": {"driver": "Ann", "car_name": "Ferrari 312 T2"}},
    }
    car = device(hass, laps_harness, "car_2")
    assert car is not None
    assert (car.name, car.model) == ("Ann (Ferrari 312 T2)", "Ferrari 312 T2")
    assert hass.states.get(leader).state == "Ann (Ferrari 312 T2)"  # type: ignore[union-attr]
    # the car's entities keep their ids; their friendly names follow the device
    assert hass.states.get("sensor.car_2_laps") is not None

    await name_car(hass, entry.entry_id, "2", "Ann", "")
    assert hass.states.get(leader).state == "Ann"  # type: ignore[union-attr]
    data = await name_car(hass, entry.entry_id, "2", "", "")  # cleared: the agent's name again
    assert data["cars"] == {}
    assert hass.states.get(leader).state == "Car 2"  # type: ignore[union-attr]


async def test_names_survive_a_restart(hass: HomeAssistant, laps_harness: Harness) -> None:
    entry = await laps_harness.setup()
    await name_car(hass, entry.entry_id, "1", "Bob", "Lotus 49")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert laps_harness.laps.car_name("1") == "Bob (Lotus 49)"
    car = device(hass, laps_harness, "car_1")
    assert car is not None
    assert car.name == "Bob (Lotus 49)"


async def test_an_agent_without_a_lap_counter_has_nothing_to_configure(
    hass: HomeAssistant,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": "bare"}
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_agent_options"
