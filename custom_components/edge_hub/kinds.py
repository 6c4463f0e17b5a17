"""Loads the package of one entry kind only when an entry of that kind is set up.

An inverter-only user therefore never imports the Bluetooth or MQTT code (nor their
libraries), and the manifest needs them only as after_dependencies.
"""

from __future__ import annotations

import importlib

from homeassistant.core import HomeAssistant

from .const import EntryKind
from .models import KindModule

_PACKAGES: dict[EntryKind, str] = {
    EntryKind.INVERTER: "inverter",
    EntryKind.GOAL_SENSOR: "goal",
    EntryKind.EDGE_AGENT: "agent",
    EntryKind.TABLE: "goal.table",
}


async def async_get_kind(hass: HomeAssistant, kind: EntryKind) -> KindModule:
    """The KindModule of `kind`, imported in HA's import executor (never in the loop)."""
    name = f"{__package__}.{_PACKAGES[kind]}"
    module = await hass.async_add_import_executor_job(importlib.import_module, name)
    kind_module: KindModule = module.KIND
    return kind_module
