"""A real agent process with a simulated reactor board, a real mosquitto and the agent's entry
in a Home Assistant test instance: the whole path of issue 7, once.

The board is driven from the test through its control file (edge_agent/sim/control.py):
unplugging the pH circuit makes its entity unavailable and plugging it back brings it back,
while the agent and its other sensors carry on.
"""

from __future__ import annotations

import json
from pathlib import Path
import signal

from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_ON,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.edge_hub.const import DOMAIN
from tests.broker import Broker

from .agent_support import agent_entry, setup_mqtt, until
from .test_agent_e2e import agent_processes

AGENT = "reactor-pi"


def _config(tmp_path: Path, port: int, control: Path) -> Path:
    config = tmp_path / "agent.yaml"
    reactor = {
        "backend": "sim",
        "sim": {"time_scale": 0.2, "control": str(control)},
        "interval": 1,
        "max_backoff": 1,
        "sensors": [
            {"id": "ph", "driver": "ezo_ph", "address": 0x63},
            {"id": "air", "driver": "bme280", "address": 0x76, "name": "Air"},
        ],
        "outputs": [
            {"id": "heater", "kind": "switch", "pin": 17},
            {"id": "stirrer", "kind": "pwm", "pwm_channel": 0, "initial": 30},
        ],
    }
    config.write_text(
        json.dumps(  # YAML is a superset of JSON
            {
                "agent": {"id": AGENT, "name": "Reactor Pi"},
                "mqtt": {"host": "127.0.0.1", "port": port, "keepalive": 5},
                "outbox": {"path": str(tmp_path / "outbox.db")},
                "reactor": reactor,
            }
        )
    )
    return config


def _entity_id(hass: HomeAssistant, platform: str, suffix: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{AGENT}_reactor_{suffix}")


def _number(hass: HomeAssistant, entity_id: str | None) -> bool:
    state = hass.states.get(entity_id) if entity_id else None
    return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


@pytest.mark.timeout(120)
async def test_board_to_home_assistant_and_back(
    hass: HomeAssistant, broker: Broker, tmp_path: Path
) -> None:
    control = tmp_path / "board.json"
    control.write_text('{"unplugged": []}')
    config = _config(tmp_path, broker.port, control)
    mqtt_entry = await setup_mqtt(hass, broker.port)
    entry = agent_entry(hass, AGENT, title="Reactor Pi")
    log = tmp_path / "agent.log"

    def show() -> str:
        entities = {
            e.unique_id: hass.states.get(e.entity_id)
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        }
        return f"{entities}; agent log: {log.read_text()[-1500:] if log.exists() else ''}"

    with agent_processes(config) as agents:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await until(
            lambda: all(
                _number(hass, _entity_id(hass, "sensor", sensor))
                for sensor in ("ph", "air_temperature", "air_pressure")
            ),
            timeout=30,
            what="the board's readings in HA",
            show=show,
        )
        ph = _entity_id(hass, "sensor", "ph")
        air = _entity_id(hass, "sensor", "air_temperature")
        assert ph is not None
        assert air is not None

        # classes and units from the announce
        assert 6.0 < float(hass.states.get(ph).state) < 8.0
        assert hass.states.get(ph).attributes["device_class"] == "ph"
        temperature = hass.states.get(air).attributes
        assert temperature["device_class"] == "temperature"
        assert temperature["unit_of_measurement"] == "°C"
        assert temperature["state_class"] == "measurement"
        pressure = _entity_id(hass, "sensor", "air_pressure")
        assert hass.states.get(pressure).attributes["device_class"] == "pressure"
        assert hass.states.get(pressure).attributes["unit_of_measurement"] == "hPa"

        # calibration: the circuit's answer comes back through the broker
        response = await hass.services.async_call(
            DOMAIN,
            "calibrate",
            {"entity_id": ph, "step": "mid", "value": 7.0},
            blocking=True,
            return_response=True,
        )
        answer = response[ph]
        assert answer["sensor"] == "ph"
        assert answer["command"] == "Cal,mid,7.00"
        assert answer["points"] == 1

        # outputs show the state the agent applied
        heater = _entity_id(hass, "switch", "output_heater")
        stirrer = _entity_id(hass, "number", "output_stirrer")
        assert heater is not None
        assert stirrer is not None
        await until(lambda: _number(hass, stirrer), timeout=10, what="the stirrer's state")
        assert float(hass.states.get(stirrer).state) == 30.0  # the agent's start-up record
        await hass.services.async_call(
            "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: heater}, blocking=True
        )
        assert hass.states.get(heater).state == STATE_ON
        await hass.services.async_call(
            "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: stirrer, ATTR_VALUE: 55}, blocking=True
        )
        assert float(hass.states.get(stirrer).state) == 55.0

        # hot-plug: the pH circuit is pulled out, the rest of the board carries on
        control.write_text('{"unplugged": ["0x63"]}')
        await until(lambda: hass.states.get(ph).state == STATE_UNAVAILABLE, timeout=15, show=show)
        assert _number(hass, air)
        control.write_text('{"unplugged": []}')
        await until(lambda: _number(hass, ph), timeout=15, what="pH back", show=show)

        # the agent stops: every entity of its board is unavailable
        agents.current.send_signal(signal.SIGTERM)
        assert await hass.async_add_executor_job(agents.current.wait, 10) == 0
        await until(lambda: hass.states.get(air).state == STATE_UNAVAILABLE, timeout=10)
        assert hass.states.get(heater).state == STATE_UNAVAILABLE

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)
