"""The `laps` section of the agent's config file, checked strictly into typed settings.

```yaml
laps:
  backend: gpiod            # gpiod (libgpiod v2) or sim
  chip: /dev/gpiochip0      # default chip of the lanes (Pi 5 on old kernels: gpiochip4)
  min_lap_ms: 1500          # shorter laps are bounce or re-triggers (per lane overridable)
  car_id: analog            # analog: one car per lane; digital: cars told apart by IR period
  lanes:
    - lane: 1
      line: GPIO17          # a line name, or its offset on the chip (17)
      edge: falling         # the edge a car causes: falling (beam broken, pull-up) or rising
      bias: pull_up         # pull_up, pull_down, disabled, as_is
      car: "1"              # analog only; default the lane number
      car_name: Red Ferrari
  digital:                  # car_id: digital only
    tolerance: 0.15
    burst_gap_us: 2000
    min_pulses: 4
    cars:
      - {car: "1", period_us: 64, name: Car 1}
  sim:                      # backend: sim only (see sim.py)
    seed: 1
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...schema import ConfigError, get, items, mapping, only_keys
from .detector import NS_PER_MS, NS_PER_US, DigitalSpec, LaneSpec

BACKENDS = ("gpiod", "sim")
EDGES = ("falling", "rising")
BIASES = ("pull_up", "pull_down", "disabled", "as_is")
CAR_ID_MODES = ("analog", "digital")


@dataclass(frozen=True, slots=True)
class LaneConfig:
    lane: int
    name: str
    line: int | str | None  # offset or line name; None only with the sim backend
    chip: str
    edge: str
    bias: str
    min_lap_ms: int
    car: str
    car_name: str

    def spec(self) -> LaneSpec:
        return LaneSpec(lane=self.lane, min_lap_ns=self.min_lap_ms * NS_PER_MS, car=self.car)


@dataclass(frozen=True, slots=True)
class DigitalCar:
    car: str
    period_us: float
    name: str


@dataclass(frozen=True, slots=True)
class DigitalConfig:
    cars: tuple[DigitalCar, ...]
    tolerance: float = 0.15
    burst_gap_us: int = 2000
    min_pulses: int = 4

    def spec(self) -> DigitalSpec:
        return DigitalSpec(
            periods_ns=[(c.car, round(c.period_us * NS_PER_US)) for c in self.cars],
            tolerance=self.tolerance,
            burst_gap_ns=self.burst_gap_us * NS_PER_US,
            min_pulses=self.min_pulses,
        )


@dataclass(frozen=True, slots=True)
class SimCarConfig:
    car: str
    lane: int
    lap_ms: float
    sd_ms: float


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Settings of the simulated track (see sim.py for what each one does)."""

    seed: int = 1
    realtime: bool = True
    speed: float = 1.0
    start_delay_s: float = 0.0  # real time: the grid start comes this long after start-up
    laps: int | None = None
    cars: tuple[SimCarConfig, ...] = ()
    bounce_max: int = 3
    bounce_us: int = 3000
    retrigger: float = 0.02
    simultaneous: float = 0.1
    jitter_us: int = 300
    margin_ms: float = 100.0  # no simulated lap is shorter than min_lap_ms + this
    stall: float = 0.005
    stall_ms: float = 30.0
    buffer: int = 1024


@dataclass(frozen=True, slots=True)
class LapsConfig:
    backend: str
    lanes: tuple[LaneConfig, ...]
    min_lap_ms: int = 1500
    car_id: str = "analog"
    digital: DigitalConfig | None = None
    event_buffer_size: int = 1024
    sim: SimConfig = field(default_factory=SimConfig)

    def cars(self) -> list[tuple[str, str]]:
        """(car, name) of every car this track knows."""
        if self.digital is not None:
            return [(c.car, c.name) for c in self.digital.cars]
        return [(lane.car, lane.car_name) for lane in self.lanes]


