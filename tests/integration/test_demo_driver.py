"""The demo's API driver (scripts/demo_lib) against a real HA instance, over real HTTP and
WebSocket connections, with a real broker: the MQTT integration set up through its own config
flow (the form's defaults filled in as the UI does), Edge Hub's menu, an edge agent found by
MQTT discovery from its retained announce and confirmed, and a second run of the same flows
finding everything already set up - what every family's entry in families.py relies on."""

from __future__ import annotations

import json
from pathlib import Path
import sys

import aiohttp
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.broker import Broker

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from demo_lib import flows  # noqa: E402
from demo_lib.families import MQTT_FLOW  # noqa: E402
from demo_lib.ha import HomeAssistant as Api  # noqa: E402
from demo_lib.settings import Settings  # noqa: E402
from demo_lib.spec import Flow  # noqa: E402

ANNOUNCE = {
    "v": 1,
    "agent_id": "track",
    "epoch": "5f0c2a9e1b7d4c30",
    "instance": "a1b2c3d4e5f60718",
    "name": "Slot-car track",
    "sw_version": "0.1.0",
    "capabilities": {},
}
AGENT_FLOW = Flow(
    handler="edge_hub",
    discovery="mqtt",
    unique_id="track",
    title="Slot-car track",
    answers={"mqtt_confirm": {}},
)


async def test_demo_drives_mqtt_menu_and_discovery(
    hass: HomeAssistant,
    broker: Broker,
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
    tmp_path: Path,
) -> None:
    # MQTT reads configuration.yaml when its entry is set up (YAML-configured entities)
    (tmp_path / "configuration.yaml").write_text("")
    hass.config.config_dir = str(tmp_path)
    # everything that adds HTTP views first: the server freezes its routes when it starts
    for component in ("config", "websocket_api", "mqtt"):
        assert await async_setup_component(hass, component, {})
    server = await hass_client()  # HA's app on a real loopback port
    settings = Settings(repo=REPO, mqtt_port=broker.port)
    async with aiohttp.ClientSession() as session:
        api = Api(session, str(server.make_url("")).rstrip("/"))
        api.token = hass_access_token

        assert await flows.drive(api, MQTT_FLOW, settings, 30) == "created '127.0.0.1'"
        await hass.async_block_till_done()
        [entry] = await api.entries("mqtt")
        assert entry["state"] == "loaded"

        options = await flows.menu_options(api, "edge_hub")
        assert {"inverter", "goal_sensor", "edge_agent"} <= set(options)
        assert await api.discovery_flows() == []  # the menu's flow was not left behind

        # the agent announces itself (retained), HA's MQTT discovery starts the flow
        await mqtt.async_publish(
            hass, "edge_hub/track/announce", json.dumps(ANNOUNCE), qos=1, retain=True
        )
        assert await flows.drive(api, AGENT_FLOW, settings, 30) == "created 'Slot-car track'"
        [agent] = await api.entries("edge_hub")
        assert agent["title"] == "Slot-car track"

        # a second run of the demo drives the same flows again
        assert await flows.drive(api, MQTT_FLOW, settings, 30) == "already set up"
        assert await flows.drive(api, AGENT_FLOW, settings, 30) == "already set up"
        assert len(await api.entries("edge_hub")) == 1

    for config_entry in hass.config_entries.async_entries():
        await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
