"""One Modbus TCP connection per inverter, through pymodbus, one request at a time.

Most inverters serve a single Modbus client and choke on overlapping requests, so every
read holds one lock and waits out a configurable gap after the previous one (Huawei wants
50 ms, a Sungrow WiNet-S 30 ms).

Timeouts are pymodbus's own: its `timeout` bounds each answer and `retries=0` means no
resend. A resend after a timeout can be answered twice, and the stray answer is then taken
for the next request's (the "transaction id mismatch" of many integrations); instead a
timeout closes the connection, dropping any late answer with it. The asyncio timeout around
each call is only a backstop, always longer than pymodbus's own - a shorter outer timeout
cancels pymodbus mid-request and causes exactly those mismatches.

Before opening a connection the link checks with a bare TCP connect that something
listens (unless a ping has just been answered): pymodbus logs a warning for every refused
connection, and a sleeping inverter would otherwise fill the log all night.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import time

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from ..edge_hub_core.modbus_frame import async_ping
from ..edge_hub_core.modbus_poll import ModbusExceptionError, NoResponseError
from .const import REQUEST_TIMEOUT

#: how much longer than pymodbus's own timeout the backstop waits
BACKSTOP_MARGIN_S = 2.0
#: a port seen answering this recently needs no TCP check before connecting
FRESH_CHECK_S = 2.0


class ModbusLink:
    """Reads registers of one inverter (function 3 or 4) over one pymodbus client."""

    def __init__(
        self,
        host: str,
        port: int,
        unit_id: int,
        *,
        timeout: float = REQUEST_TIMEOUT,
        request_gap: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.timeout = timeout
        self.request_gap = request_gap
        self.requests = 0
        self.connects = 0
        self._client: AsyncModbusTcpClient | None = None
        self._lock = asyncio.Lock()
        self._last_request = 0.0
        self._answered_at = -FRESH_CHECK_S

    @property
    def connected(self) -> bool:
        """Whether the pymodbus client holds an open connection."""
        return self._client is not None and self._client.connected

    async def async_ping(self, function: int, address: int) -> None:
        """Ask with a bare socket whether the inverter answers at all (logs nothing).

        Raises NoResponseError with `reason` "cannot_connect" (refused, unreachable),
        "timeout" (no answer) or "no_answer" (closed without answering).
        """
        async with self._lock:
            try:
                answered = await async_ping(
                    self.host,
                    self.port,
                    unit_id=self.unit_id,
                    function=function,
                    address=address,
                    timeout=self.timeout,
                )
            except TimeoutError as err:
                raise _no_response("timeout", "no answer in time") from err
            except OSError as err:
                raise _no_response("cannot_connect", str(err) or type(err).__name__) from err
            if not answered:
                raise _no_response("no_answer", "closed the connection without answering")
            self._answered_at = time.monotonic()

    async def async_read(self, function: int, address: int, count: int) -> list[int]:
        """`count` registers from `address` (FC3 holding or FC4 input registers)."""
        async with self._lock:
            client = await self._connect()
            await self._space_out()
            try:
                async with asyncio.timeout(self.timeout + BACKSTOP_MARGIN_S):
                    if function == 4:
                        response = await client.read_input_registers(
                            address, count=count, device_id=self.unit_id
                        )
                    else:
                        response = await client.read_holding_registers(
                            address, count=count, device_id=self.unit_id
                        )
            except (ModbusException, TimeoutError, OSError) as err:
                self._close()
                raise _no_response("timeout", str(err) or type(err).__name__) from err
            finally:
                self.requests += 1
                self._last_request = time.monotonic()
            if response.isError():
                # the exception code, not isinstance(ExceptionResponse): pymodbus 3.11.1 had
                # two ExceptionResponse classes (pymodbus #2767)
                raise ModbusExceptionError(int(getattr(response, "exception_code", 0) or 0))
            return list(response.registers)

    async def _connect(self) -> AsyncModbusTcpClient:
        if self._client is not None and self._client.connected:
            return self._client
        self._close()
        if time.monotonic() - self._answered_at > FRESH_CHECK_S:
            await self._listening()
        client = AsyncModbusTcpClient(
            self.host,
            port=self.port,
            timeout=self.timeout,
            retries=0,
            reconnect_delay=0,  # no reconnecting behind our back: the coordinator backs off
        )
        try:
            async with asyncio.timeout(self.timeout + BACKSTOP_MARGIN_S):
                connected = await client.connect()
        except TimeoutError:
            connected = False
        if not connected:
            client.close()
            raise _no_response("cannot_connect", f"cannot connect to {self.host}:{self.port}")
        self._client = client
        self.connects += 1
        return client

    async def _listening(self) -> None:
        """Whether the port accepts connections, without pymodbus (which would log)."""
        try:
            async with asyncio.timeout(self.timeout):
                _reader, writer = await asyncio.open_connection(self.host, self.port)
        except TimeoutError as err:
            raise _no_response("timeout", f"{self.host}:{self.port} does not answer") from err
        except OSError as err:
            raise _no_response("cannot_connect", str(err) or type(err).__name__) from err
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _space_out(self) -> None:
        wait = self._last_request + self.request_gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def _close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.close()

    def close(self) -> None:
        """Close the connection (the next read opens a new one)."""
        self._close()

    @contextlib.asynccontextmanager
    async def suspended(self) -> AsyncIterator[None]:
        """Let go of the inverter for a while: reads wait, the connection is closed.

        A one-client inverter can only be probed (by a reconfigure flow) while we are not
        connected to it.
        """
        async with self._lock:
            self._close()
            yield


def _no_response(reason: str, message: str) -> NoResponseError:
    return NoResponseError(message, reason)
