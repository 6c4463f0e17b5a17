"""Atlas Scientific EZO-pH (default I2C address 0x63).

Reading: "R" -> "7.002" (pH 0.001-14.000), 900 ms. Temperature compensation: "T,n" (°C).
Calibration (EZO-pH datasheet): "Cal,mid,7.00" first (it clears the other points), then
"Cal,low,4.00" and "Cal,high,10.00"; "Cal,clear"; "Cal,?" -> "?CAL,0..3".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .base import Measurement, SensorDataError
from .ezo import EzoDriver, format_value

PH_RANGE = (0.0, 14.0)


def check_ph(value: float) -> float:
    if not PH_RANGE[0] <= value <= PH_RANGE[1]:
        raise SensorDataError(f"pH {value} is outside 0-14")
    return value


class EzoPh(EzoDriver):
    name = "ezo_ph"
    title = "Atlas Scientific EZO-pH"
    addresses = (0x63,)
    type_codes = ("PH",)
    read_seconds: ClassVar[float] = 0.9
    cal_seconds: ClassVar[float] = 0.9
    cal_range = PH_RANGE
    calibration = ("mid", "low", "high", "clear")
    uses_temperature = True

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return (Measurement("ph", "ph", "pH", None, "ph", 2),)

    def convert(self, values: Sequence[float]) -> dict[str, float]:
        (value,) = values
        return {"ph": check_ph(value)}

    def calibration_command(self, action: str, value: float | None) -> str:
        if action == "clear":
            return "Cal,clear"
        assert value is not None
        return f"Cal,{action},{format_value(value)}"


DRIVER = EzoPh
