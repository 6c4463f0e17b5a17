"""The state the reactor feature derives from applied records (persisted through `state()`).

Plain slotted objects on purpose: a board's readings record is applied on the event loop for
every sampling round of every agent (100 boards x 45 sensors every 5 s is 900 readings/s), so
applying one reading is a few attribute reads and writes, nothing more.
"""

from __future__ import annotations

from typing import Any

from ..edge_hub_core.reactor import STATUS_OK


class SensorState:
    """One measurement's latest applied reading."""

    __slots__ = ("entity", "error", "last_seen", "status", "value")

    def __init__(
        self,
        value: float | None = None,
        status: str | None = None,
        error: str | None = None,
        last_seen: float | None = None,
    ) -> None:
        self.value = value
        self.status = status
        self.error = error
        self.last_seen = last_seen
        # the entity showing it (None until the capability announces the sensor)
        self.entity: Any = None

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    def dump(self) -> list[Any]:
        return [self.value, self.status, self.error, self.last_seen]

    @classmethod
    def load(cls, raw: Any) -> SensorState | None:
        if not isinstance(raw, list) or len(raw) != 4:
            return None
        value, status, error, last_seen = raw
        if not (value is None or isinstance(value, int | float)):
            return None
        if not (last_seen is None or isinstance(last_seen, int | float)):
            return None
        return cls(
            value,
            status if isinstance(status, str) else None,
            error if isinstance(error, str) else None,
            last_seen,
        )


class OutputState:
    """An output's state as the agent confirmed it."""

    __slots__ = ("entity", "state", "value")

    def __init__(self, state: bool | None = None, value: float | None = None) -> None:
        self.state = state
        self.value = value
        self.entity: Any = None

    def dump(self) -> list[Any]:
        return [self.state, self.value]

    @classmethod
    def load(cls, raw: Any) -> OutputState | None:
        if not isinstance(raw, list) or len(raw) != 2:
            return None
        state, value = raw
        if not (state is None or isinstance(state, bool)):
            return None
        if not (value is None or isinstance(value, int | float)) or isinstance(value, bool):
            return None
        return cls(state, value)
