"""Constants of the goal-sensor and table kinds."""

from __future__ import annotations

from typing import Final

CONF_KEY: Final = "key"
CONF_SIDE: Final = "side"
CONF_TEAM: Final = "team"
SIDES: Final = ("home", "away")

# goal sensor options
CONF_HEARTBEAT_MIN: Final = "heartbeat_min"
DEFAULT_HEARTBEAT_MIN: Final = 30

# table entries: the two goal sensors (by address) and the target
CONF_HOME: Final = "home"
CONF_AWAY: Final = "away"
CONF_GOALS_TO_WIN: Final = "goals_to_win"

MANUFACTURER: Final = "Edge Hub"
MODEL: Final = "Goal sensor"
TABLE_MODEL: Final = "Table"

# a sensor advertises for up to 3 s after a goal (docs/protocol.md §2.5)
ACK_WINDOW_S: Final = 3.0
ACK_CONNECT_ATTEMPTS: Final = 2
STORE_VERSION: Final = 1
STORE_DELAY_S: Final = 1.0
# grace after two missed heartbeats: the sensor's RTC clock drifts a few percent
MIN_AVAILABILITY_GRACE_S: Final = 60.0

EVENT_GOAL: Final = "goal"
TABLE_EVENT_TYPES: Final = ("game_started", "game_won", "game_reset")
