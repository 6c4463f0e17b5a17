"""Every map loads; auto-detection finds each simulated profile and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
import json
from pathlib import Path

import pytest

from edge_hub_core.inverter_profiles import NotDetectedError, detect
from edge_hub_core.modbus_map import MAP_FILES, PROFILES, MapError, load_map, load_raw
from edge_hub_core.modbus_poll import ModbusExceptionError, Poller
from edge_hub_core.sunspec import SunSpecTemplate

from .inverter_memory import MemoryInverter

MAPS = Path(__file__).parents[2] / "custom_components" / "edge_hub" / "edge_hub_core" / "maps"
#: entity keys the integration has descriptions for (inverter/sensor.py checks the reverse)
ENTITY_KEYS = {
    "ac_power", "dc_power", "mppt_power", "pv_voltage", "pv_current", "grid_frequency",
    "phase_voltage", "phase_current", "reactive_power", "power_factor", "energy_today",
    "energy_total", "inverter_temperature", "operating_state", "battery_soc", "battery_power",
    "battery_charged_total", "battery_discharged_total",
    # round 2: what users of huawei_solar and of the Sungrow YAML get
    "line_voltage", "peak_power_today", "efficiency", "insulation_resistance", "fault_code",
    "alarms", "startup_time", "shutdown_time", "battery_status", "battery_voltage",
    "battery_current", "battery_capacity", "battery_temperature", "battery_health",
    "battery_charged_today", "battery_discharged_today", "load_power", "grid_export_power",
    "grid_imported_today", "grid_imported_total", "grid_exported_today", "grid_exported_total",
}  # fmt: skip
#: energy counters: entity -> counter kind
COUNTERS = {
    "energy_total": "lifetime", "energy_today": "daily",
    "battery_charged_total": "lifetime", "battery_discharged_total": "lifetime",
    "battery_charged_today": "daily", "battery_discharged_today": "daily",
    "grid_imported_total": "lifetime", "grid_exported_total": "lifetime",
    "grid_imported_today": "daily", "grid_exported_today": "daily",
}  # fmt: skip
REQUIRED = {
    "ac_power", "dc_power", "grid_frequency", "energy_total", "energy_today",
    "operating_state", "inverter_temperature", "phase_voltage", "phase_current", "mppt_power",
}  # fmt: skip


def test_every_map_file_is_listed() -> None:
    assert sorted(p.name for p in MAPS.glob("*.json")) == sorted(MAP_FILES.values())


@pytest.mark.parametrize("profile", PROFILES)
def test_maps_are_consistent(profile: str) -> None:
    raw = load_raw(profile)
    if profile == "sunspec":
        template = SunSpecTemplate()
        regmaps = [template.resolve(template.layout(m)) for m in ([1, 103, 160], [1, 113, 160])]
    else:
        # a repeat at its default and at its largest count (24 PV strings)
        regmaps = [load_map(profile), load_map(profile, {"pv_string_count": 24})]
    assert raw["profile"] == profile
    for regmap in regmaps:
        entities = {p.entity for p in regmap.points if p.entity} | {
            d.entity for d in regmap.derived if d.entity
        }
        assert entities <= ENTITY_KEYS
        # the required entities of every profile
        assert entities >= REQUIRED
        # no two points share a register
        taken: dict[int, str] = {}
        for point in regmap.points:
            for address in range(point.address, point.end):
                assert address not in taken, f"{point.key} overlaps {taken.get(address)}"
                taken[address] = point.key
        # one point per entity and index
        seen = [(p.entity, p.index) for p in regmap.points if p.entity]
        seen += [(d.entity, d.index) for d in regmap.derived if d.entity]
        assert len(seen) == len(set(seen))
        for point in regmap.points:
            if point.counter or point.entity in COUNTERS:
                assert COUNTERS.get(point.entity or "") == point.counter, point.key
        # every bit field feeds a flags value, every time stamp an entity
        flag_words = {k for d in regmap.derived if d.op == "flags" for k in d.inputs}
        assert flag_words == {p.key for p in regmap.points if p.flags}
        assert all(p.entity for p in regmap.points if p.epoch)


def test_bad_map_is_reported() -> None:
    with pytest.raises(MapError, match="unknown profile"):
        load_raw("fronius")
    raw = json.loads((MAPS / "huawei_sun2000.json").read_text())
    raw["points"][0]["type"] = "u24"
    from edge_hub_core.modbus_map import MapDefaults, parse_point

    with pytest.raises(MapError, match="unknown type"):
        parse_point(raw["points"][0], 1, MapDefaults.from_raw(raw))


@pytest.mark.parametrize("profile", PROFILES)
async def test_detects_each_profile(profile: str) -> None:
    device = MemoryInverter(profile, serial=f"SER-{profile}")
    found = await detect(device.read)
    assert found.identity.profile == profile
    assert found.identity.serial == f"SER-{profile}"
    assert found.identity.manufacturer
    assert found.identity.model
    assert found.identity.sw_version


async def test_sanity_check_rejects_an_implausible_device() -> None:
    device = MemoryInverter("huawei")
    device.sim.model.force_asleep = True  # huawei at night: frequency still read
    frequency = next(p for p in device.sim.points() if p.key == "grid_frequency")

    async def read(function: int, address: int, count: int) -> Sequence[int]:
        registers = list(await device.read(function, address, count))
        if address <= frequency.address < address + count:
            registers[frequency.address - address] = 1000  # 10 Hz
        return registers

    with pytest.raises(NotDetectedError):
        await detect(read)
    found = await detect(read, ["huawei"], check_sanity=False)
    assert found.identity.profile == "huawei"


async def test_nothing_detected_on_an_empty_device() -> None:
    async def read(function: int, address: int, count: int) -> Sequence[int]:
        raise ModbusExceptionError(2)

    with pytest.raises(NotDetectedError):
        await detect(read)


@pytest.mark.parametrize("profile", PROFILES)
async def test_counters_rise_through_a_day(profile: str) -> None:
    device = MemoryInverter(profile)
    found = await detect(device.read)
    poller = Poller(found.regmap, device.read)
    counters = [p.key for p in found.regmap.points if p.counter == "lifetime"]
    last = dict.fromkeys(counters, 0.0)
    for _ in range(24):
        device.sim.clock.advance(3600)
        values = await poller.read(counters)
        for key in counters:
            value = values[key]
            if value is None:  # SunSpec at night: "not implemented" scale factors
                assert device.sim.model.asleep()
                continue
            assert isinstance(value, int | float)
            assert value >= last[key]
            last[key] = value
    assert all(value > 0 for value in last.values())
