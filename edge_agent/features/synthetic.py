"""`synthetic`: a simulated sensor board emitting `readings` records with known values.

For tests, benchmarks and the demo. Each reading's values are a pure function of its record's
sequence number (`expected_value`), so a receiver can check every record it applied - across
agent restarts too: at start-up the feature emits an `event` record (`synthetic_start`),
learns the current seq from it and predicts the seq of each reading from there (it assumes it
is the agent's only emitter, which is how tests and benchmarks run it).

```yaml
synthetic:
  rate_hz: 10     # records per second (0: emit nothing, an idle agent)
  count: 5000     # stop once the outbox's seq reaches this (0: never stop)
  sensors: 2      # readings per record: wave0, wave1, ...
```
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import logging
import math
import time
from typing import Any

from .. import schema
from ..feature import CommandError, Feature, FeatureContext, FeatureSpec

_LOGGER = logging.getLogger(__name__)

START_EVENT = "synthetic_start"
_TICK = 0.01  # wake at most 100 times a second, emitting every record that is due


def expected_value(seq: int, index: int) -> float:
    """The value of sensor `wave<index>` in the readings record numbered `seq`."""
    return round(20 + 10 * math.sin(seq / 50 + index), 3)


def readings(seq: int, sensors: int) -> dict[str, Any]:
    return {
        "readings": [
            {"sensor": f"wave{i}", "value": expected_value(seq, i), "status": "ok"}
            for i in range(sensors)
        ]
    }


@dataclass(frozen=True, slots=True)
class SyntheticConfig:
    rate_hz: float
    count: int
    sensors: int


def parse(section: Any, path: str) -> SyntheticConfig:
    section = schema.mapping(section, path)
    schema.only_keys(section, ("rate_hz", "count", "sensors"), path)
    return SyntheticConfig(
        rate_hz=schema.get(section, "rate_hz", float, path, 1.0, minimum=0, maximum=100_000),
        count=schema.get(section, "count", int, path, 0, minimum=0),
        sensors=schema.get(section, "sensors", int, path, 2, minimum=1, maximum=64),
    )


class SyntheticFeature(Feature):
    name = "synthetic"
    commands = frozenset({"set_rate"})

    def __init__(self, config: SyntheticConfig) -> None:
        self.config = config
        self.rate = config.rate_hz
        self._rate_changed = asyncio.Event()
        self.emitted = 0

    def capability(self) -> dict[str, Any]:
        return {
            "sensors": [
                {"id": f"wave{i}", "name": f"Wave {i}"} for i in range(self.config.sensors)
            ],
            "rate_hz": self.rate,
        }

    async def run(self, ctx: FeatureContext) -> None:
        seq = ctx.emit("event", {"name": START_EVENT, "attrs": {"rate_hz": self.rate}})
        count = self.config.count
        while not count or seq < count:
            if self.rate <= 0:
                self._rate_changed.clear()
                await self._rate_changed.wait()
                continue
            started, rate, done = time.monotonic(), self.rate, 0
            while rate == self.rate and (not count or seq < count):
                due = int((time.monotonic() - started) * rate) + 1 - done
                for _ in range(due):
                    expected = seq + 1
                    seq = ctx.emit("readings", readings(expected, self.config.sensors))
                    if seq != expected:  # another emitter: values no longer match their seq
                        _LOGGER.warning("synthetic: expected seq %d, got %d", expected, seq)
                    done += 1
                    self.emitted += 1
                    if count and seq >= count:
                        break
                await asyncio.sleep(max(_TICK, 1 / rate))
        _LOGGER.info("synthetic: reached seq %d, stopping", seq)
        await asyncio.Event().wait()  # run() never returns normally

    async def handle_command(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        rate = args.get("rate_hz")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1e5:
            raise CommandError("invalid_args", "rate_hz must be a number from 0 to 100000")
        self.rate = float(rate)
        self._rate_changed.set()
        return {"rate_hz": self.rate}


SPEC = FeatureSpec(section="synthetic", parse=parse, build=SyntheticFeature)
