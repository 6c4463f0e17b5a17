"""When an inverter that does not answer deserves a repair issue, and when it no longer does.

Inverters sleep every night, some by closing their port: not answering for hours is
normal. Not answering for a day is not - a tripped breaker, a dead SDongle, a new router
that handed out another address. The tracker learns the inverter's night from its own
history (the last outage that looked like a night: a few hours, ending in the morning)
and reports an outage

* longer than 24 h, while the time of day is outside that night window (it should be
  awake now), or
* longer than 48 h, whatever the window (or while none is known yet).

Times are aware datetimes in the local time zone; the window is kept as local times of
day, so a night learned in summer still matches (within an hour's margin) in autumn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

#: an outage outside the known night lasting this long is reported
DAY_LIMIT = timedelta(hours=24)
#: any outage lasting this long is reported
ANY_LIMIT = timedelta(hours=48)
#: how long an outage may last to be taken for a night (shorter: a hiccup; longer: a fault)
NIGHT_SHORTEST = timedelta(hours=3)
NIGHT_LONGEST = timedelta(hours=20)
#: slack around the learned night (dawn moves by minutes a day)
MARGIN = timedelta(hours=1)


def _minutes(of: time) -> int:
    return of.hour * 60 + of.minute


@dataclass(slots=True)
class OutageTracker:
    """The current outage of one inverter and its usual night."""

    offline_since: datetime | None = None
    night_start: time | None = None
    night_end: time | None = None

    def went_offline(self, now: datetime) -> bool:
        """The inverter stopped answering (again); True if this starts an outage."""
        if self.offline_since is not None:
            return False
        self.offline_since = now
        return True

    def came_online(self, now: datetime) -> bool:
        """The inverter answers; True if this ends an outage. A night-like outage teaches
        the window."""
        since = self.offline_since
        if since is None:
            return False
        self.offline_since = None
        if NIGHT_SHORTEST <= now - since <= NIGHT_LONGEST:
            self.night_start, self.night_end = since.time(), now.time()
        return True

    def in_night(self, now: datetime) -> bool | None:
        """Whether `now` (local) lies in the learned night, with a margin (None: unknown)."""
        if self.night_start is None or self.night_end is None:
            return None
        margin = int(MARGIN.total_seconds() // 60)
        start = (_minutes(self.night_start) - margin) % 1440
        end = (_minutes(self.night_end) + margin) % 1440
        minute = _minutes(now.time())
        if start <= end:
            return start <= minute <= end
        return minute >= start or minute <= end  # the night spans midnight

    def overdue(self, now: datetime) -> bool:
        """Whether the current outage deserves a repair issue."""
        if self.offline_since is None:
            return False
        lasted = now - self.offline_since
        if lasted >= ANY_LIMIT:
            return True
        return lasted >= DAY_LIMIT and self.in_night(now) is False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready state (stored across restarts: an inverter dead at start-up counts)."""
        return {
            "offline_since": self.offline_since.isoformat() if self.offline_since else None,
            "night_start": self.night_start.isoformat() if self.night_start else None,
            "night_end": self.night_end.isoformat() if self.night_end else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> OutageTracker:
        """State from `as_dict()` output; anything unreadable is forgotten, not fatal."""
        tracker = cls()
        if not isinstance(data, dict):
            return tracker
        try:
            since = data.get("offline_since")
            if isinstance(since, str):
                parsed = datetime.fromisoformat(since)
                tracker.offline_since = parsed if parsed.tzinfo is not None else None
            start, end = data.get("night_start"), data.get("night_end")
            if isinstance(start, str) and isinstance(end, str):
                tracker.night_start, tracker.night_end = (
                    time.fromisoformat(start),
                    time.fromisoformat(end),
                )
        except ValueError:
            return cls()
        return tracker
