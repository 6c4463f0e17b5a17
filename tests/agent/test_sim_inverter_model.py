"""The simulator's physics: flows that add up, counters that rise, days that restart."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from edge_agent.sim.inverter import InverterSimulator
from edge_agent.sim.inverter_model import EFFICIENCY, InverterModel, SimClock

NOON = datetime(2026, 6, 21, 12, 0)  # noqa: DTZ001 - the simulator keeps naive local time
LIFETIME = ("energy_total", "battery_charged_total", "battery_discharged_total")
LIFETIME += ("grid_imported_total", "grid_exported_total")
DAILY = ("energy_today", "battery_charged_today", "battery_discharged_today")
DAILY += ("grid_imported_today", "grid_exported_today")


def test_flows_add_up() -> None:
    model = InverterModel(SimClock(NOON))
    noon = model.flows(NOON)
    assert noon.ac == pytest.approx(noon.pv * EFFICIENCY - noon.battery)
    assert noon.battery > 0  # charging from the surplus
    assert noon.grid > 0  # exporting
    night = model.flows(NOON.replace(hour=22), pv=0.0)
    assert night.battery < 0  # discharging
    assert night.grid == pytest.approx(night.ac - night.load)
    assert night.grid < 0  # the evening peak needs the grid too


def test_counters_rise_and_days_restart() -> None:
    clock = SimClock(NOON)
    model = InverterModel(clock)
    last = model.quantities()
    for key in (*LIFETIME, *DAILY):
        assert isinstance(last[key, None], float)
    assert last["energy_today", None] > 0  # the morning already happened
    for _ in range(2 * 48):  # two days in half-hour steps
        clock.advance(1800)
        now = model.quantities()
        for key in LIFETIME:
            assert now[key, None] >= last[key, None], key  # type: ignore[operator]
        for key in DAILY:
            if clock.now().hour == 0 and clock.now().minute == 0:
                # midnight: today's counters restart; only what the last half hour brought
                assert now[key, None] <= last[key, None], key  # type: ignore[operator]
            elif clock.now().hour > 0:
                assert now[key, None] >= last[key, None], key  # type: ignore[operator]
        last = now
    # a day's production matches the lifetime counter's growth over that day
    before = model.total.ac
    clock.set(clock.now().replace(hour=0, minute=0) + timedelta(days=1))
    model.quantities()
    start = model.total.ac
    clock.advance(24 * 3600 - 60)
    model.quantities()
    assert model.today.ac == pytest.approx(model.total.ac - start)
    assert start >= before


def test_time_running_backwards_integrates_nothing() -> None:
    clock = SimClock(NOON)
    model = InverterModel(clock)
    model.quantities()
    total = model.total.ac
    clock.set(NOON - timedelta(hours=3))
    model.quantities()
    assert model.total.ac == total


def test_overrides_are_served_and_checked() -> None:
    sim = InverterSimulator("huawei", clock=SimClock(NOON))
    point = sim.point("fault_code")
    sim.set_point("fault_code", 2064)
    assert sim.image.read(3, point.address, 1) == [2064]
    sim.set_point("fault_code", None)
    assert sim.image.read(3, point.address, 1) == [0]
    with pytest.raises(KeyError, match="no point"):
        sim.set_point("fault_codes", 1)
