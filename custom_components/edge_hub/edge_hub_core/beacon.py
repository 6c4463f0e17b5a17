"""The BLE goal beacon of docs/protocol.md part 2: encoding, decoding and AES-CCM.

Pure and HA-free: the integration decodes with it, the agent's simulator and the tests encode
with it, and the firmware's C++ encoder is checked against the same vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM

COMPANY_ID = 0xFFFF
MAGIC = b"EH"
VERSION = 1

FLAG_ENCRYPTED = 0x01
FLAG_HEARTBEAT = 0x02
FLAG_BATTERY_LOW = 0x04
FLAG_WANTS_ACK = 0x08

BODY_LEN = 11
PLAIN_LEN = 4 + BODY_LEN  # 15
ENCRYPTED_LEN = PLAIN_LEN + 4 + 4  # 23
MIC_LEN = 4
SINCE_GOAL_UNKNOWN = 0xFFFF

_BODY = struct.Struct("<IHHBBB")

# GATT acknowledgement and time sync (docs/protocol.md §2.5)
SERVICE_UUID = "e0f1a000-5d3c-4f0a-9b8e-6a1d2c3b4a50"
ACK_CHAR_UUID = "e0f1a001-5d3c-4f0a-9b8e-6a1d2c3b4a50"
ACK_VERSION = 1
ACK_LEN = 12
ACK_ENCRYPTED_LEN = ACK_LEN + 4 + MIC_LEN  # 20
ACK_NONCE_HEADER = b"EH\xa1"
GAME_IDLE = 0
GAME_PLAYING = 1
HEARTBEAT_MIN_RANGE = (1, 1440)
DEFAULT_HEARTBEAT_MIN = 30
_ACK = struct.Struct("<BIIBH")


class BeaconError(ValueError):
    """A payload that is not a valid goal beacon (the parser's only error)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class GoalBeacon:
    """One decoded goal beacon."""

    goals: int
    since_goal_ds: int
    battery_mv: int
    firmware: tuple[int, int, int]
    packet_id: int
    flags: int = 0
    counter: int | None = None  # the replay counter, encrypted beacons only

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)

    @property
    def heartbeat(self) -> bool:
        return bool(self.flags & FLAG_HEARTBEAT)

    @property
    def battery_low(self) -> bool:
        return bool(self.flags & FLAG_BATTERY_LOW)

    @property
    def wants_ack(self) -> bool:
        return bool(self.flags & FLAG_WANTS_ACK)

    @property
    def since_goal_s(self) -> float | None:
        """Seconds from the last goal to this packet, None when unknown or too long."""
        if self.since_goal_ds == SINCE_GOAL_UNKNOWN:
            return None
        return self.since_goal_ds / 10

    @property
    def firmware_version(self) -> str:
        return ".".join(str(part) for part in self.firmware)


def mac_bytes(address: str) -> bytes:
    """The 6 bytes of a MAC written as AA:BB:CC:DD:EE:FF (most significant first)."""
    try:
        raw = bytes.fromhex(address.replace(":", "").replace("-", ""))
    except ValueError:
        raw = b""
    if len(raw) != 6:
        raise BeaconError("bad_address", f"not a MAC address: {address!r}")
    return raw


def _nonce(mac: bytes, header3: bytes, counter: int) -> bytes:
    return mac + header3 + struct.pack("<I", counter)


def _aesccm(key: bytes) -> AESCCM:
    # cryptography is a Home Assistant core dependency and the agent's `sim` extra; imported
    # here so decoding plain beacons never needs it
    from cryptography.hazmat.primitives.ciphers.aead import (  # noqa: PLC0415
        AESCCM as _AESCCM,
    )

    if len(key) != 16:
        raise BeaconError("bad_key", "the device key must be 16 bytes (32 hex characters)")
    return _AESCCM(key, tag_length=MIC_LEN)


def parse_key(text: str) -> bytes:
    """A device key from its 32-hex-character form (spaces and dashes allowed)."""
    cleaned = text.strip().replace(" ", "").replace("-", "").lower()
    try:
        key = bytes.fromhex(cleaned)
    except ValueError:
        key = b""
    if len(key) != 16:
        raise BeaconError("bad_key", "the device key must be 32 hexadecimal characters")
    return key


def encode(
    beacon: GoalBeacon,
    *,
    key: bytes | None = None,
    address: str | None = None,
) -> bytes:
    """The manufacturer-data payload (after the company id) for `beacon`.

    With `key`, the body is encrypted with `beacon.counter` (required) and the device `address`.
    """
    flags = beacon.flags & ~FLAG_ENCRYPTED
    if key is not None:
        flags |= FLAG_ENCRYPTED
    header = MAGIC + bytes([(VERSION << 4) | (flags & 0x0F), beacon.packet_id & 0xFF])
    major, minor, patch = beacon.firmware
    body = _BODY.pack(
        beacon.goals & 0xFFFFFFFF,
        min(beacon.since_goal_ds, SINCE_GOAL_UNKNOWN),
        beacon.battery_mv & 0xFFFF,
        major,
        minor,
        patch,
    )
    if key is None:
        return header + body
    if beacon.counter is None or address is None:
        raise BeaconError("bad_arguments", "encryption needs a counter and the device address")
    counter = beacon.counter & 0xFFFFFFFF
    sealed = _aesccm(key).encrypt(_nonce(mac_bytes(address), header[:3], counter), body, header)
    return header + sealed[:BODY_LEN] + struct.pack("<I", counter) + sealed[BODY_LEN:]


def is_goal_beacon(payload: bytes) -> bool:
    """Cheap check: starts with the magic (the HA matcher's own selection)."""
    return payload[:2] == MAGIC


