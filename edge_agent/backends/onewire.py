"""1-Wire through the Linux w1 sysfs interface (`/sys/bus/w1/devices/28-.../w1_slave`).

Reading `w1_slave` makes the kernel start a conversion and block for it (~750 ms for a
DS18B20 at 12 bits), and the w1 master does one device at a time: like an I2C bus, the
1-Wire bus gets its own worker thread so those waits never touch the event loop.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import errno
from pathlib import Path
import threading
from typing import Protocol


class OneWireError(OSError):
    """The device is not on the bus (unplugged) or its file cannot be read."""


class OneWire(Protocol):
    time_scale: float

    def devices(self) -> list[str]:
        """Ids of the devices present (`28-00000a1b2c3d`...)."""
        ...

    def read_slave(self, device_id: str) -> str:
        """The text of the device's `w1_slave` file; OneWireError when it is gone."""
        ...


class SysfsOneWire:
    """The kernel's w1 bus master (`dtoverlay=w1-gpio` on a Raspberry Pi)."""

    time_scale = 1.0

    def __init__(self, root: str = "/sys/bus/w1/devices") -> None:
        self.root = Path(root)

    def devices(self) -> list[str]:
        try:
            return sorted(
                p.name
                for p in self.root.iterdir()
                if "-" in p.name and not p.name.startswith("w1_bus_master")
            )
        except OSError:
            return []

    def read_slave(self, device_id: str) -> str:
        try:
            return (self.root / device_id / "w1_slave").read_text()
        except OSError as err:
            raise OneWireError(err.errno or errno.EIO, f"{device_id}: {err.strerror}") from err


class OneWirePort:
    """The 1-Wire bus: its reads run in order on one worker thread."""

    def __init__(self, bus: OneWire) -> None:
        self.bus = bus
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    @property
    def time_scale(self) -> float:
        return self.bus.time_scale

    def read_sync(self, device_id: str) -> str:
        with self._lock:
            return self.bus.read_slave(device_id)

    async def read(self, device_id: str) -> str:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="w1")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self.read_sync, device_id
        )

    def device(self, device_id: str) -> OneWireDevice:
        return OneWireDevice(self, device_id)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class OneWireDevice:
    def __init__(self, port: OneWirePort, device_id: str) -> None:
        self.port = port
        self.device_id = device_id

    def __repr__(self) -> str:
        return f"OneWireDevice({self.device_id})"

    async def read_slave(self) -> str:
        return await self.port.read(self.device_id)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.port.time_scale)
