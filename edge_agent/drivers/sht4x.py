"""Sensirion SHT4x humidity and temperature sensor (I2C 0x44, 0x45 or 0x46).

SHT4x datasheet: measure with high precision = 0xFD, at most 8.3 ms, then 6 bytes (two words
with CRCs); serial number = 0x89 -> two words with CRCs. T = -45 + 175 * S_T / (2^16 - 1) °C;
RH = -6 + 125 * S_RH / (2^16 - 1) %, cropped to 0..100 (the datasheet's advice).
"""

from __future__ import annotations

from typing import Final

from edge_agent.backends.i2c import I2CDevice

from .base import Driver, Measurement, SensorDataError
from .sensirion import decode_words
from .sht3x import MEASUREMENTS

MEASURE_HIGH: Final = bytes([0xFD])
READ_SERIAL: Final = bytes([0x89])
MEASURE_S: Final = 0.009
SERIAL_S: Final = 0.001


def convert(raw_t: int, raw_rh: int) -> dict[str, float]:
    return {
        "temperature": -45.0 + 175.0 * raw_t / 65535.0,
        "humidity": min(100.0, max(0.0, -6.0 + 125.0 * raw_rh / 65535.0)),
    }


class Sht4x(Driver[I2CDevice]):
    name = "sht4x"
    title = "Sensirion SHT4x"
    addresses = (0x44, 0x45, 0x46)
    read_seconds = 0.015

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return MEASUREMENTS

    @classmethod
    async def identify(cls, dev: I2CDevice) -> str | None:
        await dev.write(READ_SERIAL)
        await dev.sleep(SERIAL_S)
        try:
            high, low = decode_words(await dev.read(6), 2)
        except SensorDataError:
            return None
        return f"{cls.title} (serial {high << 16 | low:08x})"

    async def setup(self, dev: I2CDevice) -> None:
        if await self.identify(dev) is None:
            raise SensorDataError(f"no SHT4x serial number at 0x{dev.address:02x}")

    async def read(self, dev: I2CDevice, temperature: float | None = None) -> dict[str, float]:
        await dev.write(MEASURE_HIGH)
        await dev.sleep(MEASURE_S)
        raw_t, raw_rh = decode_words(await dev.read(6), 2)
        return convert(raw_t, raw_rh)


DRIVER = Sht4x
