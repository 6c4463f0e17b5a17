"""Constants of the goal-sensor kind."""

from __future__ import annotations

from typing import Final

CONF_KEY: Final = "key"
CONF_SIDE: Final = "side"
CONF_TEAM: Final = "team"
SIDES: Final = ("home", "away")
