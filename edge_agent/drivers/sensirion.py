"""The word format of Sensirion sensors (SHT3x, SHT4x): 16-bit big-endian words, each
followed by a CRC-8 (polynomial 0x31, init 0xFF, no reflection, no final XOR; SHT3x
datasheet §4.12: CRC(0xBEEF) = 0x92)."""

from __future__ import annotations

from collections.abc import Iterable

from .base import SensorDataError


def crc8(data: bytes) -> int:
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def decode_words(frame: bytes, count: int) -> list[int]:
    """`count` words from `frame`, each checked against its CRC."""
    if len(frame) != 3 * count:
        raise SensorDataError(f"expected {3 * count} bytes, got {len(frame)}")
    words = []
    for i in range(0, len(frame), 3):
        chunk = frame[i : i + 2]
        if crc8(chunk) != frame[i + 2]:
            # a stable message: one status for HA, however the bits were garbled
            raise SensorDataError("CRC mismatch")
        words.append(int.from_bytes(chunk, "big"))
    return words


def encode_words(words: Iterable[int]) -> bytes:
    out = bytearray()
    for word in words:
        chunk = word.to_bytes(2, "big")
        out += chunk + bytes([crc8(chunk)])
    return bytes(out)
