"""Maxim DS18B20 1-Wire thermometer through the kernel's w1 sysfs files.

`/sys/bus/w1/devices/28-xxxxxxxxxxxx/w1_slave` (w1_therm) holds two lines:
    72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
    72 01 4b 46 7f ff 0e 10 57 t=23125
the 9 scratchpad bytes, the kernel's CRC verdict and its temperature in m°C. We check the
scratchpad ourselves (DS18B20 datasheet: CRC-8 x^8+x^5+x^4+1 over bytes 0-7 = byte 8;
temperature = bytes 1:0 as a signed 16-bit count of 1/16 °C, table 1), and reject the
power-on value 85 °C (0x0550, no conversion ran) and an all-zero scratchpad (a device lost
mid-read, whose zero CRC the kernel accepts).
"""

from __future__ import annotations

from typing import Final

from edge_agent.backends.onewire import OneWireDevice

from .base import Driver, Measurement, SensorDataError

FAMILY: Final = "28"
POWER_ON_RAW: Final = 0x0550
CONVERT_S: Final = 0.75
# resolution bits R1:R0 of the config byte -> the undefined low bits to clear
_RESOLUTION_MASK: Final = {0b00: ~0b111, 0b01: ~0b11, 0b10: ~0b1, 0b11: ~0}


def crc8_maxim(data: bytes) -> int:
    """Dallas/Maxim 1-Wire CRC-8 (reflected polynomial 0x8C, init 0)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8C if crc & 1 else crc >> 1
    return crc


def raw_to_celsius(raw: int) -> float:
    """A 16-bit temperature register value (two's complement) -> °C."""
    if raw & 0x8000:
        raw -= 0x10000
    return raw / 16.0


def parse_scratchpad(scratchpad: bytes) -> float:
    """°C from the 9 scratchpad bytes, checked."""
    if len(scratchpad) != 9:
        raise SensorDataError(f"scratchpad has {len(scratchpad)} bytes, not 9")
    if not any(scratchpad):
        raise SensorDataError("all-zero scratchpad (device lost during the read)")
    if crc8_maxim(scratchpad[:8]) != scratchpad[8]:
        raise SensorDataError("scratchpad CRC mismatch")
    raw = scratchpad[0] | scratchpad[1] << 8
    if raw == POWER_ON_RAW:
        raise SensorDataError("power-on value 85 °C: no conversion ran")
    resolution = (scratchpad[4] >> 5) & 0b11
    return raw_to_celsius(raw & _RESOLUTION_MASK[resolution] & 0xFFFF)


def parse_w1_slave(text: str) -> float:
    """°C from the text of a w1_slave file."""
    lines = text.strip().splitlines()
    if len(lines) < 2 or "crc=" not in lines[0]:
        raise SensorDataError(f"unexpected w1_slave content {text[:60]!r}")
    if not lines[0].rstrip().endswith("YES"):
        raise SensorDataError("CRC error reported by the kernel")
    try:
        scratchpad = bytes.fromhex(lines[0].split(":")[0])
    except ValueError:
        raise SensorDataError(f"unexpected w1_slave content {lines[0]!r}") from None
    return parse_scratchpad(scratchpad)


def format_w1_slave(scratchpad: bytes, crc_ok: bool | None = None) -> str:
    """What the kernel writes for `scratchpad` (the simulator's side)."""
    hexed = " ".join(f"{b:02x}" for b in scratchpad)
    ok = crc_ok if crc_ok is not None else crc8_maxim(scratchpad[:8]) == scratchpad[8]
    raw = scratchpad[0] | scratchpad[1] << 8
    milli = int(raw_to_celsius(raw) * 1000)
    return f"{hexed} : crc={scratchpad[8]:02x} {'YES' if ok else 'NO'}\n{hexed} t={milli}\n"


class Ds18b20(Driver[OneWireDevice]):
    name = "ds18b20"
    title = "Maxim DS18B20"
    interface = "w1"
    read_seconds = CONVERT_S

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return (Measurement("temperature", "temperature", "Temperature", "°C", "temperature", 2),)

    @classmethod
    async def identify(cls, dev: OneWireDevice) -> str | None:
        return cls.title if dev.device_id.startswith(f"{FAMILY}-") else None

    async def read(self, dev: OneWireDevice, temperature: float | None = None) -> dict[str, float]:
        return {"temperature": parse_w1_slave(await dev.read_slave())}


DRIVER = Ds18b20
