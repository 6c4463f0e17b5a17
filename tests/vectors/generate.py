"""Regenerate tests/vectors/*.json (run: python tests/vectors/generate.py).

The vectors are the executable half of docs/protocol.md. Every side loads them: the Python
core (tests/core/test_vectors.py), the integration's tests and the firmware's C++ host tests.
Change them only together with the protocol page.
"""

from __future__ import annotations

import json
from pathlib import Path

from edge_hub_core import beacon

HERE = Path(__file__).parent
KEY = "231d39c1d7cc1ab1aee224cd096db932"
ADDRESS = "54:48:E6:8F:80:A5"


def _beacon_vectors() -> dict[str, object]:
    valid = []

    def add(name: str, fields: dict[str, object], key: str | None = None) -> None:
        b = beacon.GoalBeacon(
            goals=int(fields["goals"]),  # type: ignore[call-overload]
            since_goal_ds=int(fields["since_goal_ds"]),  # type: ignore[call-overload]
            battery_mv=int(fields["battery_mv"]),  # type: ignore[call-overload]
            firmware=tuple(fields["firmware"]),  # type: ignore[arg-type]
            packet_id=int(fields["packet_id"]),  # type: ignore[call-overload]
            flags=int(fields.get("flags", 0)),  # type: ignore[call-overload]
            counter=fields.get("counter"),  # type: ignore[arg-type]
        )
        payload = beacon.encode(b, key=bytes.fromhex(key) if key else None, address=ADDRESS)
        decoded = dict(fields)
        decoded["flags"] = b.flags | (beacon.FLAG_ENCRYPTED if key else 0)
        if not key:
            decoded["counter"] = None
        valid.append(
            {
                "name": name,
                "address": ADDRESS,
                "key": key,
                "fields": decoded,
                "payload_hex": payload.hex(),
                "advert_hex": "020106" + f"{len(payload) + 3:02x}ffffff" + payload.hex(),
            }
        )

    base = {
        "goals": 1,
        "since_goal_ds": 3,
        "battery_mv": 3012,
        "firmware": [1, 0, 0],
        "packet_id": 1,
        "flags": beacon.FLAG_WANTS_ACK,
    }
    add("first goal, plain", base)
    add(
        "heartbeat, plain",
        {
            **base,
            "goals": 57,
            "since_goal_ds": 65535,
            "packet_id": 200,
            "flags": beacon.FLAG_HEARTBEAT,
        },
    )
    add(
        "low battery, counter near wrap",
        {
            **base,
            "goals": 4294967295,
            "since_goal_ds": 0,
            "battery_mv": 2150,
            "packet_id": 255,
            "flags": beacon.FLAG_BATTERY_LOW | beacon.FLAG_WANTS_ACK,
        },
    )
    add("first goal, encrypted", {**base, "counter": 1}, KEY)
    add(
        "goal 42, encrypted",
        {
            **base,
            "goals": 42,
            "since_goal_ds": 27,
            "battery_mv": 2890,
            "firmware": [1, 2, 3],
            "packet_id": 17,
            "counter": 1000,
        },
        KEY,
    )
    add(
        "heartbeat, encrypted, big counter",
        {
            **base,
            "goals": 300,
            "since_goal_ds": 65535,
            "packet_id": 3,
            "flags": beacon.FLAG_HEARTBEAT,
            "counter": 4000000000,
        },
        KEY,
    )

    plain = bytes.fromhex(valid[0]["payload_hex"])  # type: ignore[arg-type]
    enc = bytes.fromhex(valid[4]["payload_hex"])  # type: ignore[arg-type]
    tampered = bytearray(enc)
    tampered[5] ^= 0x01
    header_tampered = bytearray(enc)
    header_tampered[3] ^= 0x01  # packet id is authenticated data
    invalid = [
        {"name": "empty", "payload_hex": "", "error": "too_short"},
        {"name": "truncated", "payload_hex": plain[:10].hex(), "error": "too_short"},
        {"name": "wrong magic", "payload_hex": ("4549" + plain[2:].hex()), "error": "bad_magic"},
        {
            "name": "future version",
            "payload_hex": (plain[:2] + bytes([0x20 | plain[2] & 0x0F]) + plain[3:]).hex(),
            "error": "unknown_version",
        },
        {"name": "plain too long", "payload_hex": (plain + b"\x00").hex(), "error": "bad_length"},
        {"name": "encrypted, no key", "payload_hex": enc.hex(), "error": "no_key"},
        {
            "name": "encrypted, wrong key",
            "payload_hex": enc.hex(),
            "key": "00" * 16,
            "error": "mic_failed",
        },
        {
            "name": "encrypted, body bit flipped",
            "payload_hex": bytes(tampered).hex(),
            "key": KEY,
            "error": "mic_failed",
        },
        {
            "name": "encrypted, packet id altered",
            "payload_hex": bytes(header_tampered).hex(),
            "key": KEY,
            "error": "mic_failed",
        },
        {
            "name": "encrypted, truncated",
            "payload_hex": enc[:-1].hex(),
            "key": KEY,
            "error": "bad_length",
        },
    ]
    for item in invalid:
        item.setdefault("key", None)
        item["address"] = ADDRESS
    return {
        "doc": "docs/protocol.md part 2",
        "company_id": beacon.COMPANY_ID,
        "valid": valid,
        "invalid": invalid,
        "acks": _ack_vectors(),
    }


