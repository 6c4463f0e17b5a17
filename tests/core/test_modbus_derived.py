"""Derived values (V x A, active alarms, local time stamps) and repeated groups (PV strings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from edge_hub_core.inverter_profiles import resolve_map
from edge_hub_core.modbus_derived import active_flags, compute_derived, local_epoch_to_datetime
from edge_hub_core.modbus_map import MapError, Repeat, load_map
from edge_hub_core.modbus_plan import plan_reads
from edge_hub_core.modbus_poll import Poller

from .inverter_memory import MemoryInverter

POLLED = ("fast", "medium", "slow")


@pytest.mark.parametrize("profile", ["huawei", "sungrow"])
async def test_derived_mppt_power(profile: str) -> None:
    device = MemoryInverter(profile)
    regmap = load_map(profile)
    values = await Poller(regmap, device.read).read(regmap.tier_keys(POLLED))
    derived = compute_derived(regmap, values)
    truth = device.sim.values()
    products = [d for d in regmap.derived if d.op == "product"]
    assert len(products) == 2
    for d in products:
        assert derived[d.key] == pytest.approx(truth[("mppt_power", d.index)], rel=0.02)
    assert compute_derived(regmap, {}) == {d.key: None for d in regmap.derived}


async def test_alarms_are_named_and_counted() -> None:
    device = MemoryInverter("huawei")
    regmap = load_map("huawei")
    (alarms,) = (d for d in regmap.derived if d.op == "flags")
    keys = regmap.tier_keys(["medium"])

    values = await Poller(regmap, device.read).read(keys)
    assert compute_derived(regmap, values)["alarms"] == 0
    assert active_flags(regmap, alarms, values) == []

    device.sim.set_point("alarm_1", 1 << 7)  # grid loss
    device.sim.set_point("alarm_2", (1 << 3) | (1 << 2))  # overtemperature, low insulation
    values = await Poller(regmap, device.read).read(keys)
    assert compute_derived(regmap, values)["alarms"] == 3
    assert active_flags(regmap, alarms, values) == [
        "Grid Loss (2032)",
        "Low Insulation Resistance (2062)",
        "Overtemperature (2063)",
    ]
    # bits without a name are not alarms; a word not read is not "no alarm"
    device.sim.set_point("alarm_3", 1 << 15)
    device.sim.set_point("alarm_1", None)
    device.sim.set_point("alarm_2", None)
    values = await Poller(regmap, device.read).read(keys)
    assert compute_derived(regmap, values)["alarms"] == 0
    assert compute_derived(regmap, {**values, "alarm_2": None})["alarms"] is None
    # alarm words 1 and 2 have no "not implemented" marker: 0xFFFF is sixteen alarms
    device.sim.set_point("alarm_2", 0xFFFF)
    values = await Poller(regmap, device.read).read(keys)
    assert compute_derived(regmap, values)["alarms"] == 16


def test_local_epoch() -> None:
    # 2026-06-21 06:30 on the inverter's clock, counted as if that clock were UTC
    seconds = int(datetime(2026, 6, 21, 6, 30, tzinfo=UTC).timestamp())
    cest = timezone(timedelta(hours=2))
    stamp = local_epoch_to_datetime(seconds, cest)
    assert stamp == datetime(2026, 6, 21, 6, 30, tzinfo=cest)
    assert stamp.astimezone(UTC).hour == 4


async def test_startup_and_shutdown_times_from_the_simulator() -> None:
    device = MemoryInverter("huawei")
    regmap = load_map("huawei")
    values = await Poller(regmap, device.read).read(["startup_time", "shutdown_time"])
    startup = local_epoch_to_datetime(int(values["startup_time"] or 0), UTC)
    shutdown = local_epoch_to_datetime(int(values["shutdown_time"] or 0), UTC)
    now = device.sim.clock.now()  # noon: up since this morning, down since last night
    assert (startup.date(), startup.hour, startup.minute) == (now.date(), 5, 30)
    assert shutdown.date() == now.date() - timedelta(days=1)
    assert shutdown.hour == 20


@pytest.mark.parametrize(
    ("count", "strings"), [(None, 2), (0, 0), (1, 1), (8, 8), (24, 24), (99, 24), ("x", 2)]
)
def test_pv_strings_follow_the_device(count: int | str | None, strings: int) -> None:
    regmap = load_map("huawei", {"pv_string_count": count} if count is not None else None)
    voltages = sorted(p.key for p in regmap.points if p.entity == "pv_voltage")
    assert len(voltages) == strings
    assert len([p for p in regmap.points if p.entity == "pv_current"]) == strings
    assert len([d for d in regmap.derived if d.entity == "mppt_power"]) == strings
    if strings:
        last = regmap.by_key[f"pv{strings}_current"]
        assert last.address == 32016 + 2 * strings - 1
        assert f"pv{strings}_power" in {d.key for d in regmap.derived}
    # however many strings, a full poll stays three requests of at most 64 registers
    requests = plan_reads(regmap, regmap.tier_keys(POLLED))
    assert len(requests) == 3
    assert max(r.count for r in requests) <= 64


@pytest.mark.parametrize("strings", [1, 4, 9])
async def test_resolve_reads_the_string_count(strings: int) -> None:
    device = MemoryInverter("huawei", mppts=strings)
    regmap, chain = await resolve_map("huawei", device.read)
    assert chain is None
    assert device.requests[0][1:] == (30071, 1)
    assert len([p for p in regmap.points if p.entity == "pv_voltage"]) == strings
    values = await Poller(regmap, device.read).read(regmap.tier_keys(["fast"]))
    truth = device.sim.values()
    for n in range(1, strings + 1):
        assert values[f"pv{n}_voltage"] == truth[("pv_voltage", str(n))]


def test_bad_repeats_are_reported() -> None:
    base = {"count": "n", "start": 100, "size": 2, "max": 4, "default": 2, "points": []}
    assert Repeat.from_raw(base, "t").clamp(3) == 3
    assert Repeat.from_raw(base, "t").clamp(None) == 2
    assert Repeat.from_raw(base, "t").clamp(True) == 2
    with pytest.raises(MapError, match="bad size or counts"):
        Repeat.from_raw({**base, "default": 5}, "t")
    with pytest.raises(MapError, match="outside its group"):
        Repeat.from_raw({**base, "points": [{"key": "x{n}", "offset": 2}]}, "t")
    with pytest.raises(MapError, match="bad repeat"):
        Repeat.from_raw({**base, "start": None}, "t")
