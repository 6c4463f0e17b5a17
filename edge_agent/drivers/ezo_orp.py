"""Atlas Scientific EZO-ORP (default I2C address 0x62).

Reading: "R" -> "225.3" (mV, -1019.9..1019.9), 900 ms; no temperature compensation.
Calibration: one point, "Cal,n" with the solution's mV (e.g. 225), "Cal,clear";
"Cal,?" -> "?CAL,0|1". The single point is our `mid` step.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Measurement, SensorDataError
from .ezo import EzoDriver, format_value

ORP_RANGE = (-1019.9, 1019.9)


class EzoOrp(EzoDriver):
    name = "ezo_orp"
    title = "Atlas Scientific EZO-ORP"
    addresses = (0x62,)
    type_codes = ("OR", "ORP")
    read_seconds = 0.9
    cal_seconds = 0.9
    cal_range = ORP_RANGE
    calibration = ("mid", "clear")

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return (Measurement("orp", "orp", "ORP", "mV", "voltage", 1),)

    def convert(self, values: Sequence[float]) -> dict[str, float]:
        (value,) = values
        if not ORP_RANGE[0] <= value <= ORP_RANGE[1]:
            raise SensorDataError(f"ORP {value} mV is out of range")
        return {"orp": value}

    def calibration_command(self, action: str, value: float | None) -> str:
        if action == "clear":
            return "Cal,clear"
        assert value is not None
        return f"Cal,{format_value(value)}"


DRIVER = EzoOrp
