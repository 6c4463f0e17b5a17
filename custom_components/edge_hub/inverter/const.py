"""Constants of the inverter kind."""

from __future__ import annotations

from typing import Final

CONF_UNIT_ID: Final = "unit_id"
CONF_PROFILE: Final = "profile"
DEFAULT_PORT: Final = 502
DEFAULT_UNIT_ID: Final = 1
