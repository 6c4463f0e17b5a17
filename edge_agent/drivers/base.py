"""What every sensor driver provides: identify, set up, read, and (some) calibrate.

A driver turns bus transactions into physical values. Its conversions are pure functions
in the same file, tested against the datasheet's own figures; the I/O around them is kept
to a few lines so the simulator exercises the real code paths.

Failures a driver reports:
- an `OSError` from the bus (I2CNack, I2CBusTimeout, OneWireError): the sensor does not
  answer -> status `offline`;
- `SensorDataError`: it answered, but with something unusable (CRC mismatch, a failed
  command, a value out of range, the wrong kind of device) -> status `error`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

DevT = TypeVar("DevT")


class SensorDataError(Exception):
    """The device answered, but not with a usable value."""


class CalibrationError(Exception):
    """A calibration request the driver refuses before touching the device."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Measurement:
    """One value a driver reads; becomes one sensor of the capability (one HA entity)."""

    key: str
    kind: str
    name: str
    unit: str | None = None
    device_class: str | None = None
    precision: int | None = None
    state_class: str | None = "measurement"


class Driver(ABC, Generic[DevT]):
    """A kind of sensor. One instance per configured (or discovered) physical sensor."""

    #: the config's `driver:` value
    name: ClassVar[str] = ""
    #: what it is, for people (scan output, logs)
    title: ClassVar[str] = ""
    #: "i2c" (address on a bus) or "w1" (1-Wire device id)
    interface: ClassVar[str] = "i2c"
    #: where it answers by default (scan candidates)
    addresses: ClassVar[tuple[int, ...]] = ()
    #: `calibrate` actions it accepts
    calibration: ClassVar[tuple[str, ...]] = ()
    #: a typical read's duration (datasheet), used to size the read timeout
    read_seconds: ClassVar[float] = 0.1
    #: a scan that finds one adds it as a sensor (False: it needs config to mean anything)
    auto_add: ClassVar[bool] = True
    #: its readings depend on the liquid's temperature (EZO pH/EC/DO compensation)
    uses_temperature: ClassVar[bool] = False
    #: the config keys of its own (besides the common ones of every sensor)
    option_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})

    @classmethod
    def parse_options(cls, section: Mapping[str, Any], path: str) -> dict[str, Any]:
        """The driver's own config keys (`option_keys`, already checked for typos)."""
        return {}

    @property
    @abstractmethod
    def measurements(self) -> tuple[Measurement, ...]:
        """What one read returns, known from config alone (before the device answers)."""

    @classmethod
    async def identify(cls, dev: DevT) -> str | None:
        """A description if the device at `dev` is one of this driver's, else None.
        May raise OSError when nothing answers."""
        return None

    async def setup(self, dev: DevT) -> None:
        """(Re)initialise after start or after the device came back; check its identity."""

    @abstractmethod
    async def read(self, dev: DevT, temperature: float | None = None) -> dict[str, float]:
        """One sample: measurement key -> value. `temperature` (°C) is the liquid's, for the
        drivers that compensate for it (None: the device's own setting stays)."""

    async def calibrate(self, dev: DevT, action: str, value: float | None) -> dict[str, Any]:
        """Run a calibration step and return the device's answer."""
        raise CalibrationError("not_calibratable", f"{self.title} has no calibration")
