"""Constants of the Edge Hub integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "edge_hub"
LOGGER = logging.getLogger(__package__)

CONF_KIND: Final = "kind"


class EntryKind(StrEnum):
    """What one config entry stands for: each kind is its own config entry."""

    INVERTER = "inverter"
    GOAL_SENSOR = "goal_sensor"
    EDGE_AGENT = "edge_agent"
    TABLE = "table"  # two goal sensors paired into one table (goal/table.py)


# every platform any kind may use; each entry forwards only its runtime's own (an edge agent's
# entry takes them all, since features announced later may add entities to any of them)
ALL_PLATFORMS: Final[tuple[Platform, ...]] = (
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
)
