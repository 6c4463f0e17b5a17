"""EZO calibration from Home Assistant: the `edge_hub.calibrate` action on a sensor entity
sends `calibrate` to the agent and returns the agent's answer; refusals are translated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.reactor.entities import LastSeenSensor

from .reactor_harness import ENTITY, FakeAgent, ok, setup_reactor

ALL_OK = (ok("ph", 7.1), ok("ec", 1413), ok("do", 6.5), ok("air_temperature", 21.0))


def _calibrate_answer(args: Mapping[str, Any]) -> dict[str, Any]:
    return {**args, "command": "Cal,mid,7.00", "reply": "ok", "points": 1}


async def _calibrate(hass: HomeAssistant, entity: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "calibrate",
        {"entity_id": entity, **data},
        blocking=True,
        return_response=True,
    )


async def test_the_action_is_registered_with_the_integration(hass: HomeAssistant) -> None:
    await setup_reactor(hass)
    assert hass.services.has_service(DOMAIN, "calibrate")


async def test_calibrate_returns_the_agents_answer(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.handlers["calibrate"] = _calibrate_answer
    agent.readings(ok("ph", 7.1))
    response = await _calibrate(hass, ENTITY["ph"], step="mid", value=7.0)
    assert agent.commands == [("calibrate", {"sensor": "ph", "action": "mid", "value": 7.0})]
    assert response == {
        ENTITY["ph"]: {
            "sensor": "ph",
            "action": "mid",
            "value": 7.0,
            "command": "Cal,mid,7.00",
            "reply": "ok",
            "points": 1,
        }
    }


async def test_steps_without_a_value(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.readings(*ALL_OK)
    agent.handlers["calibrate"] = lambda args: {**args, "reply": "ok", "points": 0}
    await _calibrate(hass, ENTITY["ec"], step="dry")
    await _calibrate(hass, ENTITY["do"], step="high")
    assert agent.commands == [
        ("calibrate", {"sensor": "ec", "action": "dry"}),
        ("calibrate", {"sensor": "do", "action": "high"}),
    ]


async def test_a_step_the_sensor_does_not_have_is_refused_here(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.readings(*ALL_OK)
    with pytest.raises(ServiceValidationError) as err:
        await _calibrate(hass, ENTITY["ph"], step="dry")
    assert err.value.translation_key == "calibration_not_supported"
    assert err.value.translation_placeholders == {
        "sensor": "pH",
        "step": "dry",
        "steps": "mid, low, high, clear",
    }
    with pytest.raises(ServiceValidationError) as err:
        await _calibrate(hass, ENTITY["air_temperature"], step="mid", value=20)
    assert err.value.translation_key == "calibration_not_supported"
    assert agent.commands == []


async def test_the_agents_refusal_is_a_translated_error(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)

    def refuse(args: Mapping[str, Any]) -> dict[str, Any]:
        raise HomeAssistantError("sensor_offline: ph is offline: no answer at 0x63 (NACK)")

    agent.handlers["calibrate"] = refuse
    agent.readings(*ALL_OK)
    with pytest.raises(HomeAssistantError) as err:
        await _calibrate(hass, ENTITY["ph"], step="clear")
    assert err.value.translation_key == "calibration_failed"
    assert err.value.translation_placeholders == {
        "sensor": "pH",
        "error": "sensor_offline: ph is offline: no answer at 0x63 (NACK)",
    }


async def test_calibrating_while_the_agent_is_offline(hass: HomeAssistant) -> None:
    _, agent = await setup_reactor(hass)
    agent.readings(*ALL_OK)
    agent.online = False  # gone, and the runtime has not told the feature yet
    with pytest.raises(HomeAssistantError) as err:
        await _calibrate(hass, ENTITY["ph"], step="clear")
    assert err.value.translation_key == "calibration_failed"
    assert err.value.translation_placeholders == {
        "sensor": "pH",
        "error": "Edge agent reactor-1 is offline: calibrate was not sent.",
    }
    # once the entities are unavailable, Home Assistant itself skips them (as for any
    # entity action): a sensor is calibrated while it answers
    agent.set_online(False)
    with pytest.raises(HomeAssistantError, match="did not match any entities"):
        await _calibrate(hass, ENTITY["ph"], step="clear")
    assert agent.commands == []


async def test_a_sensor_that_is_not_a_reactor_measurement(hass: HomeAssistant) -> None:
    with patch.object(LastSeenSensor, "_attr_entity_registry_enabled_default", True):
        _, agent = await setup_reactor(hass)
    agent.readings(*ALL_OK)
    with pytest.raises(ServiceValidationError) as err:
        await _calibrate(hass, ENTITY["ph_last_seen"], step="clear")
    assert err.value.translation_key == "not_a_reactor_sensor"


async def test_an_unknown_step_is_rejected_by_the_schema(hass: HomeAssistant) -> None:
    await setup_reactor(hass)
    with pytest.raises(Exception, match="step"):
        await _calibrate(hass, ENTITY["ph"], step="sideways")


def test_fake_agent_refuses_unknown_commands() -> None:
    agent = FakeAgent()
    assert agent.handlers == {}
