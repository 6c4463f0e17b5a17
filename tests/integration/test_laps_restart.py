"""Restarting Home Assistant mid-race loses nothing: race, records, names, last events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .laps_harness import Harness, S, car_id, laps_harness, race_id

__all__ = ["laps_harness"]

T0 = 1_795_341_600 * S  # 2026-11-22 10:00:00 UTC


@pytest.fixture(autouse=True)
def _frozen(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to("2026-11-22 10:00:00+00:00")


def snapshot(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    """What every entity of the entry shows."""
    out = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry_id):
        found = hass.states.get(entity.entity_id)
        assert found is not None
        out[entity.entity_id] = (found.state, dict(found.attributes))
    return out


async def test_restart_mid_race_loses_nothing(
    hass: HomeAssistant, laps_harness: Harness, freezer: FrozenDateTimeFactory
) -> None:
    entry = await laps_harness.setup(options={"cars": {"1": {"driver": "Ann"}}})
    feature = laps_harness.laps
    # practice first: it sets personal bests and the track records
    laps_harness.lap("1", T0 - 60 * S, None)
    laps_harness.lap("1", T0 - 56 * S, 4_000_000)
    await hass.services.async_call(
        "edge_hub",
        "start_race",
        {"mode": "timed", "minutes": 5, "countdown": 0},
        blocking=True,
    )
    laps_harness.lap("1", T0 + 1 * S, 61_000_000)  # starts car 1's race
    laps_harness.lap("2", T0 + 2 * S, None)
    for lap in range(1, 4):
        laps_harness.lap("1", T0 + (1 + 4 * lap) * S, 4_000_000)
    laps_harness.lap("2", T0 + 6 * S, 4_000_000)
    laps_harness.lap("2", T0 + 10 * S, 4_000_000)
    laps_harness.lap("2", T0 + 13_900_000_000, 3_900_000)  # a personal best, a track record
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    await hass.services.async_call("edge_hub", "pause_race", {}, blocking=True)
    laps_harness.lap("1", T0 + 16 * S, 3_000_000)  # under the yellow flag
    await hass.async_block_till_done()
    before = snapshot(hass, entry.entry_id)
    state_before = feature.state()
    # every change was handed to the runtime to persist: a crash now would keep all of it
    assert laps_harness.saved[entry.entry_id] == state_before

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert laps_harness.laps is not feature
    assert laps_harness.laps.state() == state_before
    assert snapshot(hass, entry.entry_id) == before
    assert hass.states.get(race_id(hass, "sensor", "status")).state == "paused"  # type: ignore[union-attr]
    assert (
        hass.states.get(car_id(hass, "event", "2", "lap_event")).attributes[  # type: ignore[union-attr]
            "event_type"
        ]
        == "track_record"
    )

    # the race goes on where it was
    await hass.services.async_call("edge_hub", "resume_race", {}, blocking=True)
    laps_harness.lap("2", T0 + 18 * S, 4_100_000)
    await hass.async_block_till_done()
    assert hass.states.get(car_id(hass, "sensor", "2", "laps")).state == "4"  # type: ignore[union-attr]
    assert hass.states.get(car_id(hass, "sensor", "1", "laps")).state == "4"  # type: ignore[union-attr]
    best = hass.states.get(car_id(hass, "sensor", "2", "best_lap"))
    assert best is not None
    assert float(best.state) == 3.9
    await hass.services.async_call("edge_hub", "stop_race", {}, blocking=True)
    finished = hass.states.get(race_id(hass, "event", "event"))
    assert finished is not None
    assert finished.attributes["winner_name"] == "Ann"


async def test_a_damaged_saved_race_starts_afresh(
    hass: HomeAssistant, laps_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await laps_harness.setup()
    assert await hass.config_entries.async_unload(entry.entry_id)
    laps_harness.saved[entry.entry_id] = {"race": {"version": 1, "settings": {}}}
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert "the saved race could not be restored" in caplog.text
    assert hass.states.get(race_id(hass, "sensor", "status")).state == "ready"  # type: ignore[union-attr]
