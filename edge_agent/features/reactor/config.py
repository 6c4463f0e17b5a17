"""The `reactor:` section of the agent's config file, checked strictly into typed config.

reactor:
  backend: hardware          # or sim (the simulated board, see edge_agent/sim)
  bus: 1                     # default I2C bus (/dev/i2c-1)
  interval: 5                # default seconds between samples
  scan: false                # also add supported devices found on the bus
  sensors:
    - {id: ph, driver: ezo_ph, address: 0x63, deadband: 0.02, temperature_from: liquid}
    - {id: liquid, driver: ezo_rtd, address: 0x66, median: 3}
    - {id: air, driver: bme280, address: 0x76, deadband: "0.5%", max_interval: 600}
  outputs:
    - {id: heater, kind: switch, pin: 17}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
import math
from typing import Any, Final

from edge_agent.drivers.base import Driver, Measurement
from edge_agent.drivers.registry import DRIVER_MODULES, driver_class
from edge_agent.schema import ConfigError, get, items, mapping, only_keys
from edge_hub_core.reactor import ID_RE, OUTPUT_KINDS, OUTPUT_PWM, OUTPUT_SETPOINT, OUTPUT_SWITCH

BACKENDS: Final = ("hardware", "sim")
SECTION_KEYS: Final = (
    "backend", "bus", "w1_path", "interval", "round_timeout", "scan", "rescan_interval",
    "max_backoff", "state_file", "sim", "sensors", "outputs",
)  # fmt: skip
SENSOR_KEYS: Final = (
    "id", "driver", "address", "bus", "name", "interval", "median", "deadband", "max_interval",
    "timeout", "temperature_from", "precision", "measurements",
)  # fmt: skip
MEASUREMENT_KEYS: Final = ("name", "precision", "deadband", "max_interval")
OUTPUT_KEYS: Final = (
    "id", "kind", "name", "pin", "chip", "active_low", "pwm_chip", "pwm_channel", "frequency",
    "min", "max", "step", "unit", "device_class", "initial",
)  # fmt: skip
DEFAULT_MAX_INTERVAL: Final = 300.0


@dataclass(frozen=True, slots=True)
class Deadband:
    """A change smaller than this is not reported: `absolute` in the value's unit, or
    `relative` as a fraction of the last reported value."""

    absolute: float | None = None
    relative: float | None = None

    def exceeded(self, last: float, value: float) -> bool:
        delta = abs(value - last)
        if self.absolute is not None:
            return delta > self.absolute
        assert self.relative is not None
        return delta > self.relative * abs(last)


@dataclass(frozen=True, slots=True)
class Report:
    """When a measurement's reading is sent (report on change)."""

    deadband: Deadband | None = None
    # a reading is sent at least this often even when it stays within its deadband
    max_interval: float | None = None


@dataclass(frozen=True, slots=True)
class MeasurementConfig:
    """One measurement of a sensor, as it appears in the capability and its readings."""

    id: str
    measurement: Measurement
    name: str
    precision: int | None
    report: Report


@dataclass(frozen=True, slots=True)
class SensorConfig:
    """One physical sensor (one driver instance)."""

    id: str
    driver: str
    address: int | str  # I2C address, or 1-Wire device id
    bus: int
    interval: float
    median: int
    timeout: float | None
    temperature_from: str | None
    options: Mapping[str, Any]
    measurements: tuple[MeasurementConfig, ...]
    name: str | None = None
    discovered: bool = False  # added by a scan, not declared

    @property
    def address_text(self) -> str:
        return f"0x{self.address:02x}" if isinstance(self.address, int) else self.address

    def new_driver(self) -> Driver[Any]:
        return driver_class(self.driver)(self.options)


@dataclass(frozen=True, slots=True)
class OutputConfig:
    id: str
    kind: str
    name: str
    pin: int | None = None
    chip: int = 0
    active_low: bool = False
    pwm_chip: int = 0
    pwm_channel: int | None = None
    frequency: float = 1000.0
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    unit: str | None = None
    device_class: str | None = None
    initial: float | bool | None = None


