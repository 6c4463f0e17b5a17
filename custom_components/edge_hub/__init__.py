"""The Edge Hub integration: hobby and lab hardware in Home Assistant.

Each config entry is one device kind (see const.EntryKind); its package builds a
KindRuntime that the platform modules ask for their entities.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import CONF_KIND, DOMAIN, EntryKind
from .kinds import async_get_kind
from .models import EdgeHubConfigEntry
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, whatever entries exist)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EdgeHubConfigEntry) -> bool:
    """Set up one entry through its kind's package."""
    kind = await async_get_kind(hass, EntryKind(entry.data[CONF_KIND]))
    runtime = await kind.async_setup_entry(hass, entry)
    entry.runtime_data = runtime
    await hass.config_entries.async_forward_entry_setups(entry, runtime.platforms)
    # data starts flowing only once every platform has subscribed its entities
    await runtime.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EdgeHubConfigEntry) -> bool:
    """Unload an entry: platforms first, then everything its kind started."""
    runtime = entry.runtime_data
    if not await hass.config_entries.async_unload_platforms(entry, runtime.platforms):
        return False
    await runtime.async_unload()
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: EdgeHubConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device when the entry's kind allows it."""
    return await entry.runtime_data.async_remove_device(device)
