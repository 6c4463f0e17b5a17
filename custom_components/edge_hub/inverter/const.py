"""Constants of the inverter kind."""

from __future__ import annotations

from typing import Final

CONF_UNIT_ID: Final = "unit_id"
CONF_PROFILE: Final = "profile"
DEFAULT_PORT: Final = 502
DEFAULT_UNIT_ID: Final = 1

#: the profile choice meaning "detect it"
PROFILE_AUTO: Final = "auto"

# options: poll interval per tier (seconds) and the pause between two requests (ms)
CONF_FAST_INTERVAL: Final = "fast_interval"
CONF_MEDIUM_INTERVAL: Final = "medium_interval"
CONF_SLOW_INTERVAL: Final = "slow_interval"
CONF_REQUEST_GAP: Final = "request_gap"
#: tier -> (option, default seconds): power and frequency / voltages and temperatures / energy
TIER_OPTIONS: Final = {
    "fast": (CONF_FAST_INTERVAL, 5),
    "medium": (CONF_MEDIUM_INTERVAL, 30),
    "slow": (CONF_SLOW_INTERVAL, 60),
}

#: seconds pymodbus waits for one answer (an SDongle can be slow)
REQUEST_TIMEOUT: Final = 5.0
#: the longest wait between two attempts to reach a sleeping inverter (seconds)
MAX_BACKOFF: Final = 300.0
#: how long the config flow's probe waits for each answer (seconds)
PROBE_TIMEOUT: Final = 5.0