@dataclass(frozen=True, slots=True)
class SimConfig:
    time_scale: float = 1.0
    seed: int = 0
    control: str | None = None  # a file to plug/unplug parts from outside (sim/control.py)


@dataclass(frozen=True, slots=True)
class ReactorConfig:
    backend: str = "hardware"
    bus: int = 1
    w1_path: str = "/sys/bus/w1/devices"
    interval: float = 5.0
    round_timeout: float = 2.0
    scan: bool = False
    rescan_interval: float = 300.0
    max_backoff: float = 60.0
    state_file: str | None = None
    sim: SimConfig = field(default_factory=SimConfig)
    sensors: tuple[SensorConfig, ...] = ()
    outputs: tuple[OutputConfig, ...] = ()

    def with_sensor(self, sensor: SensorConfig) -> ReactorConfig:
        return replace(self, sensors=(*self.sensors, sensor))


# --- parsing ---------------------------------------------------------------------------------


def _ident(section: Mapping[str, Any], path: str) -> str:
    ident = get(section, "id", str, path)
    if not ID_RE.match(ident):
        raise ConfigError(f"{path}.id", f"{ident!r}: use lower-case letters, digits, _ . -")
    return ident


def parse_deadband(value: Any, path: str) -> Deadband | None:
    """0.05 (absolute) or "2%" (relative); None or 0 means every reading is sent."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = float(value.strip()[:-1])
        except ValueError:
            raise ConfigError(path, f"{value!r} is not a percentage") from None
        if not 0 <= percent < 100 or not math.isfinite(percent):
            raise ConfigError(path, "a relative deadband must be 0-100 %")
        return Deadband(relative=percent / 100) if percent else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(path, f"must be a number >= 0 or a percentage like '1%', got {value!r}")
    return Deadband(absolute=float(value)) if value else None


def _report(section: Mapping[str, Any], path: str, inherited: Report | None) -> Report:
    deadband = (
        parse_deadband(section["deadband"], f"{path}.deadband")
        if "deadband" in section
        else (inherited.deadband if inherited else None)
    )
    default_max = inherited.max_interval if inherited else None
    max_interval: float | None = get(section, "max_interval", float, path, default_max, minimum=1)
    if deadband is not None and max_interval is None:
        max_interval = DEFAULT_MAX_INTERVAL
    return Report(deadband, max_interval)


def parse_address(value: Any, path: str, interface: str) -> int | str:
    if interface == "w1":
        if not isinstance(value, str) or "-" not in value:
            raise ConfigError(path, f"a 1-Wire device id like '28-00000a1b2c3d', got {value!r}")
        return value
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            raise ConfigError(path, f"{value!r} is not an I2C address like 0x63") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0x03 <= value <= 0x77:
        raise ConfigError(path, f"an I2C address 0x03-0x77, got {value!r}")
    return value


def measurement_configs(
    sensor_id: str,
    measurements: tuple[Measurement, ...],
    report: Report,
    *,
    overrides: Mapping[str, Any] | None = None,
    path: str = "",
    name: str | None = None,
    precision: int | None = None,
) -> tuple[MeasurementConfig, ...]:
    """A sensor's measurements with their ids: the sensor's own id when it has one
    measurement, `<sensor>_<key>` when it has several."""
    overrides = overrides or {}
    for key in overrides:
        if key not in {m.key for m in measurements}:
            options = ", ".join(m.key for m in measurements)
            raise ConfigError(f"{path}.measurements.{key}", f"unknown measurement ({options})")
    out = []
    single = len(measurements) == 1
    for m in measurements:
        where = f"{path}.measurements.{m.key}"
        over = mapping(overrides.get(m.key), where)
        only_keys(over, MEASUREMENT_KEYS, where)
        default_name = name if single and name else (f"{name} {m.name.lower()}" if name else m.name)
        out.append(
            MeasurementConfig(
                id=sensor_id if single else f"{sensor_id}_{m.key}",
                measurement=m,
                name=get(over, "name", str, where, default_name),
                precision=get(
                    over, "precision", int, where, m.precision if precision is None else precision,
                    minimum=0, maximum=9,
                ),
                report=_report(over, where, report),
            )
        )  # fmt: skip
    return tuple(out)


def parse_sensor(section: Any, path: str, defaults: ReactorConfig) -> SensorConfig:
    section = mapping(section, path)
    ident = _ident(section, path)
    driver_name = get(section, "driver", str, path, choices=DRIVER_MODULES)
    cls = driver_class(driver_name)
    only_keys(section, (*SENSOR_KEYS, *cls.option_keys), path)
    common = {k: v for k, v in section.items() if k in SENSOR_KEYS}
    specific = {k: v for k, v in section.items() if k not in SENSOR_KEYS}
    options = cls.parse_options(specific, path)
    driver = cls(options)
    if "address" in common:
        address = parse_address(common["address"], f"{path}.address", cls.interface)
    elif cls.interface == "i2c" and cls.addresses:
        address = cls.addresses[0]
    else:
        raise ConfigError(f"{path}.address", "is required")
    name = get(common, "name", str, path, None)
    report = _report(common, path, None)
    return SensorConfig(
        id=ident,
        driver=driver_name,
        address=address,
        bus=get(common, "bus", int, path, defaults.bus, minimum=0),
        interval=get(common, "interval", float, path, defaults.interval, minimum=0.01),
        median=get(common, "median", int, path, 1, minimum=1, maximum=99),
        timeout=get(common, "timeout", float, path, None, minimum=0.01),
        temperature_from=get(common, "temperature_from", str, path, None),
        options=options,
        measurements=measurement_configs(
            ident,
            driver.measurements,
            report,
            overrides=mapping(common.get("measurements"), f"{path}.measurements"),
            path=path,
            name=name,
            precision=get(common, "precision", int, path, None, minimum=0, maximum=9),
        ),
        name=name,
    )


def parse_output(section: Any, path: str) -> OutputConfig:
    section = mapping(section, path)
    only_keys(section, OUTPUT_KEYS, path)
    ident = _ident(section, path)
    kind = get(section, "kind", str, path, choices=OUTPUT_KINDS)
    name = get(section, "name", str, path, ident.replace("_", " ").capitalize())
    if kind == OUTPUT_SWITCH:
        return OutputConfig(
            ident, kind, name,
            pin=get(section, "pin", int, path, minimum=0),
            chip=get(section, "chip", int, path, 0, minimum=0),
            active_low=get(section, "active_low", bool, path, False),
            initial=get(section, "initial", bool, path, False),
        )  # fmt: skip
    if kind == OUTPUT_PWM:
        return OutputConfig(
            ident, kind, name,
            pwm_chip=get(section, "pwm_chip", int, path, 0, minimum=0),
            pwm_channel=get(section, "pwm_channel", int, path, minimum=0),
            frequency=get(section, "frequency", float, path, 1000.0, minimum=0.1, maximum=1e6),
            minimum=0.0, maximum=100.0,
            step=get(section, "step", float, path, 1.0, minimum=0.001),
            unit="%",
            initial=get(section, "initial", float, path, 0.0, minimum=0, maximum=100),
        )  # fmt: skip
    assert kind == OUTPUT_SETPOINT
    minimum = get(section, "min", float, path)
    maximum = get(section, "max", float, path)
    if minimum >= maximum:
        raise ConfigError(f"{path}.max", "must be above min")
    initial = get(section, "initial", float, path, minimum, minimum=minimum, maximum=maximum)
    return OutputConfig(
        ident, kind, name,
        minimum=minimum, maximum=maximum,
        step=get(section, "step", float, path, 0.1, minimum=1e-6),
        unit=get(section, "unit", str, path, None),
        device_class=get(section, "device_class", str, path, None),
        initial=initial,
    )  # fmt: skip


def check_sensors(sensors: tuple[SensorConfig, ...], path: str) -> None:
    """Ids unique, one sensor per address (ADC channels excepted), compensation sources known."""
    seen: dict[str, str] = {}
    places: dict[tuple[int, int | str, object], str] = {}
    measurement_ids = {m.id for s in sensors for m in s.measurements}
    for index, sensor in enumerate(sensors):
        where = f"{path}[{index}]"
        for m in sensor.measurements:
            if m.id in seen:
                raise ConfigError(f"{where}.id", f"{m.id!r} is already used by {seen[m.id]!r}")
            seen[m.id] = sensor.id
        place = (sensor.bus, sensor.address, sensor.options.get("channel"))
        if place in places:
            raise ConfigError(
                f"{where}.address", f"{sensor.address_text} is already {places[place]!r}"
            )
        places[place] = sensor.id
        source = sensor.temperature_from
        if source is not None:
            if not driver_class(sensor.driver).uses_temperature:
                raise ConfigError(f"{where}.temperature_from", f"{sensor.driver} does not use it")
            if source not in measurement_ids:
                raise ConfigError(f"{where}.temperature_from", f"no measurement {source!r}")


def parse(section: Any, path: str = "reactor") -> ReactorConfig:
    """The whole `reactor:` section; ConfigError names the key path of the first problem."""
    section = mapping(section, path)
    only_keys(section, SECTION_KEYS, path)
    sim = mapping(section.get("sim"), f"{path}.sim")
    only_keys(sim, ("time_scale", "seed", "control"), f"{path}.sim")
    config = ReactorConfig(
        backend=get(section, "backend", str, path, "hardware", choices=BACKENDS),
        bus=get(section, "bus", int, path, 1, minimum=0),
        w1_path=get(section, "w1_path", str, path, "/sys/bus/w1/devices"),
        interval=get(section, "interval", float, path, 5.0, minimum=0.01),
        round_timeout=get(section, "round_timeout", float, path, 2.0, minimum=0.01),
        scan=get(section, "scan", bool, path, False),
        rescan_interval=get(section, "rescan_interval", float, path, 300.0, minimum=0),
        max_backoff=get(section, "max_backoff", float, path, 60.0, minimum=0.01),
        state_file=get(section, "state_file", str, path, None),
        sim=SimConfig(
            time_scale=get(sim, "time_scale", float, f"{path}.sim", 1.0, minimum=1e-4),
            seed=get(sim, "seed", int, f"{path}.sim", 0),
            control=get(sim, "control", str, f"{path}.sim", None),
        ),
    )
    sensors = tuple(
        parse_sensor(item, where, config) for where, item in items(section, "sensors", path)
    )
    check_sensors(sensors, f"{path}.sensors")
    outputs = tuple(parse_output(item, where) for where, item in items(section, "outputs", path))
    ids = [o.id for o in outputs]
    for index, ident in enumerate(ids):
        if ident in ids[:index]:
            raise ConfigError(f"{path}.outputs[{index}].id", f"{ident!r} is used twice")
    return replace(config, sensors=sensors, outputs=outputs)


def discovered_sensor(
    config: ReactorConfig, driver_name: str, bus: int, address: int | str
) -> SensorConfig:
    """The config of a device a scan found: default settings, an id from driver and address."""
    suffix = f"{address:02x}" if isinstance(address, int) else address.split("-", 1)[-1][-6:]
    ident = f"{driver_name}_{suffix}" if bus == config.bus else f"{driver_name}_{bus}_{suffix}"
    cls = driver_class(driver_name)
    where = f"0x{address:02x}" if isinstance(address, int) else address
    name = f"{cls.title.split()[-1]} {where}"  # "EZO-pH 0x63": unique on the board
    return SensorConfig(
        id=ident,
        driver=driver_name,
        address=address,
        bus=bus,
        interval=config.interval,
        median=1,
        timeout=None,
        temperature_from=None,
        options={},
        measurements=measurement_configs(ident, cls({}).measurements, Report(), name=name),
        name=name,
        discovered=True,
    )
