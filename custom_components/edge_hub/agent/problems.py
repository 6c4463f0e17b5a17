"""What an agent entry says about bad input: one log line each, never a flood.

docs/protocol.md §1.2: an invalid message is dropped with one log line naming the agent, the
topic and the reason; an oversized payload is logged once per agent, an unknown schema version
once per agent and version. On top of that, a misbehaving agent gets at most LOG_LIMIT lines
a minute; everything is also counted (diagnostics).
"""

from __future__ import annotations

from collections import Counter
import time
from typing import Any

from ..const import LOGGER
from ..edge_hub_core.protocol import ProtocolError

LOG_LIMIT = 20  # invalid messages logged per minute and agent


class ProblemLog:
    def __init__(self, agent_id: str, counters: Counter[str]) -> None:
        self._agent_id = agent_id
        self._counters = counters
        self._once: set[str] = set()
        self._window = float("-inf")
        self._logged = 0

    def rejected(self, topic: str, err: ProtocolError) -> None:
        self._counters[f"rejected_{err.reason}"] += 1
        if err.reason == "oversized":
            self.once("oversized", "dropped a message on %s: %s", topic, err)
            return
        if err.reason == "unknown_version":
            self.once(f"version:{err}", "dropped a message on %s: %s", topic, err)
            return
        now = time.monotonic()
        if now - self._window >= 60:
            self._window, self._logged = now, 0
        self._logged += 1
        if self._logged <= LOG_LIMIT:
            self._log(LOGGER.warning, "dropped a message on %s: %s", topic, err)
        elif self._logged == LOG_LIMIT + 1:
            self._log(LOGGER.warning, "more invalid messages this minute are only counted")
        else:
            self._log(LOGGER.debug, "dropped a message on %s: %s", topic, err)

    def once(self, key: str, message: str, *args: Any) -> None:
        """A warning the first time `key` comes up, debug after."""
        if key in self._once:
            self._log(LOGGER.debug, message, *args)
            return
        self._once.add(key)
        self._log(LOGGER.warning, message, *args)

    def _log(self, log: Any, message: str, *args: Any) -> None:
        log("Edge agent %s: %s", self._agent_id, message % args if args else message)
