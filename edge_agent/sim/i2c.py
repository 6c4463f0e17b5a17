"""A simulated I2C bus for tests and the demo, with the failures real buses have.

Failure modes (each visible to the agent exactly as on hardware):
- `nack`:      the device does not acknowledge its address          -> I2CNackError
- `unplugged`: the device is gone (`unplug()` / `plug()`: hot-plug)  -> I2CNackError
- stuck bus:   `bus.stuck = True`, SDA held low; every transaction on the bus times out
               after `stuck_timeout_s` (the kernel's adapter timeout) -> I2CBusTimeoutError
- `crc`:       the device answers with corrupted data (bad CRC on Sensirion parts, garbled
               text on an EZO, a reset pattern on a BME280)
- `slow`:      `slow_s` extra processing: an EZO answers "still processing" (254) for that
               long; other parts stretch the clock, holding the bus during their transaction
"""

from __future__ import annotations

from collections import Counter
import errno
import threading
import time

from edge_agent.backends.i2c import I2CBusTimeoutError, I2CNackError

NACK = "nack"
CRC = "crc"
FAULTS = frozenset({NACK, CRC})


class SimDevice:
    """One part on the simulated bus; subclasses answer like the real part."""

    title = "simulated device"

    def __init__(self, address: int) -> None:
        self.address = address
        self.present = True
        self.fault: str | None = None
        self.slow_s = 0.0
        self.time_scale = 1.0  # set by the bus

    # --- what the bus calls (in its thread) ---
    def on_write(self, data: bytes, now: float) -> None:
        """A write transaction; an empty one is the scanner's quick write."""

    def on_read(self, length: int, now: float) -> bytes:
        return bytes(length)

    def on_write_read(self, data: bytes, length: int, now: float) -> bytes:
        self.on_write(data, now)
        return self.on_read(length, now)

    # --- failure controls (from tests or the demo) ---
    def unplug(self) -> None:
        self.present = False

    def plug(self) -> None:
        self.present = True
        self.reset()

    def reset(self) -> None:
        """Power-on state (a re-plugged part has forgotten its settings)."""

    @staticmethod
    def nack(address: int) -> I2CNackError:
        return I2CNackError(errno.ENXIO, f"no answer at 0x{address:02x} (NACK)")


class SimBus:
    """Implements backends.i2c.I2CBus; `time_scale` < 1 speeds every wait up (tests)."""

    def __init__(self, devices: list[SimDevice] | None = None, *, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self.devices: dict[int, SimDevice] = {}
        self.stuck = False
        self.stuck_timeout_s = 1.0
        self.transactions: Counter[int] = Counter()
        self.closed = False
        self._in_transaction = threading.Lock()
        self.overlaps = 0  # transactions that ran concurrently: must stay 0 (serialisation)
        for device in devices or []:
            self.add(device)

    def add(self, device: SimDevice) -> SimDevice:
        device.time_scale = self.time_scale
        self.devices[device.address] = device
        return device

    def __getitem__(self, address: int) -> SimDevice:
        return self.devices[address]

    def _enter(self, address: int) -> SimDevice:
        self.transactions[address] += 1
        if self.stuck:
            time.sleep(self.stuck_timeout_s * self.time_scale)
            raise I2CBusTimeoutError(
                errno.ETIMEDOUT, f"bus timeout at 0x{address:02x}: SDA stuck low"
            )
        device = self.devices.get(address)
        if device is None or not device.present or device.fault == NACK:
            raise SimDevice.nack(address)
        return device

    def write(self, address: int, data: bytes) -> None:
        with self._guard():
            self._enter(address).on_write(bytes(data), time.monotonic())

    def read(self, address: int, length: int) -> bytes:
        with self._guard():
            return self._enter(address).on_read(length, time.monotonic())

    def write_read(self, address: int, data: bytes, length: int) -> bytes:
        with self._guard():
            return self._enter(address).on_write_read(bytes(data), length, time.monotonic())

    def close(self) -> None:
        self.closed = True

    def _guard(self) -> _Guard:
        return _Guard(self)


class _Guard:
    """Counts transactions that overlap: the ports must serialise them."""

    def __init__(self, bus: SimBus) -> None:
        self.bus = bus
        self.acquired = False

    def __enter__(self) -> None:
        self.acquired = self.bus._in_transaction.acquire(blocking=False)
        if not self.acquired:
            self.bus.overlaps += 1

    def __exit__(self, *exc: object) -> None:
        if self.acquired:
            self.bus._in_transaction.release()


def stretch(device: SimDevice) -> None:
    """Clock stretching of a slow part: the transaction itself takes `slow_s`."""
    if device.slow_s:
        time.sleep(device.slow_s * device.time_scale)
