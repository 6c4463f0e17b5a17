"""Constants of the lap counter (the `laps` capability of edge agents)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN

if TYPE_CHECKING:
    from .feature import LapsFeature

CAPABILITY: Final = "laps"

# entry.options[OPT_CARS][car] = {CONF_DRIVER: ..., CONF_CAR_NAME: ...} (the options flow)
OPT_CARS: Final = "cars"
CONF_DRIVER: Final = "driver"
CONF_CAR_NAME: Final = "car_name"

# the loaded lap counters by config entry id, for the actions and the options flow
LAPS_FEATURES: HassKey[dict[str, LapsFeature]] = HassKey(f"{DOMAIN}_laps")

CAR_EVENT_TYPES: Final = ["lap_completed", "personal_best", "track_record"]
RACE_EVENT_TYPES: Final = ["race_started", "race_finished", "track_record"]

# how often the race clock entities (elapsed, remaining, countdown) refresh while a race is on
CLOCK_INTERVAL_S: Final = 1.0
