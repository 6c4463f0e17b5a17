"""One task per physical sensor: sample on its own schedule, survive its failures.

Each sensor samples at multiples of its interval (sensors sharing an interval start
together and land in one round). A failure marks it `offline` (it does not answer) or
`error` (it answered nonsense) with the error text and the last time it answered; it is then
retried with exponential backoff (interval, 2x, 4x... up to `max_backoff`) and set up again
when it answers: a replugged sensor comes back by itself. Nothing here waits for another
sensor; bus access is serialised below, per transaction, by the bus's port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import math
import time
from typing import Any

from edge_agent.drivers.base import Driver, SensorDataError
from edge_hub_core.reactor import STATUS_ERROR, STATUS_OFFLINE, STATUS_OK, build_reading

from .config import MeasurementConfig, SensorConfig
from .report import ChangeFilter, Median
from .rounds import Readings, RoundCollector

_LOGGER = logging.getLogger(__name__)

# (measurement id) -> its latest ok value if fresh enough for temperature compensation
TemperatureSource = Callable[[str], float | None]


class SensorRunner:
    def __init__(
        self,
        config: SensorConfig,
        driver: Driver[Any],
        device: Any,
        *,
        collector: RoundCollector,
        max_backoff: float,
        time_scale: float = 1.0,
        temperature: TemperatureSource | None = None,
        on_value: Callable[[MeasurementConfig, float], None] | None = None,
        lock: asyncio.Lock | None = None,
    ) -> None:
        self.config = config
        self.driver = driver
        self.device = device
        self._collector = collector
        self._max_backoff = max(max_backoff, config.interval)
        self._temperature = temperature
        self._on_value = on_value
        self.timeout = config.timeout or max(0.25, (3 * driver.read_seconds + 2.0) * time_scale)
        self.status: str | None = None
        self.error: str | None = None
        self.last_seen: float | None = None
        self.failures = 0
        self.samples = 0
        self.needs_setup = True
        # held for a whole read or calibration: shared by the sensors of one chip (ADS1115
        # channels), so one never reconfigures it while another waits for its conversion
        self.lock = lock or asyncio.Lock()
        self._medians = {m.id: Median(config.median) for m in config.measurements}
        self._filters = {m.id: ChangeFilter(m.report) for m in config.measurements}

    # --- the task -----------------------------------------------------------------------------

    async def run(self) -> None:
        due = self._aligned(time.monotonic())
        while True:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            rnd = self._collector.begin()
            readings: Readings = []
            try:
                readings = await self.sample()
            finally:
                self._collector.finish(rnd, readings)
            due = self._next_due(time.monotonic())

    def _aligned(self, now: float) -> float:
        interval = self.config.interval
        return math.floor(now / interval) * interval + interval

    def _next_due(self, now: float) -> float:
        if self.failures == 0:
            return self._aligned(now)
        return now + self.backoff()

    def backoff(self) -> float:
        """The wait before the next attempt after `failures` failures in a row."""
        exponent = min(self.failures - 1, 30)
        return float(min(self.config.interval * 2**exponent, self._max_backoff))

    # --- one sample ---------------------------------------------------------------------------

    async def sample(self) -> Readings:
        """Read once; return the readings worth sending."""
        async with self.lock:
            values, status, error = await self._read()
        now = time.time()
        self.samples += 1
        if status == STATUS_OK:
            self.last_seen = now
            self.failures = 0
        else:
            self.failures += 1
            for median in self._medians.values():
                median.clear()  # a value from before the outage must not leak into the next
        if status != self.status or error != self.error:
            self._log_transition(status, error)
        self.status, self.error = status, error
        return self._readings(values, status, error, now)

    async def _read(self) -> tuple[dict[str, float], str, str | None]:
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # races with the read finishing, and the agent's shutdown would hang on this task
            async with asyncio.timeout(self._timeout_now()):
                values = await self._setup_and_read()
        except OSError as err:  # I2CNack, I2CBusTimeout, OneWireError: it did not answer
            self.needs_setup = True
            return {}, STATUS_OFFLINE, err.strerror or str(err) or type(err).__name__
        except TimeoutError:
            self.needs_setup = True
            return {}, STATUS_OFFLINE, f"no answer within {self._timeout_now():.2g} s"
        except SensorDataError as err:
            return {}, STATUS_ERROR, str(err)
        except Exception as err:  # a driver bug must not stop the other sensors
            _LOGGER.exception("sensor %s: driver %s failed", self.config.id, self.config.driver)
            return {}, STATUS_ERROR, f"driver error: {err!r}"
        return values, STATUS_OK, None

    def _timeout_now(self) -> float:
        return self.timeout * (2 if self.needs_setup else 1)

    async def _setup_and_read(self) -> dict[str, float]:
        if self.needs_setup:
            await self.driver.setup(self.device)
            self.needs_setup = False
        temperature = None
        if self.config.temperature_from and self._temperature is not None:
            temperature = self._temperature(self.config.temperature_from)
        return await self.driver.read(self.device, temperature)

    def _readings(
        self, values: dict[str, float], status: str, error: str | None, now: float
    ) -> Readings:
        out: Readings = []
        ts = round(now, 3)
        for m in self.config.measurements:
            value: float | None = None
            m_status, m_error = status, error
            if status == STATUS_OK:
                raw = values.get(m.measurement.key)
                if raw is None or not math.isfinite(raw):
                    m_status, m_error = STATUS_ERROR, f"no value for {m.measurement.key}"
                else:
                    value = self._medians[m.id].add(raw)
                    if m.precision is not None:
                        value = round(value, m.precision + 2)
                    if self._on_value is not None:
                        self._on_value(m, value)
            if self._filters[m.id].offer(m_status, value, m_error, now):
                if m_status == STATUS_OK:
                    out.append(build_reading(m.id, m_status, value, ts=ts))
                else:
                    out.append(
                        build_reading(
                            m.id, m_status, ts=ts, error=m_error, last_seen=self._last_seen()
                        )
                    )
        return out

    def _last_seen(self) -> float | None:
        return round(self.last_seen, 3) if self.last_seen is not None else None

    def _log_transition(self, status: str, error: str | None) -> None:
        where = f"{self.config.driver} at {self.config.address_text}"
        if status == STATUS_OK:
            if self.status is not None:
                _LOGGER.info("sensor %s (%s) is back", self.config.id, where)
        else:
            _LOGGER.warning("sensor %s (%s) is %s: %s", self.config.id, where, status, error)

    # --- commands -----------------------------------------------------------------------------

    async def calibrate(self, action: str, value: float | None) -> dict[str, Any]:
        async with self.lock, asyncio.timeout(self.timeout + 2 * self.driver.read_seconds):
            return await self.driver.calibrate(self.device, action, value)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.config.id,
            "driver": self.config.driver,
            "address": self.config.address_text,
            "status": self.status,
            "error": self.error,
            "last_seen": self.last_seen,
            "failures": self.failures,
        }
