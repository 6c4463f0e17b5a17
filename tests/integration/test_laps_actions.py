"""Race actions for automations: targets, arguments, and translated refusals."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.compat import vol
from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.edge_hub_core.race import Mode, Status

from .laps_harness import Harness, device, laps_harness, race_id

__all__ = ["laps_harness"]

STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components/edge_hub/strings.json").read_text()
)


@pytest.fixture(autouse=True)
def _frozen(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to("2026-11-22 10:00:00+00:00")


async def call(hass: HomeAssistant, action: str, **data: Any) -> None:
    await hass.services.async_call(DOMAIN, action, data, blocking=True)


async def refused(hass: HomeAssistant, action: str, **data: Any) -> str:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, **data)
    assert err.value.translation_domain == DOMAIN
    key = err.value.translation_key
    assert key in STRINGS["exceptions"], key
    return str(key)


async def test_start_race_with_its_settings(hass: HomeAssistant, laps_harness: Harness) -> None:
    entry = await laps_harness.setup()
    await call(
        hass, "start_race", config_entry_id=entry.entry_id, mode="laps", laps=12, countdown=10
    )
    race = laps_harness.laps.race
    assert (race.settings.mode, race.settings.target_laps, race.status) == (
        Mode.LAPS,
        12,
        Status.COUNTDOWN,
    )
    laps_state = hass.states.get(race_id(hass, "number", "target_laps"))
    assert laps_state is not None
    assert laps_state.state == "12"
    assert await refused(hass, "start_race", config_entry_id=entry.entry_id) == "race_active"
    await call(hass, "stop_race", config_entry_id=entry.entry_id)  # calls off the countdown
    assert race.status is Status.READY
    await call(hass, "start_race", config_entry_id=entry.entry_id, mode="timed", minutes=2.5)
    assert race.settings.target_minutes == 2.5
    assert race.status is Status.COUNTDOWN  # the countdown setting (10 s) applies


async def test_every_control_by_device_or_the_only_lap_counter(
    hass: HomeAssistant, laps_harness: Harness
) -> None:
    await laps_harness.setup()
    race = laps_harness.laps.race
    car = device(hass, laps_harness, "car_2")
    agent = device(hass, laps_harness, "")
    assert car is not None
    assert agent is not None
    await call(hass, "start_race", device_id=car.id, countdown=0)  # a car's device will do
    assert race.status is Status.RUNNING
    await call(hass, "pause_race", device_id=agent.id)
    assert race.status is Status.PAUSED
    await call(hass, "resume_race")  # no target: the only lap counter there is
    assert race.status is Status.RUNNING
    await call(hass, "stop_race")
    assert race.status is Status.FINISHED
    await call(hass, "reset_race")
    assert race.status is Status.READY


async def test_refusals_are_translated(hass: HomeAssistant, laps_harness: Harness) -> None:
    entry = await laps_harness.setup()
    target = {"config_entry_id": entry.entry_id}
    assert await refused(hass, "pause_race", **target) == "not_running"
    assert await refused(hass, "resume_race", **target) == "not_paused"
    assert await refused(hass, "stop_race", **target) == "not_active"
    assert await refused(hass, "start_race", config_entry_id="nope") == "entry_not_found"
    assert await refused(hass, "start_race", device_id="nope") == "device_not_found"
    agent = device(hass, laps_harness, "")
    assert agent is not None
    assert (
        await refused(hass, "start_race", device_id=agent.id, config_entry_id=entry.entry_id)
        == "race_target_ambiguous"
    )
    other = MockConfigEntry(domain=DOMAIN, title="Inverter", data={"kind": "inverter"})
    other.add_to_hass(hass)
    assert await refused(hass, "start_race", config_entry_id=other.entry_id) == "entry_not_loaded"
    # settings cannot change under a running race, from an entity either
    await call(hass, "start_race", countdown=0)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": race_id(hass, "select", "mode"), "option": "timed"},
            blocking=True,
        )
    assert err.value.translation_key == "race_active"


async def test_no_lap_counter(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert await refused(hass, "start_race") == "race_target_required"


async def test_arguments_are_validated(hass: HomeAssistant, laps_harness: Harness) -> None:
    await laps_harness.setup()
    for bad in ({"laps": 0}, {"mode": "drag"}, {"countdown": -1}, {"minutes": 0}):
        with pytest.raises(vol.Invalid):
            await call(hass, "start_race", **bad)
    assert laps_harness.laps.race.status is Status.READY


def test_every_race_refusal_has_a_translation() -> None:
    source = (Path(__file__).parents[2] / "custom_components/edge_hub").rglob("*.py")
    text = "\n".join(p.read_text() for p in source)
    keys = set(re.findall(r'RaceError\(\s*"([a-z_]+)"', text))
    keys |= set(re.findall(r'_error\(\s*"([a-z_]+)"', text))
    assert keys, "no refusal keys found"
    assert keys <= set(STRINGS["exceptions"]), keys - set(STRINGS["exceptions"])
