"""Sensirion SHT3x humidity and temperature sensor (I2C 0x44 or 0x45).

SHT3x-DIS datasheet: single shot, high repeatability, no clock stretching = 0x2400, at most
15.5 ms, then 6 bytes (temperature word + CRC, humidity word + CRC). Status register:
0xF32D -> one word + CRC. T = -45 + 175 * S_T / (2^16 - 1) °C; RH = 100 * S_RH / (2^16 - 1) %.
"""

from __future__ import annotations

from typing import Final

from edge_agent.backends.i2c import I2CDevice

from .base import Driver, Measurement, SensorDataError
from .sensirion import decode_words

MEASURE_HIGH: Final = bytes([0x24, 0x00])
READ_STATUS: Final = bytes([0xF3, 0x2D])
MEASURE_S: Final = 0.016


def convert(raw_t: int, raw_rh: int) -> dict[str, float]:
    return {
        "temperature": -45.0 + 175.0 * raw_t / 65535.0,
        "humidity": 100.0 * raw_rh / 65535.0,
    }


MEASUREMENTS: Final = (
    Measurement("temperature", "temperature", "Temperature", "°C", "temperature", 2),
    Measurement("humidity", "humidity", "Humidity", "%", "humidity", 1),
)


class Sht3x(Driver[I2CDevice]):
    name = "sht3x"
    title = "Sensirion SHT3x"
    addresses = (0x44, 0x45)
    read_seconds = 0.02

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return MEASUREMENTS

    @classmethod
    async def identify(cls, dev: I2CDevice) -> str | None:
        await dev.write(READ_STATUS)
        try:
            decode_words(await dev.read(3), 1)
        except SensorDataError:
            return None
        return cls.title

    async def setup(self, dev: I2CDevice) -> None:
        if await self.identify(dev) is None:
            raise SensorDataError(f"no SHT3x status register at 0x{dev.address:02x}")

    async def read(self, dev: I2CDevice, temperature: float | None = None) -> dict[str, float]:
        await dev.write(MEASURE_HIGH)
        await dev.sleep(MEASURE_S)
        raw_t, raw_rh = decode_words(await dev.read(6), 2)
        return convert(raw_t, raw_rh)


DRIVER = Sht3x
