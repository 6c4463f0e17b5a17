"""Atlas Scientific EZO-RTD temperature circuit (default I2C address 0x66).

Reading: "R" -> "25.104" in the scale set by "S,c|k|f" (we keep °C), 600 ms; -1023.000
means no probe is connected. Calibration: one point "Cal,n" (°C), "Cal,clear";
"Cal,?" -> "?CAL,0|1". The single point is our `mid` step.
"""

from __future__ import annotations

from collections.abc import Sequence

from edge_agent.backends.i2c import I2CDevice

from .base import Measurement, SensorDataError
from .ezo import EzoDriver, ezo_command, format_value, parse_query

NO_PROBE = -1023.0
RTD_RANGE = (-126.0, 1254.0)


def check_temperature(value: float) -> float:
    if value <= NO_PROBE:
        raise SensorDataError("no temperature probe connected (-1023)")
    if not RTD_RANGE[0] <= value <= RTD_RANGE[1]:
        raise SensorDataError(f"temperature {value} °C is out of range")
    return value


class EzoRtd(EzoDriver):
    name = "ezo_rtd"
    title = "Atlas Scientific EZO-RTD"
    addresses = (0x66,)
    type_codes = ("RTD",)
    read_seconds = 0.6
    cal_seconds = 0.6
    cal_range = RTD_RANGE
    calibration = ("mid", "clear")

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return (Measurement("temperature", "temperature", "Temperature", "°C", "temperature", 2),)

    async def setup(self, dev: I2CDevice) -> None:
        await super().setup(dev)
        (scale,) = parse_query(await ezo_command(dev, "S,?"), "S")
        if scale.lower() != "c":
            await ezo_command(dev, "S,c")

    def convert(self, values: Sequence[float]) -> dict[str, float]:
        (value,) = values
        return {"temperature": check_temperature(value)}

    def calibration_command(self, action: str, value: float | None) -> str:
        if action == "clear":
            return "Cal,clear"
        assert value is not None
        return f"Cal,{format_value(value)}"


DRIVER = EzoRtd
