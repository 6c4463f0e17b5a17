"""Constants of the edge-agent kind."""

from __future__ import annotations

from typing import Final

CONF_AGENT_ID: Final = "agent_id"
ANNOUNCE_WAIT_S: Final = 5.0
