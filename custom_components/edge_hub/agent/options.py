"""The options flow of edge agents: a menu to which each feature adds its steps.

A feature contributes a mixin (steps + a `_NAME_menu()` listing its menu entries when they
apply); add the mixin to the bases and its menu to `async_step_init`.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult

from ..laps.options import LapsOptionsSteps


class AgentOptionsFlow(LapsOptionsSteps):
    """Options of one edge agent."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        menu = [*self._laps_menu()]
        if not menu:
            return self.async_abort(reason="no_agent_options")
        return self.async_show_menu(step_id="init", menu_options=menu)
