"""The goal kind of Edge Hub entries."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..models import EdgeHubConfigEntry, KindModule, KindRuntime


class _Runtime(KindRuntime):
    """Placeholder runtime: the kind's entities arrive with its family issue."""

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """No entities yet."""


class _Kind(KindModule):
    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        return _Runtime()


KIND: KindModule = _Kind()
