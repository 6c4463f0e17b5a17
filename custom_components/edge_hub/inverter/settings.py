"""An inverter entry's polling settings: its options, or the defaults of its map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..edge_hub_core.modbus_map import MapError, load_raw
from .const import CONF_REQUEST_GAP, TIER_OPTIONS


def default_request_gap_ms(profile: str) -> int:
    """The pause between requests the profile's map asks for (ms)."""
    try:
        return int(load_raw(profile).get("request_gap_ms", 0))
    except MapError:
        return 0


def tier_intervals(options: Mapping[str, Any]) -> dict[str, float]:
    """Seconds between polls of each tier."""
    return {
        tier: float(options.get(option, default))
        for tier, (option, default) in TIER_OPTIONS.items()
    }


def request_gap_s(options: Mapping[str, Any], profile: str) -> float:
    """Seconds between two requests."""
    return float(options.get(CONF_REQUEST_GAP, default_request_gap_ms(profile))) / 1000
