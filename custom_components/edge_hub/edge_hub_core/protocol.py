"""MQTT wire format of docs/protocol.md part 1: topics, payload validation and builders.

Pure and HA-free, shared by the agent (which builds messages) and the integration (which
validates everything it receives). Every rejection is a ProtocolError with a short `reason`
(used as a diagnostics counter key) and a human message (used in the one log line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
import json
import re
from typing import Any, Final, TypeAlias, TypeVar

SCHEMA_VERSION: Final = 1
TOPIC_ROOT: Final = "edge_hub"
DISCOVERY_TOPIC: Final = f"{TOPIC_ROOT}/+/announce"
HA_STATUS_TOPIC: Final = "homeassistant/status"
MAX_PAYLOAD: Final = 262_144
MAX_BATCH_BYTES: Final = 65_536
AGENT_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
HEX16_RE: Final = re.compile(r"^[0-9a-f]{16}$")

# leaves of edge_hub/<agent_id>/<leaf>
ANNOUNCE: Final = "announce"
STATUS: Final = "status"
DATA: Final = "data"
ACK: Final = "ack"
CMD: Final = "cmd"
REPLY: Final = "reply"
BLE: Final = "ble"
LEAVES: Final = frozenset({ANNOUNCE, STATUS, DATA, ACK, CMD, REPLY, BLE})

ONLINE: Final = "online"
OFFLINE: Final = "offline"

JSONObject: TypeAlias = dict[str, Any]
_T = TypeVar("_T")


class ProtocolError(ValueError):
    """A message that breaks the contract; `reason` is a stable machine-readable key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def topic(agent_id: str, leaf: str) -> str:
    """The topic `edge_hub/<agent_id>/<leaf>`."""
    return f"{TOPIC_ROOT}/{agent_id}/{leaf}"


def split_topic(value: str) -> tuple[str, str]:
    """(agent_id, leaf) of an Edge Hub topic; ProtocolError when it is not one."""
    parts = value.split("/")
    if len(parts) != 3 or parts[0] != TOPIC_ROOT or parts[2] not in LEAVES:
        raise ProtocolError("bad_topic", f"not an Edge Hub topic: {value!r}")
    if not AGENT_ID_RE.match(parts[1]):
        raise ProtocolError("bad_agent_id", f"invalid agent id in topic {value!r}")
    return parts[1], parts[2]


def is_valid_agent_id(value: object) -> bool:
    return isinstance(value, str) and bool(AGENT_ID_RE.match(value))


def decode_payload(payload: bytes | bytearray | str) -> JSONObject:
    """The JSON object of a payload, with the size, encoding and schema-version checks."""
    size = len(payload)
    if size > MAX_PAYLOAD:
        raise ProtocolError("oversized", f"payload of {size} bytes exceeds {MAX_PAYLOAD}")
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ProtocolError("invalid_json", f"invalid JSON: {err}") from None
    if not isinstance(obj, dict):
        raise ProtocolError("not_object", "payload is not a JSON object")
    version = obj.get("v")
    if type(version) is not int:
        raise ProtocolError("no_version", "payload has no integer schema version 'v'")
    if version != SCHEMA_VERSION:
        raise ProtocolError("unknown_version", f"unsupported schema version {version}")
    return obj


