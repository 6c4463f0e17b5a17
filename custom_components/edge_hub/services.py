"""Integration-wide actions (registered in async_setup, whatever entries exist)."""

from __future__ import annotations

from typing import Any

from homeassistant.const import Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import service
from homeassistant.helpers.entity import Entity

from .compat import vol
from .const import DOMAIN

# --- reactor: EZO calibration of a sensor entity (the agent's answer is the response) ---
SERVICE_CALIBRATE = "calibrate"
ATTR_STEP = "step"
ATTR_VALUE = "value"
CALIBRATION_STEPS = ("mid", "low", "high", "clear", "dry")


async def _async_calibrate(entity: Entity, call: ServiceCall) -> ServiceResponse:
    # duck-typed, so registering the action never imports the reactor package
    calibrate: Any = getattr(entity, "async_calibrate", None)
    if calibrate is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_reactor_sensor",
            translation_placeholders={"entity": entity.entity_id},
        )
    result: dict[str, Any] = await calibrate(call.data[ATTR_STEP], call.data.get(ATTR_VALUE))
    return result


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of every kind (each kind adds its own here)."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_CALIBRATE,
        entity_domain=Platform.SENSOR,
        schema={
            vol.Required(ATTR_STEP): vol.In(CALIBRATION_STEPS),
            vol.Optional(ATTR_VALUE): vol.Coerce(float),
        },
        func=_async_calibrate,
        supports_response=SupportsResponse.OPTIONAL,
    )
