"""A simulated slot-car track: cars, their lane-sensor edges, and the ground truth.

Used by the tests, the bench and the demo (`backend: sim`). Everything random comes from one
seeded RNG, so a seed is a reproducible race. What it models, because real tracks do it:
- lap times drawn per car from a normal distribution (never below `min_lap_ns` + `margin_ns`);
- a grid start: every car's first crossing within the same millisecond, and later crossings
  snapped onto another lane's crossing (`simultaneous`: exactly the same ns, or < 1 ms apart);
- contact bounce (up to `bounce_max` extra edges within `bounce_ns` of the crossing) and
  re-triggers (a wobbling car: edges well after the crossing, inside the minimum lap time);
- digital cars: a burst of IR pulses at the car's period while it passes the sensor;
- delivery: the reader wakes some time after the edge (exponential jitter, sometimes a long
  stall) and reads everything the kernel has buffered; a buffer overflow drops the oldest
  edges, which the kernel's sequence numbers reveal.
`TrackSim.truth` lists every crossing as it really happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
import heapq
import random
import time

from .config import LapsConfig
from .detector import NS_PER_MS, NS_PER_US, Edge
from .source import EdgeSource


@dataclass(frozen=True, slots=True)
class SimCar:
    car: str
    lane: int
    lap_ns: int  # mean lap time
    sd_ns: int = 0  # its standard deviation
    period_ns: int | None = None  # digital cars: the IR LED's pulse period


@dataclass(frozen=True, slots=True)
class SimSettings:
    cars: Sequence[SimCar]
    laps: int | None = None  # laps each car completes (None: forever)
    seed: int = 1
    min_lap_ns: int = 1500 * NS_PER_MS  # the detector's minimum lap time
    margin_ns: int = 100 * NS_PER_MS  # no generated lap is shorter than min_lap_ns + this
    start_ns: int = 10_000 * NS_PER_MS  # monotonic time of the grid start
    grid_spread_ns: int = 800 * NS_PER_US  # every car's first crossing within this
    bounce_max: int = 3
    bounce_ns: int = 3 * NS_PER_MS
    retrigger: float = 0.02
    simultaneous: float = 0.1
    pass_ns: int = 6 * NS_PER_MS  # how long a digital car's LED is over the sensor
    jitter_ns: int = 300 * NS_PER_US  # mean delay from an edge to the reader waking
    stall: float = 0.005  # probability that the reader is held up for `stall_ns`
    stall_ns: int = 30 * NS_PER_MS
    buffer: int = 1024  # the kernel's event buffer (per request)


@dataclass(frozen=True, slots=True)
class TruthLap:
    car: str
    lane: int
    lap: int
    lap_time_us: int | None
    crossed_ns: int  # monotonic, the simulator's clock


@dataclass(slots=True)
class _CarState:
    spec: SimCar
    index: int
    lap: int = 0
    planned_ns: int = 0
    last_ns: int = 0
    snapped: bool = False
    done: bool = False


class TrackSim:
    """Generates crossings and their edges lazily, in timestamp order."""

    def __init__(self, settings: SimSettings) -> None:
        self.settings = settings
        self.truth: list[TruthLap] = []
        self._rng = random.Random(settings.seed)
        self._cars = [_CarState(spec=car, index=i) for i, car in enumerate(settings.cars)]
        self._planned: list[tuple[int, int]] = []  # (planned crossing ns, car index)
        for car in self._cars:
            car.planned_ns = settings.start_ns + self._rng.randint(0, settings.grid_spread_ns)
            heapq.heappush(self._planned, (car.planned_ns, car.index))
        self._edges: list[tuple[int, int, int]] = []  # (ts, lane, tiebreak)
        self._tiebreak = 0
        self._line_seq: dict[int, int] = {}
        self._global_seq = 0

    def edges(self) -> Iterator[Edge]:
        """Every edge of the race, in kernel order, numbered as the kernel numbers them."""
        while self._planned or self._edges:
            horizon = self._planned[0][0] if self._planned else None
            while self._edges and (horizon is None or self._edges[0][0] < horizon):
                ts, lane, _ = heapq.heappop(self._edges)
                self._global_seq += 1
                self._line_seq[lane] = self._line_seq.get(lane, 0) + 1
                yield Edge(lane, ts, self._line_seq[lane], self._global_seq)
            if self._planned:
                self._next_crossing()

    # --- crossings ------------------------------------------------------------------------

    def _next_crossing(self) -> None:
        planned, index = heapq.heappop(self._planned)
        car = self._cars[index]
        if not car.snapped and self._rng.random() < self.settings.simultaneous:
            partner = self._partner(car)
            if partner is not None:
                # cross with the partner: the very same ns, or within the same millisecond
                offset = 0 if self._rng.random() < 0.3 else self._rng.randint(1, 900 * NS_PER_US)
                car.planned_ns = partner + offset
                car.snapped = True
                heapq.heappush(self._planned, (car.planned_ns, index))
                return
        self._cross(car, planned)

    def _partner(self, car: _CarState) -> int | None:
        window = car.spec.lap_ns * 3 // 10
        best = None
        for other in self._cars:
            if other.done or other.spec.lane == car.spec.lane or other is car:
                continue
            if car.planned_ns <= other.planned_ns <= car.planned_ns + window and (
                best is None or other.planned_ns < best
            ):
                best = other.planned_ns
        return best

    def _cross(self, car: _CarState, at: int) -> None:
        spec = car.spec
        lap_time = None if car.lap == 0 else (at - car.last_ns + 500) // NS_PER_US
        self.truth.append(TruthLap(spec.car, spec.lane, car.lap, lap_time, at))
        for ts in self._crossing_edges(spec, at):
            self._tiebreak += 1
            heapq.heappush(self._edges, (ts, spec.lane, self._tiebreak))
        car.last_ns = at
        car.lap += 1
        car.snapped = False
        if self.settings.laps is not None and car.lap > self.settings.laps:
            car.done = True
            return
        floor = self.settings.min_lap_ns + self.settings.margin_ns
        lap = max(floor, round(self._rng.gauss(spec.lap_ns, spec.sd_ns)))
        car.planned_ns = at + lap
        heapq.heappush(self._planned, (car.planned_ns, car.index))

    def _crossing_edges(self, spec: SimCar, at: int) -> list[int]:
        rng, settings = self._rng, self.settings
        if spec.period_ns is not None:  # a digital car's pulse train
            count = max(2, settings.pass_ns // spec.period_ns)
            wobble = spec.period_ns // 50
            return [at] + [
                at + k * spec.period_ns + rng.randint(-wobble, wobble) for k in range(1, count)
            ]
        # every extra edge stays well inside the minimum lap time: bounce, not a lap
        inside = settings.min_lap_ns * 8 // 10
        stamps = [at]
        stamps += [
            at + rng.randint(20 * NS_PER_US, max(20 * NS_PER_US, min(settings.bounce_ns, inside)))
            for _ in range(rng.randint(0, settings.bounce_max))
        ]
        if rng.random() < settings.retrigger:  # the car wobbles over the sensor again
            again = at + rng.randint(min(50 * NS_PER_MS, inside // 2), inside)
            stamps += [again + rng.randint(0, NS_PER_MS) for _ in range(rng.randint(1, 3))]
        return stamps


@dataclass(slots=True)
class DeliveryStats:
    reads: int = 0
    delivered: int = 0
    dropped: int = 0  # kernel buffer overflows
    dropped_edges: list[Edge] = field(default_factory=list)
    last_seqno: dict[int, int] = field(default_factory=dict)  # lane -> last delivered
    max_delay_ns: int = 0  # edge timestamp to the read that delivered it


class SimEdgeSource(EdgeSource):
    """The simulated track as an EdgeSource.

    Virtual mode (`realtime=False`, tests): no sleeping; the clock jumps to each read, so a
    20-lap race takes milliseconds. Real-time mode (demo, bench): edges arrive when they
    happen, stamped with the real monotonic clock; `speed` > 1 runs the track that much
    faster (a 6 s lap takes 6/speed s and is timed so).
    """

    def __init__(
        self,
        settings: SimSettings,
        *,
        realtime: bool = False,
        speed: float = 1.0,
        wall_origin_ns: int | None = None,
        start_delay_ns: int = 0,
    ) -> None:
        self.sim = TrackSim(settings)
        self.settings = settings
        self.realtime = realtime
        self.speed = speed
        self.stats = DeliveryStats()
        self.finished = asyncio.Event()
        self._edges = self.sim.edges()
        self._next: Edge | None = None
        self._rng = random.Random(settings.seed ^ 0x5EED)
        self._wake_ns = 0  # the sim time of the last read
        self._pending_wake: int | None = None  # when the reader wakes for the next edge
        self._now_ns = settings.start_ns
        self._origin_real_ns = 0
        self._wall_origin_ns = wall_origin_ns
        # real time only: the grid start waits this long after open() (HA can start the
        # race first: the end-to-end tests, a demo that lines the cars up)
        self._start_delay_ns = start_delay_ns

    async def open(self) -> None:
        self._origin_real_ns = time.monotonic_ns() + self._start_delay_ns
        if self._wall_origin_ns is None:
            self._wall_origin_ns = time.time_ns()
        self._next = next(self._edges, None)

    @property
    def truth(self) -> list[TruthLap]:
        return self.sim.truth

    def now_ns(self) -> int:
        if self.realtime:
            return time.monotonic_ns()
        return self._now_ns

    def wall_ns(self, mono_ns: int) -> int:
        if self.realtime:
            return time.time_ns() - time.monotonic_ns() + mono_ns
        assert self._wall_origin_ns is not None
        return self._wall_origin_ns + mono_ns - self.settings.start_ns

    def to_mono(self, sim_ns: int) -> int:
        """A simulator timestamp on this source's monotonic clock."""
        if not self.realtime:
            return sim_ns
        return self._origin_real_ns + round((sim_ns - self.settings.start_ns) / self.speed)

    async def read(self, deadline_ns: int | None) -> list[Edge]:
        if self._next is None:
            self.finished.set()
            await self._wait_until(deadline_ns)
            return []
        if self._pending_wake is None:
            delay = round(self._rng.expovariate(1.0 / max(self.settings.jitter_ns, 1)))
            if self._rng.random() < self.settings.stall:
                delay += self.settings.stall_ns
            self._pending_wake = max(self._wake_ns, self._next.ts_ns + delay)
        wake = self._pending_wake
        if deadline_ns is not None and self.to_mono(wake) > deadline_ns:
            await self._wait_until(deadline_ns)
            return []
        await self._wait_until(self.to_mono(wake))
        self._wake_ns = wake
        self._pending_wake = None
        batch: list[Edge] = []
        while self._next is not None and self._next.ts_ns <= wake:
            batch.append(self._next)
            self._next = next(self._edges, None)
        if len(batch) > self.settings.buffer:  # the kernel keeps the newest events
            self.stats.dropped += len(batch) - self.settings.buffer
            self.stats.dropped_edges += batch[: -self.settings.buffer]
            batch = batch[-self.settings.buffer :]
        self.stats.reads += 1
        self.stats.delivered += len(batch)
        for edge in batch:
            self.stats.last_seqno[edge.lane] = edge.line_seqno
        self.stats.max_delay_ns = max(self.stats.max_delay_ns, wake - batch[0].ts_ns)
        if not self.realtime:
            return batch
        return [Edge(e.lane, self.to_mono(e.ts_ns), e.line_seqno, e.global_seqno) for e in batch]

    async def _wait_until(self, mono_ns: int | None) -> None:
        if not self.realtime:
            if mono_ns is None:
                await asyncio.Event().wait()  # the race is over: nothing ever comes again
            else:
                self._now_ns = max(self._now_ns, mono_ns)
            return
        if mono_ns is None:
            await asyncio.Event().wait()
            return
        delay = (mono_ns - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)


def settings_from_config(config: LapsConfig) -> SimSettings:
    """The simulated track of a `backend: sim` config (its lanes, cars and `sim` section)."""
    sim = config.sim
    periods = (
        {c.car: round(c.period_us * NS_PER_US) for c in config.digital.cars}
        if (config.digital is not None)
        else {}
    )
    return SimSettings(
        cars=[
            SimCar(
                car=car.car,
                lane=car.lane,
                lap_ns=round(car.lap_ms * NS_PER_MS),
                sd_ns=round(car.sd_ms * NS_PER_MS),
                period_ns=periods.get(car.car),
            )
            for car in sim.cars
        ],
        laps=sim.laps,
        seed=sim.seed,
        min_lap_ns=max(lane.min_lap_ms for lane in config.lanes) * NS_PER_MS,
        bounce_max=sim.bounce_max,
        bounce_ns=sim.bounce_us * NS_PER_US,
        retrigger=sim.retrigger,
        simultaneous=sim.simultaneous,
        jitter_ns=sim.jitter_us * NS_PER_US,
        margin_ns=round(sim.margin_ms * NS_PER_MS),
        stall=sim.stall,
        stall_ns=round(sim.stall_ms * NS_PER_MS),
        buffer=sim.buffer,
    )