def _ack_vectors() -> dict[str, object]:
    """GATT acks (§2.5): what HA writes and the sensor's firmware decodes."""
    valid = []

    def add(name: str, fields: dict[str, int], key: str | None = None) -> None:
        ack = beacon.GoalAck(**fields)  # type: ignore[arg-type]
        data = beacon.encode_ack(ack, key=bytes.fromhex(key) if key else None, address=ADDRESS)
        decoded: dict[str, int | None] = dict(fields)
        if not key:
            decoded["counter"] = None
        valid.append(
            {"name": name, "address": ADDRESS, "key": key, "fields": decoded, "hex": data.hex()}
        )

    base = {"acked_goals": 1, "unix_time": 1763798400, "game_mode": 0, "heartbeat_min": 30}
    add("ack first goal, plain", base)
    add(
        "ack while playing, 5 min heartbeat",
        {**base, "acked_goals": 4294967295, "game_mode": 1, "heartbeat_min": 5},
    )
    add("ack, encrypted", {**base, "acked_goals": 42, "counter": 1763798400}, KEY)
    add(
        "ack, encrypted, daily heartbeat",
        {**base, "acked_goals": 300, "heartbeat_min": 1440, "counter": 4000000001},
        KEY,
    )
    plain = bytes.fromhex(str(valid[0]["hex"]))
    enc = bytes.fromhex(str(valid[2]["hex"]))
    flipped = bytearray(enc)
    flipped[1] ^= 0x01
    invalid = [
        {"name": "ack too short", "hex": plain[:11].hex(), "key": None, "error": "bad_length"},
        {
            "name": "ack future version",
            "hex": ("02" + plain[1:].hex()),
            "key": None,
            "error": "unknown_version",
        },
        {
            "name": "ack heartbeat 0",
            "hex": (plain[:10] + b"\x00\x00").hex(),
            "key": None,
            "error": "bad_field",
        },
        {
            "name": "ack heartbeat over a day",
            "hex": (plain[:10] + (1441).to_bytes(2, "little")).hex(),
            "key": None,
            "error": "bad_field",
        },
        {
            "name": "plain ack to a keyed sensor",
            "hex": plain.hex(),
            "key": KEY,
            "error": "bad_length",
        },
        {
            "name": "encrypted ack, wrong key",
            "hex": enc.hex(),
            "key": "00" * 16,
            "error": "mic_failed",
        },
        {
            "name": "encrypted ack, bit flipped",
            "hex": bytes(flipped).hex(),
            "key": KEY,
            "error": "mic_failed",
        },
    ]
    for item in invalid:
        item["address"] = ADDRESS
    return {"doc": "docs/protocol.md §2.5", "valid": valid, "invalid": invalid}


E = "5f0c2a9e1b7d4c30"
INSTANCE = "a1b2c3d4e5f60718"


