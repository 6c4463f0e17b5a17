"""Find what answers on a bus and say what it is (`edge-agent scan`, `rescan`, scan: true).

Probing follows i2cdetect's default: a quick write (address only, no data) except in
0x30-0x37 and 0x50-0x5F, where EEPROMs live and a read is safer. A device that answers is
then identified by the drivers registered for its address, each asking the part itself
(EZO `i`, BME280 chip id, SHT3x status register, SHT4x serial number, ADS1115 config).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import partial

from edge_agent.backends.i2c import I2CBus, I2CBusTimeoutError, I2CPort
from edge_agent.backends.onewire import OneWirePort

from . import ezo
from .base import SensorDataError
from .registry import driver_class, i2c_candidates

FIRST_ADDRESS = 0x08
LAST_ADDRESS = 0x77


@dataclass(frozen=True, slots=True)
class Found:
    """One device that answered."""

    bus: str  # "i2c-1", "w1"
    address: int | str  # I2C address, or 1-Wire device id
    driver: str | None  # the driver that recognised it (None: unknown)
    description: str

    @property
    def address_text(self) -> str:
        return f"0x{self.address:02x}" if isinstance(self.address, int) else self.address


def probe(bus: I2CBus, address: int) -> bool:
    """Whether a device acknowledges `address`. A stuck bus raises I2CBusTimeoutError: every
    further probe would wait for the adapter's timeout too, so the scan stops there."""
    try:
        if 0x30 <= address <= 0x37 or 0x50 <= address <= 0x5F:
            bus.read(address, 1)
        else:
            bus.write(address, b"")
    except I2CBusTimeoutError:
        raise
    except OSError:
        return False
    return True


async def answering(port: I2CPort, skip: Collection[int] = ()) -> list[int]:
    """Every address that acknowledges, one transaction each, through the port's lock.
    `skip`: addresses in use (never disturb a sensor in the middle of its own exchange)."""
    found = []
    for address in range(FIRST_ADDRESS, LAST_ADDRESS + 1):
        if address not in skip and await port.run(partial(_probe, address)):
            found.append(address)
    return found


def _probe(address: int, bus: I2CBus) -> bool:
    return probe(bus, address)


async def identify(port: I2CPort, address: int) -> tuple[str | None, str]:
    """(driver name or None, description) of the device at `address`."""
    dev = port.device(address)
    if address in ezo.DEFAULT_ADDRESSES.values() or address == ezo.DEFAULT_ADDRESSES_RTD:
        # any EZO may have been moved to another EZO's default address: ask it what it is
        try:
            info = await ezo.identify_ezo(dev)
        except OSError:
            info = None
        if info is not None:
            name = ezo.TYPE_DRIVERS.get(info[0])
            title = driver_class(name).title if name else f"Atlas Scientific EZO-{info[0]}"
            return name, f"{title} (firmware {info[1]})"
    for cls in i2c_candidates(address):
        if cls.name.startswith("ezo_"):
            continue
        try:
            description = await cls.identify(dev)
        except (OSError, SensorDataError):
            continue
        if description is not None:
            supported = "not supported" not in description
            return (cls.name if supported else None), description
    return None, "unknown device"


async def scan_i2c(port: I2CPort, skip: Collection[int] = ()) -> list[Found]:
    return [
        Found(port.name, address, *await identify(port, address))
        for address in await answering(port, skip)
    ]


async def scan_w1(port: OneWirePort) -> list[Found]:
    found = []
    ds18b20 = driver_class("ds18b20")
    for device_id in port.bus.devices():
        description = await ds18b20.identify(port.device(device_id))
        if description is not None:
            found.append(Found("w1", device_id, ds18b20.name, description))
        else:
            found.append(Found("w1", device_id, None, "unknown 1-Wire device"))
    return found
