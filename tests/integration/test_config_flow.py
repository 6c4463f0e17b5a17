"""Every step and abort of the config flow that exists so far."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.const import CONF_ADDRESS, CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core import beacon
from tests.vectors import load

from .ble import ADDRESS, goal_service_info

VECTORS = load("beacons")
PLAIN = bytes.fromhex(VECTORS["valid"][0]["payload_hex"])
ENCRYPTED = bytes.fromhex(VECTORS["valid"][3]["payload_hex"])
KEY = VECTORS["valid"][3]["key"]


async def test_user_menu_offers_every_kind(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["inverter", "goal_sensor", "edge_agent", "table"]


# --- inverter ---------------------------------------------------------------------------------


async def _inverter_form(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "inverter"}
    )


@pytest.mark.enable_socket
async def test_inverter_cannot_connect(hass: HomeAssistant, socket_enabled: None) -> None:
    # a port nothing listens on: bind one, close it, connect to it
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    result = await _inverter_form(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "inverter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port, "unit_id": 1}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_inverter_timeout(hass: HomeAssistant) -> None:
    async def _hang(*_args: Any, **_kwargs: Any) -> None:
        await asyncio.sleep(3600)

    result = await _inverter_form(hass)
    with (
        patch(
            "custom_components.edge_hub.edge_hub_core.modbus_frame.asyncio.open_connection", _hang
        ),
        patch("custom_components.edge_hub.inverter.flow.async_probe.__defaults__", (0.01,)),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "192.0.2.1", CONF_PORT: 502, "unit_id": 1}
        )
    assert result["errors"] == {"base": "timeout"}


@pytest.mark.enable_socket
async def test_inverter_unsupported_device(hass: HomeAssistant, socket_enabled: None) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await _inverter_form(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port, "unit_id": 1}
        )
    finally:
        server.close()
    assert result["errors"] == {"base": "unsupported_device"}


# --- goal sensor ------------------------------------------------------------------------------


async def test_goal_bluetooth_discovery_plain(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": config_entries.SOURCE_BLUETOOTH},
        data=goal_service_info(PLAIN),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "goal_side"
    with patch("custom_components.edge_hub.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"side": "away", "team": "Reds"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Reds"
    assert result["data"] == {
        CONF_KIND: EntryKind.GOAL_SENSOR,
        CONF_ADDRESS: ADDRESS,
        "key": None,
        "side": "away",
        "team": "Reds",
    }
    assert result["result"].unique_id == ADDRESS


async def test_goal_bluetooth_discovery_encrypted(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": config_entries.SOURCE_BLUETOOTH},
        data=goal_service_info(ENCRYPTED),
    )
    assert result["step_id"] == "goal_key"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"key": "abc"})
    assert result["errors"] == {"key": "invalid_key"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"key": "00" * 16})
    assert result["errors"] == {"key": "decryption_failed"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"key": KEY.upper()})
    assert result["step_id"] == "goal_side"
    with patch("custom_components.edge_hub.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"side": "home"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["key"] == KEY


async def test_goal_bluetooth_not_supported(hass: HomeAssistant) -> None:
    bad = b"EH" + bytes([0x20]) + PLAIN[3:]  # a future format version
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_BLUETOOTH}, data=goal_service_info(bad)
    )
    assert result == result | {"type": FlowResultType.ABORT, "reason": "not_supported"}
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": config_entries.SOURCE_BLUETOOTH},
        data=goal_service_info(b"XX" + PLAIN[2:], address="11:22:33:44:55:66"),
    )
    assert result["reason"] == "not_supported"


async def test_goal_bluetooth_already_configured(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, unique_id=ADDRESS, data={CONF_KIND: EntryKind.GOAL_SENSOR}
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_BLUETOOTH}, data=goal_service_info(PLAIN)
    )
    assert result["reason"] == "already_configured"


async def test_goal_menu_no_devices(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    with patch("homeassistant.components.bluetooth.async_discovered_service_info", return_value=[]):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "goal_sensor"}
        )
    assert result["reason"] == "no_devices_found"


async def test_goal_menu_pick_discovered(hass: HomeAssistant) -> None:
    other = goal_service_info(b"\x01\x02", address="11:22:33:44:55:66")  # not a goal beacon
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    with patch(
        "homeassistant.components.bluetooth.async_discovered_service_info",
        return_value=[goal_service_info(PLAIN), other],
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "goal_sensor"}
        )
    assert result["step_id"] == "goal_sensor"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ADDRESS: ADDRESS}
    )
    assert result["step_id"] == "goal_side"


# --- edge agent -------------------------------------------------------------------------------

EPOCH = "5f0c2a9e1b7d4c30"


def _announce(agent_id: str = "track-pi") -> dict[str, Any]:
    return {
        "v": 1,
        "agent_id": agent_id,
        "epoch": EPOCH,
        "instance": "a1b2c3d4e5f60718",
        "name": "Track Pi",
        "sw_version": "0.1.0",
        "capabilities": {},
    }


def _mqtt_info(payload: str, topic: str = "edge_hub/track-pi/announce") -> MqttServiceInfo:
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=1,
        retain=True,
        subscribed_topic="edge_hub/+/announce",
        timestamp=time.time(),
    )


async def test_agent_mqtt_discovery(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": config_entries.SOURCE_MQTT},
        data=_mqtt_info(json.dumps(_announce())),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mqtt_confirm"
    with patch("custom_components.edge_hub.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Track Pi"
    assert result["data"] == {CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": "track-pi"}
    assert result["result"].unique_id == "track-pi"


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("edge_hub/track-pi/announce", ""),
        ("edge_hub/track-pi/announce", "{not json"),
        ("edge_hub/other/announce", json.dumps(_announce())),
        ("edge_hub/track-pi/status", json.dumps(_announce())),
    ],
)
async def test_agent_mqtt_invalid(hass: HomeAssistant, topic: str, payload: str) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_MQTT}, data=_mqtt_info(payload, topic)
    )
    assert result["reason"] == "invalid_discovery_info"


async def test_agent_mqtt_already_configured(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, unique_id="track-pi", data={CONF_KIND: EntryKind.EDGE_AGENT}
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": config_entries.SOURCE_MQTT},
        data=_mqtt_info(json.dumps(_announce())),
    )
    assert result["reason"] == "already_configured"


async def test_agent_menu_without_mqtt(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "edge_agent"}
    )
    assert result["reason"] == "mqtt_not_configured"


# the mocked MQTT client leaves its periodic housekeeping timer behind at teardown
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_agent_menu_by_id(hass: HomeAssistant, mqtt_mock: Any) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "edge_agent"}
    )
    assert result["step_id"] == "edge_agent"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"agent_id": "Not Valid!"}
    )
    assert result["errors"] == {"agent_id": "invalid_agent_id"}

    with patch("custom_components.edge_hub.agent.flow.ANNOUNCE_WAIT_S", 0.05):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"agent_id": "track-pi"}
        )
    assert result["errors"] == {"base": "agent_not_found"}

    # finding the retained announce is tested against a real broker in test_agent_flow.py


def test_beacon_company_id_matches_manifest() -> None:
    assert beacon.COMPANY_ID == 65535
