"""Reactor sensors in Home Assistant: entity metadata, per-sensor availability, dynamic
addition, removal, restore, and writing only what changed."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.reactor.entities import LastSeenSensor

from .reactor_harness import AGENT_ID, CAPABILITY, ENTITY, offline, ok, setup_reactor


async def test_one_entity_per_measurement_with_its_metadata(hass: HomeAssistant) -> None:
    entry, _ = await setup_reactor(hass)
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, entry.entry_id)
    # 6 measurements, 5 last-seen (one per physical sensor), 3 outputs
    assert len(entries) == 14
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.identifiers == {(DOMAIN, AGENT_ID)}
    assert {e.device_id for e in entries} == {device.id}

    ph = registry.async_get(ENTITY["ph"])
    assert ph is not None
    assert ph.unique_id == "reactor-1_reactor_ph"
    assert ph.original_device_class == SensorDeviceClass.PH
    assert ph.capabilities == {"state_class": SensorStateClass.MEASUREMENT}
    assert ph.options["sensor"] == {"suggested_display_precision": 2}
    temperature = hass.states.get(ENTITY["air_temperature"])
    assert temperature is not None
    assert temperature.attributes[ATTR_UNIT_OF_MEASUREMENT] == "°C"
    assert temperature.attributes["friendly_name"] == "Reactor 1 Air temperature"
    # the micro sign is HA's Greek mu
    ec = hass.states.get(ENTITY["ec"])
    assert ec is not None
    assert ec.attributes[ATTR_UNIT_OF_MEASUREMENT] == "\u03bcS/cm"
    assert ec.attributes[ATTR_DEVICE_CLASS] == "conductivity"
    # no device class for dissolved oxygen; an icon of its own through its translation key
    do = registry.async_get(ENTITY["do"])
    assert do is not None
    assert do.original_device_class is None
    assert do.translation_key == "dissolved_oxygen"
    # a device class that does not fit the unit is dropped rather than rejected by HA
    level = registry.async_get(ENTITY["level"])
    assert level is not None
    assert level.original_device_class is None
    # last seen: diagnostic, disabled by default
    last_seen = registry.async_get(ENTITY["air_last_seen"])
    assert last_seen is not None
    assert last_seen.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert last_seen.entity_category == "diagnostic"


async def test_per_sensor_availability(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    assert hass.states.get(ENTITY["ph"]).state == STATE_UNAVAILABLE  # no reading yet
    agent.readings(ok("ph", 7.02), ok("air_temperature", 24.5), ok("air_humidity", 45.0))
    assert hass.states.get(ENTITY["ph"]).state == "7.02"
    assert hass.states.get(ENTITY["air_temperature"]).state == "24.5"
    # one sensor goes offline: only its entity is unavailable
    agent.readings(offline("ph"), ok("air_temperature", 24.6))
    assert hass.states.get(ENTITY["ph"]).state == STATE_UNAVAILABLE
    assert hass.states.get(ENTITY["air_temperature"]).state == "24.6"
    # an error (it answered nonsense) is unavailable too
    agent.readings(
        {"sensor": "air_humidity", "value": None, "status": "error", "error": "CRC mismatch"}
    )
    assert hass.states.get(ENTITY["air_humidity"]).state == STATE_UNAVAILABLE
    agent.readings(ok("ph", 7.01), ok("air_humidity", 46.0))
    assert hass.states.get(ENTITY["ph"]).state == "7.01"
    assert hass.states.get(ENTITY["air_humidity"]).state == "46.0"


async def test_every_sensor_is_unavailable_while_the_agent_is_offline(
    hass: HomeAssistant,
) -> None:
    _, agent = await setup_reactor(hass)
    agent.readings(ok("ph", 7.02), ok("air_temperature", 24.5))
    agent.apply("output", {"output": "heater", "state": True, "value": None})
    agent.set_online(False)
    for key in ("ph", "air_temperature", "heater", "stirrer"):
        assert hass.states.get(ENTITY[key]).state == STATE_UNAVAILABLE, key
    # readings replayed while offline are kept and shown once it is back
    agent.readings(ok("ph", 7.05))
    assert hass.states.get(ENTITY["ph"]).state == STATE_UNAVAILABLE
    agent.set_online(True)
    assert hass.states.get(ENTITY["ph"]).state == "7.05"
    assert hass.states.get(ENTITY["air_temperature"]).state == "24.5"
    assert hass.states.get(ENTITY["heater"]).state == "on"


async def test_unchanged_readings_write_nothing(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.readings(ok("ph", 7.02), ok("air_temperature", 24.5))
    changes: list[Event[Any]] = []
    hass.bus.async_listen("state_changed", changes.append)
    agent.readings(ok("ph", 7.02, ts=1763798405.0), ok("air_temperature", 24.7))
    await hass.async_block_till_done()
    assert [e.data["entity_id"] for e in changes] == [ENTITY["air_temperature"]]
    assert agent.feature is not None
    applied = agent.feature.diagnostics()["applied"]
    assert applied["writes"] == 3
    assert applied["unchanged"] == 1


async def test_one_record_one_context(hass: HomeAssistant) -> None:
    """Every state a record changes is written under that record's one context (the logbook
    groups them; HA makes no context - and no cycle for its garbage collector - per write);
    the next record has its own."""
    _, agent = await setup_reactor(hass)
    ids = [ENTITY["ph"], ENTITY["air_temperature"], ENTITY["air_humidity"]]

    def contexts() -> dict[str, str]:
        return {entity_id: hass.states.get(entity_id).context.id for entity_id in ids}

    agent.readings(ok("ph", 7.02), ok("air_temperature", 24.5), ok("air_humidity", 40.0))
    await hass.async_block_till_done()
    first = contexts()
    assert len(set(first.values())) == 1
    agent.readings(ok("ph", 7.03), ok("air_temperature", 24.6))
    await hass.async_block_till_done()
    second = contexts()
    assert second[ENTITY["ph"]] == second[ENTITY["air_temperature"]] != first[ENTITY["ph"]]
    assert second[ENTITY["air_humidity"]] == first[ENTITY["air_humidity"]]  # not written


async def test_sensors_announced_later_are_added_without_a_reload(hass: HomeAssistant) -> None:
    entry, agent = await setup_reactor(hass)
    # the new sensor's readings may arrive before the announce naming it: they are kept
    agent.readings(ok("bme280_77_pressure", 1002.5))
    assert hass.states.get("sensor.reactor_1_bme280_0x77_pressure") is None
    capability = {
        **CAPABILITY,
        "sensors": [
            *CAPABILITY["sensors"],
            {"id": "bme280_77_pressure", "kind": "pressure", "name": "BME280 0x77 pressure",
             "unit": "hPa", "device_class": "pressure", "precision": 1, "device": "bme280_77",
             "device_name": "BME280 0x77"},
        ],
    }  # fmt: skip
    assert agent.feature is not None
    agent.feature.update_capability(capability)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.reactor_1_bme280_0x77_pressure")
    assert state is not None
    assert state.state == "1002.5"
    assert entry.state.name == "LOADED"  # no reload happened
    # announcing the same again adds nothing
    agent.feature.update_capability(capability)
    await hass.async_block_till_done()
    assert len(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)) == 16


async def test_readings_while_entities_are_being_added(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    assert agent.feature is not None
    new = {"id": "extra", "kind": "temperature", "name": "Extra", "unit": "°C",
           "device_class": "temperature"}  # fmt: skip
    agent.feature.update_capability({**CAPABILITY, "sensors": [*CAPABILITY["sensors"], new]})
    # HA adds the new entity in a task: records keep coming meanwhile
    agent.readings(ok("extra", 30.0), ok("ph", 6.9))
    agent.readings(ok("extra", 31.0))
    await hass.async_block_till_done()
    assert hass.states.get("sensor.reactor_1_extra").state == "31.0"
    assert hass.states.get(ENTITY["ph"]).state == "6.9"
    assert agent.feature.diagnostics()["applied"]["failed"] == 0


async def test_a_sensor_gone_for_good_can_be_removed_by_the_user(hass: HomeAssistant) -> None:
    entry, agent = await setup_reactor(hass)
    agent.readings(ok("ph", 7.0))
    assert agent.feature is not None
    agent.feature.update_capability(
        {**CAPABILITY, "sensors": [s for s in CAPABILITY["sensors"] if s["id"] != "ph"]}
    )
    await hass.async_block_till_done()
    # no longer provided: HA shows it as such ("restored"), and the user can delete it
    state = hass.states.get(ENTITY["ph"])
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert state.attributes["restored"] is True
    registry = er.async_get(hass)
    assert registry.async_get(ENTITY["ph"]) is not None
    registry.async_remove(ENTITY["ph"])
    await hass.async_block_till_done()
    assert registry.async_get(ENTITY["ph"]) is None
    assert hass.states.get(ENTITY["ph"]) is None
    assert "ph" not in agent.feature.state()["sensors"]
    agent.readings(ok("air_temperature", 20.0))  # others go on
    assert hass.states.get(ENTITY["air_temperature"]).state == "20.0"
    assert entry.state.name == "LOADED"


async def test_last_seen_per_physical_sensor(hass: HomeAssistant) -> None:
    with patch.object(LastSeenSensor, "_attr_entity_registry_enabled_default", True):
        _, agent = await setup_reactor(hass)
    assert hass.states.get(ENTITY["air_last_seen"]).state == STATE_UNAVAILABLE
    agent.readings(ok("air_temperature", 24.5, ts=1763798400.0), ok("air_humidity", 45.0))
    state = hass.states.get(ENTITY["air_last_seen"])
    assert state.state == "2025-11-22T08:00:00+00:00"
    assert state.attributes["status"] == "ok"
    assert state.attributes["friendly_name"] == "Reactor 1 Air last seen"
    # gone: it carries when it last answered (possibly before the last reading sent)
    agent.readings(
        offline("air_temperature", "no answer at 0x76 (NACK)", last_seen=1763798460.0),
        offline("air_humidity", "no answer at 0x76 (NACK)", last_seen=1763798460.0),
    )
    state = hass.states.get(ENTITY["air_last_seen"])
    assert state.state == "2025-11-22T08:01:00+00:00"
    assert state.attributes == {**state.attributes, "status": "offline",
                                "error": "no answer at 0x76 (NACK)"}  # fmt: skip
    assert hass.states.get(ENTITY["air_temperature"]).state == STATE_UNAVAILABLE


async def test_state_survives_a_restart(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.readings(ok("ph", 7.02), offline("air_temperature", last_seen=1763798000.0))
    agent.apply("output", {"output": "stirrer", "state": True, "value": 40.0})
    assert agent.feature is not None
    saved = agent.feature.state()
    assert saved["sensors"]["ph"] == [7.02, "ok", None, 1763798400.0]
    assert saved["outputs"]["stirrer"] == [True, 40.0]
    assert agent.saves >= 2
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    _, agent = await setup_reactor(hass, state=saved)
    # before any new record: the restored values (deadband-quiet sensors may not resend soon)
    assert hass.states.get(ENTITY["ph"]).state == "7.02"
    assert hass.states.get(ENTITY["air_temperature"]).state == STATE_UNAVAILABLE
    assert hass.states.get(ENTITY["stirrer"]).state == "40.0"


async def test_bad_capability_entries_are_skipped(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    capability = {"sensors": [{"id": "ok", "name": "OK"}, {"id": "Not OK"}], "outputs": "x"}
    entry, agent = await setup_reactor(hass, capability)
    assert hass.states.get("sensor.reactor_1_ok") is not None
    assert "cannot use" in caplog.text
    assert agent.feature is not None
    assert len(agent.feature.diagnostics()["capability_problems"]) == 2
    assert entry.state.name == "LOADED"


async def test_a_broken_record_is_logged_not_raised(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    _, agent = await setup_reactor(hass)
    agent.apply("readings", {"nothing": []})
    agent.apply("future_type", {})
    agent.apply("output", {"output": "nope", "state": True})
    assert caplog.text.count("not applied") == 1  # logged once
    assert agent.feature is not None
    assert agent.feature.diagnostics()["applied"]["failed"] == 1
    agent.readings(ok("ph", 7.0))
    assert hass.states.get(ENTITY["ph"]).state == "7.0"
