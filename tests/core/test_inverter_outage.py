"""When a silent inverter deserves a repair issue: learned nights, 24 h and 48 h."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from hypothesis import given, strategies as st
import pytest

from edge_hub_core.inverter_outage import ANY_LIMIT, OutageTracker

CET = timezone(timedelta(hours=1))
MONDAY_DUSK = datetime(2026, 3, 2, 20, 30, tzinfo=CET)


def _after_a_night() -> OutageTracker:
    tracker = OutageTracker()
    assert tracker.went_offline(MONDAY_DUSK)
    assert tracker.came_online(MONDAY_DUSK + timedelta(hours=10))  # 06:30
    return tracker


def test_a_night_teaches_the_window() -> None:
    tracker = _after_a_night()
    assert (tracker.night_start, tracker.night_end) == (time(20, 30), time(6, 30))
    assert tracker.offline_since is None
    assert tracker.in_night(MONDAY_DUSK.replace(hour=23)) is True
    assert tracker.in_night(MONDAY_DUSK.replace(hour=7)) is True  # within the margin
    assert tracker.in_night(MONDAY_DUSK.replace(hour=12)) is False
    assert not tracker.came_online(MONDAY_DUSK)  # no outage to end


@pytest.mark.parametrize("hours", [1, 2.5, 21, 30])
def test_hiccups_and_long_outages_are_no_night(hours: float) -> None:
    tracker = OutageTracker()
    tracker.went_offline(MONDAY_DUSK)
    tracker.came_online(MONDAY_DUSK + timedelta(hours=hours))
    assert tracker.in_night(MONDAY_DUSK) is None


def test_dead_since_noon_is_reported_the_next_noon() -> None:
    tracker = _after_a_night()
    noon = MONDAY_DUSK.replace(day=3, hour=12)
    tracker.went_offline(noon)
    assert not tracker.went_offline(noon + timedelta(hours=1))  # the same outage
    assert not tracker.overdue(noon + timedelta(hours=23, minutes=59))
    assert tracker.overdue(noon + timedelta(hours=24))
    tracker.came_online(noon + timedelta(hours=25))
    assert not tracker.overdue(noon + timedelta(hours=26))


def test_dead_since_dusk_waits_for_the_morning_after() -> None:
    tracker = _after_a_night()
    dusk = MONDAY_DUSK + timedelta(days=1)
    tracker.went_offline(dusk)
    # a whole day without an answer, but at 20:30 the inverter would sleep anyway
    assert not tracker.overdue(dusk + timedelta(hours=24))
    assert not tracker.overdue(dusk + timedelta(hours=33))  # 05:30: still the night
    assert tracker.overdue(dusk + timedelta(hours=36))  # 08:30: it should be up


def test_without_a_known_night_48_hours() -> None:
    tracker = OutageTracker()
    tracker.went_offline(MONDAY_DUSK.replace(hour=12))
    assert not tracker.overdue(MONDAY_DUSK.replace(hour=12) + timedelta(hours=30))
    assert tracker.overdue(MONDAY_DUSK.replace(hour=12) + ANY_LIMIT)


def test_state_survives_a_restart() -> None:
    tracker = _after_a_night()
    tracker.went_offline(MONDAY_DUSK + timedelta(days=2))
    restored = OutageTracker.from_dict(tracker.as_dict())
    assert restored == tracker
    assert OutageTracker.from_dict(None) == OutageTracker()
    assert OutageTracker.from_dict({"offline_since": "yesterday"}) == OutageTracker()
    # a naive time stamp cannot be compared with an aware now: forgotten
    assert OutageTracker.from_dict({"offline_since": "2026-03-02T20:30:00"}).offline_since is None


@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 - made aware below
        max_value=datetime(2030, 1, 1),  # noqa: DTZ001
    ),
    lasted=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)),
    learned=st.booleans(),
)
def test_never_before_24_hours_always_after_48(
    start: datetime, lasted: timedelta, learned: bool
) -> None:
    tracker = _after_a_night() if learned else OutageTracker()
    start = start.replace(tzinfo=CET)
    tracker.went_offline(start)
    overdue = tracker.overdue(start + lasted)
    if lasted < timedelta(hours=24):
        assert not overdue
    if lasted >= ANY_LIMIT:
        assert overdue
