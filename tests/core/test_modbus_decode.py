"""Typed register decoding: types, word order, scale, sentinels, and the simulator's inverse."""

from __future__ import annotations

import math

from hypothesis import given, strategies as st
import pytest

from edge_hub_core.modbus_decode import (
    decode,
    decode_block,
    decode_string,
    encode,
    int_to_registers,
    registers_to_int,
)
from edge_hub_core.modbus_map import Point


def _point(**kw: object) -> Point:
    base: dict[str, object] = {"key": "p", "address": 100, "type": "u16", "count": 1}
    base.update(kw)
    if base["type"] in ("u32", "s32", "acc32", "float32"):
        base.setdefault("count", 2)
        base["count"] = 2
    return Point(**base)  # type: ignore[arg-type]


def test_word_order() -> None:
    assert registers_to_int([0x1234, 0x5678], "big") == 0x12345678
    assert registers_to_int([0x5678, 0x1234], "little") == 0x12345678
    assert int_to_registers(0x12345678, 2, "little") == [0x5678, 0x1234]


@pytest.mark.parametrize(
    ("kind", "regs", "expected"),
    [
        ("u16", [0xFFFE], 65534),
        ("s16", [0xFFFE], -2),
        ("u32", [0x0001, 0x0000], 65536),
        ("s32", [0xFFFF, 0xFFFF], -1),
        ("acc32", [0x0000, 0x0010], 16),
    ],
)
def test_integer_types(kind: str, regs: list[int], expected: int) -> None:
    assert decode(_point(type=kind), regs) == expected


def test_little_endian_s32() -> None:
    point = _point(type="s32", word_order="little")
    assert decode(point, [0xFFFE, 0xFFFF]) == -2


def test_float32_and_nan() -> None:
    point = _point(type="float32")
    assert decode(point, int_to_registers(0x43660000, 2)) == 230.0
    assert decode(point, int_to_registers(0x7FC00000, 2)) is None  # NaN
    assert decode(point, int_to_registers(0x7F800000, 2)) is None  # inf


def test_fixed_scale_rounds_float_noise() -> None:
    assert decode(_point(scale=0.1), [2305]) == 230.5
    assert decode(_point(type="u32", scale=0.01), [0x0001, 0xE240]) == 1234.56


def test_scale_factor() -> None:
    point = _point(type="s16", scale_ref="W_SF")
    assert decode(point, [2305], sf=-1) == 230.5
    assert decode(point, [23], sf=2) == 2300
    assert decode(point, [23], sf=None) is None  # scale factor unknown: value unknown
    assert decode(point, [23], sf=11) is None  # outside sunssf's -10..10


@pytest.mark.parametrize(
    ("kind", "sentinel"),
    [("s16", 0x8000), ("u16", 0xFFFF), ("acc32", 0), ("u32", 0xFFFFFFFF), ("s32", 0x80000000)],
)
def test_sentinels_decode_as_unknown(kind: str, sentinel: int) -> None:
    point = _point(type=kind, sentinels=frozenset({sentinel}))
    regs = int_to_registers(sentinel, point.count)
    assert decode(point, regs) is None


def test_sunssf_range() -> None:
    sf = _point(type="sunssf", sentinels=frozenset({0x8000}))
    assert decode(sf, [0xFFFE]) == -2
    assert decode(sf, [0x8000]) is None
    assert decode(sf, [20]) is None


def test_valid_range_and_enum() -> None:
    assert decode(_point(scale=0.01, valid=(45.0, 65.0)), [5002]) == 50.02
    assert decode(_point(scale=0.01, valid=(45.0, 65.0)), [500]) is None
    states = _point(states={4: "producing", 2: "sleeping"})
    assert decode(states, [4]) == "producing"
    assert decode(states, [9]) is None


def test_strings() -> None:
    regs = encode(_point(type="string", count=4), "SN12")
    assert decode_string(regs) == "SN12"
    # garbage after the NUL terminator (SolarEdge) and space padding are dropped
    assert decode_string([0x4142, 0x0043, 0x4444]) == "AB"
    assert decode_string([0x4142, 0x2020]) == "AB"
    assert decode(_point(type="string", count=2), [0, 0]) is None


def test_wrong_register_count_is_a_bug() -> None:
    with pytest.raises(ValueError, match="needs 2 registers"):
        decode(_point(type="u32"), [1])


def test_block_uses_scale_factor_from_same_block() -> None:
    value = Point("W", 10, "s16", 1, scale_ref="W_SF")
    sf = Point("W_SF", 11, "sunssf", 1, sentinels=frozenset({0x8000}))
    assert decode_block([value, sf], 10, [1234, 0xFFFF]) == {"W": 123.4, "W_SF": -1}
    assert decode_block([value, sf], 10, [1234, 0x8000]) == {"W": None, "W_SF": None}
    # a scale factor read in another request of the same poll
    assert decode_block([value, sf], 10, [1234], {"W_SF": 1}) == {"W": 12340}


@given(
    kind=st.sampled_from(["u16", "s16", "u32", "s32", "acc32"]),
    order=st.sampled_from(["big", "little"]),
    raw=st.integers(min_value=-(2**31), max_value=2**32 - 1),
    scale=st.sampled_from([1.0, 0.1, 0.01, 0.001, 100.0]),
)
def test_encode_decode_roundtrip(kind: str, order: str, raw: int, scale: float) -> None:
    point = _point(type=kind, word_order=order, scale=scale)
    bits = 16 * point.count
    signed = kind.startswith("s")
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    raw = max(low, min(high, raw))
    value = decode(point, int_to_registers(raw & (2**bits - 1), point.count, order))
    assert isinstance(value, int | float)
    assert decode(point, encode(point, value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_float_roundtrip(value: float) -> None:
    point = _point(type="float32", word_order="little")
    decoded = decode(point, encode(point, value))
    assert isinstance(decoded, float | int)
    assert math.isclose(decoded, value, rel_tol=1e-6, abs_tol=1e-3)


def test_encode_unknown_gives_the_sentinel() -> None:
    point = _point(type="s16", sentinels=frozenset({0x8000}))
    assert encode(point, None) == [0x8000]
    assert decode(point, encode(point, None)) is None