_TOP_KEYS = (
    "backend",
    "chip",
    "min_lap_ms",
    "car_id",
    "lanes",
    "digital",
    "sim",
    "event_buffer_size",
)
_LANE_KEYS = ("lane", "name", "line", "chip", "edge", "bias", "min_lap_ms", "car", "car_name")


def parse_config(raw: Any, path: str) -> LapsConfig:
    """The typed `laps` section; ConfigError naming the key path on anything wrong."""
    section = mapping(raw, path)
    only_keys(section, _TOP_KEYS, path)
    backend = get(section, "backend", str, path, "gpiod", choices=BACKENDS)
    chip = get(section, "chip", str, path, "/dev/gpiochip0")
    min_lap_ms = get(section, "min_lap_ms", int, path, 1500, minimum=1, maximum=600_000)
    car_id = get(section, "car_id", str, path, "analog", choices=CAR_ID_MODES)
    buffer = get(section, "event_buffer_size", int, path, 1024, minimum=16, maximum=65_536)
    lanes = tuple(
        _parse_lane(item, where, backend=backend, chip=chip, min_lap_ms=min_lap_ms)
        for where, item in items(section, "lanes", path)
    )
    if not lanes:
        raise ConfigError(f"{path}.lanes", "at least one lane is required")
    _unique([lane.lane for lane in lanes], f"{path}.lanes", "lane")
    digital = None
    if car_id == "digital":
        digital = _parse_digital(section.get("digital"), f"{path}.digital")
    elif section.get("digital") is not None:
        raise ConfigError(f"{path}.digital", "only used with car_id: digital")
    else:
        _unique([lane.car for lane in lanes], f"{path}.lanes", "car")
    sim = _parse_sim(section.get("sim"), f"{path}.sim", lanes, digital)
    return LapsConfig(
        backend=backend,
        lanes=lanes,
        min_lap_ms=min_lap_ms,
        car_id=car_id,
        digital=digital,
        event_buffer_size=buffer,
        sim=sim,
    )


def _parse_lane(raw: Any, path: str, *, backend: str, chip: str, min_lap_ms: int) -> LaneConfig:
    lane_map = mapping(raw, path)
    only_keys(lane_map, _LANE_KEYS, path)
    lane = get(lane_map, "lane", int, path, minimum=1, maximum=64)
    line: int | str | None = lane_map.get("line")
    if line is None:
        if backend == "gpiod":
            raise ConfigError(f"{path}.line", "is required (a line name or offset)")
    elif isinstance(line, bool) or not isinstance(line, int | str):
        raise ConfigError(f"{path}.line", f"must be a line name or offset, got {line!r}")
    elif isinstance(line, int) and line < 0:
        raise ConfigError(f"{path}.line", f"must be at least 0, got {line!r}")
    car = get(lane_map, "car", str, path, str(lane))
    if not car:
        raise ConfigError(f"{path}.car", "must not be empty")
    return LaneConfig(
        lane=lane,
        name=get(lane_map, "name", str, path, f"Lane {lane}"),
        line=line,
        chip=get(lane_map, "chip", str, path, chip),
        edge=get(lane_map, "edge", str, path, "falling", choices=EDGES),
        bias=get(lane_map, "bias", str, path, "pull_up", choices=BIASES),
        min_lap_ms=get(lane_map, "min_lap_ms", int, path, min_lap_ms, minimum=1, maximum=600_000),
        car=car,
        car_name=get(lane_map, "car_name", str, path, f"Car {car}"),
    )


def _parse_digital(raw: Any, path: str) -> DigitalConfig:
    section = mapping(raw, path)
    only_keys(section, ("cars", "tolerance", "burst_gap_us", "min_pulses"), path)
    cars = []
    for where, item in items(section, "cars", path):
        car_map = mapping(item, where)
        only_keys(car_map, ("car", "period_us", "name"), where)
        car = get(car_map, "car", str, where)
        cars.append(
            DigitalCar(
                car=car,
                period_us=get(car_map, "period_us", float, where, minimum=1, maximum=100_000),
                name=get(car_map, "name", str, where, f"Car {car}"),
            )
        )
    if not cars:
        raise ConfigError(f"{path}.cars", "the ID table needs at least one car")
    _unique([c.car for c in cars], f"{path}.cars", "car")
    return DigitalConfig(
        cars=tuple(cars),
        tolerance=get(section, "tolerance", float, path, 0.15, minimum=0.01, maximum=0.5),
        burst_gap_us=get(section, "burst_gap_us", int, path, 2000, minimum=10, maximum=1_000_000),
        min_pulses=get(section, "min_pulses", int, path, 4, minimum=2, maximum=10_000),
    )


