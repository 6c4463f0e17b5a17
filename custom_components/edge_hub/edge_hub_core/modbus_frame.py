"""Modbus TCP framing (MBAP header + PDU) for register reads, and a one-shot ping.

The simulator serves requests with these helpers. The integration talks to inverters
through pymodbus, and uses `async_ping` only to ask a sleeping inverter whether it is
awake again: a bare socket that logs nothing, where pymodbus would log a warning or an
error for every connection refused or unanswered request, all night long.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
import struct

MBAP = struct.Struct(">HHHB")  # transaction id, protocol id (0), length, unit id
READ_FUNCTIONS = (3, 4)
ILLEGAL_FUNCTION = 0x01
ILLEGAL_DATA_ADDRESS = 0x02
ILLEGAL_DATA_VALUE = 0x03
SERVER_DEVICE_FAILURE = 0x04
SERVER_DEVICE_BUSY = 0x06
#: the longest PDU a Modbus TCP frame carries
MAX_PDU = 253


class FrameError(ValueError):
    """Bytes that are not a valid Modbus TCP frame."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One Modbus TCP frame: header fields and the PDU (function code first)."""

    transaction_id: int
    unit_id: int
    pdu: bytes

    @property
    def function(self) -> int:
        """The function code (high bit set in an exception response)."""
        return self.pdu[0] if self.pdu else 0


def encode_frame(transaction_id: int, unit_id: int, pdu: bytes) -> bytes:
    """A full frame around `pdu`."""
    return MBAP.pack(transaction_id & 0xFFFF, 0, len(pdu) + 1, unit_id & 0xFF) + pdu


def read_request_pdu(function: int, address: int, count: int) -> bytes:
    """The PDU of an FC3/FC4 read."""
    return struct.pack(">BHH", function, address, count)


def registers_pdu(function: int, registers: list[int]) -> bytes:
    """The PDU of a read response carrying `registers`."""
    return struct.pack(f">BB{len(registers)}H", function, 2 * len(registers), *registers)


def exception_pdu(function: int, code: int) -> bytes:
    """The PDU of an exception response."""
    return bytes((function | 0x80, code))


def parse_read_request(pdu: bytes) -> tuple[int, int, int]:
    """(function, address, count) of an FC3/FC4 request PDU."""
    if len(pdu) != 5:
        raise FrameError(f"a read request PDU has 5 bytes, not {len(pdu)}")
    function, address, count = struct.unpack(">BHH", pdu)
    return function, address, count


def parse_read_response(pdu: bytes, function: int) -> list[int] | int:
    """The registers of a read response, or the exception code of an exception response."""
    if len(pdu) == 2 and pdu[0] == function | 0x80:
        return pdu[1]
    if len(pdu) < 2 or pdu[0] != function or pdu[1] != len(pdu) - 2 or pdu[1] % 2:
        raise FrameError(f"not a response to function {function}: {pdu[:8].hex()}")
    return list(struct.unpack(f">{pdu[1] // 2}H", pdu[2:]))


async def read_frame(reader: asyncio.StreamReader) -> Frame:
    """The next frame from `reader` (IncompleteReadError at end of stream)."""
    header = await reader.readexactly(MBAP.size)
    transaction_id, protocol, length, unit_id = MBAP.unpack(header)
    if protocol != 0 or not 2 <= length <= MAX_PDU + 1:
        raise FrameError(f"bad MBAP header {header.hex()}")
    pdu = await reader.readexactly(length - 1)
    return Frame(transaction_id, unit_id, pdu)


async def async_ping(
    host: str,
    port: int,
    *,
    unit_id: int,
    function: int,
    address: int,
    timeout: float,
) -> bool:
    """Whether a Modbus device answers (anything, an exception included) at host:port.

    Raises OSError when the connection is refused and TimeoutError when nothing answers in
    time, so a caller can tell "nobody listens" from "nobody replies".
    """
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(encode_frame(0x4550, unit_id, read_request_pdu(function, address, 1)))
            await writer.drain()
            try:
                frame = await read_frame(reader)
            except (asyncio.IncompleteReadError, FrameError):
                return False  # closed on us or not Modbus: there but not usable
            return frame.transaction_id == 0x4550 and frame.function & 0x7F == function
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
