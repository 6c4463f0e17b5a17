"""Exactly-once goal counting (docs/protocol.md §2.3-2.4), without Home Assistant."""

from __future__ import annotations

import itertools

from hypothesis import given, settings, strategies as st

from edge_hub_core import beacon
from edge_hub_core.goal_count import GoalCount, GoalCounter, Verdict

KEY = bytes.fromhex("231d39c1d7cc1ab1aee224cd096db932")
ADDRESS = "54:48:E6:8F:80:A5"
_counter = itertools.count(1)


def payload(
    goals: int,
    *,
    key: bytes | None = None,
    counter: int | None = None,
    since: int = 3,
    flags: int = beacon.FLAG_WANTS_ACK,
) -> bytes:
    value = beacon.GoalBeacon(
        goals=goals,
        since_goal_ds=since,
        battery_mv=3000,
        firmware=(1, 0, 0),
        packet_id=goals & 0xFF,
        flags=flags,
        counter=counter if counter is not None else next(_counter),
    )
    return beacon.encode(value, key=key, address=ADDRESS)


def test_first_goal_counts_once_however_often_heard() -> None:
    counter = GoalCounter(ADDRESS)
    first = counter.apply(payload(1), 1000.0)
    assert first.verdict is Verdict.FIRST
    assert first.added == 1
    assert counter.state.last_goal_ts == 1000.0 - 0.3
    for _ in range(59):
        assert counter.apply(payload(1), 1000.5).verdict is Verdict.REPEAT
    assert (counter.state.total, counter.state.game) == (1, 1)


def test_first_heartbeat_adopts_the_device_total_without_a_goal() -> None:
    counter = GoalCounter(ADDRESS)
    applied = counter.apply(payload(57, since=0xFFFF, flags=beacon.FLAG_HEARTBEAT), 5.0)
    assert (applied.verdict, applied.added) == (Verdict.FIRST, 0)
    assert (counter.state.total, counter.state.game, counter.state.last_goal_ts) == (57, 0, None)


def test_gap_is_recovered_from_the_counter_delta() -> None:
    counter = GoalCounter(ADDRESS)
    counter.apply(payload(1), 10.0)
    applied = counter.apply(payload(4, since=20), 50.0)
    assert (applied.verdict, applied.added) == (Verdict.COUNTED, 3)
    assert (counter.state.total, counter.state.game) == (4, 4)
    assert counter.state.last_goal_ts == 48.0


def test_counter_reset_becomes_the_new_baseline() -> None:
    counter = GoalCounter(ADDRESS)
    counter.apply(payload(10), 1.0)
    assert counter.apply(payload(1), 2.0).verdict is Verdict.RESET
    assert counter.state.total == 10
    assert counter.state.resets == 1
    assert counter.apply(payload(2), 3.0).added == 1
    assert counter.state.total == 11


def test_unknown_since_goal_leaves_the_goal_time_unknown() -> None:
    counter = GoalCounter(ADDRESS)
    counter.apply(payload(1), 1.0)
    counter.apply(payload(3, since=0xFFFF, flags=beacon.FLAG_HEARTBEAT), 9000.0)
    assert counter.state.total == 3
    assert counter.state.last_goal_ts is None


def test_encrypted_forged_replayed_and_downgraded_are_rejected() -> None:
    counter = GoalCounter(ADDRESS, KEY)
    good = payload(1, key=KEY, counter=100)
    assert counter.apply(good, 1.0).added == 1
    # the same packet again (another adapter): a repeat, not a replay
    assert counter.apply(good, 1.1).verdict is Verdict.REPEAT
    # an older packet with a valid tag: a replay
    old = payload(1, key=KEY, counter=99)
    assert counter.apply(old, 1.2).reason == "replayed"
    # a forged one: wrong key
    forged = payload(2, key=bytes(16), counter=101)
    assert counter.apply(forged, 1.3).reason == "mic_failed"
    # plain from a keyed device
    assert counter.apply(payload(2), 1.4).reason == "downgrade"
    assert counter.apply(b"EH", 1.5).reason == "too_short"
    assert counter.state.total == 1
    assert dict(counter.rejected) == {
        "replayed": 1,
        "mic_failed": 1,
        "downgrade": 1,
        "too_short": 1,
    }
    assert counter.apply(payload(2, key=KEY, counter=101), 2.0).added == 1


def test_repeat_of_the_last_packet_after_a_restart_is_not_a_replay() -> None:
    counter = GoalCounter(ADDRESS, KEY)
    good = payload(5, key=KEY, counter=7)
    counter.apply(good, 1.0)
    restored = GoalCounter(ADDRESS, KEY, GoalCount.from_dict(counter.state.as_dict()))
    assert restored.apply(good, 2.0).verdict is Verdict.REPEAT
    assert not restored.rejected


def test_state_restore_is_tolerant() -> None:
    assert GoalCount.from_dict(None) == GoalCount()
    assert GoalCount.from_dict({"total": "x", "game": True, "device_goals": 3}) == GoalCount(
        device_goals=3
    )


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(st.integers(0, 3), min_size=1, max_size=40),
    repeats=st.integers(1, 5),
    drop=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_total_is_the_device_total_whatever_is_heard(
    steps: list[int], repeats: int, drop: list[bool]
) -> None:
    """Any mix of repeats and lost beacons ends at the device's count once the last is heard."""
    counter = GoalCounter(ADDRESS)
    goals = 1
    counter.apply(payload(goals), 0.0)
    for index, step in enumerate(steps):
        goals += step
        heard = not drop[index] or index == len(steps) - 1
        for _ in range(repeats if heard else 0):
            counter.apply(payload(goals), float(index))
    assert counter.state.total == goals
