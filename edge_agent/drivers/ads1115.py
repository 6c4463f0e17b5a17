"""Texas Instruments ADS1115 16-bit ADC (I2C 0x48-0x4B), one channel per configured sensor,
with a linear calibration from volts to any unit (a pressure transducer, a level probe...).

ADS1115 datasheet (SBAS444): pointer register 0x00 = conversion, 0x01 = config. Config bits:
OS[15] (write 1: start a single conversion; read 1: idle), MUX[14:12] (100-111: AIN0-3 vs
GND), PGA[11:9] (full scale ±6.144, 4.096, 2.048, 1.024, 0.512, 0.256 V), MODE[8] (1 =
single-shot), DR[7:5] (8...860 SPS), COMP_QUE[1:0] = 11 disables the comparator. Power-on
value 0x8583. Conversion: two's complement, 1 LSB = FS / 2^15 (62.5 µV at ±2.048 V).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from edge_agent.backends.i2c import I2CDevice
from edge_agent.schema import ConfigError, get

from .base import Driver, Measurement, SensorDataError

CONVERSION_REG: Final = 0x00
CONFIG_REG: Final = 0x01
POWER_ON_CONFIG: Final = 0x8583
OS: Final = 0x8000
MODE_SINGLE: Final = 0x0100
COMP_DISABLE: Final = 0x0003
FULL_SCALES: Final = {
    6.144: 0b000,
    4.096: 0b001,
    2.048: 0b010,
    1.024: 0b011,
    0.512: 0b100,
    0.256: 0b101,
}
DATA_RATES: Final = {
    8: 0b000,
    16: 0b001,
    32: 0b010,
    64: 0b011,
    128: 0b100,
    250: 0b101,
    475: 0b110,
    860: 0b111,
}


def config_word(channel: int, full_scale: float = 2.048, data_rate: int = 128) -> int:
    """The config that starts one single-ended conversion of AIN`channel` against GND."""
    if channel not in range(4):
        raise ValueError(f"channel {channel} is not 0-3")
    mux = 0b100 | channel
    return (
        OS
        | mux << 12
        | FULL_SCALES[full_scale] << 9
        | MODE_SINGLE
        | DATA_RATES[data_rate] << 5
        | COMP_DISABLE
    )


def to_volts(raw: bytes, full_scale: float) -> float:
    """The conversion register's two bytes -> volts."""
    if len(raw) != 2:
        raise SensorDataError("short ADS1115 conversion read")
    code = int.from_bytes(raw, "big", signed=True)
    return code * full_scale / 32768.0


@dataclass(frozen=True, slots=True)
class Linear:
    """value = slope * volts + offset."""

    slope: float = 1.0
    offset: float = 0.0

    @classmethod
    def through(cls, p1: tuple[float, float], p2: tuple[float, float]) -> Linear:
        (v1, y1), (v2, y2) = p1, p2
        if v1 == v2:
            raise ValueError("the two calibration points have the same voltage")
        slope = (y2 - y1) / (v2 - v1)
        return cls(slope, y1 - slope * v1)

    def __call__(self, volts: float) -> float:
        return self.slope * volts + self.offset


def _points(value: Any, path: str) -> Linear:
    try:
        (v1, y1), (v2, y2) = value
        return Linear.through((float(v1), float(y1)), (float(v2), float(y2)))
    except (TypeError, ValueError) as err:
        raise ConfigError(
            path, f"must be two [volts, value] pairs with different volts ({err})"
        ) from None


class Ads1115(Driver[I2CDevice]):
    name = "ads1115"
    title = "TI ADS1115"
    addresses = (0x48, 0x49, 0x4A, 0x4B)
    read_seconds = 0.15
    # found by a scan it is just an ADC: what its volts mean needs config
    auto_add = False
    option_keys = (
        "channel", "full_scale", "data_rate", "points", "slope", "offset", "unit", "device_class",
        "kind",
    )  # fmt: skip

    @classmethod
    def parse_options(cls, section: Mapping[str, Any], path: str) -> dict[str, Any]:
        full_scale = get(section, "full_scale", float, path, 2.048, choices=FULL_SCALES)
        if "points" in section and ("slope" in section or "offset" in section):
            raise ConfigError(path, "give either points or slope/offset, not both")
        if "points" in section:
            linear = _points(section["points"], f"{path}.points")
        else:
            linear = Linear(
                get(section, "slope", float, path, 1.0), get(section, "offset", float, path, 0.0)
            )
        calibrated = linear != Linear()
        return {
            "channel": get(section, "channel", int, path, minimum=0, maximum=3),
            "full_scale": full_scale,
            "data_rate": get(section, "data_rate", int, path, 128, choices=DATA_RATES),
            "linear": linear,
            "unit": get(section, "unit", str, path, None if calibrated else "V"),
            "device_class": get(
                section, "device_class", str, path, None if calibrated else "voltage"
            ),
            "kind": get(section, "kind", str, path, "value" if calibrated else "voltage"),
        }

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        o = self.options
        return (
            Measurement(
                "value",
                o.get("kind", "voltage"),
                f"AIN{o.get('channel', 0)}",
                o.get("unit", "V"),
                o.get("device_class", "voltage"),
                3,
            ),
        )

    @classmethod
    async def identify(cls, dev: I2CDevice) -> str | None:
        config = int.from_bytes(await dev.write_read(bytes([CONFIG_REG]), 2), "big")
        if config == POWER_ON_CONFIG:
            return f"{cls.title} (config at power-on value)"
        if config & OS and config & MODE_SINGLE and (config >> 9) & 0b111 <= 0b101:
            return f"{cls.title} (probably; config 0x{config:04x})"
        return None

    async def read(self, dev: I2CDevice, temperature: float | None = None) -> dict[str, float]:
        o = self.options
        full_scale = o.get("full_scale", 2.048)
        data_rate = o.get("data_rate", 128)
        word = config_word(o.get("channel", 0), full_scale, data_rate)
        await dev.write(bytes([CONFIG_REG]) + word.to_bytes(2, "big"))
        # one conversion takes 1/DR (datasheet §9.4.2), plus margin for the oscillator's ±10 %
        await dev.sleep(1.2 / data_rate + 0.0005)
        for _ in range(5):
            if int.from_bytes(await dev.write_read(bytes([CONFIG_REG]), 2), "big") & OS:
                break
            await dev.sleep(0.2 / data_rate)
        else:
            raise SensorDataError("ADS1115 conversion did not finish")
        volts = to_volts(await dev.write_read(bytes([CONVERSION_REG]), 2), full_scale)
        linear: Linear = o.get("linear", Linear())
        return {"value": linear(volts)}


DRIVER = Ads1115