def encode_payload(obj: Mapping[str, Any]) -> bytes:
    """Compact JSON bytes (the agent's builders use it)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


# --- field helpers -------------------------------------------------------------------------


def _field(obj: Mapping[str, Any], name: str, kind: type[_T], *, where: str = "") -> _T:
    value = obj.get(name)
    # bool is an int subclass: never accept it where a number is wanted
    if (
        value is None
        or isinstance(value, bool) is not (kind is bool)
        or not isinstance(value, kind)
    ):
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # type: ignore[return-value]
        raise ProtocolError("bad_field", f"{where}{name!r} missing or not {kind.__name__}")
    return value


def _opt(obj: Mapping[str, Any], name: str, kind: type[_T], *, where: str = "") -> _T | None:
    if obj.get(name) is None:
        return None
    return _field(obj, name, kind, where=where)


def _hex16(obj: Mapping[str, Any], name: str) -> str:
    value = _field(obj, name, str)
    if not HEX16_RE.match(value):
        raise ProtocolError("bad_field", f"{name!r} is not 16 lower-case hex characters")
    return value


# --- announce --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Announce:
    agent_id: str
    epoch: str
    instance: str
    name: str
    sw_version: str
    capabilities: JSONObject
    manufacturer: str | None = None
    model: str | None = None
    hw_version: str | None = None
    ts: float | None = None


def parse_announce(obj: Mapping[str, Any], topic_agent_id: str | None = None) -> Announce:
    agent_id = _field(obj, "agent_id", str)
    if not AGENT_ID_RE.match(agent_id):
        raise ProtocolError("bad_agent_id", f"invalid agent id {agent_id!r}")
    if topic_agent_id is not None and agent_id != topic_agent_id:
        raise ProtocolError("agent_id_mismatch", "announce agent_id differs from its topic")
    return Announce(
        agent_id=agent_id,
        epoch=_hex16(obj, "epoch"),
        instance=_hex16(obj, "instance"),
        name=_field(obj, "name", str),
        sw_version=_field(obj, "sw_version", str),
        capabilities=_field(obj, "capabilities", dict),
        manufacturer=_opt(obj, "manufacturer", str),
        model=_opt(obj, "model", str),
        hw_version=_opt(obj, "hw_version", str),
        ts=_opt(obj, "ts", float),
    )


# --- status ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Status:
    online: bool
    instance: str | None = None
    backlog: int | None = None
    dropped: int | None = None
    oldest_ts: float | None = None
    ts: float | None = None


def parse_status(obj: Mapping[str, Any]) -> Status:
    state = _field(obj, "state", str)
    if state not in (ONLINE, OFFLINE):
        raise ProtocolError("bad_field", f"status state {state!r} is neither online nor offline")
    outbox = _opt(obj, "outbox", dict) or {}
    backlog = _opt(outbox, "backlog", int, where="outbox.")
    dropped = _opt(outbox, "dropped", int, where="outbox.")
    if (backlog is not None and backlog < 0) or (dropped is not None and dropped < 0):
        raise ProtocolError("bad_field", "negative outbox figures")
    return Status(
        online=state == ONLINE,
        instance=_opt(obj, "instance", str),
        backlog=backlog,
        dropped=dropped,
        oldest_ts=_opt(outbox, "oldest_ts", float, where="outbox."),
        ts=_opt(obj, "ts", float),
    )


# --- data: records and batches ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    ts: float
    type: str
    data: JSONObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataMessage:
    epoch: str
    records: list[Record]


def _parse_record(obj: Mapping[str, Any]) -> Record:
    seq = _field(obj, "seq", int)
    if seq < 1:
        raise ProtocolError("bad_field", f"seq {seq} is not positive")
    kind = _field(obj, "type", str)
    data = _field(obj, "data", dict)
    validator = RECORD_VALIDATORS.get(kind)
    if validator is not None:
        validator(data)
    return Record(seq=seq, ts=_field(obj, "ts", float), type=kind, data=data)


def parse_data(obj: Mapping[str, Any]) -> DataMessage:
    """A record or a batch of records; a batch's seqs must increase."""
    epoch = _hex16(obj, "epoch")
    if obj.get("type") == "batch":
        raw = _field(obj, "records", list)
        if not raw:
            raise ProtocolError("bad_field", "empty batch")
        records = []
        for item in raw:
            if not isinstance(item, dict):
                raise ProtocolError("bad_field", "batch item is not an object")
            records.append(_parse_record(item))
        if any(b.seq <= a.seq for a, b in pairwise(records)):
            raise ProtocolError("bad_order", "batch records are not in increasing seq order")
        return DataMessage(epoch=epoch, records=records)
    return DataMessage(epoch=epoch, records=[_parse_record(obj)])


def _validate_readings(data: Mapping[str, Any]) -> None:
    readings = _field(data, "readings", list)
    for item in readings:
        if not isinstance(item, dict):
            raise ProtocolError("bad_field", "a reading is not an object")
        _field(item, "sensor", str, where="reading.")
        status = _field(item, "status", str, where="reading.")
        if status not in ("ok", "offline", "error"):
            raise ProtocolError("bad_field", f"reading status {status!r}")
        value = _opt(item, "value", float, where="reading.")
        if status == "ok" and value is None:
            raise ProtocolError("bad_field", "an ok reading without a value")
        _opt(item, "ts", float, where="reading.")
        _opt(item, "last_seen", float, where="reading.")


