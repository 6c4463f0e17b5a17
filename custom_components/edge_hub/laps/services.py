"""Race actions for automations: edge_hub.start_race, pause_race, resume_race, stop_race,
reset_race. The lap counter is chosen by its config entry or by a device (the agent or one of
its cars); with neither, the only lap counter there is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from ..compat import vol
from ..const import DOMAIN
from ..edge_hub_core.race import Mode
from .const import LAPS_FEATURES
from .feature import LapsFeature

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_DEVICE_ID: Final = "device_id"
ATTR_MODE: Final = "mode"
ATTR_LAPS: Final = "laps"
ATTR_MINUTES: Final = "minutes"
ATTR_COUNTDOWN: Final = "countdown"

_TARGET: Final = {
    vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    vol.Optional(ATTR_DEVICE_ID): cv.string,
}
START_SCHEMA: Final = vol.Schema(
    {
        **_TARGET,
        vol.Optional(ATTR_MODE): vol.In([mode.value for mode in Mode]),
        vol.Optional(ATTR_LAPS): vol.All(vol.Coerce(int), vol.Range(min=1, max=9999)),
        vol.Optional(ATTR_MINUTES): vol.All(vol.Coerce(float), vol.Range(min=0.1, max=1440)),
        vol.Optional(ATTR_COUNTDOWN): vol.All(vol.Coerce(int), vol.Range(min=0, max=600)),
    }
)
CONTROL_SCHEMA: Final = vol.Schema(_TARGET)


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def lap_counter(hass: HomeAssistant, data: dict[str, Any]) -> LapsFeature:
    """The lap counter an action is for; a translated error when there is none."""
    features = hass.data.get(LAPS_FEATURES, {})
    entry_id = data.get(ATTR_CONFIG_ENTRY_ID)
    device_id = data.get(ATTR_DEVICE_ID)
    if entry_id is not None and device_id is not None:
        raise _error("race_target_ambiguous")
    if device_id is not None:
        device = dr.async_get(hass).async_get(device_id)
        if device is None:
            raise _error("device_not_found", device_id=device_id)
        for candidate in _device_entries(device):
            if candidate in features:
                return features[candidate]
        raise _error("no_lap_counter", target=device.name_by_user or device.name or device_id)
    if entry_id is None:
        if len(features) == 1:
            return next(iter(features.values()))
        raise _error("race_target_required")
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _error("entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _error("entry_not_loaded", target=entry.title)
    if entry_id not in features:
        raise _error("no_lap_counter", target=entry.title)
    return features[entry_id]


def _device_entries(device: Any) -> set[str]:
    """The config entries of a device (HA 2026.10: exactly one, `config_entry_id`; a
    DeviceEntry or, there, a ChildDeviceEntry)."""
    entry_id: str | None = getattr(device, "config_entry_id", None)
    return {entry_id} if entry_id else set(device.config_entries)


async def _start(call: ServiceCall) -> None:
    lap_counter(call.hass, dict(call.data)).start_race(
        mode=call.data.get(ATTR_MODE),
        laps=call.data.get(ATTR_LAPS),
        minutes=call.data.get(ATTR_MINUTES),
        countdown=call.data.get(ATTR_COUNTDOWN),
    )


def _control(action: Callable[[LapsFeature], None]) -> Callable[[ServiceCall], Any]:
    async def handler(call: ServiceCall) -> None:
        action(lap_counter(call.hass, dict(call.data)))

    return handler


@callback
def async_setup_race_services(hass: HomeAssistant) -> None:
    """Register the race actions (once, at integration set-up)."""
    hass.services.async_register(DOMAIN, "start_race", _start, schema=START_SCHEMA)
    for name, action in (
        ("pause_race", LapsFeature.pause_race),
        ("resume_race", LapsFeature.resume_race),
        ("stop_race", LapsFeature.stop_race),
        ("reset_race", LapsFeature.reset_race),
    ):
        hass.services.async_register(DOMAIN, name, _control(action), schema=CONTROL_SCHEMA)
