"""The libgpiod v2 backend against a fake `gpiod` module (the only mock: the hardware edge)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
import enum
import os
import sys
import types
from typing import Any

import pytest

from edge_agent.feature import FeatureContext
from edge_agent.features.laps import SPEC, LapsFeature
from edge_agent.features.laps.gpio import GpiodSource, GpioError

from .laps_helpers import until


class Bias(enum.Enum):
    AS_IS = 1
    DISABLED = 2
    PULL_UP = 3
    PULL_DOWN = 4


class EdgeKind(enum.Enum):
    NONE = 1
    RISING = 2
    FALLING = 3
    BOTH = 4


class Clock(enum.Enum):
    MONOTONIC = 1
    REALTIME = 2


class Direction(enum.Enum):
    AS_IS = 1
    INPUT = 2
    OUTPUT = 3


@dataclass
class LineSettings:
    direction: Any = None
    edge_detection: Any = None
    bias: Any = None
    debounce_period: Any = None
    event_clock: Any = None


@dataclass
class EdgeEvent:
    event_type: int
    timestamp_ns: int
    line_offset: int
    global_seqno: int
    line_seqno: int


class FakeRequest:
    def __init__(self, chip: FakeChip, config: dict[int, LineSettings], buffer: int) -> None:
        self.chip = chip
        self.config = config
        self.buffer = buffer
        self._read, self._write = os.pipe()
        self.queue: list[EdgeEvent] = []
        self.released = False
        self.global_seqno = 0
        self.line_seqno: dict[int, int] = {}

    @property
    def fd(self) -> int:
        return self._read

    def edge(self, offset: int, ts_ns: int) -> None:
        """The kernel saw an edge: queue it and make the fd readable."""
        self.global_seqno += 1
        self.line_seqno[offset] = self.line_seqno.get(offset, 0) + 1
        self.queue.append(EdgeEvent(2, ts_ns, offset, self.global_seqno, self.line_seqno[offset]))
        os.write(self._write, b"x")

    def read_edge_events(self) -> list[EdgeEvent]:
        os.read(self._read, 4096)
        events, self.queue = self.queue, []
        return events

    def release(self) -> None:
        self.released = True
        os.close(self._read)
        os.close(self._write)


class FakeChip:
    chips: dict[str, FakeChip] = {}
    names = {"GPIO17": 17, "GPIO27": 27, "GPIO22": 22}

    def __init__(self, path: str) -> None:
        if path not in self.chips:
            raise OSError(2, "No such file or directory", path)
        self.path = path

    def __new__(cls, path: str) -> FakeChip:
        return cls.chips.get(path) or super().__new__(cls)

    def __enter__(self) -> FakeChip:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def line_offset_from_id(self, line: int | str) -> int:
        if isinstance(line, int):
            return line
        if line not in self.names:
            raise OSError(2, "No such file or directory")
        return self.names[line]

    def request_lines(
        self, config: dict[int, LineSettings], consumer: str, event_buffer_size: int
    ) -> FakeRequest:
        assert consumer == "edge-agent-laps"
        self.request = FakeRequest(self, config, event_buffer_size)
        return self.request


@pytest.fixture
def fake_gpiod(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeChip]]:
    gpiod = types.ModuleType("gpiod")
    line = types.ModuleType("gpiod.line")
    line.Bias = Bias  # type: ignore[attr-defined]
    line.Edge = EdgeKind  # type: ignore[attr-defined]
    line.Clock = Clock  # type: ignore[attr-defined]
    line.Direction = Direction  # type: ignore[attr-defined]
    gpiod.line = line  # type: ignore[attr-defined]
    gpiod.Chip = FakeChip  # type: ignore[attr-defined]
    gpiod.LineSettings = LineSettings  # type: ignore[attr-defined]
    gpiod.request_lines = lambda *a, **k: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gpiod", gpiod)
    monkeypatch.setitem(sys.modules, "gpiod.line", line)
    FakeChip.chips = {"/dev/gpiochip0": object.__new__(FakeChip)}
    FakeChip.chips["/dev/gpiochip0"].path = "/dev/gpiochip0"
    yield FakeChip
    FakeChip.chips = {}


CONFIG = {
    "backend": "gpiod",
    "min_lap_ms": 1000,
    "lanes": [
        {"lane": 1, "line": "GPIO17"},
        {"lane": 2, "line": 27, "edge": "rising", "bias": "pull_down", "min_lap_ms": 2000},
    ],
}


async def test_lanes_are_requested_without_debounce_on_the_monotonic_clock(
    fake_gpiod: type[FakeChip],
) -> None:
    feature = SPEC.build(SPEC.parse(CONFIG, "laps"))
    assert isinstance(feature, LapsFeature)
    records: list[tuple[str, dict[str, Any]]] = []
    ctx = FeatureContext(
        agent_id="track",
        emit=lambda kind, data: records.append((kind, dict(data))) or len(records),
        publish_live=lambda *_: None,
    )
    task = asyncio.create_task(feature.run(ctx))
    await until(lambda: hasattr(fake_gpiod.chips["/dev/gpiochip0"], "request"))
    request = fake_gpiod.chips["/dev/gpiochip0"].request
    assert request.buffer == 1024
    assert request.config[17] == LineSettings(
        Direction.INPUT, EdgeKind.FALLING, Bias.PULL_UP, timedelta(0), Clock.MONOTONIC
    )
    assert request.config[27] == LineSettings(
        Direction.INPUT, EdgeKind.RISING, Bias.PULL_DOWN, timedelta(0), Clock.MONOTONIC
    )

    t0 = 5_000_000_000
    request.edge(17, t0)
    request.edge(27, t0)  # the same ns on the other lane
    request.edge(17, t0 + 300_000)  # bounce
    await until(lambda: len(records) == 2)
    request.edge(17, t0 + 3_250_000_000)
    request.line_seqno[27] += 2  # the kernel's buffer overflowed: two edges of lane 2 lost
    request.edge(27, t0 + 3_500_000_000)
    await until(lambda: len(records) == 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await feature.close()
    assert request.released

    laps = [data for kind, data in records if kind == "lap"]
    assert [(r["lane"], r["lap"], r["lap_time_us"], r["edge_seq"]) for r in laps] == [
        (1, 0, None, 1),
        (2, 0, None, 1),
        (1, 1, 3_250_000, 3),
        (2, 1, 3_500_000, 4),
    ]
    # crossing times are the kernel timestamps moved to wall time, not when Python read them
    offset = laps[0]["crossed_ns"] - t0
    assert abs(laps[2]["crossed_ns"] - offset - (t0 + 3_250_000_000)) < 1_000_000
    assert ("edge_gap", {"lane": 2, "missed": 2}) in records


async def test_an_unknown_line_or_chip_is_a_clear_error(fake_gpiod: type[FakeChip]) -> None:
    config = SPEC.parse({**CONFIG, "lanes": [{"lane": 1, "line": "GPIO99"}]}, "laps")
    source = GpiodSource(config.lanes)
    with pytest.raises(GpioError, match="lane 1: no line 'GPIO99' on /dev/gpiochip0"):
        await source.open()
    config = SPEC.parse({**CONFIG, "chip": "/dev/gpiochip4"}, "laps")
    with pytest.raises(GpioError, match="cannot claim lines on /dev/gpiochip4"):
        await GpiodSource(config.lanes).open()


async def test_missing_bindings_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gpiod", None)
    source = GpiodSource(SPEC.parse(CONFIG, "laps").lanes)
    with pytest.raises(GpioError, match=r"edge-agent\[gpio\]"):
        await source.open()
