"""Slot-car race logic: laps in, standings and race events out. Pure, HA-free, serialisable.

Every decision about a lap is taken from its crossing time (`crossed_ns`, Unix ns from the
agent), never from when the record arrived, so a lap replayed after an outage lands where it
happened: before the start, during a pause, after the flag. The clock for starting, pausing
and ending (`now_ns`) is Home Assistant's; agents are expected to keep NTP time.

Rules:
- Modes: practice (laps always count, ranked by best lap), race to N laps, timed race.
- A race counts a car's laps from its first crossing at or after the start (that crossing
  starts lap 1). Crossings before the start (or during the countdown) count only in practice.
- Race to N laps: the first car to complete N laps takes the flag; every other car finishes
  at its next crossing. Timed race: the flag falls when the race time (pauses excluded) is
  up; every car finishes at its next crossing. Laps after a car finished change nothing.
  The race is over when every started car has finished, after `finish_grace_s`, or on stop.
- Pause (track call) stops the race clock. A lap completed during a pause, or spanning one,
  is counted but marked, and never sets a best lap or record (its time is not a real lap).
- Ranking in a race: laps (more first), then who reached that lap count first. The gap to
  the leader is the time between the leader and the car crossing the line at the car's lap.
- Personal bests (per car) and track records (per lane, lanes differ in length) outlive
  races and resets. An event is raised when an existing best or record is beaten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, TypeAlias

NS_PER_S: Final = 1_000_000_000
NS_PER_US: Final = 1_000
STATE_VERSION: Final = 1


class Mode(StrEnum):
    PRACTICE = "practice"
    LAPS = "laps"
    TIMED = "timed"


class Status(StrEnum):
    READY = "ready"
    COUNTDOWN = "countdown"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHING = "finishing"  # the flag is out: cars finish at their next crossing
    FINISHED = "finished"


ACTIVE: Final = frozenset({Status.COUNTDOWN, Status.RUNNING, Status.PAUSED, Status.FINISHING})


class RaceError(Exception):
    """A race control that does not fit the race's state; `code` is a translation key."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class Settings:
    mode: Mode = Mode.PRACTICE
    target_laps: int = 20
    target_minutes: float = 10.0
    countdown_s: int = 5
    finish_grace_s: int = 60


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LapCompleted:
    car: str
    lane: int
    lap: int  # laps of this race (or practice session) including this one
    lap_time_us: int
    crossed_ns: int
    paused: bool  # completed during a pause or spanning one: counted, but not a real lap time
    estimated: bool  # no kernel lap time (the agent restarted): timed from crossing times


@dataclass(frozen=True, slots=True)
class LapIgnored:
    car: str
    lane: int
    crossed_ns: int
    reason: str  # before_start, after_finish


@dataclass(frozen=True, slots=True)
class PersonalBest:
    car: str
    lane: int
    lap_time_us: int
    previous_us: int


@dataclass(frozen=True, slots=True)
class TrackRecord:
    car: str
    lane: int
    lap_time_us: int
    previous_us: int
    previous_car: str


@dataclass(frozen=True, slots=True)
class RaceStarted:
    mode: Mode
    start_ns: int


@dataclass(frozen=True, slots=True)
class CarFinished:
    car: str
    laps: int
    crossed_ns: int


@dataclass(frozen=True, slots=True)
class RaceFinished:
    mode: Mode
    reason: str  # completed, stopped
    winner: str | None
    best_lap_us: int | None
    best_lap_car: str | None
    results: list[dict[str, Any]]


RaceEvent: TypeAlias = (
    LapCompleted
    | LapIgnored
    | PersonalBest
    | TrackRecord
    | RaceStarted
    | CarFinished
    | RaceFinished
)


# --- per-car state -----------------------------------------------------------------------


