"""The edge-agent kind of Edge Hub entries: a Raspberry Pi agent talking MQTT.

Kept light: the config flow imports this package (for agent/flow.py), so the runtime and
Home Assistant's MQTT integration are imported only when an agent entry is set up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady

from ..const import DOMAIN
from ..models import EdgeHubConfigEntry, KindModule, KindRuntime

if TYPE_CHECKING:
    from .runtime import AgentRuntime


class _Kind(KindModule):
    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        from homeassistant.components import mqtt  # noqa: PLC0415 - only for agent entries

        if not mqtt.util.mqtt_config_entry_enabled(hass):
            # not retried: nothing changes until the user sets up MQTT
            raise ConfigEntryError(translation_domain=DOMAIN, translation_key="mqtt_not_configured")
        if not await mqtt.async_wait_for_mqtt_client(hass):
            raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_ready")
        module = await hass.async_add_import_executor_job(
            importlib.import_module, f"{__package__}.runtime"
        )
        runtime: AgentRuntime = module.AgentRuntime(hass, entry)
        await runtime.async_load()
        return runtime


KIND: KindModule = _Kind()
