"""Driver names -> modules (imported on first use) and scan candidates per address."""

from __future__ import annotations

import importlib
from typing import Any, Final

from .base import Driver

# the config's `driver:` value -> module under edge_agent.drivers exposing DRIVER
DRIVER_MODULES: Final = {
    "ezo_ph": "ezo_ph",
    "ezo_do": "ezo_do",
    "ezo_orp": "ezo_orp",
    "ezo_ec": "ezo_ec",
    "ezo_rtd": "ezo_rtd",
    "bme280": "bme280",
    "sht3x": "sht3x",
    "sht4x": "sht4x",
    "ads1115": "ads1115",
    "ds18b20": "ds18b20",
}


def driver_class(name: str) -> type[Driver[Any]]:
    """The driver class called `name`; KeyError for an unknown name."""
    module = importlib.import_module(f"{__package__}.{DRIVER_MODULES[name]}")
    cls: type[Driver[Any]] = module.DRIVER
    return cls


def i2c_candidates(address: int) -> list[type[Driver[Any]]]:
    """The I2C drivers that answer at `address` by default, in the order to try them
    (SHT3x before SHT4x: they share 0x44/0x45 and each ignores the other's commands)."""
    found = []
    for name in DRIVER_MODULES:
        cls = driver_class(name)
        if cls.interface == "i2c" and address in cls.addresses:
            found.append(cls)
    return found
