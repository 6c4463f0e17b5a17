"""An edge agent's Bluetooth scanner as a remote scanner, through a real mosquitto: adverts
published on edge_hub/<agent_id>/ble reach HA's Bluetooth stack and count goals exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
import paho.mqtt.client as paho
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.agent.feature import AgentContext, async_get_feature_factory
from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from tests.broker import Broker

from .ble import ADDRESS
from .goal_support import bluetooth_ready, payload, raw_advert, setup_goal_entry

__all__ = ["bluetooth_ready"]

pytestmark = pytest.mark.usefixtures("bluetooth_ready")
AGENT = "table-pi"
SOURCE = "D8:3A:DD:00:00:01"


async def _setup_mqtt(hass: HomeAssistant, broker: Broker) -> None:
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": "127.0.0.1", "port": broker.port},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    with patch("homeassistant.config.async_hass_config_yaml", return_value={}):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def _context(hass: HomeAssistant) -> AgentContext:
    agent_entry = MockConfigEntry(
        domain=DOMAIN, title="Table Pi", data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": AGENT}
    )
    agent_entry.add_to_hass(hass)

    async def _no_commands(_cmd: str, _args: Any) -> dict[str, Any]:
        return {}

    return AgentContext(
        hass=hass,
        entry=agent_entry,
        agent_id=AGENT,
        device_info=DeviceInfo(identifiers={(DOMAIN, AGENT)}),
        send_command=_no_commands,
        is_online=lambda: True,
        schedule_save=lambda: None,
    )


class _Agent:
    """Publishes like an agent: its own connection to the broker, QoS 0."""

    def __init__(self, broker: Broker) -> None:
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="test-agent")
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def publish(self, *messages: bytes) -> None:
        for message in messages:
            self.client.publish(f"edge_hub/{AGENT}/ble", message, qos=0).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def agent(broker: Broker) -> Iterator[_Agent]:
    publisher = _Agent(broker)
    yield publisher
    publisher.close()


def _adverts(*payloads: bytes, rssi: int = -55) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "adverts": [
                {
                    "address": ADDRESS,
                    "rssi": rssi,
                    "connectable": True,
                    "raw": raw_advert(data).hex(),
                    "ts": time.time(),
                }
                for data in payloads
            ],
        }
    ).encode()


def _goals_state(hass: HomeAssistant) -> str | None:
    from homeassistant.helpers import entity_registry as er

    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{ADDRESS}-goals")
    state = hass.states.get(found) if found else None
    return state.state if state else None


async def _publish_until(hass: HomeAssistant, agent: _Agent, data: bytes, goals: str) -> None:
    """Publish until the goal count shows `goals`: a QoS 0 message sent before HA's
    subscription is active is lost, so it is resent (counting is idempotent anyway)."""
    for _ in range(100):
        await hass.async_add_executor_job(agent.publish, data)
        for _ in range(5):
            await asyncio.sleep(0.02)
            await hass.async_block_till_done()
            if _goals_state(hass) == goals:
                return
    raise AssertionError(f"the goal count never became {goals}: {_goals_state(hass)}")


async def test_agent_adverts_count_goals_through_a_real_broker(
    hass: HomeAssistant, broker: Broker, agent: _Agent
) -> None:
    await _setup_mqtt(hass, broker)
    await setup_goal_entry(hass)
    factory = await async_get_feature_factory(hass, "ble_scanner")
    assert factory is not None
    feature = factory(_context(hass), {"source": SOURCE.lower(), "adapter": "hci0"})
    await hass.async_block_till_done()
    assert bluetooth.async_scanner_by_source(hass, SOURCE) is not None

    # the first goal, heard only by the Pi
    await _publish_until(hass, agent, _adverts(payload(1)), "1")
    # 20 repeats of goal 2 in one message count once
    await _publish_until(hass, agent, _adverts(*[payload(2)] * 20), "2")
    # goals 3 and 4 were missed: goal 5 recovers them
    await _publish_until(hass, agent, _adverts(payload(5, since_ds=40)), "5")

    # garbage on the topic is dropped and counted, never raised
    await hass.async_add_executor_job(agent.publish, b"{not json", b'{"v": 1, "adverts": 3}')
    for _ in range(100):
        if feature.diagnostics()["stats"].get("bad_field"):
            break
        await asyncio.sleep(0.02)
    stats = feature.diagnostics()["stats"]
    assert stats["invalid_json"] == 1
    assert stats["bad_field"] == 1
    assert stats["adverts"] >= 22
    assert _goals_state(hass) == "5"

    await feature.async_unload()
    await hass.async_block_till_done()
    assert bluetooth.async_scanner_by_source(hass, SOURCE) is None
