"""Typed runtime data shared by every kind of config entry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, TypeAlias

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback


class KindRuntime(ABC):
    """What one kind (inverter, goal sensor, edge agent) keeps for a loaded entry.

    The platform modules (sensor.py, button.py, ...) stay thin: they hand their
    `async_add_entities` to the entry's runtime, which knows its own entities.
    """

    platforms: tuple[Platform, ...] = ()

    @abstractmethod
    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add this entry's entities of `platform`."""

    async def async_start(self) -> None:
        """Start receiving data, once every platform has subscribed its entities."""

    async def async_unload(self) -> None:
        """Stop everything started by the kind (subscriptions, connections, timers)."""

    def diagnostics(self) -> dict[str, Any]:
        """Diagnostics of this entry (credentials redacted by the caller's rules)."""
        return {}

    async def async_remove_device(self, device: DeviceEntry) -> bool:
        """Whether the user may delete `device` of this entry (async_remove_config_entry_device)."""
        return False


EdgeHubConfigEntry: TypeAlias = ConfigEntry[KindRuntime]


class KindModule(ABC):
    """The entry points of one kind's package (edge_hub/<kind>/__init__.py exports KIND)."""

    @abstractmethod
    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        """Create the runtime of `entry`; raise ConfigEntryNotReady/Error on failure."""
