"""Adding an edge agent with a real broker: MQTT discovery, and the manual step by id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from tests.broker import Broker

from .agent_support import FakeAgent, patch_features, setup_mqtt, until


@pytest.fixture
async def mqtt_entry(hass: HomeAssistant, broker: Broker) -> AsyncIterator[MockConfigEntry]:
    entry = await setup_mqtt(hass, broker.port)
    yield entry
    for other in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(other.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_announce_starts_discovery(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, broker: Broker
) -> None:
    agent = FakeAgent(broker.port, "lab-pi")
    try:
        agent.announce()
        agent.online()

        def flows() -> list[config_entries.ConfigFlowResult]:
            return hass.config_entries.flow.async_progress_by_handler(DOMAIN)

        await until(flows, what="a discovery flow")
        [flow] = flows()
        assert flow["context"]["source"] == config_entries.SOURCE_MQTT
        assert flow["context"]["unique_id"] == "lab-pi"
        with patch_features():
            result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
            assert result["type"] is FlowResultType.CREATE_ENTRY
            assert result["title"] == "Test Pi"
            await hass.async_block_till_done()
            entry = result["result"]
            await until(lambda: entry.runtime_data.available, what="the agent online")
    finally:
        agent.close()


async def test_manual_step_finds_the_retained_announce(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, broker: Broker
) -> None:
    agent = FakeAgent(broker.port, "track-pi")
    try:
        agent.announce()
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": config_entries.SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "edge_agent"}
        )
        assert result["step_id"] == "edge_agent"
        with patch("custom_components.edge_hub.agent.flow.ANNOUNCE_WAIT_S", 0.5):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {"agent_id": "nobody-here"}
            )
        assert result["errors"] == {"base": "agent_not_found"}
        with patch_features():
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {"agent_id": " Track-Pi "}
            )
            assert result["type"] is FlowResultType.CREATE_ENTRY
            assert result["title"] == "Test Pi"
            assert result["data"] == {CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": "track-pi"}
            await hass.async_block_till_done()
    finally:
        agent.close()
