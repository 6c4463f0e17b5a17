"""An inverter simulator's register image as an in-memory `read` (no sockets), for core tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from edge_agent.sim.inverter import InverterSimulator, SimClock
from edge_agent.sim.modbus_server import ModbusError
from edge_hub_core.modbus_poll import ModbusExceptionError

NOON = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)


class MemoryInverter:
    """A simulator whose reads are function calls; counts requests like a server would."""

    def __init__(self, profile: str, **kw: object) -> None:
        self.sim = InverterSimulator(profile, clock=SimClock(NOON), **kw)  # type: ignore[arg-type]
        self.requests: list[tuple[int, int, int]] = []

    async def read(self, function: int, address: int, count: int) -> Sequence[int]:
        self.requests.append((function, address, count))
        try:
            return self.sim.image.read(function, address, count)
        except ModbusError as err:
            raise ModbusExceptionError(err.code) from err
