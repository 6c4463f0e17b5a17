"""button entities of Edge Hub; each entry's kind decides which it has."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .models import EdgeHubConfigEntry

# coordinators and push updates feed these entities; actions are serialised per device
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EdgeHubConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Hand the platform to the entry's runtime."""
    await entry.runtime_data.async_setup_platform(Platform.BUTTON, async_add_entities)
