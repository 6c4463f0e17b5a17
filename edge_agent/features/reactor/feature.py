"""The reactor feature: I2C/1-Wire sensors sampled independently, readings batched per round,
control outputs and EZO calibration on command, new sensors found by scanning.

Records emitted (docs/protocol.md §1.6): `readings` (one per sampling round, only the
readings worth sending, see report.py) and `output` (at start-up and on every change).
Commands (§1.8): `set_output`, `calibrate`, `rescan`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import logging
import time
from typing import Any

from edge_agent.backends.i2c import I2CBusTimeoutError, I2CPort
from edge_agent.backends.onewire import OneWirePort
from edge_agent.drivers import scan
from edge_agent.drivers.base import CalibrationError
from edge_agent.drivers.registry import driver_class
from edge_agent.feature import CommandError, Feature, FeatureContext
from edge_hub_core.reactor import (
    CALIBRATION_ACTIONS,
    CAPABILITY,
    OUTPUT_SETPOINT,
    STATUS_OK,
    ReactorCapability,
    SensorInfo,
)

from .config import MeasurementConfig, ReactorConfig, SensorConfig, discovered_sensor
from .hardware import Hardware, open_hardware
from .outputs import Output, SetpointStore
from .rounds import Readings, RoundCollector
from .sampler import SensorRunner

_LOGGER = logging.getLogger(__name__)


class ReactorFeature(Feature):
    name = CAPABILITY
    commands = frozenset({"set_output", "calibrate", "rescan"})

    def __init__(self, config: ReactorConfig, hardware: Hardware | None = None) -> None:
        self.config = config
        self.hardware = hardware or open_hardware(config)
        self.sensors: list[SensorConfig] = list(config.sensors)
        self.runners: dict[str, SensorRunner] = {}  # sensor id -> its runner
        self._by_measurement: dict[str, SensorRunner] = {}
        self._ports: dict[int, I2CPort] = {}
        self._w1: OneWirePort | None = None
        self._outputs = {o.id: Output(o) for o in config.outputs}
        self._setpoints = SetpointStore(config.state_file)
        self._latest: dict[str, tuple[float, float]] = {}  # measurement id -> (value, monotonic)
        self._ctx: FeatureContext | None = None
        self._collector: RoundCollector | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._rescan_lock = asyncio.Lock()
        self._device_locks: dict[tuple[int, int | str], asyncio.Lock] = {}

    # --- capability ---------------------------------------------------------------------------

    def capability(self) -> dict[str, Any]:
        return ReactorCapability(
            sensors=tuple(
                self._info(sensor, m) for sensor in self.sensors for m in sensor.measurements
            ),
            outputs=tuple(output.info() for output in self._outputs.values()),
        ).to_json()

    @staticmethod
    def _info(sensor: SensorConfig, m: MeasurementConfig) -> SensorInfo:
        cls = driver_class(sensor.driver)
        several = len(sensor.measurements) > 1
        return SensorInfo(
            id=m.id,
            kind=m.measurement.kind,
            name=m.name,
            unit=m.measurement.unit,
            device_class=m.measurement.device_class,
            state_class=m.measurement.state_class,
            precision=m.precision,
            device=sensor.id if several else None,
            device_name=(sensor.name or f"{cls.title} {sensor.address_text}") if several else None,
            driver=sensor.driver,
            address=sensor.address_text,
            calibration=cls.calibration,
        )

    # --- running ------------------------------------------------------------------------------

    async def run(self, ctx: FeatureContext) -> None:
        self._ctx = ctx
        self._collector = RoundCollector(self._emit_readings, self.config.round_timeout)
        try:
            await self._start_outputs()
            for sensor in self.sensors:
                self._start(sensor)
            if self.config.scan:
                await self.rescan()
            while True:
                if self.config.scan and self.config.rescan_interval:
                    await asyncio.sleep(self.config.rescan_interval * self._time_scale())
                    try:
                        await self.rescan()
                    except CommandError as err:
                        _LOGGER.warning("periodic rescan failed: %s", err)
                    except Exception:
                        _LOGGER.exception("periodic rescan failed")
                else:
                    await asyncio.Event().wait()
        finally:
            await self._stop_tasks()
            if self._collector is not None:
                self._collector.flush()

    def _time_scale(self) -> float:
        return self.hardware.board.bus.time_scale if self.hardware.board is not None else 1.0

    def _port(self, number: int) -> I2CPort:
        if number not in self._ports:
            self._ports[number] = I2CPort(self.hardware.open_bus(number), f"i2c-{number}")
        return self._ports[number]

    def _w1_port(self) -> OneWirePort:
        if self._w1 is None:
            if self.hardware.onewire is None:
                raise OSError("no 1-Wire bus")
            self._w1 = OneWirePort(self.hardware.onewire)
        return self._w1

    def _device(self, sensor: SensorConfig) -> tuple[Any, float]:
        if isinstance(sensor.address, str):
            port = self._w1_port()
            return port.device(sensor.address), port.time_scale
        i2c = self._port(sensor.bus)
        return i2c.device(sensor.address), i2c.time_scale

    def _start(self, sensor: SensorConfig) -> None:
        assert self._collector is not None
        try:
            device, time_scale = self._device(sensor)
        except OSError as err:
            _LOGGER.error("sensor %s: cannot open its bus: %s", sensor.id, err)
            return
        runner = SensorRunner(
            sensor,
            sensor.new_driver(),
            device,
            collector=self._collector,
            max_backoff=self.config.max_backoff * time_scale,
            time_scale=time_scale,
            temperature=self._temperature,
            on_value=self._remember,
            lock=self._device_locks.setdefault((sensor.bus, sensor.address), asyncio.Lock()),
        )
        self.runners[sensor.id] = runner
        for m in sensor.measurements:
            self._by_measurement[m.id] = runner
        self._tasks[sensor.id] = asyncio.create_task(
            self._supervise(runner), name=f"reactor-{sensor.id}"
        )

    async def _supervise(self, runner: SensorRunner) -> None:
        """A runner that crashes (a bug) is logged and restarted, alone."""
        while True:
            try:
                await runner.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                _LOGGER.exception("sensor %s: sampling crashed; restarting", runner.config.id)
                await asyncio.sleep(runner.config.interval)

    async def _stop_tasks(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _emit_readings(self, readings: Readings) -> None:
        assert self._ctx is not None
        self._ctx.emit("readings", {"readings": readings})

    def _remember(self, m: MeasurementConfig, value: float) -> None:
        self._latest[m.id] = (value, time.monotonic())

    def _temperature(self, measurement_id: str) -> float | None:
        """The liquid's temperature for compensation, if measured recently enough."""
        latest = self._latest.get(measurement_id)
        runner = self._by_measurement.get(measurement_id)
        if latest is None or runner is None:
            return None
        max_age = max(3 * runner.config.interval, 60.0 * self._time_scale())
        return latest[0] if time.monotonic() - latest[1] <= max_age else None

    async def close(self) -> None:
        for output in self._outputs.values():
            output.close()
        for port in self._ports.values():
            port.close()
        if self._w1 is not None:
            self._w1.close()

    # --- outputs ------------------------------------------------------------------------------

    async def _start_outputs(self) -> None:
        saved = self._setpoints.load()
        for ident, unwired in list(self._outputs.items()):
            config = unwired.config
            output = unwired
            try:
                if config.kind == "switch":
                    output = Output(config, line=self.hardware.switch(config))
                elif config.kind == "pwm":
                    output = Output(config, pwm=self.hardware.pwm(config))
                self._outputs[ident] = output
                await output.start(saved.get(ident, config.initial))
            except (OSError, CommandError) as err:
                _LOGGER.error("output %s unavailable: %s", ident, err)
            self._emit("output", output.record())

    def _emit(self, kind: str, data: Mapping[str, Any]) -> None:
        assert self._ctx is not None
        self._ctx.emit(kind, data)

    async def _set_output(self, args: Mapping[str, Any]) -> dict[str, Any]:
        ident = args.get("output")
        output = self._outputs.get(ident) if isinstance(ident, str) else None
        if output is None:
            raise CommandError("unknown_output", f"no output {ident!r}")
        before = output.record()
        result = await output.set(args)
        if result != before:
            self._emit("output", result)
            if output.config.kind == OUTPUT_SETPOINT:
                self._setpoints.save(
                    {
                        o.config.id: o.value
                        for o in self._outputs.values()
                        if o.config.kind == OUTPUT_SETPOINT and o.value is not None
                    }
                )
        return result

    # --- calibration --------------------------------------------------------------------------

    async def _calibrate(self, args: Mapping[str, Any]) -> dict[str, Any]:
        ident, action, value = args.get("sensor"), args.get("action"), args.get("value")
        runner = None
        if isinstance(ident, str):
            runner = self.runners.get(ident) or self._by_measurement.get(ident)
        if runner is None:
            raise CommandError("unknown_sensor", f"no sensor {ident!r}")
        if action not in CALIBRATION_ACTIONS:
            raise CommandError("invalid_args", f"action must be one of {CALIBRATION_ACTIONS}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise CommandError("invalid_args", "value must be a number")
        if runner.status != STATUS_OK:
            raise CommandError(
                "sensor_offline", f"{runner.config.id} is {runner.status}: {runner.error}"
            )
        try:
            answer = await runner.calibrate(action, None if value is None else float(value))
        except CalibrationError as err:
            raise CommandError(err.code, str(err)) from err
        except (OSError, TimeoutError) as err:
            raise CommandError("sensor_offline", f"{runner.config.id}: {err}") from err
        except Exception as err:  # SensorDataError: the device refused the step
            raise CommandError("calibration_failed", f"{runner.config.id}: {err}") from err
        _LOGGER.info("sensor %s calibrated (%s %s): %s", runner.config.id, action, value, answer)
        return {"sensor": runner.config.id, "action": action, "value": value, **answer}

    # --- scanning -----------------------------------------------------------------------------

    async def rescan(self) -> dict[str, Any]:
        """Scan the buses; start sampling the supported devices nobody declared."""
        async with self._rescan_lock:
            known = {(s.bus, s.address) for s in self.sensors}
            found: list[scan.Found] = []
            port = self._port(self.config.bus)
            skip = {a for bus, a in known if bus == self.config.bus and isinstance(a, int)}
            try:
                found += await scan.scan_i2c(port, skip=skip)
            except I2CBusTimeoutError as err:
                raise CommandError("bus_error", f"{port.name}: {err.strerror or err}") from err
            if self.hardware.onewire is not None:
                w1 = await scan.scan_w1(self._w1_port())
                found += [f for f in w1 if (self.config.bus, f.address) not in known]
            added = []
            for item in found:
                if item.driver is None or not driver_class(item.driver).auto_add:
                    continue
                sensor = discovered_sensor(self.config, item.driver, self.config.bus, item.address)
                if any(s.id == sensor.id for s in self.sensors):
                    continue
                self.sensors.append(sensor)
                self._start(sensor)
                added.append(sensor.id)
                _LOGGER.info("found %s at %s: sampling it as %s", item.description,
                             item.address_text, sensor.id)  # fmt: skip
            if added and self._ctx is not None:
                self._ctx.reannounce()
            return {
                "found": [
                    {"bus": f.bus, "address": f.address_text, "driver": f.driver,
                     "description": f.description}
                    for f in found
                ],
                "added": added,
            }  # fmt: skip

    # --- commands -----------------------------------------------------------------------------

    async def handle_command(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if cmd == "set_output":
            return await self._set_output(args)
        if cmd == "calibrate":
            return await self._calibrate(args)
        if cmd == "rescan":
            return await self.rescan()
        return await super().handle_command(cmd, args)

    def status(self) -> dict[str, Any]:
        """What each sensor is doing (for logs and the tests)."""
        return {ident: runner.describe() for ident, runner in self.runners.items()}
