"""Options flows, one per kind that has options (a kind without one shows no Configure)."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.config_entries import OptionsFlow

from .const import EntryKind
from .goal.flow import GoalOptionsFlow

OPTIONS_FLOWS: dict[EntryKind, Callable[[], OptionsFlow]] = {
    EntryKind.GOAL_SENSOR: GoalOptionsFlow,
}
