"""A simulated 1-Wire bus of DS18B20s (implements backends.onewire.OneWire).

Failures: `unplugged` (the device directory disappears, as the kernel removes it), `crc`
(the kernel reports "crc=.. NO"), `power_on` (a part that lost power reads 85 °C), `zeros`
(a device lost mid-read: an all-zero scratchpad the kernel calls valid).
"""

from __future__ import annotations

import errno
import time

from edge_agent.backends.onewire import OneWireError
from edge_agent.drivers.ds18b20 import crc8_maxim, format_w1_slave

from .signals import Fixed, Signal


class SimDs18b20:
    def __init__(self, device_id: str, temperature: Signal | None = None) -> None:
        self.device_id = device_id
        self.temperature = temperature or Fixed(25.0)
        self.present = True
        self.fault: str | None = None

    def unplug(self) -> None:
        self.present = False

    def plug(self) -> None:
        self.present = True

    def scratchpad(self, now: float) -> bytes:
        if self.fault == "zeros":
            return bytes(9)
        raw = 0x0550 if self.fault == "power_on" else round(self.temperature(now) * 16) & 0xFFFF
        body = bytes([raw & 0xFF, raw >> 8, 0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10])
        return body + bytes([crc8_maxim(body)])


class SimOneWire:
    def __init__(self, devices: list[SimDs18b20] | None = None, *, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self.parts = {device.device_id: device for device in devices or []}
        self.reads = 0

    def add(self, device: SimDs18b20) -> SimDs18b20:
        self.parts[device.device_id] = device
        return device

    def __getitem__(self, device_id: str) -> SimDs18b20:
        return self.parts[device_id]

    def devices(self) -> list[str]:
        return sorted(d for d, dev in self.parts.items() if dev.present)

    def read_slave(self, device_id: str) -> str:
        self.reads += 1
        device = self.parts.get(device_id)
        if device is None or not device.present:
            raise OneWireError(errno.ENOENT, f"{device_id}: no such device")
        time.sleep(0.75 * self.time_scale)  # the kernel waits for the conversion
        scratchpad = device.scratchpad(time.monotonic())
        return format_w1_slave(scratchpad, crc_ok=False if device.fault == "crc" else None)
