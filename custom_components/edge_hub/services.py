"""Integration-wide actions (registered in async_setup, whatever entries exist)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback

from .laps.services import async_setup_race_services
from .reactor.services import async_setup_reactor_services


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of every kind (each kind adds its own here)."""
    async_setup_race_services(hass)
    async_setup_reactor_services(hass)
