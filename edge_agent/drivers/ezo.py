"""Atlas Scientific EZO circuits in I2C mode: the framing shared by pH, DO, ORP, EC and RTD.

Protocol (EZO datasheets, "I2C mode"): the host writes an ASCII command (we add a NUL, as
Atlas's own sample code does), waits the command's processing time, then reads up to 31
bytes. The first byte is a status code, the rest ASCII ending in NUL:
  1 = success, 2 = syntax error / failed, 254 = still processing, 255 = no data to send.
Some bytes come back with bit 7 set on some firmware; Atlas masks it off, and so do we.
Waits: "R" and "Cal" take 600-900 ms (per circuit, below), other commands 300 ms.
"""

from __future__ import annotations

from collections.abc import Sequence
import re
from typing import Any, ClassVar, Final

from edge_agent.backends.i2c import I2CDevice
from edge_hub_core.reactor import CALIBRATION_NEEDS_VALUE

from .base import CalibrationError, Driver, SensorDataError

STATUS_SUCCESS: Final = 1
STATUS_FAILED: Final = 2
STATUS_PENDING: Final = 254
STATUS_NO_DATA: Final = 255
RESPONSE_BYTES: Final = 31
COMMAND_S: Final = 0.3
# after the datasheet wait, how often and how long to poll a "still processing" circuit
PENDING_POLL_S: Final = 0.1
PENDING_POLLS: Final = 10

# EZO type code in the `i` answer ("?I,pH,2.16") -> driver name
TYPE_DRIVERS: Final = {
    "PH": "ezo_ph",
    "DO": "ezo_do",
    "OR": "ezo_orp",
    "ORP": "ezo_orp",
    "EC": "ezo_ec",
    "RTD": "ezo_rtd",
}
DEFAULT_ADDRESSES: Final = {"ezo_do": 0x61, "ezo_orp": 0x62, "ezo_ph": 0x63, "ezo_ec": 0x64}
DEFAULT_ADDRESSES_RTD: Final = 0x66

_INFO_RE: Final = re.compile(r"^\?I,([A-Za-z]+),([0-9.]+)$")


class EzoCommandError(SensorDataError):
    """The circuit answered status 2: syntax error, or a value it refuses."""


def encode_command(command: str) -> bytes:
    """The bytes written for `command`."""
    return command.encode("ascii") + b"\x00"


def decode_response(frame: bytes) -> tuple[int, str]:
    """(status code, text) of a response frame."""
    if not frame:
        raise SensorDataError("empty EZO response")
    body = bytes(b & 0x7F for b in frame[1:]).split(b"\x00", 1)[0]
    return frame[0], body.decode("ascii", "replace").strip()


def parse_floats(text: str, count: int | None = None) -> list[float]:
    """The comma-separated numbers of a reading ("1413,763,0.71,1.000")."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise SensorDataError(f"not a reading: {text!r}") from None
    if count is not None and len(values) != count:
        raise SensorDataError(f"expected {count} values, got {text!r}")
    return values


def parse_info(text: str) -> tuple[str, str] | None:
    """(type, firmware) from the answer to `i`, or None if it is not one."""
    match = _INFO_RE.match(text)
    if match is None:
        return None
    return match.group(1).upper(), match.group(2)


def parse_query(text: str, name: str) -> list[str]:
    """The fields of a query answer: parse_query("?CAL,2", "CAL") -> ["2"]."""
    prefix = f"?{name},"
    if not text.upper().startswith(prefix.upper()):
        raise SensorDataError(f"unexpected answer to {name},?: {text!r}")
    return text[len(prefix) :].split(",")


def temperature_command(celsius: float) -> str:
    """Temperature compensation ("T,25.3"): the EZO keeps it until changed or power loss."""
    return f"T,{celsius:.1f}"


def format_value(value: float) -> str:
    """A reference value as the EZO wants it: plain decimal, no exponent."""
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.2f}"


async def ezo_command(dev: I2CDevice, command: str, wait: float = COMMAND_S) -> str:
    """Send `command`, wait its processing time, return the answer's text."""
    await dev.write(encode_command(command))
    await dev.sleep(wait)
    for _ in range(PENDING_POLLS + 1):
        code, text = decode_response(await dev.read(RESPONSE_BYTES))
        if code == STATUS_SUCCESS:
            return text
        if code == STATUS_PENDING:
            await dev.sleep(PENDING_POLL_S)
            continue
        if code == STATUS_FAILED:
            raise EzoCommandError(f"{command!r} failed (syntax error or refused)")
        if code == STATUS_NO_DATA:
            raise SensorDataError(f"no answer to {command!r} (status 255: no data)")
        raise SensorDataError(f"unexpected EZO status byte {code}")
    raise SensorDataError(f"{command!r} still processing after {wait + PENDING_POLL_S * 10:.1f} s")


