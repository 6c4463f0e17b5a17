"""Config flow steps for edge agents, discovered when they announce themselves over MQTT."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.core import callback
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo

from ..compat import vol
from ..const import CONF_KIND, EntryKind
from ..edge_hub_core import protocol
from .const import ANNOUNCE_WAIT_S, CONF_AGENT_ID


def _parse_announce(topic: str, payload: str | bytes | bytearray) -> protocol.Announce | None:
    try:
        agent_id, leaf = protocol.split_topic(topic)
        if leaf != protocol.ANNOUNCE:
            return None
        return protocol.parse_announce(protocol.decode_payload(payload), agent_id)
    except protocol.ProtocolError:
        return None


class AgentFlow(ConfigFlow):
    """Steps: mqtt (discovery) → mqtt_confirm, or edge_agent (menu, by agent id)."""

    _announce: protocol.Announce | None = None

    async def async_step_mqtt(self, discovery_info: MqttServiceInfo) -> ConfigFlowResult:
        """An agent announced itself on edge_hub/<agent_id>/announce."""
        announce = _parse_announce(discovery_info.topic, discovery_info.payload)
        if announce is None:
            # an empty retained payload (agent gone) or anything not an announce
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(announce.agent_id)
        # a known agent re-announcing updates itself through its own subscription
        self._abort_if_unique_id_configured()
        self._announce = announce
        self.context["title_placeholders"] = {"name": announce.name}
        return await self.async_step_mqtt_confirm()

    async def async_step_mqtt_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding a discovered agent."""
        assert self._announce is not None
        if user_input is not None:
            return self._async_create_agent_entry(self._announce)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="mqtt_confirm",
            description_placeholders={
                "name": self._announce.name,
                "agent_id": self._announce.agent_id,
            },
        )

    async def async_step_edge_agent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add an agent by its id (it must have announced itself on the broker)."""
        # imported here: only edge agents need the mqtt component (an after_dependency)
        from homeassistant.components import mqtt  # noqa: PLC0415

        if not mqtt.util.mqtt_config_entry_enabled(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            agent_id = user_input[CONF_AGENT_ID].strip().lower()
            if not protocol.is_valid_agent_id(agent_id):
                errors[CONF_AGENT_ID] = "invalid_agent_id"
            else:
                await self.async_set_unique_id(agent_id, raise_on_progress=False)
                self._abort_if_unique_id_configured()
                announce = await self._async_wait_for_announce(agent_id)
                if announce is not None:
                    return self._async_create_agent_entry(announce)
                errors["base"] = "agent_not_found"
        return self.async_show_form(
            step_id="edge_agent",
            data_schema=vol.Schema({vol.Required(CONF_AGENT_ID): str}),
            errors=errors,
        )

    async def _async_wait_for_announce(self, agent_id: str) -> protocol.Announce | None:
        """The agent's retained announce, if the broker has one within a few seconds."""
        from homeassistant.components import mqtt  # noqa: PLC0415

        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            return None
        found: asyncio.Future[protocol.Announce] = self.hass.loop.create_future()

        @callback  # in the event loop: HA runs undecorated callbacks in a worker thread
        def _received(msg: mqtt.ReceiveMessage) -> None:
            announce = _parse_announce(msg.topic, msg.payload)
            if announce is not None and not found.done():
                found.set_result(announce)

        unsubscribe = await mqtt.async_subscribe(
            self.hass, protocol.topic(agent_id, protocol.ANNOUNCE), _received, qos=1
        )
        try:
            async with asyncio.timeout(ANNOUNCE_WAIT_S):
                return await found
        except TimeoutError:
            return None
        finally:
            unsubscribe()

    def _async_create_agent_entry(self, announce: protocol.Announce) -> ConfigFlowResult:
        return self.async_create_entry(
            title=announce.name,
            data={CONF_KIND: EntryKind.EDGE_AGENT, CONF_AGENT_ID: announce.agent_id},
        )
