"""Diagnostics for Edge Hub entries (credentials and keys redacted)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .models import EdgeHubConfigEntry

TO_REDACT = {"password", "username", "key", "bindkey", "encryption_key", "tls_key", "token"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EdgeHubConfigEntry
) -> dict[str, Any]:
    """The entry's data and options, and what its kind reports about itself."""
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
            "version": entry.version,
            "minor_version": entry.minor_version,
        },
        "runtime": async_redact_data(entry.runtime_data.diagnostics(), TO_REDACT),
    }
