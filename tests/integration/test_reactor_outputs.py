"""Control outputs as switch and number entities showing what the agent confirmed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from .reactor_harness import ENTITY, setup_reactor


def _applied(args: Mapping[str, Any]) -> dict[str, Any]:
    """An agent applying what it was asked."""
    if "value" in args:
        value = float(args["value"])
        return {"output": args["output"], "state": value > 0, "value": value}
    return {"output": args["output"], "state": args["state"], "value": None}


async def test_outputs_start_unknown_then_show_the_agents_records(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    assert hass.states.get(ENTITY["heater"]).state == STATE_UNAVAILABLE
    agent.apply("output", {"output": "heater", "state": False, "value": None})
    agent.apply("output", {"output": "stirrer", "state": True, "value": 30.0})
    agent.apply("output", {"output": "setpoint", "state": None, "value": 37.0})
    assert hass.states.get(ENTITY["heater"]).state == STATE_OFF
    stirrer = hass.states.get(ENTITY["stirrer"])
    assert stirrer.state == "30.0"
    assert stirrer.attributes["mode"] == "slider"
    assert stirrer.attributes[ATTR_UNIT_OF_MEASUREMENT] == "%"
    setpoint = hass.states.get(ENTITY["setpoint"])
    assert setpoint.state == "37.0"
    assert (setpoint.attributes["min"], setpoint.attributes["max"]) == (20, 45)
    assert setpoint.attributes["step"] == 0.1
    assert setpoint.attributes["mode"] == "box"
    entry = er.async_get(hass).async_get(ENTITY["setpoint"])
    assert entry is not None
    assert entry.original_device_class == "temperature"


async def test_switch_shows_the_applied_state(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.apply("output", {"output": "heater", "state": False, "value": None})
    agent.handlers["set_output"] = _applied
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: ENTITY["heater"]}, blocking=True
    )
    assert agent.commands == [("set_output", {"output": "heater", "state": True})]
    assert hass.states.get(ENTITY["heater"]).state == STATE_ON
    # the output record that follows through the outbox changes nothing
    agent.apply("output", {"output": "heater", "state": True, "value": None})
    assert hass.states.get(ENTITY["heater"]).state == STATE_ON
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: ENTITY["heater"]}, blocking=True
    )
    assert hass.states.get(ENTITY["heater"]).state == STATE_OFF


async def test_switch_is_not_optimistic(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.apply("output", {"output": "heater", "state": False, "value": None})
    # an agent whose interlock keeps the heater off: it answers with the state it applied
    agent.handlers["set_output"] = lambda args: {"output": "heater", "state": False, "value": None}
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: ENTITY["heater"]}, blocking=True
    )
    assert hass.states.get(ENTITY["heater"]).state == STATE_OFF


async def test_number_sets_a_value(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.apply("output", {"output": "stirrer", "state": False, "value": 0.0})
    agent.handlers["set_output"] = _applied
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: ENTITY["stirrer"], ATTR_VALUE: 55},
        blocking=True,
    )
    assert agent.commands == [("set_output", {"output": "stirrer", "value": 55.0})]
    assert hass.states.get(ENTITY["stirrer"]).state == "55.0"


async def test_a_failed_command_raises_and_changes_nothing(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.apply("output", {"output": "heater", "state": False, "value": None})

    def fail(args: Mapping[str, Any]) -> dict[str, Any]:
        raise HomeAssistantError("output_failed: heater: simulated GPIO failure")

    agent.handlers["set_output"] = fail
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: ENTITY["heater"]}, blocking=True
        )
    assert err.value.translation_key == "output_failed"
    assert err.value.translation_placeholders == {
        "output": "Heater",
        "error": "output_failed: heater: simulated GPIO failure",
    }
    assert hass.states.get(ENTITY["heater"]).state == STATE_OFF


async def test_outputs_while_the_agent_is_offline(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.apply("output", {"output": "heater", "state": True, "value": None})
    agent.set_online(False)
    assert hass.states.get(ENTITY["heater"]).state == STATE_UNAVAILABLE
    agent.set_online(True)
    assert hass.states.get(ENTITY["heater"]).state == STATE_ON
    agent.online = False  # the runtime has not told the feature yet
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: ENTITY["heater"]}, blocking=True
        )
    assert err.value.translation_key == "output_failed"
    assert "offline" in err.value.translation_placeholders["error"]
    assert agent.commands == []


async def test_outputs_added_later(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass, {"sensors": [], "outputs": []})
    assert agent.feature is not None
    agent.feature.update_capability({"outputs": [{"id": "pump", "kind": "switch", "name": "Pump"}]})
    await hass.async_block_till_done()
    agent.apply("output", {"output": "pump", "state": True, "value": None})
    assert hass.states.get("switch.reactor_1_pump").state == STATE_ON