_SIM_KEYS = (
    "seed",
    "realtime",
    "speed",
    "start_delay_s",
    "laps",
    "cars",
    "bounce_max",
    "bounce_us",
    "retrigger",
    "simultaneous",
    "jitter_us",
    "margin_ms",
    "stall",
    "stall_ms",
    "buffer",
)


def _parse_sim(
    raw: Any, path: str, lanes: tuple[LaneConfig, ...], digital: DigitalConfig | None
) -> SimConfig:
    section = mapping(raw, path)
    only_keys(section, _SIM_KEYS, path)
    lane_numbers = {lane.lane for lane in lanes}
    cars = []
    for where, item in items(section, "cars", path):
        car_map = mapping(item, where)
        only_keys(car_map, ("car", "lane", "lap_ms", "sd_ms"), where)
        lane = get(car_map, "lane", int, where, choices=sorted(lane_numbers))
        cars.append(
            SimCarConfig(
                car=get(car_map, "car", str, where, _lane_car(lanes, lane)),
                lane=lane,
                lap_ms=get(car_map, "lap_ms", float, where, 4000.0, minimum=1, maximum=600_000),
                sd_ms=get(car_map, "sd_ms", float, where, 100.0, minimum=0, maximum=60_000),
            )
        )
    if not cars:  # one car per lane, each a little slower than the one inside it
        names = [c.car for c in digital.cars] if digital else [lane.car for lane in lanes]
        cars = [
            SimCarConfig(car=car, lane=lane.lane, lap_ms=4000.0 + 150.0 * i, sd_ms=120.0)
            for i, (lane, car) in enumerate(zip(lanes, names, strict=False))
        ]
    if digital is not None:
        known = {c.car for c in digital.cars}
        for index, car in enumerate(cars):
            if car.car not in known:
                raise ConfigError(f"{path}.cars[{index}].car", "not in the digital ID table")
    return SimConfig(
        seed=get(section, "seed", int, path, 1),
        realtime=get(section, "realtime", bool, path, True),
        speed=get(section, "speed", float, path, 1.0, minimum=0.01, maximum=1000),
        start_delay_s=get(section, "start_delay_s", float, path, 0.0, minimum=0, maximum=3600),
        laps=get(section, "laps", int, path, None, minimum=1),
        cars=tuple(cars),
        bounce_max=get(section, "bounce_max", int, path, 3, minimum=0, maximum=50),
        bounce_us=get(section, "bounce_us", int, path, 3000, minimum=1, maximum=100_000),
        retrigger=get(section, "retrigger", float, path, 0.02, minimum=0, maximum=1),
        simultaneous=get(section, "simultaneous", float, path, 0.1, minimum=0, maximum=1),
        jitter_us=get(section, "jitter_us", int, path, 300, minimum=0, maximum=1_000_000),
        margin_ms=get(section, "margin_ms", float, path, 100.0, minimum=0, maximum=60_000),
        stall=get(section, "stall", float, path, 0.005, minimum=0, maximum=1),
        stall_ms=get(section, "stall_ms", float, path, 30.0, minimum=0, maximum=10_000),
        buffer=get(section, "buffer", int, path, 1024, minimum=1, maximum=1_000_000),
    )


def _lane_car(lanes: tuple[LaneConfig, ...], lane: int) -> str:
    return next(item.car for item in lanes if item.lane == lane)


def _unique(values: list[Any], path: str, what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ConfigError(path, f"{what} {value!r} appears twice")
        seen.add(value)
