"""The reactor's action: EZO calibration of a sensor entity; the agent's answer is the
action's response (`edge_hub.calibrate`, see services.yaml)."""

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

from ..compat import vol
from ..const import DOMAIN
from ..edge_hub_core.reactor import CALIBRATION_ACTIONS

SERVICE_CALIBRATE = "calibrate"
ATTR_STEP = "step"
ATTR_VALUE = "value"


async def _async_calibrate(entity: Entity, call: ServiceCall) -> ServiceResponse:
    calibrate: Any = getattr(entity, "async_calibrate", None)
    if calibrate is None:  # another edge_hub sensor (an inverter's, a last-seen...)
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_reactor_sensor",
            translation_placeholders={"entity": entity.entity_id},
        )
    result: dict[str, Any] = await calibrate(call.data[ATTR_STEP], call.data.get(ATTR_VALUE))
    return result


@callback
def async_setup_reactor_services(hass: HomeAssistant) -> None:
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_CALIBRATE,
        entity_domain=Platform.SENSOR,
        schema={
            vol.Required(ATTR_STEP): vol.In(CALIBRATION_ACTIONS),
            vol.Optional(ATTR_VALUE): vol.Coerce(float),
        },
        func=_async_calibrate,
        supports_response=SupportsResponse.OPTIONAL,
    )