@dataclass(slots=True)
class CarStats:
    car: str
    laps: int = 0
    last_us: int | None = None
    best_us: int | None = None
    total_us: int = 0  # of the laps that count for the average (not paused, not estimated)
    timed_laps: int = 0
    marked_laps: int = 0  # laps completed during (or spanning) a pause
    lane: int | None = None
    last_ns: int | None = None  # the last crossing (lap or start)
    crossings: list[int] = field(default_factory=list)  # races: [n] = crossing after n laps
    finished: bool = False

    @property
    def started(self) -> bool:
        return self.last_ns is not None

    @property
    def average_us(self) -> int | None:
        return self.total_us // self.timed_laps if self.timed_laps else None

    def reached_ns(self) -> int:
        """When the car reached its current lap count (races)."""
        return self.crossings[self.laps] if len(self.crossings) > self.laps else 0


@dataclass(frozen=True, slots=True)
class Standing:
    car: str
    position: int
    laps: int
    last_us: int | None
    best_us: int | None
    average_us: int | None
    gap_us: int | None  # to the leader: 0 for the leader, None when not comparable
    laps_behind: int
    finished: bool


@dataclass(frozen=True, slots=True)
class Best:
    lap_time_us: int
    car: str
    crossed_ns: int


class Race:
    """One lap counter's race: settings, timeline, per-car stats, records."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.status = Status.READY
        self.cars: dict[str, CarStats] = {}
        self.personal_bests: dict[str, Best] = {}
        self.track_records: dict[int, Best] = {}  # lane -> record
        self._clear_timeline()

    def _clear_timeline(self) -> None:
        self.start_ns: int | None = None
        self.pauses: list[list[int | None]] = []  # [start, end or None]
        self.flag_ns: int | None = None
        self.end_ns: int | None = None
        self.resume_to: Status | None = None
        self.finish_reason: str | None = None
        self.final_winner: str | None = None

    # --- race control ----------------------------------------------------------------------

    def configure(
        self,
        *,
        mode: Mode | None = None,
        target_laps: int | None = None,
        target_minutes: float | None = None,
        countdown_s: int | None = None,
    ) -> None:
        """Change settings; the mode and targets only while no race is on."""
        if (mode, target_laps, target_minutes) != (None, None, None) and self.status in ACTIVE:
            raise RaceError("race_active", "the race settings cannot change during a race")
        if target_laps is not None and not 1 <= target_laps <= 9999:
            raise RaceError("invalid_target", f"target laps {target_laps} not in 1..9999")
        if target_minutes is not None and not 0 < target_minutes <= 1440:
            raise RaceError("invalid_target", f"race minutes {target_minutes} not in 0..1440")
        if countdown_s is not None and not 0 <= countdown_s <= 600:
            raise RaceError("invalid_target", f"countdown {countdown_s} s not in 0..600")
        if mode is not None:
            self.settings.mode = Mode(mode)
        if target_laps is not None:
            self.settings.target_laps = target_laps
        if target_minutes is not None:
            self.settings.target_minutes = target_minutes
        if countdown_s is not None:
            self.settings.countdown_s = countdown_s

    def start(self, now_ns: int, countdown_s: int | None = None) -> list[RaceEvent]:
        """Start a race (or time a practice session), after an optional countdown."""
        if self.status in ACTIVE:
            raise RaceError("race_active", "a race is already on")
        countdown = self.settings.countdown_s if countdown_s is None else countdown_s
        if not 0 <= countdown <= 600:
            raise RaceError("invalid_target", f"countdown {countdown} s not in 0..600")
        self._clear_timeline()
        if self.settings.mode is not Mode.PRACTICE:  # a new race: the laps so far don't count
            for stats in self.cars.values():
                self.cars[stats.car] = CarStats(car=stats.car)
        self.start_ns = now_ns + countdown * NS_PER_S
        if countdown > 0:
            self.status = Status.COUNTDOWN
            return []
        self.status = Status.RUNNING
        return [RaceStarted(mode=self.settings.mode, start_ns=self.start_ns)]

    def pause(self, now_ns: int) -> list[RaceEvent]:
        """Track call: the race clock stops; laps still count but are marked."""
        if self.status not in (Status.RUNNING, Status.FINISHING):
            raise RaceError("not_running", "only a running race can be paused")
        self.resume_to = self.status
        self.status = Status.PAUSED
        self.pauses.append([now_ns, None])
        return []

    def resume(self, now_ns: int) -> list[RaceEvent]:
        if self.status is not Status.PAUSED:
            raise RaceError("not_paused", "the race is not paused")
        self.pauses[-1][1] = max(now_ns, self.pauses[-1][0] or now_ns)
        self.status = self.resume_to or Status.RUNNING
        self.resume_to = None
        return self.tick(now_ns)

    def stop(self, now_ns: int) -> list[RaceEvent]:
        """End the race now (a countdown is simply called off)."""
        if self.status is Status.COUNTDOWN:
            self.status = Status.READY
            self._clear_timeline()
            return []
        if self.status not in ACTIVE:
            raise RaceError("not_active", "no race is on")
        if self.status is Status.PAUSED:
            self.pauses[-1][1] = now_ns
        return self._finish(now_ns, "stopped")

    def reset(self) -> None:
        """Back to ready with no laps; settings, personal bests and track records stay."""
        self.status = Status.READY
        self.cars = {car: CarStats(car=car) for car in self.cars}
        self._clear_timeline()

    def tick(self, now_ns: int) -> list[RaceEvent]:
        """Let time pass: the countdown ends, a timed race's flag falls, the grace runs out."""
        events: list[RaceEvent] = []
        if (
            self.status is Status.COUNTDOWN
            and self.start_ns is not None
            and now_ns >= self.start_ns
        ):
            self.status = Status.RUNNING
            events.append(RaceStarted(mode=self.settings.mode, start_ns=self.start_ns))
        if self.status is Status.RUNNING and self.settings.mode is Mode.TIMED:
            flag = self._timed_flag_ns()
            if flag is not None and now_ns >= flag:
                self.flag_ns = flag
                self.status = Status.FINISHING
        grace_over = (
            self.flag_ns is not None
            and now_ns >= self.flag_ns + self.settings.finish_grace_s * NS_PER_S
        )
        if self.status is Status.FINISHING and (grace_over or self._all_finished()):
            events += self._finish(now_ns, "completed")
        return events

    # --- laps ------------------------------------------------------------------------------

    def ensure_car(self, car: str) -> CarStats:
        stats = self.cars.get(car)
        if stats is None:
            stats = self.cars[car] = CarStats(car=car)
        return stats

    def lap(self, car: str, lane: int, lap_time_us: int | None, crossed_ns: int) -> list[RaceEvent]:
        """A car crossed the line (`lap_time_us` None: the agent saw its first crossing)."""
        stats = self.ensure_car(car)
        if self.settings.mode is Mode.PRACTICE:
            return self._practice_lap(stats, lane, lap_time_us, crossed_ns)
        if self.start_ns is None or self.status in (Status.READY, Status.COUNTDOWN):
            return [LapIgnored(car, lane, crossed_ns, "before_start")]
        if crossed_ns < self.start_ns:
            return [LapIgnored(car, lane, crossed_ns, "before_start")]
        if stats.finished or (self.end_ns is not None and crossed_ns >= self.end_ns):
            return [LapIgnored(car, lane, crossed_ns, "after_finish")]
        stats.lane = lane
        if not stats.started:  # its first crossing of the race starts its lap 1
            stats.last_ns = crossed_ns
            stats.crossings = [crossed_ns]
            return []
        estimated = lap_time_us is None
        if lap_time_us is None:  # the agent restarted: time it from the crossings
            lap_time_us = max(0, crossed_ns - (stats.last_ns or crossed_ns)) // NS_PER_US
        events = self._count(stats, lane, lap_time_us, crossed_ns, estimated)
        stats.crossings.append(crossed_ns)
        events += self._check_finish(stats, crossed_ns)
        return events

    def _practice_lap(
        self, stats: CarStats, lane: int, lap_time_us: int | None, crossed_ns: int
    ) -> list[RaceEvent]:
        stats.lane = lane
        if lap_time_us is None or not stats.started:
            stats.last_ns = crossed_ns  # a first crossing: it starts the car's next lap
            return []
        return self._count(stats, lane, lap_time_us, crossed_ns, estimated=False)

    def _count(
        self, stats: CarStats, lane: int, lap_time_us: int, crossed_ns: int, estimated: bool
    ) -> list[RaceEvent]:
        paused = self._overlaps_pause(crossed_ns - lap_time_us * NS_PER_US, crossed_ns)
        stats.laps += 1
        stats.last_us = lap_time_us
        stats.last_ns = crossed_ns
        events: list[RaceEvent] = [
            LapCompleted(stats.car, lane, stats.laps, lap_time_us, crossed_ns, paused, estimated)
        ]
        if paused:
            stats.marked_laps += 1
        if paused or estimated:
            return events
        stats.total_us += lap_time_us
        stats.timed_laps += 1
        if stats.best_us is None or lap_time_us < stats.best_us:
            stats.best_us = lap_time_us
        best = Best(lap_time_us, stats.car, crossed_ns)
        previous = self.personal_bests.get(stats.car)
        if previous is None or lap_time_us < previous.lap_time_us:
            self.personal_bests[stats.car] = best
            if previous is not None:
                events.append(PersonalBest(stats.car, lane, lap_time_us, previous.lap_time_us))
        record = self.track_records.get(lane)
        if record is None or lap_time_us < record.lap_time_us:
            self.track_records[lane] = best
            if record is not None:
                events.append(
                    TrackRecord(stats.car, lane, lap_time_us, record.lap_time_us, record.car)
                )
        return events

    def _check_finish(self, stats: CarStats, crossed_ns: int) -> list[RaceEvent]:
        settings = self.settings
        flag: int | None
        if settings.mode is Mode.LAPS and stats.laps >= settings.target_laps:
            # the first car home takes the flag (min: a lap may arrive out of order)
            flag = crossed_ns if self.flag_ns is None else min(self.flag_ns, crossed_ns)
        elif self.flag_ns is not None:
            flag = self.flag_ns
        elif settings.mode is Mode.TIMED:
            timed = self._timed_flag_ns()
            flag = timed if timed is not None and crossed_ns >= timed else None
        else:
            flag = None
        if flag is None or crossed_ns < flag:
            return []
        if self.flag_ns is None:
            if self.status is Status.RUNNING:
                self.status = Status.FINISHING
            elif self.status is Status.PAUSED:
                self.resume_to = Status.FINISHING
        self.flag_ns = flag
        stats.finished = True
        events: list[RaceEvent] = [CarFinished(stats.car, stats.laps, crossed_ns)]
        if self.status is Status.FINISHING and self._all_finished():
            events += self._finish(crossed_ns, "completed")
        return events

    def _finish(self, now_ns: int, reason: str) -> list[RaceEvent]:
        self.status = Status.FINISHED
        self.end_ns = max(now_ns, self.start_ns or now_ns)
        self.finish_reason = reason
        self.resume_to = None
        standings = self.standings()
        top = standings[0] if standings else None
        self.final_winner = top.car if top is not None and (top.laps > 0) else None
        best = min(
            (s for s in standings if s.best_us is not None),
            key=lambda s: (s.best_us or 0, s.position),
            default=None,
        )
        return [
            RaceFinished(
                mode=self.settings.mode,
                reason=reason,
                winner=self.final_winner,
                best_lap_us=best.best_us if best else None,
                best_lap_car=best.car if best else None,
                results=[
                    {"car": s.car, "position": s.position, "laps": s.laps, "best_us": s.best_us}
                    for s in standings
                ],
            )
        ]

    # --- timeline helpers ------------------------------------------------------------------

    def _paused_ns(self, until_ns: int | None = None) -> int:
        total = 0
        for start, end in self.pauses:
            assert start is not None
            stop = end if end is not None else until_ns
            if stop is not None:
                total += max(0, stop - start)
        return total

    def _timed_flag_ns(self) -> int | None:
        if self.start_ns is None or self.status is Status.PAUSED:
            return None
        duration = round(self.settings.target_minutes * 60 * NS_PER_S)
        return self.start_ns + duration + self._paused_ns()

    def _overlaps_pause(self, begin_ns: int, end_ns: int) -> bool:
        for start, end in self.pauses:
            assert start is not None
            if start <= end_ns and (end is None or end >= begin_ns):
                return True
        return False

    def _all_finished(self) -> bool:
        return all(stats.finished for stats in self.cars.values() if stats.started)

    # --- what the entities show ------------------------------------------------------------

    def standings(self) -> list[Standing]:
        racing = self.settings.mode is not Mode.PRACTICE
        cars = [s for s in self.cars.values() if s.started or s.laps]
        if racing:
            cars.sort(key=lambda s: (-s.laps, s.reached_ns(), s.car))
        else:
            cars.sort(key=lambda s: (s.best_us is None, s.best_us or 0, -s.laps, s.car))
        if not cars:
            return []
        leader = cars[0]
        out = []
        for position, stats in enumerate(cars, start=1):
            gap: int | None
            if racing:
                reached = (
                    leader.crossings[stats.laps] if len(leader.crossings) > stats.laps else None
                )
                gap = (
                    None
                    if reached is None or not stats.crossings
                    else max(0, stats.reached_ns() - reached) // NS_PER_US
                )
            else:
                gap = (
                    None
                    if stats.best_us is None or leader.best_us is None
                    else stats.best_us - leader.best_us
                )
            out.append(
                Standing(
                    car=stats.car,
                    position=position,
                    laps=stats.laps,
                    last_us=stats.last_us,
                    best_us=stats.best_us,
                    average_us=stats.average_us,
                    gap_us=gap,
                    laps_behind=leader.laps - stats.laps,
                    finished=stats.finished,
                )
            )
        return out

    def leader(self) -> str | None:
        standings = self.standings()
        return standings[0].car if standings else None

    def winner(self) -> str | None:
        """The winner once decided: the race's top car once it has finished (nobody can
        still pass a finished car: the others finish at their next crossing too)."""
        if self.status is Status.FINISHED:
            return self.final_winner
        if self.settings.mode is Mode.PRACTICE or self.flag_ns is None:
            return None
        standings = self.standings()
        return standings[0].car if standings and standings[0].finished else None

    def elapsed_ns(self, now_ns: int) -> int:
        """Race time so far (pauses excluded); 0 before the start."""
        if self.start_ns is None or self.status in (Status.READY, Status.COUNTDOWN):
            return 0
        if self.status is Status.FINISHED and self.end_ns is not None:
            until = self.end_ns
        elif self.status is Status.PAUSED and self.pauses:
            until = self.pauses[-1][0] or now_ns
        else:
            until = now_ns
        return max(0, until - self.start_ns - self._paused_ns(until))

    def remaining_ns(self, now_ns: int) -> int | None:
        """Time left in a timed race (None in other modes)."""
        if self.settings.mode is not Mode.TIMED:
            return None
        duration = round(self.settings.target_minutes * 60 * NS_PER_S)
        return max(0, duration - self.elapsed_ns(now_ns))

    def countdown_ns(self, now_ns: int) -> int | None:
        if self.status is not Status.COUNTDOWN or self.start_ns is None:
            return None
        return max(0, self.start_ns - now_ns)

    def next_wakeup_ns(self) -> int | None:
        """When `tick` next has something to do on its own (None: nothing pending)."""
        if self.status is Status.COUNTDOWN:
            return self.start_ns
        if self.status is Status.RUNNING and self.settings.mode is Mode.TIMED:
            return self._timed_flag_ns()
        if self.status is Status.FINISHING and self.flag_ns is not None:
            return self.flag_ns + self.settings.finish_grace_s * NS_PER_S
        return None

    # --- persistence -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything, as JSON-safe values (restored by `from_state`)."""
        return {
            "version": STATE_VERSION,
            "settings": {
                "mode": self.settings.mode.value,
                "target_laps": self.settings.target_laps,
                "target_minutes": self.settings.target_minutes,
                "countdown_s": self.settings.countdown_s,
                "finish_grace_s": self.settings.finish_grace_s,
            },
            "status": self.status.value,
            "start_ns": self.start_ns,
            "pauses": [list(p) for p in self.pauses],
            "flag_ns": self.flag_ns,
            "end_ns": self.end_ns,
            "resume_to": self.resume_to.value if self.resume_to else None,
            "finish_reason": self.finish_reason,
            "final_winner": self.final_winner,
            "cars": {
                car: {
                    "laps": s.laps,
                    "last_us": s.last_us,
                    "best_us": s.best_us,
                    "total_us": s.total_us,
                    "timed_laps": s.timed_laps,
                    "marked_laps": s.marked_laps,
                    "lane": s.lane,
                    "last_ns": s.last_ns,
                    "crossings": list(s.crossings),
                    "finished": s.finished,
                }
                for car, s in self.cars.items()
            },
            "personal_bests": {car: _best_state(b) for car, b in self.personal_bests.items()},
            "track_records": {str(lane): _best_state(b) for lane, b in self.track_records.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Race:
        """The race `state()` described; ValueError/TypeError/KeyError when it is not one."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown race state version {state.get('version')!r}")
        raw = state["settings"]
        race = cls(
            Settings(
                mode=Mode(raw["mode"]),
                target_laps=int(raw["target_laps"]),
                target_minutes=float(raw["target_minutes"]),
                countdown_s=int(raw["countdown_s"]),
                finish_grace_s=int(raw.get("finish_grace_s", 60)),
            )
        )
        race.status = Status(state["status"])
        race.start_ns = _opt_int(state.get("start_ns"))
        race.pauses = [[_opt_int(a), _opt_int(b)] for a, b in state.get("pauses", [])]
        race.flag_ns = _opt_int(state.get("flag_ns"))
        race.end_ns = _opt_int(state.get("end_ns"))
        race.resume_to = Status(state["resume_to"]) if state.get("resume_to") else None
        race.finish_reason = state.get("finish_reason")
        race.final_winner = state.get("final_winner")
        for car, raw_car in state.get("cars", {}).items():
            race.cars[car] = CarStats(
                car=car,
                laps=int(raw_car["laps"]),
                last_us=_opt_int(raw_car.get("last_us")),
                best_us=_opt_int(raw_car.get("best_us")),
                total_us=int(raw_car.get("total_us", 0)),
                timed_laps=int(raw_car.get("timed_laps", 0)),
                marked_laps=int(raw_car.get("marked_laps", 0)),
                lane=_opt_int(raw_car.get("lane")),
                last_ns=_opt_int(raw_car.get("last_ns")),
                crossings=[int(c) for c in raw_car.get("crossings", [])],
                finished=bool(raw_car.get("finished", False)),
            )
        race.personal_bests = {
            car: _best_from(raw_best) for car, raw_best in state.get("personal_bests", {}).items()
        }
        race.track_records = {
            int(lane): _best_from(raw_best)
            for lane, raw_best in state.get("track_records", {}).items()
        }
        return race


def _best_state(best: Best) -> dict[str, Any]:
    return {"lap_time_us": best.lap_time_us, "car": best.car, "crossed_ns": best.crossed_ns}


def _best_from(raw: Mapping[str, Any]) -> Best:
    return Best(int(raw["lap_time_us"]), str(raw["car"]), int(raw["crossed_ns"]))


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