def _validate_lap(data: Mapping[str, Any]) -> None:
    if _field(data, "lane", int) < 1:
        raise ProtocolError("bad_field", "lane must be >= 1")
    _field(data, "car", str)
    if _field(data, "lap", int) < 0:
        raise ProtocolError("bad_field", "lap must be >= 0")
    lap_time = _opt(data, "lap_time_us", int)
    if lap_time is not None and lap_time < 0:
        raise ProtocolError("bad_field", "lap_time_us must be >= 0")
    _field(data, "crossed_ns", int)
    _opt(data, "edge_seq", int)


def _validate_edge_gap(data: Mapping[str, Any]) -> None:
    _field(data, "lane", int)
    _field(data, "missed", int)


def _validate_output(data: Mapping[str, Any]) -> None:
    _field(data, "output", str)
    _opt(data, "state", bool)
    _opt(data, "value", float)


def _validate_event(data: Mapping[str, Any]) -> None:
    _field(data, "name", str)
    _opt(data, "attrs", dict)


RECORD_VALIDATORS: Final = {
    "readings": _validate_readings,
    "lap": _validate_lap,
    "edge_gap": _validate_edge_gap,
    "output": _validate_output,
    "event": _validate_event,
}


# --- ack, commands, replies, forwarded adverts -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    epoch: str
    seq: int


def parse_ack(obj: Mapping[str, Any]) -> Ack:
    seq = _field(obj, "seq", int)
    if seq < 0:
        raise ProtocolError("bad_field", "ack seq is negative")
    return Ack(epoch=_hex16(obj, "epoch"), seq=seq)


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    cmd: str
    args: JSONObject


def parse_command(obj: Mapping[str, Any]) -> Command:
    cid = _field(obj, "id", str)
    if not 1 <= len(cid) <= 64:
        raise ProtocolError("bad_field", "command id must be 1-64 characters")
    return Command(id=cid, cmd=_field(obj, "cmd", str), args=_opt(obj, "args", dict) or {})


@dataclass(frozen=True, slots=True)
class Reply:
    id: str
    ok: bool
    result: JSONObject
    error_code: str | None = None
    error_message: str | None = None


def parse_reply(obj: Mapping[str, Any]) -> Reply:
    ok = _field(obj, "ok", bool)
    error = _opt(obj, "error", dict) or {}
    return Reply(
        id=_field(obj, "id", str),
        ok=ok,
        result=_opt(obj, "result", dict) or {},
        error_code=_opt(error, "code", str, where="error."),
        error_message=_opt(error, "message", str, where="error."),
    )


@dataclass(frozen=True, slots=True)
class Advert:
    address: str
    rssi: int
    connectable: bool
    raw: bytes
    ts: float


_MAC_RE: Final = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


def parse_ble(obj: Mapping[str, Any]) -> list[Advert]:
    adverts = []
    for item in _field(obj, "adverts", list):
        if not isinstance(item, dict):
            raise ProtocolError("bad_field", "advert is not an object")
        address = _field(item, "address", str, where="advert.").upper()
        if not _MAC_RE.match(address):
            raise ProtocolError("bad_field", f"advert address {address!r} is not a MAC")
        try:
            raw = bytes.fromhex(_field(item, "raw", str, where="advert."))
        except ValueError:
            raise ProtocolError("bad_field", "advert raw is not hex") from None
        if len(raw) > 62:
            raise ProtocolError("bad_field", "advert longer than advertising + scan response")
        adverts.append(
            Advert(
                address=address,
                rssi=_field(item, "rssi", int, where="advert."),
                connectable=bool(item.get("connectable", False)),
                raw=raw,
                ts=_field(item, "ts", float, where="advert."),
            )
        )
    return adverts


# --- builders (agent and HA side) ------------------------------------------------------------


def build_record(seq: int, ts: float, kind: str, data: Mapping[str, Any]) -> JSONObject:
    return {"seq": seq, "ts": ts, "type": kind, "data": dict(data)}


def build_data(epoch: str, records: list[JSONObject]) -> JSONObject:
    """One record as itself, several as a batch."""
    if len(records) == 1:
        return {"v": SCHEMA_VERSION, "epoch": epoch, **records[0]}
    return {"v": SCHEMA_VERSION, "epoch": epoch, "type": "batch", "records": records}


def build_ack(epoch: str, seq: int, ts: float) -> JSONObject:
    return {"v": SCHEMA_VERSION, "epoch": epoch, "seq": seq, "ts": ts}


def build_offline(instance: str | None = None) -> JSONObject:
    """The last will (and the clean-shutdown status), naming the process when known."""
    message: JSONObject = {"v": SCHEMA_VERSION, "state": OFFLINE}
    if instance is not None:
        message["instance"] = instance
    return message
