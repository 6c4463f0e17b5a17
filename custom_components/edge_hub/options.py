"""Options flows, one per kind that has options (a kind without one shows no Configure)."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.config_entries import OptionsFlow

from .const import EntryKind
from .inverter.options_flow import InverterOptionsFlow

OPTIONS_FLOWS: dict[EntryKind, Callable[[], OptionsFlow]] = {}
OPTIONS_FLOWS[EntryKind.INVERTER] = InverterOptionsFlow