def _mqtt_vectors() -> dict[str, object]:
    announce = {
        "v": 1,
        "agent_id": "track-pi",
        "epoch": E,
        "instance": INSTANCE,
        "name": "Track Pi",
        "manufacturer": "Raspberry Pi Foundation",
        "model": "Raspberry Pi 5 Model B",
        "sw_version": "0.1.0",
        "capabilities": {"laps": {"lanes": [{"lane": 1}]}},
        "ts": 1763798400.0,
    }
    lap = {
        "v": 1,
        "epoch": E,
        "seq": 42,
        "ts": 1763798400.125,
        "type": "lap",
        "data": {
            "lane": 1,
            "car": "1",
            "lap": 3,
            "lap_time_us": 4123456,
            "crossed_ns": 1763798400125000000,
            "edge_seq": 311,
        },
    }
    readings = {
        "seq": 43,
        "ts": 1763798400.5,
        "type": "readings",
        "data": {
            "readings": [
                {"sensor": "ph", "value": 7.02, "status": "ok"},
                {
                    "sensor": "do",
                    "value": None,
                    "status": "offline",
                    "error": "no answer",
                    "last_seen": 1763798390.0,
                },
            ]
        },
    }
    batch = {
        "v": 1,
        "epoch": E,
        "type": "batch",
        "records": [readings, {**readings, "seq": 44, "ts": 1763798401.5}],
    }
    valid = [
        {"name": "announce", "topic": "edge_hub/track-pi/announce", "payload": announce},
        {
            "name": "announce with an unknown field",
            "topic": "edge_hub/track-pi/announce",
            "payload": {**announce, "future_field": {"x": 1}},
        },
        {
            "name": "status online",
            "topic": "edge_hub/track-pi/status",
            "payload": {
                "v": 1,
                "state": "online",
                "instance": INSTANCE,
                "outbox": {"backlog": 3, "dropped": 0, "oldest_ts": 1763798399.0},
                "ts": 1763798400.0,
            },
        },
        {
            "name": "status offline (the last will)",
            "topic": "edge_hub/track-pi/status",
            "payload": {"v": 1, "state": "offline", "instance": INSTANCE},
        },
        {
            "name": "status offline without an instance",
            "topic": "edge_hub/track-pi/status",
            "payload": {"v": 1, "state": "offline"},
        },
        {
            "name": "lap record",
            "topic": "edge_hub/track-pi/data",
            "payload": lap,
            "expect": {"epoch": E, "seqs": [42]},
        },
        {
            "name": "first crossing",
            "topic": "edge_hub/track-pi/data",
            "payload": {**lap, "data": {**lap["data"], "lap": 0, "lap_time_us": None}},  # type: ignore[dict-item]
            "expect": {"epoch": E, "seqs": [42]},
        },
        {
            "name": "batch of readings",
            "topic": "edge_hub/reactor-1/data",
            "payload": batch,
            "expect": {"epoch": E, "seqs": [43, 44]},
        },
        {
            "name": "unknown record type is carried, not rejected",
            "topic": "edge_hub/x/data",
            "payload": {"v": 1, "epoch": E, "seq": 1, "ts": 1.0, "type": "future", "data": {}},
            "expect": {"epoch": E, "seqs": [1]},
        },
        {
            "name": "ack",
            "topic": "edge_hub/track-pi/ack",
            "payload": {"v": 1, "epoch": E, "seq": 44, "ts": 1763798401.6},
        },
        {
            "name": "command",
            "topic": "edge_hub/reactor-1/cmd",
            "payload": {
                "v": 1,
                "id": "8a7f3c1e",
                "cmd": "set_output",
                "args": {"output": "heater", "state": True},
            },
        },
        {
            "name": "reply ok",
            "topic": "edge_hub/reactor-1/reply",
            "payload": {
                "v": 1,
                "id": "8a7f3c1e",
                "ok": True,
                "result": {"output": "heater", "state": True},
            },
        },
        {
            "name": "reply error",
            "topic": "edge_hub/reactor-1/reply",
            "payload": {
                "v": 1,
                "id": "8a7f3c1e",
                "ok": False,
                "error": {"code": "unknown_output", "message": "no output 'x'"},
            },
        },
        {
            "name": "forwarded adverts",
            "topic": "edge_hub/table-pi/ble",
            "payload": {
                "v": 1,
                "adverts": [
                    {
                        "address": ADDRESS,
                        "rssi": -61,
                        "connectable": True,
                        "raw": "0201061303ffff" + "00" * 4,
                        "ts": 1.5,
                    }
                ],
            },
        },
    ]
    raw_invalid = [
        ("not JSON", "edge_hub/a/data", "{not json", "invalid_json"),
        ("not an object", "edge_hub/a/data", "[1, 2]", "not_object"),
        ("no version", "edge_hub/a/data", json.dumps({**lap, "v": None}), "no_version"),
        ("unknown version", "edge_hub/a/data", json.dumps({**lap, "v": 2}), "unknown_version"),
        ("seq as string", "edge_hub/a/data", json.dumps({**lap, "seq": "42"}), "bad_field"),
        ("seq zero", "edge_hub/a/data", json.dumps({**lap, "seq": 0}), "bad_field"),
        ("seq boolean", "edge_hub/a/data", json.dumps({**lap, "seq": True}), "bad_field"),
        (
            "lap with negative lane",
            "edge_hub/a/data",
            json.dumps({**lap, "data": {**lap["data"], "lane": -1}}),
            "bad_field",
        ),  # type: ignore[dict-item]
        (
            "lap time as float",
            "edge_hub/a/data",
            json.dumps({**lap, "data": {**lap["data"], "lap_time_us": 1.5}}),
            "bad_field",
        ),  # type: ignore[dict-item]
        ("bad epoch", "edge_hub/a/data", json.dumps({**lap, "epoch": "XYZ"}), "bad_field"),
        (
            "batch out of order",
            "edge_hub/a/data",
            json.dumps({**batch, "records": list(reversed(batch["records"]))}),
            "bad_order",
        ),  # type: ignore[call-overload]
        ("empty batch", "edge_hub/a/data", json.dumps({**batch, "records": []}), "bad_field"),
        (
            "reading ok without value",
            "edge_hub/a/data",
            json.dumps(
                {
                    "v": 1,
                    "epoch": E,
                    "seq": 1,
                    "ts": 1.0,
                    "type": "readings",
                    "data": {"readings": [{"sensor": "ph", "status": "ok"}]},
                }
            ),
            "bad_field",
        ),
        (
            "announce id differs from topic",
            "edge_hub/other/announce",
            json.dumps(announce),
            "agent_id_mismatch",
        ),
        (
            "announce without epoch",
            "edge_hub/track-pi/announce",
            json.dumps({k: v for k, v in announce.items() if k != "epoch"}),
            "bad_field",
        ),
        (
            "status with unknown state",
            "edge_hub/a/status",
            json.dumps({"v": 1, "state": "sleepy"}),
            "bad_field",
        ),
        (
            "ack with negative seq",
            "edge_hub/a/ack",
            json.dumps({"v": 1, "epoch": E, "seq": -1}),
            "bad_field",
        ),
        (
            "advert with a bad address",
            "edge_hub/a/ble",
            json.dumps({"v": 1, "adverts": [{"address": "nope", "rssi": -1, "raw": "", "ts": 1}]}),
            "bad_field",
        ),
        ("topic with an invalid agent id", "edge_hub/Bad Id/data", json.dumps(lap), "bad_agent_id"),
    ]
    invalid = [{"name": n, "topic": t, "payload_text": p, "error": e} for n, t, p, e in raw_invalid]
    # padded with spaces (still valid JSON) past the limit by the test that loads it
    invalid.append(
        {
            "name": "oversized",
            "topic": "edge_hub/a/data",
            "payload_text": json.dumps(lap),
            "pad_to_bytes": 262145,
            "error": "oversized",
        }
    )
    return {"doc": "docs/protocol.md part 1", "valid": valid, "invalid": invalid}


def main() -> None:
    for name, data in (("beacons", _beacon_vectors()), ("mqtt", _mqtt_vectors())):
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
