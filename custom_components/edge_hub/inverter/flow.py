"""Config flow steps for solar inverters over Modbus TCP."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers import selector

from ..compat import vol
from ..const import CONF_KIND, EntryKind
from ..edge_hub_core.modbus_map import PROFILES
from .const import CONF_PROFILE, CONF_UNIT_ID, DEFAULT_PORT, DEFAULT_UNIT_ID, PROFILE_AUTO
from .link import ModbusLink
from .probe import ProbeError, ProbeResult, async_probe

ADDRESS_KEYS = (CONF_HOST, CONF_PORT, CONF_UNIT_ID)


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
            vol.Required(
                CONF_PROFILE, default=defaults.get(CONF_PROFILE, PROFILE_AUTO)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[PROFILE_AUTO, *PROFILES],
                    translation_key=CONF_PROFILE,
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            ),
        }
    )


async def _probe(user_input: dict[str, Any]) -> ProbeResult:
    profile = user_input.get(CONF_PROFILE, PROFILE_AUTO)
    return await async_probe(
        user_input[CONF_HOST],
        user_input[CONF_PORT],
        user_input[CONF_UNIT_ID],
        profile=None if profile == PROFILE_AUTO else profile,
    )


def _entry_data(user_input: dict[str, Any], found: ProbeResult) -> dict[str, Any]:
    return {
        **{key: user_input[key] for key in ADDRESS_KEYS},
        CONF_PROFILE: found.profile,
    }


def _running_link(entry: ConfigEntry) -> ModbusLink | None:
    """The link of a loaded inverter entry, if any."""
    coordinator = getattr(getattr(entry, "runtime_data", None), "coordinator", None)
    link = getattr(coordinator, "link", None)
    return link if isinstance(link, ModbusLink) else None


class InverterFlow(ConfigFlow):
    """Steps: inverter (address, profile) → probe → entry with the serial as unique ID;
    inverter_reconfigure for a new address of the same inverter."""

    async def async_step_inverter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the inverter's address and identify it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                found = await _probe(user_input)
            except ProbeError as err:
                errors["base"] = err.reason
            else:
                await self.async_set_unique_id(found.serial)
                data = _entry_data(user_input, found)
                # the same inverter at a new address: follow it
                self._abort_if_unique_id_configured(updates=data)
                return self.async_create_entry(
                    title=f"{found.manufacturer} {found.model}",
                    data={CONF_KIND: EntryKind.INVERTER, **data},
                )
        return self.async_show_form(
            step_id="inverter", data_schema=_schema(user_input or {}), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reconfigure: the inverter's entries get a new address; other kinds go on."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_KIND) != EntryKind.INVERTER:
            step = getattr(super(), "async_step_reconfigure", None)
            if step is None:
                return self.async_abort(reason="reconfigure_unsupported")
            result: ConfigFlowResult = await step(user_input)
            return result
        return await self.async_step_inverter_reconfigure()

    async def async_step_inverter_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new host, port or unit ID for the same inverter (same serial number)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                link = _running_link(entry)
                if link is not None and (link.host, link.port) == (
                    user_input[CONF_HOST],
                    user_input[CONF_PORT],
                ):
                    # the loaded entry holds the inverter's only Modbus connection
                    async with link.suspended():
                        found = await _probe(user_input)
                else:
                    found = await _probe(user_input)
            except ProbeError as err:
                errors["base"] = err.reason
            else:
                await self.async_set_unique_id(found.serial)
                self._abort_if_unique_id_mismatch()
                return self.async_update_reload_and_abort(
                    entry, data_updates=_entry_data(user_input, found)
                )
        defaults = {**entry.data, CONF_PROFILE: entry.data.get(CONF_PROFILE, PROFILE_AUTO)}
        return self.async_show_form(
            step_id="inverter_reconfigure",
            data_schema=_schema(user_input or defaults),
            errors=errors,
            description_placeholders={"name": entry.title},
        )
