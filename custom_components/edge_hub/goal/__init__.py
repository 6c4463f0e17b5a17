"""The goal-sensor kind of Edge Hub entries: BLE goal beacons through HA's Bluetooth stack.

Imported only when a goal-sensor entry is set up (kinds.py), so users without one never load
the Bluetooth stack through Edge Hub.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.setup import async_setup_component

from ..models import EdgeHubConfigEntry, KindModule, KindRuntime
from .runtime import GoalRuntime


class _GoalKind(KindModule):
    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        # bluetooth is an after_dependency (inverter-only users never need it)
        if not await async_setup_component(hass, "bluetooth", {}):
            raise ConfigEntryNotReady("Home Assistant's Bluetooth integration is not set up")
        runtime = GoalRuntime(hass, entry)
        await runtime.async_load()
        return runtime


KIND: KindModule = _GoalKind()
