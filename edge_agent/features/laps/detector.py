"""Pure lap detection: GPIO edges (with kernel timestamps) in, laps out. No I/O, no clock.

Rules (docs/protocol.md §1.6, `lap` and `edge_gap` records):
- Lap times come only from the edges' kernel timestamps (CLOCK_MONOTONIC ns), never from
  when they were read, so a late read never changes a lap time.
- The first edge of a crossing counts; nothing is debounced by delaying it. A car's minimum
  lap time then rejects contact bounce and re-triggers (a car wobbling on the sensor).
- A car's first crossing is lap 0 (no lap time) and starts lap 1.
- Lanes are independent: two cars crossing in the same millisecond on two lanes both count.
- Analog sets: one car per lane. Digital sets (Carrera/Scalextric Digital): each car's IR LED
  blinks with its own period; a crossing is a burst of pulses on the lane sensor, the car is
  the ID-table entry matching the burst's median pulse period, and the crossing time is the
  burst's first edge. A burst ends when no pulse came for `burst_gap_ns`, so digital laps are
  reported once `expire(now)` passes that point (`next_deadline()` says when).
- The kernel numbers every edge of a line (`line_seqno`); a jump means edges were dropped
  (its event buffer overflowed) and is reported as an EdgeGap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median
from typing import TypeAlias

NS_PER_US = 1_000
NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Edge:
    """One active edge on a lane sensor, as the kernel reported it."""

    lane: int
    ts_ns: int  # kernel timestamp, CLOCK_MONOTONIC
    line_seqno: int = 0  # per-line sequence number from the kernel; 0 = unknown
    global_seqno: int = 0  # per-request sequence number (kept for diagnostics)


@dataclass(frozen=True, slots=True)
class Lap:
    """A car crossed the line: `lap` laps completed, `lap_time_us` None for lap 0."""

    lane: int
    car: str
    lap: int
    lap_time_us: int | None
    crossed_ns: int  # monotonic timestamp of the crossing's first edge
    edge_seq: int | None

    def record(self, crossed_wall_ns: int) -> dict[str, object]:
        """The `lap` record's data (docs/protocol.md §1.6), with the crossing in wall time."""
        data: dict[str, object] = {
            "lane": self.lane,
            "car": self.car,
            "lap": self.lap,
            "lap_time_us": self.lap_time_us,
            "crossed_ns": crossed_wall_ns,
        }
        if self.edge_seq is not None:
            data["edge_seq"] = self.edge_seq
        return data


@dataclass(frozen=True, slots=True)
class EdgeGap:
    """The kernel's sequence numbers show `missed` dropped edges on `lane`."""

    lane: int
    missed: int


@dataclass(frozen=True, slots=True)
class Unidentified:
    """A digital burst whose pulse period matches no car in the ID table."""

    lane: int
    crossed_ns: int
    period_us: float
    pulses: int


Detection: TypeAlias = Lap | EdgeGap | Unidentified


@dataclass(frozen=True, slots=True)
class LaneSpec:
    lane: int
    min_lap_ns: int
    car: str = ""  # analog: the lane's car (default: the lane number)

    def car_id(self) -> str:
        return self.car or str(self.lane)


@dataclass(frozen=True, slots=True)
class DigitalSpec:
    """How digital cars are told apart by their IR LED's pulse period."""

    periods_ns: Sequence[tuple[str, int]]  # (car, pulse period) - the ID table
    tolerance: float = 0.15  # a period matches within ±15 %
    burst_gap_ns: int = 2 * NS_PER_MS  # a quieter pause than this ends a burst
    min_pulses: int = 4  # fewer edges than this are noise, not a car

    def identify(self, period_ns: float) -> str | None:
        best: tuple[float, str] | None = None
        for car, nominal in self.periods_ns:
            error = abs(period_ns - nominal) / nominal
            if error <= self.tolerance and (best is None or error < best[0]):
                best = (error, car)
        return None if best is None else best[1]


@dataclass(slots=True)
class DetectorStats:
    edges: int = 0
    laps: int = 0
    rejected: int = 0  # edges or bursts inside a car's minimum lap time (bounce, re-trigger)
    missed_edges: int = 0
    noise_bursts: int = 0  # digital bursts too short to identify
    unidentified: int = 0
    out_of_order: int = 0


@dataclass(slots=True)
class _Car:
    laps: int = -1  # -1: never crossed
    last_ns: int = 0
    last_lane: int = 0


@dataclass(slots=True)
class _Burst:
    first: Edge
    last_ns: int
    stamps: list[int] = field(default_factory=list)


