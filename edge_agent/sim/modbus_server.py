"""A small asyncio Modbus TCP server for simulators: MBAP framing, FC3/FC4 reads.

pymodbus's classic datastore server is deprecated from 3.13 and serves block address N+1
for protocol address N; this one hands every read, address as sent, to a handler that
computes the registers. It behaves like the inverters it stands in for:

* one client at a time - a second connection is closed at once (after a short grace for a
  client that is hanging up);
* `silent`: connections are accepted but nothing is answered (a hung dongle);
* `listening = False`: the port is closed, connections are refused (a powered-down device);
* injectable faults, from tests: no answer, an exception code (0x02, 0x06, ...), garbage
  registers, or a dropped connection, for the next N requests or until cleared, optionally
  only for requests touching some addresses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass
import logging
import random

from edge_hub_core.modbus_frame import (
    ILLEGAL_DATA_VALUE,
    ILLEGAL_FUNCTION,
    READ_FUNCTIONS,
    FrameError,
    encode_frame,
    exception_pdu,
    parse_read_request,
    read_frame,
    registers_pdu,
)

_LOGGER = logging.getLogger(__name__)
GATEWAY_TARGET_FAILED = 0x0B
#: how long a new client waits for the previous one to finish hanging up
HANDOVER_GRACE_S = 0.3


class ModbusError(Exception):
    """Raised by a handler: answer with this Modbus exception code."""

    def __init__(self, code: int) -> None:
        super().__init__(f"Modbus exception 0x{code:02X}")
        self.code = code


#: handler(function, address, count) -> registers (raises ModbusError)
Handler = Callable[[int, int, int], Sequence[int]]

FAULT_KINDS = ("timeout", "exception", "garbage", "disconnect")


@dataclass(slots=True)
class Fault:
    """A misbehaviour for the next `remaining` matching requests (None: until cleared)."""

    kind: str
    code: int = 0
    remaining: int | None = 1
    addresses: range | None = None

    def matches(self, address: int, count: int) -> bool:
        """Whether a read of `count` registers at `address` is affected."""
        if self.addresses is None:
            return True
        return address < self.addresses.stop and self.addresses.start < address + count


class FaultPlan:
    """Faults waiting to happen, first injected first served."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.triggered = 0

    def inject(
        self,
        kind: str,
        *,
        code: int = 0,
        count: int | None = 1,
        addresses: range | None = None,
    ) -> Fault:
        """Misbehave for the next `count` matching requests (None: until `clear()`)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        if kind == "exception" and not 0 < code < 0x80:
            raise ValueError("an exception fault needs a code between 0x01 and 0x7F")
        fault = Fault(kind, code, count, addresses)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Behave again."""
        self._faults.clear()

    def take(self, address: int, count: int) -> Fault | None:
        """The fault affecting this request, if any (counting it down)."""
        for fault in self._faults:
            if fault.matches(address, count):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                self.triggered += 1
                return fault
        return None


class ModbusTcpServer:
    """Serves FC3/FC4 reads through `handler` on one loopback port."""

    def __init__(
        self,
        handler: Handler,
        *,
        unit_id: int | None = None,
        max_clients: int = 1,
        faults: FaultPlan | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._handler = handler
        self.unit_id = unit_id
        self.max_clients = max_clients
        self.faults = faults or FaultPlan()
        self.silent = False
        self.requests = 0
        self.refused = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._rng = rng or random.Random(0x5EED)
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def listening(self) -> bool:
        """Whether the port accepts connections."""
        return self._server is not None

    @property
    def clients(self) -> int:
        """Connected clients."""
        return len(self._clients)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (port 0: any free one); returns the port."""
        self.host = host
        self._server = await asyncio.start_server(self._serve, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def set_listening(self, listening: bool) -> None:
        """Open or close the port (closing also drops every client)."""
        if listening and self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        elif not listening and self._server is not None:
            server, self._server = self._server, None
            server.close()
            self.drop_clients()
            await server.wait_closed()

    def drop_clients(self) -> None:
        """Close every client connection."""
        for writer in list(self._clients):
            writer.close()

    async def stop(self) -> None:
        """Close the port and every connection."""
        await self.set_listening(False)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if not await self._admit():
                self.refused += 1
                _LOGGER.debug("refusing a client: %d already connected", len(self._clients))
                return
            self._clients.add(writer)
            await self._converse(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, FrameError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    async def _admit(self) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HANDOVER_GRACE_S
        while len(self._clients) >= self.max_clients:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            frame = await read_frame(reader)
            self.requests += 1
            if self.silent:
                continue
            pdu = self._answer(frame.unit_id, frame.pdu)
            if pdu is None:
                continue
            if pdu == b"":
                return  # a "disconnect" fault
            writer.write(encode_frame(frame.transaction_id, frame.unit_id, pdu))
            await writer.drain()

    def _answer(self, unit_id: int, pdu: bytes) -> bytes | None:
        """The response PDU; None for no answer, b"" to drop the connection."""
        function = pdu[0] if pdu else 0
        if function not in READ_FUNCTIONS:
            return exception_pdu(function, ILLEGAL_FUNCTION)
        try:
            function, address, count = parse_read_request(pdu)
        except FrameError:
            return exception_pdu(function, ILLEGAL_DATA_VALUE)
        if self.unit_id is not None and unit_id not in (self.unit_id, 0):
            return exception_pdu(function, GATEWAY_TARGET_FAILED)
        if not 1 <= count <= 125 or address + count > 0x10000:
            return exception_pdu(function, ILLEGAL_DATA_VALUE)
        fault = self.faults.take(address, count)
        if fault is not None:
            if fault.kind == "timeout":
                return None
            if fault.kind == "disconnect":
                return b""
            if fault.kind == "exception":
                return exception_pdu(function, fault.code)
            return registers_pdu(function, [self._rng.randrange(0x10000) for _ in range(count)])
        try:
            registers = list(self._handler(function, address, count))
        except ModbusError as err:
            return exception_pdu(function, err.code)
        return registers_pdu(function, registers)
