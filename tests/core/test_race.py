"""Race logic: every mode, every control, every rule about which laps count, persistence."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from edge_hub_core.race import (
    CarFinished,
    LapCompleted,
    LapIgnored,
    Mode,
    PersonalBest,
    Race,
    RaceError,
    RaceFinished,
    RaceStarted,
    Settings,
    Status,
    TrackRecord,
)

S = 1_000_000_000
T0 = 1_763_798_400 * S


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


class Track:
    """Drives a race like the agent would: per car crossings with kernel lap times."""

    def __init__(self, race: Race) -> None:
        self.race = race
        self.last: dict[str, int] = {}
        self.events: list[Any] = []

    def cross(self, car: str, at_s: float, lane: int | None = None) -> list[Any]:
        at = T0 + round(at_s * S)
        previous = self.last.get(car)
        self.last[car] = at
        lap_time = None if previous is None else (at - previous) // 1000
        events = self.race.lap(car, lane or int(car), lap_time, at)
        self.events += events
        return events

    def now(self, at_s: float) -> int:
        return T0 + round(at_s * S)


# --- practice ----------------------------------------------------------------------------


def test_practice_counts_every_lap_without_a_start() -> None:
    race = Race()
    track = Track(race)
    assert race.status is Status.READY
    assert track.cross("1", 0) == []  # the first crossing starts lap 1
    [lap] = track.cross("1", 4.2)
    assert lap == LapCompleted("1", 1, 1, 4_200_000, T0 + int(4.2 * S), False, False)
    track.cross("1", 8.0)
    track.cross("2", 1.0)
    track.cross("2", 4.9)
    stats = race.cars["1"]
    assert (stats.laps, stats.last_us, stats.best_us, stats.average_us) == (
        2,
        3_800_000,
        3_800_000,
        4_000_000,
    )
    standings = race.standings()
    assert [(s.car, s.position, s.gap_us) for s in standings] == [("1", 1, 0), ("2", 2, 100_000)]
    assert race.leader() == "1"
    assert race.winner() is None


def test_practice_start_times_the_session_and_stop_names_the_fastest() -> None:
    race = Race(Settings(countdown_s=0))
    track = Track(race)
    track.cross("1", 0)
    track.cross("1", 5)
    [started] = race.start(track.now(6))
    assert started == RaceStarted(Mode.PRACTICE, track.now(6))
    assert race.cars["1"].laps == 1  # practice keeps the laps before the start
    track.cross("2", 7)
    track.cross("2", 11.5)
    assert race.elapsed_ns(track.now(16)) == 10 * S
    [finished] = race.stop(track.now(20))
    assert isinstance(finished, RaceFinished)
    assert (finished.reason, finished.winner, finished.best_lap_us) == ("stopped", "2", 4_500_000)
    assert race.elapsed_ns(track.now(99)) == 14 * S
    track.cross("1", 24)  # practice laps still count after the session
    assert race.cars["1"].laps == 2


def test_personal_best_and_track_record_only_when_beaten() -> None:
    race = Race()
    track = Track(race)
    track.cross("1", 0)
    assert of(track.cross("1", 5), PersonalBest) == []  # the first lap sets, not beats
    assert of(track.cross("1", 9.5), PersonalBest) == [PersonalBest("1", 1, 4_500_000, 5_000_000)]
    assert of(track.events, TrackRecord) == [TrackRecord("1", 1, 4_500_000, 5_000_000, "1")]
    # another car on lane 1 beats the lane's record; lane 2 keeps its own record
    track.cross("2", 10, lane=1)
    events = track.cross("2", 14, lane=1)
    assert of(events, TrackRecord) == [TrackRecord("2", 1, 4_000_000, 4_500_000, "1")]
    assert of(events, PersonalBest) == []
    track.cross("3", 10, lane=2)
    assert of(track.cross("3", 20, lane=2), TrackRecord) == []
    assert race.track_records[1].car == "2"
    assert race.track_records[2].lap_time_us == 10_000_000


# --- race to N laps ----------------------------------------------------------------------


def laps_race(target: int = 3, countdown: int = 0) -> tuple[Race, Track]:
    race = Race(Settings(mode=Mode.LAPS, target_laps=target, countdown_s=countdown))
    return race, Track(race)


def test_race_to_n_laps_full_run() -> None:
    race, track = laps_race(target=3, countdown=5)
    track.cross("1", -10)  # warm-up laps before the race do not count
    track.cross("1", -6)
    assert race.start(track.now(0)) == []
    assert race.status is Status.COUNTDOWN
    assert race.countdown_ns(track.now(2)) == 3 * S
    assert of(track.cross("2", 3), LapIgnored) == [LapIgnored("2", 2, track.now(3), "before_start")]
    assert race.tick(track.now(4)) == []
    assert race.tick(track.now(5)) == [RaceStarted(Mode.LAPS, track.now(5))]
    assert race.status is Status.RUNNING
    assert race.cars["1"].laps == 0
    # grid: both cross the line in the same millisecond; that starts their lap 1
    track.cross("1", 5.2)
    track.cross("2", 5.2004)
    for t in (9.2, 13.2):
        track.cross("1", t)
        track.cross("2", t + 0.5)
    standings = race.standings()
    assert [(s.car, s.laps, s.gap_us, s.laps_behind) for s in standings] == [
        ("1", 2, 0, 0),
        ("2", 2, 500_000, 0),
    ]
    events = track.cross("1", 17.2)  # lap 3: the flag
    assert of(events, CarFinished) == [CarFinished("1", 3, track.now(17.2))]
    assert race.status is Status.FINISHING
    assert race.winner() == "1"
    assert of(track.cross("1", 21.2), LapIgnored)[0].reason == "after_finish"
    assert race.cars["1"].laps == 3
    events = track.cross("2", 17.9)  # car 2 finishes at its next crossing: race over
    [finished] = of(events, RaceFinished)
    assert (finished.reason, finished.winner) == ("completed", "1")
    assert finished.results == [
        {"car": "1", "position": 1, "laps": 3, "best_us": 4_000_000},
        {"car": "2", "position": 2, "laps": 3, "best_us": 4_000_000},
    ]
    assert race.status is Status.FINISHED
    assert race.elapsed_ns(track.now(60)) == int(12.9 * S)
    assert of(track.cross("2", 22), LapIgnored)[0].reason == "after_finish"


def test_backmarkers_finish_at_their_next_crossing_a_lap_down() -> None:
    race, track = laps_race(target=2)
    race.start(track.now(0))
    for car in "123":
        track.cross(car, 0.1 * int(car))
    track.cross("1", 4)
    track.cross("2", 4.5)
    track.cross("1", 8)  # the flag; car 3 has no lap yet and car 2 one
    assert race.winner() == "1"
    track.cross("3", 8.3)
    track.cross("2", 9)
    assert race.status is Status.FINISHED
    assert [(s.car, s.laps, s.laps_behind, s.finished) for s in race.standings()] == [
        ("1", 2, 0, True),
        ("2", 2, 0, True),
        ("3", 1, 1, True),
    ]
    gap = {s.car: s.gap_us for s in race.standings()}
    assert gap["2"] == 1_000_000  # car 2 reached lap 2 at 9 s, the leader at 8 s
    assert gap["3"] == int(4.3 * S) // 1000  # lap 1: 8.3 s against the leader's 4 s


def test_two_cars_taking_the_flag_in_the_same_millisecond() -> None:
    race, track = laps_race(target=1)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("2", 1)
    track.cross("1", 5)
    track.cross("2", 5.0004)
    assert race.status is Status.FINISHED
    assert race.winner() == "1"
    assert [s.car for s in race.standings()] == ["1", "2"]


def test_a_lap_arriving_out_of_order_still_takes_the_flag() -> None:
    race, track = laps_race(target=1)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("2", 1)
    track.cross("2", 5.1)
    track.cross("1", 5.0)  # crossed first, reported second
    assert race.flag_ns == track.now(5.0)
    assert race.winner() == "1"


def test_the_grace_period_ends_a_race_a_car_never_finishes() -> None:
    race, track = laps_race(target=1)
    race.configure(mode=Mode.LAPS)
    race.settings.finish_grace_s = 30
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("2", 1)  # car 2 then crashes out for good
    track.cross("1", 5)
    assert race.next_wakeup_ns() == track.now(35)
    assert race.tick(track.now(34)) == []
    [finished] = race.tick(track.now(35))
    assert isinstance(finished, RaceFinished)
    assert finished.winner == "1"


def test_agent_restart_mid_race_counts_an_estimated_lap() -> None:
    race, track = laps_race(target=5)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("1", 5)
    # the agent restarted: its next crossing is its lap 0 again (no kernel lap time)
    [lap] = race.lap("1", 1, None, track.now(9.5))
    assert isinstance(lap, LapCompleted)
    assert (lap.lap, lap.lap_time_us, lap.estimated) == (2, 4_500_000, True)
    stats = race.cars["1"]
    assert (stats.best_us, stats.average_us) == (4_000_000, 4_000_000)  # not a timed lap


# --- timed race --------------------------------------------------------------------------


def timed_race(minutes: float = 0.5) -> tuple[Race, Track]:
    race = Race(Settings(mode=Mode.TIMED, target_minutes=minutes, countdown_s=0))
    return race, Track(race)


def test_timed_race_flag_and_finishing_lap() -> None:
    race, track = timed_race(minutes=0.5)  # 30 s
    race.start(track.now(0))
    assert race.remaining_ns(track.now(12)) == 18 * S
    track.cross("1", 1)
    track.cross("2", 1.5)
    for n in range(1, 8):
        track.cross("1", 1 + 4 * n)  # ... 25, 29
        track.cross("2", 1.5 + 4 * n)  # ... 25.5, 29.5
    assert race.next_wakeup_ns() == track.now(30)
    race.tick(track.now(30))
    assert race.status is Status.FINISHING
    assert race.remaining_ns(track.now(31)) == 0
    assert race.winner() is None  # nobody has finished yet
    # car 2 overtakes in the last lap: it is first to complete lap 8
    track.cross("2", 32.5)
    assert race.winner() == "2"
    track.cross("1", 33)
    assert race.status is Status.FINISHED
    assert [(s.car, s.laps) for s in race.standings()] == [("2", 8), ("1", 8)]
    [finished] = of(track.events, RaceFinished)
    assert finished.winner == "2"


def test_timed_race_flag_falls_on_a_crossing_before_the_tick() -> None:
    race, track = timed_race(minutes=0.1)  # 6 s
    race.start(track.now(0))
    track.cross("1", 1)
    events = track.cross("1", 6.5)
    assert of(events, CarFinished) == [CarFinished("1", 1, track.now(6.5))]
    assert race.status is Status.FINISHED  # the only car in the race is home


def test_timed_race_clock_stops_during_a_pause() -> None:
    race, track = timed_race(minutes=0.5)
    race.start(track.now(0))
    track.cross("1", 1)
    race.pause(track.now(10))
    assert race.status is Status.PAUSED
    assert race.elapsed_ns(track.now(15)) == 10 * S
    assert race.tick(track.now(45)) == []  # no flag while paused
    race.resume(track.now(20))
    assert race.elapsed_ns(track.now(25)) == 15 * S
    assert race.next_wakeup_ns() == track.now(40)  # 30 s of racing + 10 s paused


# --- pause -------------------------------------------------------------------------------


def test_a_lap_during_a_pause_is_marked_not_lost() -> None:
    race, track = laps_race(target=10)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("1", 5)  # 4 s
    race.pause(track.now(6))
    [lap] = of(track.cross("1", 7), LapCompleted)  # coasting over the line under the yellow
    assert (lap.lap, lap.paused) == (2, True)
    race.resume(track.now(20))
    [lap] = of(track.cross("1", 22), LapCompleted)  # this lap spans the pause
    assert (lap.lap, lap.paused) == (3, True)
    track.cross("1", 25.5)
    stats = race.cars["1"]
    assert (stats.laps, stats.marked_laps, stats.best_us) == (4, 2, 3_500_000)
    assert stats.average_us == 3_750_000  # of the two real laps
    assert race.elapsed_ns(track.now(30)) == 16 * S


def test_the_flag_falling_during_a_pause_finishes_the_race_after_it() -> None:
    race, track = laps_race(target=1)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("2", 1)
    race.pause(track.now(3))
    track.cross("1", 4)
    assert race.status is Status.PAUSED
    race.resume(track.now(10))
    assert race.status is Status.FINISHING
    track.cross("2", 12)
    assert race.status is Status.FINISHED


# --- controls ----------------------------------------------------------------------------


def test_controls_refuse_what_does_not_fit() -> None:
    race, track = laps_race()
    with pytest.raises(RaceError) as err:
        race.pause(track.now(0))
    assert err.value.code == "not_running"
    with pytest.raises(RaceError) as err:
        race.resume(track.now(0))
    assert err.value.code == "not_paused"
    with pytest.raises(RaceError) as err:
        race.stop(track.now(0))
    assert err.value.code == "not_active"
    race.start(track.now(0))
    with pytest.raises(RaceError) as err:
        race.start(track.now(1))
    assert err.value.code == "race_active"
    with pytest.raises(RaceError) as err:
        race.configure(target_laps=50)
    assert err.value.code == "race_active"
    race.configure(countdown_s=3)  # the countdown is for the next start: always fine
    for bad in ({"target_laps": 0}, {"target_minutes": 0.0}, {"countdown_s": -1}):
        with pytest.raises(RaceError) as err:
            Race().configure(**bad)
        assert err.value.code == "invalid_target"


def test_stop_calls_off_a_countdown_and_ends_a_race() -> None:
    race, track = laps_race(countdown=5)
    race.start(track.now(0))
    assert race.stop(track.now(2)) == []
    assert race.status is Status.READY
    race.start(track.now(10), countdown_s=0)
    track.cross("1", 11)
    track.cross("2", 11)
    track.cross("1", 15)
    [finished] = race.stop(track.now(16))
    assert isinstance(finished, RaceFinished)
    assert (finished.reason, finished.winner) == ("stopped", "1")
    assert of(track.cross("2", 17), LapIgnored)[0].reason == "after_finish"


def test_reset_clears_the_race_but_keeps_settings_and_records() -> None:
    race, track = laps_race(target=7)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("1", 5)
    race.reset()
    assert race.status is Status.READY
    assert race.cars["1"].laps == 0
    assert race.standings() == []
    assert race.settings.target_laps == 7
    assert race.personal_bests["1"].lap_time_us == 4_000_000
    assert race.track_records[1].lap_time_us == 4_000_000


def test_a_new_race_starts_from_zero() -> None:
    race, track = laps_race(target=1)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("1", 5)
    assert race.status is Status.FINISHED
    race.start(track.now(10))
    assert race.cars["1"].laps == 0
    assert race.winner() is None


# --- persistence -------------------------------------------------------------------------


def test_state_survives_json_mid_race() -> None:
    race, track = timed_race(minutes=1)
    race.start(track.now(0))
    track.cross("1", 1)
    track.cross("1", 5)
    race.pause(track.now(6))
    restored = Race.from_state(json.loads(json.dumps(race.state())))
    assert restored.state() == race.state()
    assert restored.elapsed_ns(track.now(9)) == race.elapsed_ns(track.now(9))
    assert restored.standings() == race.standings()


def test_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        Race.from_state({"version": 99})


Step = tuple[str, float, str]


@settings(max_examples=40, deadline=None)
@given(
    mode=st.sampled_from([Mode.PRACTICE, Mode.LAPS, Mode.TIMED]),
    laps=st.lists(st.tuples(st.sampled_from("123"), st.floats(3.0, 6.0)), min_size=1, max_size=40),
    pause_at=st.integers(0, 40),
    split=st.integers(0, 40),
)
def test_a_restart_at_any_point_changes_nothing(
    mode: Mode, laps: list[tuple[str, float]], pause_at: int, split: int
) -> None:
    """Replaying a race with a save/restore anywhere gives exactly the same race."""

    def play(restart_at: int | None) -> dict[str, Any]:
        race = Race(Settings(mode=mode, target_laps=4, target_minutes=0.4, countdown_s=0))
        race.start(T0)
        clock = dict.fromkeys("123", 0.0)
        now = 0.0
        last: dict[str, int] = {}
        for index, (car, lap_s) in enumerate(laps):
            if index == restart_at:
                race = Race.from_state(json.loads(json.dumps(race.state())))
            clock[car] += lap_s
            now = max(now, clock[car])
            at = T0 + round(clock[car] * S)
            if index == pause_at and race.status is Status.RUNNING:
                race.pause(at - S // 2)
            elif race.status is Status.PAUSED:
                race.resume(at - S // 4)
            lap_time = None if car not in last else (at - last[car]) // 1000
            last[car] = at
            race.lap(car, int(car), lap_time, at)
            race.tick(at)
        return race.state()

    assert play(split) == play(None)