class LapDetector:
    """Turns one agent's lane edges into laps; feed edges in kernel order per lane."""

    def __init__(self, lanes: Iterable[LaneSpec], digital: DigitalSpec | None = None) -> None:
        self._lanes = {spec.lane: spec for spec in lanes}
        self._digital = digital
        self._cars: dict[str, _Car] = {}
        self._line_seq: dict[int, int] = {}
        self._bursts: dict[int, _Burst] = {}
        self.stats = DetectorStats()

    def feed(self, edge: Edge) -> list[Detection]:
        """Detections caused by one edge (analog laps come out at once)."""
        spec = self._lanes.get(edge.lane)
        if spec is None:
            return []
        self.stats.edges += 1
        out: list[Detection] = []
        gap = self._check_seq(edge)
        if gap is not None:
            out.append(gap)
        if self._digital is None:
            lap = self._crossing(spec, spec.car_id(), edge.ts_ns, edge.line_seqno)
            if lap is not None:
                out.append(lap)
            return out
        burst = self._bursts.get(edge.lane)
        if burst is not None and edge.ts_ns - burst.last_ns > self._digital.burst_gap_ns:
            out.extend(self._close_burst(spec, burst))
            burst = None
        if burst is None:
            self._bursts[edge.lane] = _Burst(first=edge, last_ns=edge.ts_ns, stamps=[edge.ts_ns])
        else:
            burst.last_ns = max(burst.last_ns, edge.ts_ns)
            burst.stamps.append(edge.ts_ns)
        return out

    def expire(self, now_ns: int) -> list[Detection]:
        """Close the digital bursts that ended before `now_ns` (monotonic)."""
        if self._digital is None or not self._bursts:
            return []
        out: list[Detection] = []
        for lane, burst in sorted(self._bursts.items(), key=lambda item: item[1].first.ts_ns):
            if now_ns - burst.last_ns > self._digital.burst_gap_ns:
                out.extend(self._close_burst(self._lanes[lane], burst))
        return out

    def next_deadline(self) -> int | None:
        """When `expire` may next have something to close (monotonic ns), if ever."""
        if self._digital is None or not self._bursts:
            return None
        return min(b.last_ns for b in self._bursts.values()) + self._digital.burst_gap_ns + 1

    # --- internals ----------------------------------------------------------------------

    def _check_seq(self, edge: Edge) -> EdgeGap | None:
        if edge.line_seqno <= 0:
            return None
        previous = self._line_seq.get(edge.lane, 0)
        if edge.line_seqno <= previous:  # a re-requested line restarts its numbering
            self._line_seq[edge.lane] = edge.line_seqno
            return None
        self._line_seq[edge.lane] = edge.line_seqno
        missed = edge.line_seqno - previous - 1
        if missed <= 0:
            return None
        self.stats.missed_edges += missed
        return EdgeGap(lane=edge.lane, missed=missed)

    def _crossing(self, spec: LaneSpec, car: str, ts_ns: int, seqno: int) -> Lap | None:
        state = self._cars.setdefault(car, _Car())
        if state.laps >= 0:
            since = ts_ns - state.last_ns
            if since < 0:
                self.stats.out_of_order += 1
                return None
            if since < spec.min_lap_ns:
                self.stats.rejected += 1
                return None
        lap_time_us = None if state.laps < 0 else (ts_ns - state.last_ns + 500) // NS_PER_US
        state.laps += 1
        state.last_ns = ts_ns
        state.last_lane = spec.lane
        self.stats.laps += 1
        return Lap(
            lane=spec.lane,
            car=car,
            lap=state.laps,
            lap_time_us=lap_time_us,
            crossed_ns=ts_ns,
            edge_seq=seqno or None,
        )

    def _close_burst(self, spec: LaneSpec, burst: _Burst) -> list[Detection]:
        assert self._digital is not None
        del self._bursts[spec.lane]
        stamps = sorted(burst.stamps)
        if len(stamps) < self._digital.min_pulses:
            self.stats.noise_bursts += 1
            return []
        period = median(b - a for a, b in pairwise(stamps))
        car = self._digital.identify(period)
        if car is None:
            self.stats.unidentified += 1
            return [
                Unidentified(
                    lane=spec.lane,
                    crossed_ns=burst.first.ts_ns,
                    period_us=round(period / NS_PER_US, 1),
                    pulses=len(stamps),
                )
            ]
        lap = self._crossing(spec, car, burst.first.ts_ns, burst.first.line_seqno)
        return [] if lap is None else [lap]
