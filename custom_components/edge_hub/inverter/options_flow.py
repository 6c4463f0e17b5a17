"""Options of an inverter entry: poll interval per tier and the pause between requests."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers import selector

from ..compat import vol
from .const import CONF_PROFILE, CONF_REQUEST_GAP, TIER_OPTIONS
from .settings import default_request_gap_ms


def _seconds(minimum: int, maximum: int) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement="s",
            mode=selector.NumberSelectorMode.BOX,
        )
    )


class InverterOptionsFlow(OptionsFlowWithReload):
    """One form: fast (power, frequency), medium (voltages, temperatures), slow (energy).

    Changed options reload the entry, which then polls with them.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The options live in one form with an inverter-specific step ID."""
        return await self.async_step_inverter_polling(user_input)

    async def async_step_inverter_polling(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the polling options."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        options = self.config_entry.options
        profile = self.config_entry.data.get(CONF_PROFILE, "")
        fields: dict[Any, Any] = {}
        for option, default in TIER_OPTIONS.values():
            fields[vol.Required(option, default=options.get(option, default))] = _seconds(1, 3600)
        fields[
            vol.Required(
                CONF_REQUEST_GAP,
                default=options.get(CONF_REQUEST_GAP, default_request_gap_ms(profile)),
            )
        ] = selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=0,
                max=2000,
                step=10,
                unit_of_measurement="ms",
                mode=selector.NumberSelectorMode.BOX,
            )
        )
        return self.async_show_form(step_id="inverter_polling", data_schema=vol.Schema(fields))