async def identify_ezo(dev: I2CDevice) -> tuple[str, str] | None:
    """(type, firmware) of the EZO circuit at `dev`, or None if it is not one."""
    try:
        text = await ezo_command(dev, "i")
    except SensorDataError:
        return None
    return parse_info(text)


class EzoDriver(Driver[I2CDevice]):
    """One EZO circuit; subclasses say which, how long it takes and how to calibrate it."""

    #: the type code its `i` answer carries
    type_codes: ClassVar[tuple[str, ...]] = ()
    #: datasheet processing time of "R" and of "Cal"
    read_seconds: ClassVar[float] = 0.9
    cal_seconds: ClassVar[float] = 0.9
    #: valid reference range of the calibration value
    cal_range: ClassVar[tuple[float, float]] = (float("-inf"), float("inf"))

    @classmethod
    async def identify(cls, dev: I2CDevice) -> str | None:
        info = await identify_ezo(dev)
        if info is None or info[0] not in cls.type_codes:
            return None
        return f"{cls.title} (firmware {info[1]})"

    async def setup(self, dev: I2CDevice) -> None:
        info = await identify_ezo(dev)
        if info is None:
            raise SensorDataError(f"not an EZO circuit at 0x{dev.address:02x}")
        if info[0] not in self.type_codes:
            raise SensorDataError(
                f"found EZO-{info[0]} at 0x{dev.address:02x}, expected {self.title}"
            )

    def convert(self, values: Sequence[float]) -> dict[str, float]:
        """The reading's numbers -> measurement values (one number by default)."""
        (value,) = values
        key = self.measurements[0].key
        return {key: value}

    async def read(self, dev: I2CDevice, temperature: float | None = None) -> dict[str, float]:
        if temperature is not None and self.uses_temperature:
            await ezo_command(dev, temperature_command(temperature))
        text = await ezo_command(dev, "R", self.read_seconds)
        return self.convert(parse_floats(text))

    def calibration_command(self, action: str, value: float | None) -> str:
        """The EZO command of a calibration step (subclasses map their own actions)."""
        raise CalibrationError("unsupported_action", f"{self.title} has no {action!r} step")

    def check_calibration(self, action: str, value: float | None) -> None:
        if action not in self.calibration:
            supported = ", ".join(self.calibration)
            raise CalibrationError(
                "unsupported_action", f"{self.title} calibration steps are {supported}"
            )
        if action in CALIBRATION_NEEDS_VALUE and self._needs_value(action):
            if value is None:
                raise CalibrationError("invalid_args", f"the {action!r} step needs a value")
            low, high = self.cal_range
            if not low <= value <= high:
                raise CalibrationError(
                    "invalid_args", f"{value} is outside {low:g}..{high:g} for {self.title}"
                )

    def _needs_value(self, action: str) -> bool:
        return True

    async def calibrate(self, dev: I2CDevice, action: str, value: float | None) -> dict[str, Any]:
        self.check_calibration(action, value)
        command = self.calibration_command(action, value)
        answer = await ezo_command(dev, command, self.cal_seconds)
        (points,) = parse_query(await ezo_command(dev, "Cal,?"), "CAL")
        return {"command": command, "reply": answer or "ok", "points": int(points)}
