"""The pure lap detector: bounce, minimum lap time, simultaneous crossings, digital IDs, gaps."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from edge_agent.features.laps.detector import (
    NS_PER_MS,
    NS_PER_US,
    DigitalSpec,
    Edge,
    EdgeGap,
    LaneSpec,
    Lap,
    LapDetector,
    Unidentified,
)

S = 1_000_000_000
T0 = 100 * S
MIN_LAP = 1500 * NS_PER_MS


def analog(lanes: int = 2, min_lap_ns: int = MIN_LAP) -> LapDetector:
    return LapDetector([LaneSpec(lane=n, min_lap_ns=min_lap_ns) for n in range(1, lanes + 1)])


def laps(detections: list[object]) -> list[Lap]:
    return [d for d in detections if isinstance(d, Lap)]


def feed_all(detector: LapDetector, edges: list[Edge]) -> list[object]:
    out: list[object] = []
    for edge in edges:
        out.extend(detector.feed(edge))
    return out


def test_first_crossing_is_lap_zero_and_starts_lap_one() -> None:
    detector = analog()
    first = detector.feed(Edge(1, T0, 1))
    assert first == [Lap(lane=1, car="1", lap=0, lap_time_us=None, crossed_ns=T0, edge_seq=1)]
    second = detector.feed(Edge(1, T0 + 4_123_456_789, 2))
    assert second == [
        Lap(
            lane=1, car="1", lap=1, lap_time_us=4_123_457, crossed_ns=T0 + 4_123_456_789, edge_seq=2
        )
    ]
    assert second[0].record(1_763_798_400_000_000_000) == {
        "lane": 1,
        "car": "1",
        "lap": 1,
        "lap_time_us": 4_123_457,
        "crossed_ns": 1_763_798_400_000_000_000,
        "edge_seq": 2,
    }


def test_contact_bounce_keeps_the_first_edge() -> None:
    detector = analog()
    bounces = [0, 40 * NS_PER_US, 900 * NS_PER_US, 2_700 * NS_PER_US]
    out = feed_all(detector, [Edge(1, T0 + b, i + 1) for i, b in enumerate(bounces)])
    assert [(lap.lap, lap.crossed_ns) for lap in laps(out)] == [(0, T0)]
    out = feed_all(detector, [Edge(1, T0 + 4 * S + b, i + 5) for i, b in enumerate(bounces)])
    assert [(lap.lap, lap.lap_time_us) for lap in laps(out)] == [(1, 4_000_000)]
    assert detector.stats.rejected == 6


def test_minimum_lap_time_rejects_retriggers_and_times_from_the_real_crossing() -> None:
    detector = analog()
    detector.feed(Edge(1, T0))
    assert detector.feed(Edge(1, T0 + 1499 * NS_PER_MS)) == []  # a wobbling car, not a lap
    [lap] = detector.feed(Edge(1, T0 + 1500 * NS_PER_MS))
    assert isinstance(lap, Lap)
    assert lap.lap == 1
    assert lap.lap_time_us == 1_500_000


def test_per_lane_minimum_lap_time() -> None:
    detector = LapDetector([LaneSpec(1, 1000 * NS_PER_MS), LaneSpec(2, 3000 * NS_PER_MS)])
    feed_all(detector, [Edge(1, T0), Edge(2, T0)])
    out = feed_all(detector, [Edge(1, T0 + 2 * S), Edge(2, T0 + 2 * S)])
    assert [(lap.lane, lap.lap) for lap in laps(out)] == [(1, 1)]


def test_two_cars_in_the_same_millisecond_on_two_lanes_both_count() -> None:
    detector = analog(lanes=4)
    same_ns = [Edge(1, T0), Edge(2, T0), Edge(3, T0 + 999 * NS_PER_US), Edge(4, T0 + 1)]
    out = feed_all(detector, same_ns)
    assert [(lap.lane, lap.car, lap.lap) for lap in laps(out)] == [
        (1, "1", 0),
        (2, "2", 0),
        (3, "3", 0),
        (4, "4", 0),
    ]
    out = feed_all(detector, [Edge(2, T0 + 3 * S), Edge(1, T0 + 3 * S)])
    assert [(lap.lane, lap.lap, lap.lap_time_us) for lap in laps(out)] == [
        (2, 1, 3_000_000),
        (1, 1, 3_000_000),
    ]


def test_the_lanes_car_is_configurable() -> None:
    detector = LapDetector([LaneSpec(1, MIN_LAP, car="red"), LaneSpec(2, MIN_LAP, car="blue")])
    out = feed_all(detector, [Edge(2, T0), Edge(1, T0)])
    assert [lap.car for lap in laps(out)] == ["blue", "red"]


def test_dropped_edges_are_reported_from_the_line_sequence_numbers() -> None:
    detector = analog()
    out = feed_all(detector, [Edge(1, T0, 1), Edge(1, T0 + 2 * S, 2), Edge(1, T0 + 4 * S, 5)])
    assert [d for d in out if isinstance(d, EdgeGap)] == [EdgeGap(lane=1, missed=2)]
    # the lap after the gap is still counted, timed from the last crossing seen
    timed = [(lap.lap, lap.lap_time_us) for lap in laps(out)]
    assert timed == [(0, None), (1, 2_000_000), (2, 2_000_000)]
    # lanes number their edges independently; a first edge numbered 3 lost two before it
    assert detector.feed(Edge(2, T0 + 5 * S, 3))[0] == EdgeGap(lane=2, missed=2)
    assert detector.stats.missed_edges == 4


def test_unknown_sequence_numbers_and_unconfigured_lanes() -> None:
    detector = analog()
    assert laps(feed_all(detector, [Edge(1, T0), Edge(1, T0 + 2 * S)])) != []  # seqno 0: no gaps
    assert detector.feed(Edge(9, T0)) == []
    assert detector.stats.missed_edges == 0


def test_an_edge_older_than_the_last_crossing_is_not_a_lap() -> None:
    detector = analog()
    detector.feed(Edge(1, T0 + 5 * S))
    assert detector.feed(Edge(1, T0)) == []
    assert detector.stats.out_of_order == 1


# --- digital sets ------------------------------------------------------------------------

TABLE = DigitalSpec(
    periods_ns=[("1", 64 * NS_PER_US), ("2", 128 * NS_PER_US), ("3", 192 * NS_PER_US)],
    tolerance=0.15,
    burst_gap_ns=2 * NS_PER_MS,
    min_pulses=4,
)


def burst(lane: int, start: int, period_ns: int, count: int = 40) -> list[Edge]:
    return [Edge(lane, start + k * period_ns) for k in range(count)]


def digital(lanes: int = 2) -> LapDetector:
    return LapDetector([LaneSpec(n, MIN_LAP) for n in range(1, lanes + 1)], TABLE)


def test_digital_cars_are_identified_by_their_pulse_period() -> None:
    detector = digital()
    out = feed_all(detector, burst(1, T0, 64 * NS_PER_US) + burst(2, T0, 130 * NS_PER_US))
    assert laps(out) == []  # a burst is complete only once the sensor has been quiet
    deadline = detector.next_deadline()
    assert deadline is not None
    assert detector.expire(deadline - 1) == []
    out = detector.expire(deadline + 40 * 130 * NS_PER_US)
    assert sorted((lap.lane, lap.car, lap.lap, lap.crossed_ns) for lap in laps(out)) == [
        (1, "1", 0, T0),
        (2, "2", 0, T0),
    ]
    assert detector.next_deadline() is None


def test_a_digital_burst_ends_when_the_next_one_starts() -> None:
    detector = digital()
    feed_all(detector, burst(1, T0, 192 * NS_PER_US))
    out = feed_all(detector, burst(1, T0 + 4 * S, 192 * NS_PER_US))
    assert [(lap.car, lap.lap) for lap in laps(out)] == [("3", 0)]
    out = detector.expire(T0 + 5 * S)
    assert [(lap.car, lap.lap, lap.lap_time_us) for lap in laps(out)] == [("3", 1, 4_000_000)]


def test_digital_car_changing_lanes_keeps_its_laps_and_minimum_lap_time() -> None:
    detector = digital()
    feed_all(detector, burst(1, T0, 64 * NS_PER_US))
    feed_all(detector, burst(2, T0 + 1 * S, 64 * NS_PER_US))  # too soon: a re-trigger
    detector.expire(T0 + 2 * S)
    feed_all(detector, burst(2, T0 + 3 * S, 64 * NS_PER_US))
    out = detector.expire(T0 + 4 * S)
    assert [(lap.lane, lap.car, lap.lap, lap.lap_time_us) for lap in laps(out)] == [
        (2, "1", 1, 3_000_000)
    ]
    assert detector.stats.rejected == 1


def test_digital_noise_and_unknown_cars() -> None:
    detector = digital()
    feed_all(detector, burst(1, T0, 64 * NS_PER_US, count=3))  # three edges: noise
    assert detector.expire(T0 + S) == []
    feed_all(detector, burst(1, T0 + 2 * S, 400 * NS_PER_US))  # nothing in the table
    [unknown] = detector.expire(T0 + 3 * S)
    assert unknown == Unidentified(lane=1, crossed_ns=T0 + 2 * S, period_us=400.0, pulses=40)
    assert detector.stats.noise_bursts == 1
    assert detector.stats.unidentified == 1


def test_digital_identification_tolerates_pulse_jitter() -> None:
    detector = digital()
    wobbly = [Edge(1, T0 + k * 128 * NS_PER_US + (k % 3 - 1) * 4 * NS_PER_US) for k in range(30)]
    feed_all(detector, wobbly)
    [lap] = detector.expire(T0 + S)
    assert isinstance(lap, Lap)
    assert lap.car == "2"


# --- a property: whatever the bounce, exactly the true crossings come out --------------------


@settings(max_examples=60, deadline=None)
@given(
    lap_ms=st.lists(st.integers(1600, 9000), min_size=1, max_size=15),
    bounce=st.lists(st.lists(st.integers(1, 1400_000), max_size=6), min_size=16, max_size=16),
)
def test_bounce_never_adds_or_loses_a_lap(lap_ms: list[int], bounce: list[list[int]]) -> None:
    detector = analog(lanes=1)
    crossings = [T0]
    for ms in lap_ms:
        crossings.append(crossings[-1] + ms * NS_PER_MS)
    edges = []
    for crossing, extra in zip(crossings, bounce, strict=False):
        edges += [Edge(1, crossing)] + [Edge(1, crossing + us * NS_PER_US // 1000) for us in extra]
    edges.sort(key=lambda e: e.ts_ns)
    found = laps(feed_all(detector, edges))
    assert [lap.crossed_ns for lap in found] == crossings
    assert [lap.lap_time_us for lap in found[1:]] == [ms * 1000 for ms in lap_ms]
