"""Every entity of every profile, against the simulator: values, units, device, diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
import json
from pathlib import Path
from unittest.mock import PropertyMock, patch

from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.diagnostics import async_get_config_entry_diagnostics
from custom_components.edge_hub.inverter.sensor_descriptions import DESCRIPTIONS

from .inverter_sim import entity_id, entry_for, poll, running_sim, setup_entry, state_value

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "edge_hub"

#: entity key -> unit the state shows (energy in kWh whatever the register's unit)
UNITS = {
    "ac_power": "W",
    "dc_power": "W",
    "mppt_power": "W",
    "grid_frequency": "Hz",
    "phase_voltage": "V",
    "phase_current": "A",
    "inverter_temperature": "°C",
    "energy_total": "kWh",
    "energy_today": "kWh",
    "battery_soc": "%",
    "battery_power": "W",
    "line_voltage": "V",
    "peak_power_today": "W",
    "efficiency": "%",
    "insulation_resistance": "MΩ",
    "battery_voltage": "V",
    "battery_current": "A",
    "battery_temperature": "°C",
    "battery_health": "%",
    "battery_capacity": "kWh",
    "battery_charged_today": "kWh",
    "battery_discharged_today": "kWh",
    "load_power": "W",
    "grid_export_power": "W",
    "grid_imported_total": "kWh",
    "grid_exported_total": "kWh",
    "grid_imported_today": "kWh",
    "grid_exported_today": "kWh",
}
#: values shown as the simulator computes them (energy: Wh there, kWh here)
EXACT = ("ac_power", "dc_power", "grid_frequency", "load_power", "grid_export_power")
EXACT += ("battery_voltage", "battery_current", "battery_temperature", "efficiency")
ENERGY = ("energy_total", "grid_imported_total", "grid_exported_total")
ENERGY += ("battery_charged_today", "grid_exported_today")


@pytest.fixture
def all_entities_enabled() -> Iterator[None]:
    """Every entity enabled, also those disabled by default (checked on their own)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.mark.usefixtures("all_entities_enabled")
