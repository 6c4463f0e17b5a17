"""The lap counter in a real HA instance: devices, entities, a race fed by lap records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.edge_hub.laps.services import _device_entries

from .laps_harness import Harness, S, car_id, device, laps_harness, race_id

__all__ = ["laps_harness"]

START = "2026-11-22 10:00:00+00:00"
T0 = 1_795_341_600 * S  # START in Unix ns


@pytest.fixture(autouse=True)
def _frozen(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(START)


def state(hass: HomeAssistant, entity: str) -> Any:
    found = hass.states.get(entity)
    assert found is not None, entity
    return found


async def press(hass: HomeAssistant, key: str) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": race_id(hass, "button", key)}, blocking=True
    )


async def set_number(hass: HomeAssistant, key: str, value: float) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": race_id(hass, "number", key), "value": value},
        blocking=True,
    )


async def set_mode(hass: HomeAssistant, mode: str) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": race_id(hass, "select", "mode"), "option": mode},
        blocking=True,
    )


async def test_devices_and_entities(
    hass: HomeAssistant, laps_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await laps_harness.setup()
    # a new lap counter has nothing saved: no warning about a race that could not be restored
    assert "could not be restored" not in caplog.text
    agent = device(hass, laps_harness, "")
    assert agent is not None
    assert agent.name == "Track Pi"
    for car in ("1", "2"):
        car_device = device(hass, laps_harness, f"car_{car}")
        assert car_device is not None
        assert car_device.name == f"Car {car}"
        assert car_device.via_device_id == agent.id
        assert entry.entry_id in _device_entries(car_device)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    by_platform: dict[str, int] = {}
    for entity in entities:
        by_platform[entity.domain] = by_platform.get(entity.domain, 0) + 1
    # per car 6 sensors + 1 event; the race: 5 sensors, 1 select, 3 numbers, 5 buttons, 1 event
    assert by_platform == {"sensor": 17, "event": 3, "select": 1, "number": 3, "button": 5}
    assert state(hass, "sensor.car_1_laps").state == "0"
    assert state(hass, "sensor.car_1_last_lap").state == STATE_UNKNOWN
    assert state(hass, "sensor.track_pi_race_status").state == "ready"
    assert state(hass, "select.track_pi_race_mode").state == "practice"
    assert state(hass, "number.track_pi_race_laps").state == "20"
    assert state(hass, "event.car_1_lap").state == STATE_UNKNOWN


async def test_race_to_n_laps_from_lap_records(hass: HomeAssistant, laps_harness: Harness) -> None:
    await laps_harness.setup()
    await set_mode(hass, "laps")
    await set_number(hass, "target_laps", 2)
    await set_number(hass, "countdown", 0)
    laps_harness.lap("1", T0 - 5 * S, None)  # a warm-up lap before the start: not counted
    await press(hass, "start")
    assert state(hass, race_id(hass, "sensor", "status")).state == "running"
    race_event = state(hass, race_id(hass, "event", "event"))
    assert race_event.attributes["event_type"] == "race_started"

    # both cars cross the line in the same millisecond: that starts their lap 1
    laps_harness.lap("1", T0 + 1 * S, 6_000_000)
    laps_harness.lap("2", T0 + 1 * S + 400_000, None)
    laps_harness.lap("1", T0 + 5 * S, 4_000_000)
    laps_harness.lap("2", T0 + 5 * S + 250_000_000, 4_249_600)
    await hass.async_block_till_done()
    assert state(hass, car_id(hass, "sensor", "1", "laps")).state == "1"
    assert float(state(hass, car_id(hass, "sensor", "2", "last_lap")).state) == 4.2496
    assert state(hass, car_id(hass, "sensor", "2", "position")).state == "2"
    gap = state(hass, car_id(hass, "sensor", "2", "gap_to_leader"))
    assert float(gap.state) == 0.25
    assert gap.attributes["laps_behind"] == 0
    assert state(hass, race_id(hass, "sensor", "leader")).state == "Car 1"
    lap_event = state(hass, car_id(hass, "event", "2", "lap_event"))
    assert lap_event.attributes["event_type"] == "lap_completed"
    assert lap_event.attributes["lap"] == 1
    assert lap_event.attributes["lap_time"] == 4.2496

    laps_harness.lap("1", T0 + 9 * S, 4_000_000)  # lap 2: the flag
    await hass.async_block_till_done()
    assert state(hass, race_id(hass, "sensor", "status")).state == "finishing"
    assert state(hass, race_id(hass, "sensor", "winner")).state == "Car 1"
    laps_harness.lap("1", T0 + 13 * S, 4_000_000)  # after its finish: changes nothing
    laps_harness.lap("2", T0 + 9 * S + 500_000_000, 4_250_000)
    await hass.async_block_till_done()
    assert state(hass, car_id(hass, "sensor", "1", "laps")).state == "2"
    assert state(hass, race_id(hass, "sensor", "status")).state == "finished"
    finished = state(hass, race_id(hass, "event", "event"))
    assert finished.attributes["event_type"] == "race_finished"
    assert finished.attributes["winner"] == "1"
    assert finished.attributes["winner_name"] == "Car 1"
    assert finished.attributes["best_lap"] == 4.0
    assert [r["car"] for r in finished.attributes["results"]] == ["1", "2"]
    assert laps_harness.laps.counters["before_start"] == 1
    assert laps_harness.laps.counters["after_finish"] == 1
    assert laps_harness.saves >= 6  # every change asked the runtime to persist


async def test_average_best_and_records(hass: HomeAssistant, laps_harness: Harness) -> None:
    await laps_harness.setup()
    laps_harness.lap("1", T0, None)
    laps_harness.lap("1", T0 + 5 * S, 5_000_000)
    laps_harness.lap("1", T0 + 9 * S, 4_000_000)
    await hass.async_block_till_done()
    assert float(state(hass, car_id(hass, "sensor", "1", "average_lap")).state) == 4.5
    assert float(state(hass, car_id(hass, "sensor", "1", "best_lap")).state) == 4.0
    event = state(hass, car_id(hass, "event", "1", "lap_event"))
    assert event.attributes["event_type"] == "track_record"  # after lap_completed, pb
    record = state(hass, race_id(hass, "event", "event"))
    assert record.attributes["event_type"] == "track_record"
    assert record.attributes["lap_time"] == 4.0
    assert record.attributes["previous"] == 5.0
    assert record.attributes["lane"] == 1


async def test_a_new_car_gets_its_device_on_its_first_lap(
    hass: HomeAssistant, laps_harness: Harness
) -> None:
    await laps_harness.setup()
    laps_harness.lap("7", T0, None, lane=2)
    laps_harness.lap("7", T0 + 4 * S, 4_000_000, lane=2)
    await hass.async_block_till_done()
    assert device(hass, laps_harness, "car_7") is not None
    assert state(hass, car_id(hass, "sensor", "7", "laps")).state == "1"
    assert state(hass, car_id(hass, "event", "7", "lap_event")).attributes["lap"] == 1


async def test_timed_race_clock_countdown_pause_and_finish(
    hass: HomeAssistant, laps_harness: Harness, freezer: FrozenDateTimeFactory
) -> None:
    await laps_harness.setup()
    await set_mode(hass, "timed")
    await set_number(hass, "target_minutes", 1)
    await set_number(hass, "countdown", 3)
    await press(hass, "start")
    status = race_id(hass, "sensor", "status")
    assert state(hass, status).state == "countdown"
    assert state(hass, status).attributes["countdown"] == 3
    laps_harness.lap("1", T0 + 2 * S, None)  # jumping the start: ignored

    async def advance(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    await advance(3)
    assert state(hass, status).state == "running"
    laps_harness.lap("1", T0 + 4 * S, 2_000_000)
    await advance(10)  # 13 s
    assert state(hass, race_id(hass, "sensor", "elapsed")).state == "10"
    assert state(hass, race_id(hass, "sensor", "remaining")).state == "50"
    await press(hass, "pause")
    assert state(hass, status).state == "paused"
    laps_harness.lap("1", T0 + 15 * S, 11_000_000)  # under the yellow flag: marked
    await advance(20)  # 33 s
    assert state(hass, race_id(hass, "sensor", "remaining")).state == "50"
    lap_event = state(hass, car_id(hass, "event", "1", "lap_event"))
    assert lap_event.attributes["during_pause"] is True
    assert state(hass, car_id(hass, "sensor", "1", "laps")).attributes["laps_during_pause"] == 1
    await press(hass, "resume")
    await advance(50)  # 83 s: 60 s raced, the flag is out
    assert state(hass, status).state == "finishing"
    laps_harness.lap("1", T0 + 84 * S, 69_000_000)
    await hass.async_block_till_done()
    assert state(hass, status).state == "finished"
    assert state(hass, race_id(hass, "sensor", "winner")).state == "Car 1"
    assert state(hass, race_id(hass, "sensor", "remaining")).state == "0"
    # the clock stops ticking once the race is over
    assert laps_harness.laps._unsub_clock is None


async def test_car_entities_follow_the_agent_race_entities_do_not(
    hass: HomeAssistant, laps_harness: Harness
) -> None:
    await laps_harness.setup()
    laps_harness.online = False
    laps_harness.laps.availability_changed()
    await hass.async_block_till_done()
    assert state(hass, car_id(hass, "sensor", "1", "laps")).state == STATE_UNAVAILABLE
    assert state(hass, race_id(hass, "sensor", "status")).state == "ready"
    await press(hass, "start")  # the race is Home Assistant's: it runs without the Pi
    laps_harness.online = True
    laps_harness.laps.availability_changed()
    await hass.async_block_till_done()
    assert state(hass, car_id(hass, "sensor", "1", "laps")).state == "0"


async def test_bad_records_are_logged_once_and_change_nothing(
    hass: HomeAssistant, laps_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await laps_harness.setup()
    laps_harness.lap("1", T0, None)
    laps_harness.record("lap", {"lane": 1, "car": "1"})  # no crossing time
    laps_harness.record("lap", {"lane": "x", "car": "1", "crossed_ns": T0})
    laps_harness.record("edge_gap", {"lane": 1, "missed": 3})
    laps_harness.record("event", {"name": "unidentified_car", "attrs": {"lane": 2}})
    laps_harness.record("readings", {"readings": []})  # not ours: ignored
    await hass.async_block_till_done()
    counters = laps_harness.laps.counters
    assert counters["bad_records"] == 2
    assert counters["missed_edges"] == 3
    assert counters["unidentified_cars"] == 1
    assert caplog.text.count("Ignoring lap record") == 1
    assert state(hass, car_id(hass, "sensor", "1", "laps")).state == "0"
    diagnostics = laps_harness.laps.diagnostics()
    assert diagnostics["counters"]["bad_records"] == 2
    assert diagnostics["status"] == "ready"
