"""Config flow steps for solar inverters over Modbus TCP."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT

from ..compat import vol
from ..const import CONF_KIND, EntryKind
from .const import CONF_PROFILE, CONF_UNIT_ID, DEFAULT_PORT, DEFAULT_UNIT_ID
from .probe import ProbeError, async_probe


def _schema(defaults: dict[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): str,
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=65535)
            ),
            vol.Required(
                CONF_UNIT_ID, default=defaults.get(CONF_UNIT_ID, DEFAULT_UNIT_ID)
            ): vol.All(vol.Coerce(int), vol.Range(min=0, max=247)),
        }
    )


class InverterFlow(ConfigFlow):
    """Step: inverter (host, port, unit id) → probe → entry with the serial as unique id."""

    async def async_step_inverter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the inverter's address and identify it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                found = await async_probe(
                    user_input[CONF_HOST], user_input[CONF_PORT], user_input[CONF_UNIT_ID]
                )
            except ProbeError as err:
                errors["base"] = err.reason
            else:
                await self.async_set_unique_id(found.serial)
                self._abort_if_unique_id_configured(updates=user_input)
                return self.async_create_entry(
                    title=f"{found.manufacturer} {found.model}",
                    data={CONF_KIND: EntryKind.INVERTER, CONF_PROFILE: found.profile, **user_input},
                )
        return self.async_show_form(
            step_id="inverter", data_schema=_schema(user_input or {}), errors=errors
        )
