"""The lap counter feature: lane edges -> lap detector -> `lap`/`edge_gap` records."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from ...feature import Feature, FeatureContext
from .config import LapsConfig
from .detector import Detection, EdgeGap, Lap, LapDetector, Unidentified
from .source import EdgeSource

_LOGGER = logging.getLogger(__name__)

SourceFactory = Callable[[LapsConfig], EdgeSource]


def default_source(config: LapsConfig) -> EdgeSource:
    """The backend named in the config (each imported only when used)."""
    if config.backend == "sim":
        from .sim import SimEdgeSource, settings_from_config  # noqa: PLC0415

        return SimEdgeSource(
            settings_from_config(config),
            realtime=config.sim.realtime,
            speed=config.sim.speed,
            start_delay_ns=round(config.sim.start_delay_s * 1e9),
        )
    from .gpio import GpiodSource  # noqa: PLC0415

    return GpiodSource(config.lanes, config.event_buffer_size)


class LapsFeature(Feature):
    """Counts laps on every configured lane and emits them through the durable outbox."""

    name = "laps"

    def __init__(self, config: LapsConfig, source_factory: SourceFactory = default_source) -> None:
        self.config = config
        self.detector = LapDetector(
            [lane.spec() for lane in config.lanes],
            config.digital.spec() if config.digital is not None else None,
        )
        self._source_factory = source_factory
        self.source: EdgeSource | None = None

    def capability(self) -> dict[str, Any]:
        return {
            "lanes": [{"lane": lane.lane, "name": lane.name} for lane in self.config.lanes],
            "cars": [{"car": car, "name": name} for car, name in self.config.cars()],
            "min_lap_ms": self.config.min_lap_ms,
            "car_id": self.config.car_id,
        }

    async def run(self, ctx: FeatureContext) -> None:
        source = self.source = self._source_factory(self.config)
        await source.open()
        _LOGGER.info(
            "Counting laps on %d lanes (%s backend, %s cars)",
            len(self.config.lanes),
            self.config.backend,
            self.config.car_id,
        )
        while True:
            edges = await source.read(self.detector.next_deadline())
            found: list[Detection] = []
            for edge in edges:
                found.extend(self.detector.feed(edge))
            found.extend(self.detector.expire(source.now_ns()))
            for detection in found:
                self._emit(ctx, source, detection)

    def _emit(self, ctx: FeatureContext, source: EdgeSource, detection: Detection) -> None:
        if isinstance(detection, Lap):
            ctx.emit("lap", detection.record(source.wall_ns(detection.crossed_ns)))
        elif isinstance(detection, EdgeGap):
            _LOGGER.warning(
                "Lane %d: the kernel dropped %d edges (a lap may be missing or late); "
                "raise laps.event_buffer_size if this repeats",
                detection.lane,
                detection.missed,
            )
            ctx.emit("edge_gap", {"lane": detection.lane, "missed": detection.missed})
        elif isinstance(detection, Unidentified):
            _LOGGER.warning(
                "Lane %d: a car with pulse period %.1f us matches no car of the ID table",
                detection.lane,
                detection.period_us,
            )
            ctx.emit(
                "event",
                {
                    "name": "unidentified_car",
                    "attrs": {
                        "lane": detection.lane,
                        "period_us": detection.period_us,
                        "pulses": detection.pulses,
                        "crossed_ns": source.wall_ns(detection.crossed_ns),
                    },
                },
            )

    async def close(self) -> None:
        source, self.source = self.source, None
        if source is not None:
            await source.close()
