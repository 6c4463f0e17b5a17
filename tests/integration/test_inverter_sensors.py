"""Every entity of every profile, against the simulator: values, units, device, diagnostics."""

from __future__ import annotations

from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.diagnostics import async_get_config_entry_diagnostics

from .inverter_sim import entity_id, entry_for, poll, running_sim, setup_entry, state_value

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
}


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

        for key, index in [("ac_power", None), ("dc_power", None), ("grid_frequency", None)]:
            assert shown(key, index) == truth[(key, index)]
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