@pytest.mark.parametrize("profile", ["sunspec", "huawei", "sungrow"])
async def test_every_entity(hass: HomeAssistant, socket_enabled: None, profile: str) -> None:
    async with running_sim(profile) as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await poll(hass, coordinator)
        truth = sim.values()
        serial = sim.serial
        regmap = coordinator.regmap
        sources = [(p.entity, p.index) for p in regmap.points if p.entity]
        sources += [(d.entity, d.index) for d in regmap.derived if d.entity]
        registry = er.async_get(hass)
        entries = er.async_entries_for_config_entry(registry, entry.entry_id)
        assert len(entries) == len(sources)
        for key, index in sources:
            assert key is not None
            state = hass.states.get(entity_id(hass, serial, key, index))
            assert state is not None, (key, index)
            assert state.state not in (STATE_UNAVAILABLE, "unknown"), (key, index)
            if key in UNITS:
                assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == UNITS[key], key

        # values as simulated (the register image encodes them through the same map)
        def shown(key: str, index: str | None = None) -> float:
            return float(state_value(hass, serial, key, index))

        present = {key for key, _index in sources}
        for key in EXACT:
            if key in present:
                assert shown(key) == truth[(key, None)], key
        for key in ENERGY:
            if key in present:
                assert shown(key) == pytest.approx(float(truth[(key, None)] or 0) / 1000, abs=0.1)
        assert shown("phase_voltage", "B") == truth[("phase_voltage", "B")]
        assert shown("mppt_power", "1") == pytest.approx(truth[("mppt_power", "1")], rel=0.02)
        assert state_value(hass, serial, "operating_state") == "producing"
        lifetime = float(state_value(hass, serial, "energy_total"))
        assert lifetime == pytest.approx(truth[("energy_total", None)] / 1000, abs=0.1)
        energy = hass.states.get(entity_id(hass, serial, "energy_total"))
        assert energy is not None
        assert energy.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
        assert energy.attributes[ATTR_DEVICE_CLASS] == "energy"
        if profile != "sunspec":
            assert shown("battery_soc") == truth[("battery_soc", None)]
            assert shown("battery_power") == truth[("battery_power", None)]
            grid = hass.states.get(entity_id(hass, serial, "battery_charged_today"))
            assert grid is not None
            assert grid.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
        if profile == "huawei":
            assert shown("line_voltage", "BC") == truth[("line_voltage", "BC")]
            assert state_value(hass, serial, "battery_status") == "running"
            assert shown("battery_capacity") == 10.0  # 10000 Wh, shown in kWh
            alarms = hass.states.get(entity_id(hass, serial, "alarms"))
            assert alarms is not None
            assert (alarms.state, alarms.attributes["active"]) == ("0", [])
            startup = dt_util.parse_datetime(state_value(hass, serial, "startup_time"))
            assert isinstance(startup, datetime)
            # 05:30 on the simulator's clock, which is HA's local time
            local = dt_util.as_local(startup)
            assert (local.hour, local.minute) == (5, 30)
        # one request per poll for SunSpec, three for the others (every tier due)
        assert coordinator.last_poll_requests == (1 if profile == "sunspec" else 3)

        (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        assert device.identifiers == {(DOMAIN, serial)}
        assert device.serial_number == serial
        assert device.manufacturer
        assert device.model
        assert device.sw_version

        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        runtime = diagnostics["runtime"]
        assert runtime["profile"] == profile
        assert runtime["online"] is True
        assert runtime["plans"]["all"]
        assert serial not in str(runtime)
        assert (runtime["sunspec_chain"] is not None) == (profile == "sunspec")
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_single_phase_sunspec_float(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sunspec", sunspec_models=(1, 111), mppts=0) as sim:
        coordinator = await setup_entry(hass, entry_for(sim))
        await poll(hass, coordinator)
        assert coordinator.chain is not None
        assert [m[0] for m in coordinator.chain.as_list()] == [1, 111]
        assert float(state_value(hass, sim.serial, "ac_power")) == sim.values()[("ac_power", None)]
        registry = er.async_get(hass)
        for missing in ("phase_voltage_b", "mppt_power_1"):
            assert registry.async_get_entity_id("sensor", DOMAIN, f"{sim.serial}_{missing}") is None


def test_translation_keys_are_prefixed_and_translated() -> None:
    # entity.sensor.* is shared with the other kinds: every inverter key carries its prefix
    strings = json.loads((INTEGRATION / "strings.json").read_text())["entity"]["sensor"]
    icons = json.loads((INTEGRATION / "icons.json").read_text())["entity"]["sensor"]
    ours = set()
    for description in DESCRIPTIONS.values():
        key = description.translation_key
        assert key is not None
        assert key.startswith("inverter_"), key
        assert key in strings, key
        ours.add(key)
        if description.placeholder is not None:
            assert f"{{{description.placeholder}}}" in strings[key]["name"], key
        if description.options is not None:
            assert set(description.options) == set(strings[key]["state"]), key
    # no leftover unprefixed inverter key, and every inverter icon belongs to a description
    assert {k for k in icons if k.startswith("inverter_")} <= ours
    for old in ("ac_power", "operating_state", "energy_total", "battery_soc", "grid_frequency"):
        assert old not in strings, old
        assert old not in icons, old


async def test_default_entities_and_their_unique_ids(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    # unique IDs are serial + description key (+ index), as since the first release
    async with running_sim("huawei") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        registry = er.async_get(hass)
        ids = {e.unique_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)}
        serial = sim.serial
        for unique_id in ("ac_power", "operating_state", "phase_voltage_b", "mppt_power_1"):
            assert f"{serial}_{unique_id}" in ids, unique_id
        assert not any("inverter_" in i.removeprefix(serial) for i in ids if "temperature" not in i)

        # the important entities are enabled, the rest is there for whoever wants it
        def disabled(key: str, index: str | None = None) -> bool:
            found = registry.async_get(entity_id(hass, serial, key, index))
            assert found is not None
            return found.disabled_by is er.RegistryEntryDisabler.INTEGRATION

        for key in ("ac_power", "energy_today", "battery_soc", "alarms", "battery_charged_today"):
            assert not disabled(key), key
        for key in ("efficiency", "insulation_resistance", "startup_time", "battery_status"):
            assert disabled(key), key
        assert disabled("line_voltage", "AB")

        # active alarms, named
        sim.set_point("alarm_1", 1 << 7)  # grid loss
        sim.set_point("alarm_3", 1 << 6)  # PV string loss
        await poll(hass, coordinator)
        alarms = hass.states.get(entity_id(hass, serial, "alarms"))
        assert alarms is not None
        assert alarms.state == "2"
        assert alarms.attributes["active"] == ["Grid Loss (2032)", "PV String Loss (2015)"]
        sim.set_point("alarm_1", None)
        sim.set_point("alarm_3", None)
        await poll(hass, coordinator)
        assert state_value(hass, serial, "alarms") == "0"
        assert await hass.config_entries.async_unload(entry.entry_id)
