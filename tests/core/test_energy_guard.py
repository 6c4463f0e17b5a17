"""Energy counters never publish a zero or a decrease (the Energy dashboard's top complaint)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from edge_hub_core.energy_guard import CounterGuard, DailyFromTotal

T0 = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_lifetime_ignores_zero_unknown_and_drop() -> None:
    guard = CounterGuard.for_unit("lifetime", "kWh", max_power_w=10_000)
    assert guard.update(0.0, _at(0)) is None  # a first zero is "not implemented", not a value
    assert guard.update(12345.0, _at(5)) == 12345.0
    assert guard.update(0.0, _at(10)) == 12345.0
    assert guard.update(None, _at(15)) == 12345.0
    assert guard.update(12000.0, _at(20)) == 12345.0
    assert guard.update(12345.1, _at(60)) == 12345.1
    assert guard.rejected == 2


def test_lifetime_rejects_impossible_jump_until_time_makes_it_plausible() -> None:
    guard = CounterGuard.for_unit("lifetime", "kWh", max_power_w=10_000)
    guard.update(100.0, _at(0))
    assert guard.update(5000.0, _at(60)) == 100.0  # 4900 kWh in a minute: garbage
    assert guard.update(100.2, _at(120)) == 100.2
    # HA down for three weeks: 4900 kWh at 10 kW needs 490 h
    assert guard.update(5000.0, _at(120 + 21 * 86400)) == 5000.0


def test_daily_reset_once_a_day_confirmed_by_two_polls() -> None:
    guard = CounterGuard.for_unit("daily", "kWh", max_power_w=10_000)
    day1 = datetime(2026, 6, 21, 23, 50, tzinfo=UTC)
    guard.update(30.0, day1)
    # a glitch the same day is never taken for a reset
    assert guard.update(0.0, day1 + timedelta(minutes=1)) == 30.0
    assert guard.update(30.0, day1 + timedelta(minutes=2)) == 30.0
    # after midnight a lower value must show twice
    day2 = datetime(2026, 6, 22, 0, 5, tzinfo=UTC)
    assert guard.update(0.0, day2) == 30.0
    assert guard.update(0.0, day2 + timedelta(minutes=1)) == 0.0
    assert guard.update(0.5, day2 + timedelta(hours=7)) == 0.5
    # a second drop the same day is a glitch again
    assert guard.update(0.0, day2 + timedelta(hours=8)) == 0.5
    assert guard.update(0.0, day2 + timedelta(hours=8, minutes=1)) == 0.5


def test_restore_keeps_the_floor() -> None:
    guard = CounterGuard.for_unit("lifetime", "Wh", max_power_w=10_000)
    guard.update(5000.0, _at(0))
    again = CounterGuard.for_unit("lifetime", "Wh", max_power_w=10_000)
    again.restore(guard.as_dict())
    assert again.update(10.0, _at(30)) == 5000.0
    assert again.update(5001.0, _at(60)) == 5001.0
    broken = CounterGuard.for_unit("daily", "kWh", 1000)
    broken.restore({"value": "x", "reset_on": "not a date"})
    assert broken.value is None


@given(
    st.lists(
        st.one_of(st.none(), st.floats(min_value=-10, max_value=1e7, allow_nan=False)),
        min_size=1,
        max_size=80,
    )
)
def test_lifetime_never_decreases(readings: list[float | None]) -> None:
    guard = CounterGuard.for_unit("lifetime", "kWh", max_power_w=1_000_000)
    published: list[float] = []
    for i, reading in enumerate(readings):
        value = guard.update(reading, _at(30 * i))
        if value is not None:
            published.append(value)
    assert all(v > 0 for v in published)
    assert published == sorted(published)


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=80))
def test_daily_decreases_only_across_midnight(readings: list[float]) -> None:
    guard = CounterGuard.for_unit("daily", "kWh", max_power_w=1_000_000)
    last: float | None = None
    start = datetime(2026, 6, 21, 20, 0, tzinfo=UTC)
    for i, reading in enumerate(readings):
        now = start + timedelta(minutes=10 * i)
        value = guard.update(reading, now)
        if last is not None and value is not None and value < last:
            assert now.date() > start.date()
            assert guard.reset_on == now.date()
        last = value


def test_daily_from_total() -> None:
    daily = DailyFromTotal()
    assert daily.update(None, T0) is None
    assert daily.update(1000.0, T0) == 0.0
    assert daily.update(1500.0, T0 + timedelta(hours=2)) == 500.0
    assert daily.update(1600.0, T0 + timedelta(hours=13)) == 0.0  # next day: new baseline
    restored = DailyFromTotal()
    restored.restore(daily.as_dict())
    assert restored.update(1700.0, T0 + timedelta(hours=14)) == 100.0
