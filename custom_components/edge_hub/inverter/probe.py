"""Probing a Modbus TCP address for a supported inverter (profiles come with the maps)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


class ProbeError(Exception):
    """Probing failed; `reason` is the config flow's error key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ProbeResult:
    profile: str
    serial: str
    model: str
    manufacturer: str


async def async_probe(host: str, port: int, unit_id: int, timeout: float = 5.0) -> ProbeResult:
    """Identify the inverter at host:port; ProbeError(cannot_connect|timeout|unsupported_device).

    This version checks that the address answers; profile detection arrives with the
    register maps.
    """
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError as err:
        raise ProbeError("timeout") from err
    except OSError as err:
        raise ProbeError("cannot_connect") from err
    writer.close()
    raise ProbeError("unsupported_device")
