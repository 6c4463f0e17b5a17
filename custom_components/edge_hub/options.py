"""Options flows, one per kind that has options (a kind without one shows no Configure)."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.config_entries import OptionsFlow

from .agent.options import AgentOptionsFlow
from .const import EntryKind
from .goal.flow import GoalOptionsFlow
from .inverter.options_flow import InverterOptionsFlow

OPTIONS_FLOWS: dict[EntryKind, Callable[[], OptionsFlow]] = {
    EntryKind.EDGE_AGENT: AgentOptionsFlow,
    EntryKind.GOAL_SENSOR: GoalOptionsFlow,
    EntryKind.INVERTER: InverterOptionsFlow,
}
