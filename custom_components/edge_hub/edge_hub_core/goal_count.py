"""Exactly-once goal counting from goal beacons (docs/protocol.md §2.3-2.4).

Pure and HA-free. A receiver counts by the beacon's goal counter, never by packets: however
many times a beacon is heard (repeats, several adapters, proxies, an agent's scanner), it adds
`goals - last_goals` once. With a device key it also rejects forged (`mic_failed`), replayed
(`replayed`) and downgraded (`downgrade`) beacons, counting each reason for diagnostics.

The whole state is one small JSON-able object (`GoalCount`), persisted by the caller after
every change, so a restart neither loses nor repeats a goal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from . import beacon


class Verdict(StrEnum):
    """What one received beacon did to the count."""

    FIRST = "first"  # the first beacon ever heard: the device's counter becomes the baseline
    COUNTED = "counted"  # new goals (one, or several recovered from a gap)
    REPEAT = "repeat"  # the same goal counter again: nothing to add
    RESET = "reset"  # the device's counter went back (memory lost): new baseline, adds nothing
    REJECTED = "rejected"  # invalid, forged, replayed or downgraded: changes nothing


@dataclass(slots=True)
class GoalCount:
    """The persisted state of one goal sensor."""

    total: int = 0  # goals counted by the receiver, across device counter resets
    game: int = 0  # goals since the current game started
    device_goals: int | None = None  # the device's goal counter last applied
    counter: int | None = None  # the highest accepted replay counter (encrypted beacons)
    last_goal_ts: float | None = None  # wall time of the last goal (None: unknown)
    last_seen_ts: float | None = None  # wall time of the last accepted beacon
    resets: int = 0  # device counter resets seen
    # hex of the payload carrying `counter`: the same packet heard again (another adapter, a
    # proxy, after a restart) is a harmless repeat, not a replay
    counter_payload: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> GoalCount:
        """Tolerant restore: a missing or malformed field keeps its default."""
        state = cls()
        if not isinstance(data, dict):
            return state
        for name, kinds in _FIELD_TYPES.items():
            value = data.get(name)
            if isinstance(value, kinds) and not isinstance(value, bool):
                setattr(state, name, value)
        return state


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "total": (int,),
    "game": (int,),
    "device_goals": (int,),
    "counter": (int,),
    "last_goal_ts": (int, float),
    "last_seen_ts": (int, float),
    "resets": (int,),
    "counter_payload": (str,),
}


@dataclass(frozen=True, slots=True)
class Applied:
    """The result of one received beacon."""

    verdict: Verdict
    beacon: beacon.GoalBeacon | None = None
    added: int = 0  # goals added to total and game
    reason: str | None = None  # why it was rejected

    @property
    def accepted(self) -> bool:
        return self.verdict is not Verdict.REJECTED


@dataclass(slots=True)
class GoalCounter:
    """Applies received beacons of one device to its GoalCount."""

    address: str
    key: bytes | None = None
    state: GoalCount = field(default_factory=GoalCount)
    #: rejections by reason (mic_failed, replayed, downgrade, bad_length...), for diagnostics
    rejected: Counter[str] = field(default_factory=Counter)

    def apply(self, payload: bytes, rx_ts: float) -> Applied:
        """Apply one manufacturer-data payload received at wall time `rx_ts`."""
        try:
            decoded = beacon.decode(payload, key=self.key, address=self.address)
        except beacon.BeaconError as err:
            return self._reject(err.reason)
        if self.key is not None and not decoded.encrypted:
            return self._reject("downgrade", decoded)
        if decoded.counter is not None:
            last = self.state.counter
            if last is not None and decoded.counter <= last:
                if decoded.counter == last and payload.hex() == self.state.counter_payload:
                    return Applied(Verdict.REPEAT, decoded)
                return self._reject("replayed", decoded)
            self.state.counter = decoded.counter
            self.state.counter_payload = payload.hex()
        return self._count(decoded, rx_ts)

    def new_game(self) -> None:
        """Start a new game: the game score goes back to 0, the total stays."""
        self.state.game = 0

    def _reject(self, reason: str, decoded: beacon.GoalBeacon | None = None) -> Applied:
        self.rejected[reason] += 1
        return Applied(Verdict.REJECTED, decoded, reason=reason)

    def _count(self, decoded: beacon.GoalBeacon, rx_ts: float) -> Applied:
        state = self.state
        state.last_seen_ts = rx_ts
        last = state.device_goals
        state.device_goals = decoded.goals
        if last is None:
            # first contact: adopt the device's total; the goal that woke it (a goal beacon,
            # not a timer heartbeat) counts for the current game and fires its event
            state.total = max(state.total, decoded.goals)
            if decoded.heartbeat or decoded.goals == 0:
                return Applied(Verdict.FIRST, decoded)
            state.game += 1
            state.last_goal_ts = _goal_ts(decoded, rx_ts)
            return Applied(Verdict.FIRST, decoded, added=1)
        if decoded.goals == last:
            return Applied(Verdict.REPEAT, decoded)
        if decoded.goals < last:
            # the device lost its counter (§2.4): the new value is the baseline, nothing added
            state.resets += 1
            return Applied(Verdict.RESET, decoded)
        added = decoded.goals - last
        state.total += added
        state.game += added
        state.last_goal_ts = _goal_ts(decoded, rx_ts)
        return Applied(Verdict.COUNTED, decoded, added=added)


def _goal_ts(decoded: beacon.GoalBeacon, rx_ts: float) -> float | None:
    """Goal time = reception time - since_goal (§2.4); None when the sensor does not know."""
    since = decoded.since_goal_s
    return None if since is None else rx_ts - since
