"""Lane sensors on real GPIO through libgpiod v2 (`gpiod` >= 2.0.2, imported only here).

Why these settings:
- Only the active edge is requested and no debounce is set: kernel (and library) debounce
  stamps an event when its debounce timer runs, after the window, which would shift every
  lap time. The first edge's kernel timestamp is kept and bounce is filtered in software
  (the detector's minimum lap time).
- CLOCK_MONOTONIC timestamps: lap times are differences of kernel timestamps taken in the
  interrupt handler, immune to NTP steps and to how late Python reads them.
- One request per chip, read from the event loop when its fd becomes readable: no polling,
  no thread; an overflowing kernel buffer drops the oldest events, and the per-line sequence
  numbers make that visible (edge_gap records).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
import importlib
import time
from typing import Any

from .config import LaneConfig
from .detector import Edge
from .source import EdgeSource

CONSUMER = "edge-agent-laps"


class GpioError(RuntimeError):
    """The lane sensors cannot be claimed; the message says what to fix."""


def _import_gpiod() -> Any:
    try:
        gpiod = importlib.import_module("gpiod")
    except ImportError:
        raise GpioError(
            "the gpiod backend needs libgpiod's Python bindings: pip install 'edge-agent[gpio]'"
            " (gpiod>=2.0.2; Debian's python3-libgpiod is the old v1 API)"
        ) from None
    if not hasattr(gpiod, "request_lines"):
        raise GpioError(
            f"gpiod {getattr(gpiod, '__version__', '?')} is the v1 API; gpiod>=2.0.2 is needed"
        )
    return gpiod


class GpiodSource(EdgeSource):
    """Edges of the lanes' lines, with the kernel's timestamps and sequence numbers."""

    def __init__(self, lanes: Sequence[LaneConfig], event_buffer_size: int = 1024) -> None:
        self._lanes = list(lanes)
        self._buffer = event_buffer_size
        self._requests: list[tuple[Any, dict[int, int]]] = []  # (request, offset -> lane)
        self._pending: list[Edge] = []
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        gpiod = _import_gpiod()
        self._loop = asyncio.get_running_loop()
        by_chip: dict[str, list[LaneConfig]] = {}
        for lane in self._lanes:
            by_chip.setdefault(lane.chip, []).append(lane)
        try:
            for chip, lanes in by_chip.items():
                request, lanes_by_offset = await asyncio.to_thread(
                    self._request, gpiod, chip, lanes
                )
                self._requests.append((request, lanes_by_offset))
                self._loop.add_reader(request.fd, self._on_readable, len(self._requests) - 1)
        except BaseException:
            await self.close()
            raise

    def _request(
        self, gpiod: Any, chip_path: str, lanes: list[LaneConfig]
    ) -> tuple[Any, dict[int, int]]:
        from gpiod.line import Bias, Clock, Direction, Edge as GpioEdge  # noqa: PLC0415

        biases = {
            "pull_up": Bias.PULL_UP,
            "pull_down": Bias.PULL_DOWN,
            "disabled": Bias.DISABLED,
            "as_is": Bias.AS_IS,
        }
        edges = {"falling": GpioEdge.FALLING, "rising": GpioEdge.RISING}
        config: dict[int, Any] = {}
        lanes_by_offset: dict[int, int] = {}
        try:
            with gpiod.Chip(chip_path) as chip:
                for lane in lanes:
                    try:
                        offset = chip.line_offset_from_id(lane.line)
                    except (OSError, ValueError) as err:
                        raise GpioError(
                            f"lane {lane.lane}: no line {lane.line!r} on {chip_path} ({err})"
                        ) from None
                    if offset in lanes_by_offset:
                        raise GpioError(
                            f"lanes {lanes_by_offset[offset]} and {lane.lane} use the same "
                            f"line {offset} of {chip_path}"
                        )
                    lanes_by_offset[offset] = lane.lane
                    config[offset] = gpiod.LineSettings(
                        direction=Direction.INPUT,
                        edge_detection=edges[lane.edge],
                        bias=biases[lane.bias],
                        debounce_period=timedelta(0),
                        event_clock=Clock.MONOTONIC,
                    )
                request = chip.request_lines(
                    config, consumer=CONSUMER, event_buffer_size=self._buffer
                )
        except OSError as err:
            raise GpioError(f"cannot claim lines on {chip_path}: {err}") from None
        return request, lanes_by_offset

    def _on_readable(self, index: int) -> None:
        request, lanes_by_offset = self._requests[index]
        try:
            events = request.read_edge_events()
        except OSError:  # the request went away (device unplugged); close() cleans up
            return
        for event in events:
            lane = lanes_by_offset.get(event.line_offset)
            if lane is not None:
                self._pending.append(
                    Edge(lane, event.timestamp_ns, event.line_seqno, event.global_seqno)
                )
        if self._pending:
            self._ready.set()

    async def read(self, deadline_ns: int | None) -> list[Edge]:
        if not self._pending:
            timeout = None if deadline_ns is None else max(0, deadline_ns - self.now_ns()) / 1e9
            try:
                async with asyncio.timeout(timeout):
                    await self._ready.wait()
            except TimeoutError:
                return []
        batch, self._pending = self._pending, []
        self._ready.clear()
        return batch

    def now_ns(self) -> int:
        return time.monotonic_ns()

    def wall_ns(self, mono_ns: int) -> int:
        return time.time_ns() - time.monotonic_ns() + mono_ns

    async def close(self) -> None:
        requests, self._requests = self._requests, []
        for request, _ in requests:
            if self._loop is not None:
                self._loop.remove_reader(request.fd)
            request.release()
