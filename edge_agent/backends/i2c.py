"""I2C: a thin bus interface, the smbus2 implementation, and serialised async access.

Drivers never touch smbus2. They talk to an `I2CDevice` (one address on one port); a port
runs every transaction of its bus on one dedicated thread, under one lock, so:
- transactions on a bus are serialised (the hardware can do only one at a time);
- the event loop never blocks, and a stuck bus ties up only its own thread, not the shared
  default executor (a board with 45 sensors must not starve the MQTT link);
- a slow device (an EZO needs ~1 s between command and answer) holds the bus only for its
  own short transactions, and waits with `await dev.sleep(...)` while others use the bus.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import errno
import threading
from typing import Any, Protocol, TypeVar

_T = TypeVar("_T")


class I2CError(OSError):
    """A failed I2C transaction."""


class I2CNackError(I2CError):
    """No device acknowledged its address (absent, unplugged, or busy and not answering)."""


class I2CBusTimeoutError(I2CError):
    """The transaction did not complete: a stuck bus (SDA held low) or endless clock stretching."""


class I2CBus(Protocol):
    """The blocking primitives a driver needs; implemented by smbus2 and the simulator."""

    #: multiplies the drivers' datasheet waits (1.0 on hardware; < 1 in fast simulations)
    time_scale: float

    def write(self, address: int, data: bytes) -> None: ...

    def read(self, address: int, length: int) -> bytes: ...

    def write_read(self, address: int, data: bytes, length: int) -> bytes:
        """Write then read with a repeated start (register reads)."""
        ...

    def close(self) -> None: ...


_NACK_ERRNOS = {errno.ENXIO, errno.EREMOTEIO, errno.EIO, errno.ENODEV}
_TIMEOUT_ERRNOS = {errno.ETIMEDOUT, errno.EAGAIN, errno.EBUSY}


def _classify(err: OSError, address: int) -> I2CError:
    if err.errno in _TIMEOUT_ERRNOS:
        return I2CBusTimeoutError(err.errno, f"bus timeout at 0x{address:02x}: {err.strerror}")
    if err.errno in _NACK_ERRNOS:
        return I2CNackError(err.errno, f"no answer at 0x{address:02x} (NACK)")
    return I2CError(err.errno, f"I2C error at 0x{address:02x}: {err}")


class SMBus2Bus:
    """/dev/i2c-N through smbus2 (imported only here, only when real hardware is used)."""

    time_scale = 1.0

    def __init__(self, number: int) -> None:
        try:
            import smbus2  # noqa: PLC0415 - optional dependency, only on the Pi
        except ImportError as err:
            raise I2CError(
                errno.ENOENT, "smbus2 is not installed (pip install 'edge-agent[i2c]')"
            ) from err
        self._smbus2: Any = smbus2
        try:
            self._bus: Any = smbus2.SMBus(number)
        except OSError as err:
            raise I2CError(err.errno, f"cannot open /dev/i2c-{number}: {err.strerror}") from err

    def _rdwr(self, address: int, *msgs: Any) -> None:
        try:
            self._bus.i2c_rdwr(*msgs)
        except OSError as err:
            raise _classify(err, address) from err

    def write(self, address: int, data: bytes) -> None:
        self._rdwr(address, self._smbus2.i2c_msg.write(address, data))

    def read(self, address: int, length: int) -> bytes:
        msg = self._smbus2.i2c_msg.read(address, length)
        self._rdwr(address, msg)
        return bytes(msg)

    def write_read(self, address: int, data: bytes, length: int) -> bytes:
        write = self._smbus2.i2c_msg.write(address, data)
        read = self._smbus2.i2c_msg.read(address, length)
        self._rdwr(address, write, read)
        return bytes(read)

    def close(self) -> None:
        self._bus.close()


class I2CPort:
    """One bus: a lock and a single worker thread that runs its transactions in order."""

    def __init__(self, bus: I2CBus, name: str) -> None:
        self.bus = bus
        self.name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    @property
    def time_scale(self) -> float:
        return self.bus.time_scale

    def run_sync(self, fn: Callable[[I2CBus], _T]) -> _T:
        """One transaction from synchronous code (the scan command)."""
        with self._lock:
            return fn(self.bus)

    async def run(self, fn: Callable[[I2CBus], _T]) -> _T:
        """One transaction from the event loop, on the bus's own thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"i2c-{self.name}")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.run_sync, fn)

    def device(self, address: int) -> I2CDevice:
        return I2CDevice(self, address)

    def close(self) -> None:
        if self._executor is not None:
            # a transaction stuck in the kernel must not hold up the agent's shutdown
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self.bus.close()


class I2CDevice:
    """One address on one port: what a driver reads and writes."""

    def __init__(self, port: I2CPort, address: int) -> None:
        self.port = port
        self.address = address

    def __repr__(self) -> str:
        return f"I2CDevice({self.port.name}, 0x{self.address:02x})"

    async def write(self, data: bytes) -> None:
        await self.port.run(lambda bus: bus.write(self.address, data))

    async def read(self, length: int) -> bytes:
        return await self.port.run(lambda bus: bus.read(self.address, length))

    async def write_read(self, data: bytes, length: int) -> bytes:
        return await self.port.run(lambda bus: bus.write_read(self.address, data, length))

    async def sleep(self, seconds: float) -> None:
        """A datasheet wait (conversion time), off the bus so others can use it meanwhile."""
        await asyncio.sleep(seconds * self.port.time_scale)


def open_bus(number: int) -> I2CBus:
    """The real bus /dev/i2c-`number`."""
    return SMBus2Bus(number)
