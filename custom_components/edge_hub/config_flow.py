"""Config flow of Edge Hub: a menu of device kinds, each kind its own entry and flow steps.

The steps of each kind live in that kind's package (inverter/flow.py, goal/flow.py,
agent/flow.py) as ConfigFlow mixins, so this module only assembles them.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
from homeassistant.core import callback

from .agent.flow import AgentFlow
from .const import CONF_KIND, DOMAIN, EntryKind
from .goal.flow import GoalFlow
from .inverter.flow import InverterFlow
from .options import OPTIONS_FLOWS


class EdgeHubConfigFlow(InverterFlow, GoalFlow, AgentFlow, domain=DOMAIN):
    """Add an inverter, a goal sensor or an edge agent."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the kind of device to add."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                EntryKind.INVERTER,
                EntryKind.GOAL_SENSOR,
                EntryKind.EDGE_AGENT,
                EntryKind.TABLE,
            ],
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """The options flow of the entry's kind."""
        return OPTIONS_FLOWS[EntryKind(config_entry.data[CONF_KIND])]()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only kinds with options show the Configure button."""
        return EntryKind(config_entry.data[CONF_KIND]) in OPTIONS_FLOWS
