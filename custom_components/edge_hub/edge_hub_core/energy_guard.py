"""Energy counters that never go backwards (the Energy dashboard's top complaint).

Home Assistant treats a drop of more than 10 % in a total_increasing sensor as a meter
reset: an inverter that reads 12345 kWh, then 0 (asleep, a glitch, a half-written
register), then 12345 again makes the dashboard count 12345 kWh twice. So:

* a lifetime counter publishes nothing but its first positive value and increases from
  there; zeros, drops and unknowns keep the last good value;
* an increase faster than the inverter could produce (max_power_w over the elapsed time,
  plus a minute of slack) is garbage and is held back too - it is accepted once time has
  made it plausible, so a legitimate jump (HA was down for a week) only waits;
* a daily counter may go down once per local day - its midnight reset - and only when two
  polls running agree on the lower value, so a single glitch is never taken for a reset
  (the day it is first seen counts as reset already: a drop then is a glitch);
* DailyFromTotal gives a daily counter to devices that only have a lifetime one (SunSpec).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

#: extra allowance on top of max power x elapsed time, in seconds of full power
SLACK_S = 60.0
WH_PER_UNIT = {"Wh": 1.0, "kWh": 1000.0, "MWh": 1_000_000.0}


@dataclass(slots=True)
class CounterGuard:
    """Filters the readings of one energy counter into values safe to publish."""

    kind: str  # "lifetime" or "daily"
    #: the counter's unit per hour at the inverter's maximum power (e.g. kWh per hour)
    max_per_hour: float
    value: float | None = None
    #: epoch seconds of the last accepted value
    accepted_at: float | None = None
    #: local date of the last accepted daily reset
    reset_on: date | None = None
    #: a lower daily reading waiting for a second poll to confirm it
    pending: float | None = None
    rejected: int = 0

    @classmethod
    def for_unit(cls, kind: str, unit: str | None, max_power_w: float) -> CounterGuard:
        """A guard for a counter in `unit` (Wh, kWh, MWh) of an inverter of `max_power_w`."""
        per_unit = WH_PER_UNIT.get(unit or "Wh", 1.0)
        return cls(kind=kind, max_per_hour=max_power_w / per_unit)

    def update(self, reading: float | None, now: datetime) -> float | None:
        """Feed one poll's reading; returns what to publish (the last good value if rejected)."""
        stamp = now.timestamp()
        if reading is None or reading < 0:
            return self.value
        if self.value is None:
            if reading > 0 or self.kind == "daily":
                self._accept(reading, stamp)
                # whether today's reset already happened is unknown: allow the next one only
                self.reset_on = self.reset_on or now.date()
            return self.value
        if reading < self.value:
            return self._lower(reading, now, stamp)
        self.pending = None
        elapsed_h = max(0.0, stamp - (self.accepted_at or stamp)) / 3600 + SLACK_S / 3600
        if reading - self.value > self.max_per_hour * elapsed_h:
            self.rejected += 1
            return self.value
        self._accept(reading, stamp)
        return self.value

    def _lower(self, reading: float, now: datetime, stamp: float) -> float | None:
        if self.kind != "daily" or self.reset_on == now.date():
            self.pending = None
            self.rejected += 1
            return self.value
        if self.pending is None or reading < self.pending:
            self.pending = reading  # a reset must show in two polls running
            return self.value
        self.pending = None
        self.reset_on = now.date()
        self._accept(reading, stamp)
        return self.value

    def _accept(self, reading: float, stamp: float) -> None:
        self.value = reading
        self.accepted_at = stamp

    def as_dict(self) -> dict[str, Any]:
        """State to store with the entity (and to show in diagnostics)."""
        return {
            "value": self.value,
            "accepted_at": self.accepted_at,
            "reset_on": self.reset_on.isoformat() if self.reset_on else None,
            "rejected": self.rejected,
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Resume from `as_dict()` output: a restart must not accept a lower value.

        Values read since the start are kept when higher than the stored ones.
        """
        value = data.get("value")
        higher = self.value is None or (
            self.kind == "lifetime" and isinstance(value, int | float) and value > self.value
        )
        if isinstance(value, int | float) and value >= 0 and higher:
            self.value = float(value)
            at = data.get("accepted_at")
            self.accepted_at = float(at) if isinstance(at, int | float) else None
        reset_on = data.get("reset_on")
        if isinstance(reset_on, str):
            try:
                stored = date.fromisoformat(reset_on)
            except ValueError:
                return
            if self.reset_on is None or stored > self.reset_on:
                self.reset_on = stored


@dataclass(slots=True)
class DailyFromTotal:
    """Today's energy from a lifetime counter: its growth since the first reading of the day.

    The first day after setup starts counting at setup, not at midnight (the inverter does
    not say what it had then); from the next midnight on it is exact.
    """

    day: date | None = None
    baseline: float | None = None

    def update(self, total: float | None, now: datetime) -> float | None:
        """Today's energy given the (guarded) lifetime counter."""
        if total is None:
            return None
        if self.day != now.date() or self.baseline is None or total < self.baseline:
            self.day = now.date()
            self.baseline = total
        return round(total - self.baseline, 6)

    def as_dict(self) -> dict[str, Any]:
        """State to store with the entity."""
        return {"day": self.day.isoformat() if self.day else None, "baseline": self.baseline}

    def restore(self, data: dict[str, Any]) -> None:
        """Resume from `as_dict()` output (the stored baseline wins for its own day)."""
        day, baseline = data.get("day"), data.get("baseline")
        if isinstance(day, str) and isinstance(baseline, int | float):
            try:
                stored = date.fromisoformat(day)
            except ValueError:
                return
            if self.day is None or stored >= self.day:
                self.day, self.baseline = stored, float(baseline)
