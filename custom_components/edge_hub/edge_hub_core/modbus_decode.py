"""Typed decoding of Modbus registers into values, and the inverse for the simulator.

Registers are 16-bit words, each big-endian on the wire; a 32-bit value spans two words in
the map's word order ("big": high word first, as SunSpec and Huawei; "little": low word
first, as Sungrow). A raw value equal to one of the point's sentinels ("not implemented":
0x8000, 0xFFFF, 0x7FFF, 0xFFFFFFFF...), a NaN float, an unknown enum code, a missing or
out-of-range SunSpec scale factor, or a result outside the point's plausible range all
decode as None (unknown), never as a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import math
import struct

from .modbus_map import STRING, Point, Value, decimals

SIGNED_BITS = {"s16": 16, "sunssf": 16, "s32": 32}
#: SunSpec bounds sunssf to -10..10; anything else is garbage or "not implemented"
SF_RANGE = range(-10, 11)


def registers_to_int(registers: Sequence[int], word_order: str = "big") -> int:
    """The unsigned integer held by `registers` in `word_order`."""
    words = registers if word_order == "big" else list(reversed(registers))
    value = 0
    for word in words:
        value = (value << 16) | (word & 0xFFFF)
    return value


def int_to_registers(value: int, count: int, word_order: str = "big") -> list[int]:
    """`value` (unsigned, count x 16 bits) as registers in `word_order`."""
    words = [(value >> (16 * (count - 1 - i))) & 0xFFFF for i in range(count)]
    return words if word_order == "big" else list(reversed(words))


def decode_string(registers: Sequence[int]) -> str:
    """Two ASCII characters per register, NUL/space padded (vendors pad either way)."""
    raw = b"".join((r & 0xFFFF).to_bytes(2, "big") for r in registers)
    # SolarEdge and friends leave garbage after the terminating NUL: cut there
    raw = raw.split(b"\x00", 1)[0]
    return raw.decode("utf-8", errors="replace").strip()


def decode(point: Point, registers: Sequence[int], sf: int | None = None) -> Value:
    """The value of `point` from its registers; `sf` is its scale factor, if it has one."""
    if len(registers) != point.count:
        raise ValueError(f"{point.key}: needs {point.count} registers, got {len(registers)}")
    if point.type == STRING:
        return decode_string(registers) or None
    raw = registers_to_int(registers, point.word_order)
    if raw in point.sentinels:
        return None
    number: float | int
    if point.type == "float32":
        number = struct.unpack(">f", raw.to_bytes(4, "big"))[0]
        if not math.isfinite(number):
            return None
    elif point.type in SIGNED_BITS:
        bits = SIGNED_BITS[point.type]
        number = raw - (1 << bits) if raw >= 1 << (bits - 1) else raw
    else:
        number = raw
    if point.type == "sunssf":
        return number if number in SF_RANGE else None
    if point.states is not None:
        return point.states.get(int(number))
    places = decimals(point.scale)
    if point.scale_ref is not None:
        if sf is None or sf not in SF_RANGE:
            return None
        # divide for negative exponents: 2305 / 10 is exact where 2305 * 0.1 is not
        number = number * 10**sf if sf >= 0 else number / 10**-sf
        places += max(0, -sf)
    if point.scale != 1.0:
        number = number * point.scale
    if isinstance(number, float):
        number = round(number, places + 3 if point.type == "float32" else places)
    if point.valid is not None and not point.valid[0] <= number <= point.valid[1]:
        return None
    return number


def decode_block(
    points: Sequence[Point],
    address: int,
    registers: Sequence[int],
    scale_factors: Mapping[str, Value] | None = None,
) -> dict[str, Value]:
    """Decode every point lying inside the block read at `address`.

    Scale factors are taken from the block itself (they were read in the same request as
    their values), falling back to `scale_factors` for a scale factor read separately.
    """
    end = address + len(registers)
    inside = [p for p in points if address <= p.address and p.end <= end]
    out: dict[str, Value] = {}
    for point in inside:
        if point.type == "sunssf":
            out[point.key] = decode(point, registers[point.address - address : point.end - address])
    for point in inside:
        if point.type == "sunssf":
            continue
        sf: Value = None
        if point.scale_ref is not None:
            sf = out.get(point.scale_ref, (scale_factors or {}).get(point.scale_ref))
        out[point.key] = decode(
            point,
            registers[point.address - address : point.end - address],
            sf if isinstance(sf, int) else None,
        )
    return out


def encode(point: Point, value: Value, sf: int = 0) -> list[int]:
    """The registers that decode to `value` (None: the point's "not implemented" marker).

    The simulator serves its register image through this, from the same map the
    integration decodes with.
    """
    if point.type == STRING:
        data = str(value or "").encode("utf-8")[: point.count * 2].ljust(point.count * 2, b"\0")
        return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    if value is None:
        if point.type == "float32" and not point.sentinels:
            raw = 0x7FC00000  # NaN
        else:
            raw = min(point.sentinels) if point.sentinels else 0
        return int_to_registers(raw, point.count, point.word_order)
    if point.states is not None and isinstance(value, str):
        codes = [code for code, name in point.states.items() if name == value]
        if not codes:
            raise ValueError(f"{point.key}: no code for state {value!r}")
        number: float = codes[0]
    elif isinstance(value, str):
        raise ValueError(f"{point.key}: {value!r} is not a number")
    else:
        number = float(value)
    if point.type == "float32":
        raw = int.from_bytes(struct.pack(">f", number), "big")
        return int_to_registers(raw, 2, point.word_order)
    if point.type != "sunssf" and point.states is None:
        number = number / point.scale
        if point.scale_ref is not None:
            number = number / 10**sf if sf >= 0 else number * 10**-sf
    bits = 16 * point.count
    integer = round(number)
    if point.type in SIGNED_BITS:
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        integer = max(low, min(high, integer)) & ((1 << bits) - 1)
    else:
        integer = max(0, min((1 << bits) - 1, integer))
    return int_to_registers(integer, point.count, point.word_order)