def decode(payload: bytes, *, key: bytes | None = None, address: str | None = None) -> GoalBeacon:
    """Decode a manufacturer-data payload; raises BeaconError for anything invalid.

    An encrypted payload needs `key` and `address`; a wrong key or altered bytes raise
    BeaconError("mic_failed"). Replay protection (the counter) is the caller's job, since it
    needs per-device state.
    """
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise BeaconError("not_bytes", "payload is not bytes")
    payload = bytes(payload)
    if len(payload) < PLAIN_LEN:
        raise BeaconError("too_short", f"{len(payload)} bytes, a beacon has at least {PLAIN_LEN}")
    if payload[:2] != MAGIC:
        raise BeaconError("bad_magic", "not an Edge Hub goal beacon")
    version, flags = payload[2] >> 4, payload[2] & 0x0F
    if version != VERSION:
        raise BeaconError("unknown_version", f"beacon format version {version} is not supported")
    packet_id = payload[3]
    counter: int | None = None
    if flags & FLAG_ENCRYPTED:
        if len(payload) != ENCRYPTED_LEN:
            raise BeaconError("bad_length", f"encrypted beacon of {len(payload)} bytes")
        if key is None or address is None:
            raise BeaconError("no_key", "encrypted beacon and no device key")
        (counter,) = struct.unpack_from("<I", payload, PLAIN_LEN)
        sealed = payload[4:PLAIN_LEN] + payload[PLAIN_LEN + 4 :]
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415

        try:
            body = _aesccm(key).decrypt(
                _nonce(mac_bytes(address), payload[:3], counter), sealed, payload[:4]
            )
        except InvalidTag as err:
            raise BeaconError("mic_failed", "message integrity check failed") from err
    else:
        if len(payload) != PLAIN_LEN:
            raise BeaconError("bad_length", f"plain beacon of {len(payload)} bytes")
        body = payload[4:PLAIN_LEN]
    goals, since, battery, major, minor, patch = _BODY.unpack(body)
    return GoalBeacon(
        goals=goals,
        since_goal_ds=since,
        battery_mv=battery,
        firmware=(major, minor, patch),
        packet_id=packet_id,
        flags=flags,
        counter=counter,
    )


@dataclass(frozen=True, slots=True)
class GoalAck:
    """The GATT acknowledgement HA writes to a sensor that wants one (§2.5)."""

    acked_goals: int
    unix_time: int
    game_mode: int = GAME_IDLE
    heartbeat_min: int = DEFAULT_HEARTBEAT_MIN
    counter: int | None = None  # HA's own replay counter, encrypted acks only


def encode_ack(ack: GoalAck, *, key: bytes | None = None, address: str | None = None) -> bytes:
    """The bytes to write to the ack characteristic (12 plain, 20 encrypted)."""
    low, high = HEARTBEAT_MIN_RANGE
    if not low <= ack.heartbeat_min <= high:
        raise BeaconError("bad_field", f"heartbeat_min {ack.heartbeat_min} is not {low}-{high}")
    if not 0 <= ack.game_mode <= 0xFF:
        raise BeaconError("bad_field", f"game_mode {ack.game_mode} is not a byte")
    body = _ACK.pack(
        ACK_VERSION,
        ack.acked_goals & 0xFFFFFFFF,
        ack.unix_time & 0xFFFFFFFF,
        ack.game_mode,
        ack.heartbeat_min,
    )
    if key is None:
        return body
    if ack.counter is None or address is None:
        raise BeaconError("bad_arguments", "encryption needs a counter and the device address")
    counter = ack.counter & 0xFFFFFFFF
    # no associated data: the whole body is encrypted and authenticated
    sealed = _aesccm(key).encrypt(_nonce(mac_bytes(address), ACK_NONCE_HEADER, counter), body, None)
    return sealed[:ACK_LEN] + struct.pack("<I", counter) + sealed[ACK_LEN:]


def decode_ack(data: bytes, *, key: bytes | None = None, address: str | None = None) -> GoalAck:
    """Decode an ack as the sensor does; raises BeaconError (the firmware mirrors this).

    With `key`, only the encrypted form is accepted (a plain ack would let anyone in range
    change the sensor's settings). Replay protection (the counter) is the caller's job.
    """
    data = bytes(data)
    counter: int | None = None
    if key is not None:
        if len(data) != ACK_ENCRYPTED_LEN:
            raise BeaconError("bad_length", f"encrypted ack of {len(data)} bytes")
        if address is None:
            raise BeaconError("bad_arguments", "decryption needs the device address")
        (counter,) = struct.unpack_from("<I", data, ACK_LEN)
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415

        try:
            body = _aesccm(key).decrypt(
                _nonce(mac_bytes(address), ACK_NONCE_HEADER, counter),
                data[:ACK_LEN] + data[ACK_LEN + 4 :],
                None,
            )
        except InvalidTag as err:
            raise BeaconError("mic_failed", "message integrity check failed") from err
    else:
        if len(data) != ACK_LEN:
            raise BeaconError("bad_length", f"plain ack of {len(data)} bytes")
        body = data
    version, acked, unix_time, game_mode, heartbeat_min = _ACK.unpack(body)
    if version != ACK_VERSION:
        raise BeaconError("unknown_version", f"ack format version {version} is not supported")
    low, high = HEARTBEAT_MIN_RANGE
    if not low <= heartbeat_min <= high:
        raise BeaconError("bad_field", f"heartbeat_min {heartbeat_min} is not {low}-{high}")
    return GoalAck(
        acked_goals=acked,
        unix_time=unix_time,
        game_mode=game_mode,
        heartbeat_min=heartbeat_min,
        counter=counter,
    )
