"""The Python side of the shared protocol vectors (tests/vectors/*.json)."""

from __future__ import annotations

from typing import Any

import pytest

from edge_hub_core import beacon, protocol
from tests.vectors import load

BEACONS = load("beacons")
MQTT = load("mqtt")


def _key(vector: dict[str, Any]) -> bytes | None:
    return bytes.fromhex(vector["key"]) if vector.get("key") else None


@pytest.mark.parametrize("vector", BEACONS["valid"], ids=lambda v: v["name"])
def test_beacon_decodes(vector: dict[str, Any]) -> None:
    decoded = beacon.decode(
        bytes.fromhex(vector["payload_hex"]), key=_key(vector), address=vector["address"]
    )
    fields = vector["fields"]
    assert decoded.goals == fields["goals"]
    assert decoded.since_goal_ds == fields["since_goal_ds"]
    assert decoded.battery_mv == fields["battery_mv"]
    assert list(decoded.firmware) == fields["firmware"]
    assert decoded.packet_id == fields["packet_id"]
    assert decoded.flags == fields["flags"]
    assert decoded.counter == fields["counter"]


@pytest.mark.parametrize("vector", BEACONS["valid"], ids=lambda v: v["name"])
def test_beacon_encodes_byte_for_byte(vector: dict[str, Any]) -> None:
    fields = vector["fields"]
    value = beacon.GoalBeacon(
        goals=fields["goals"],
        since_goal_ds=fields["since_goal_ds"],
        battery_mv=fields["battery_mv"],
        firmware=tuple(fields["firmware"]),
        packet_id=fields["packet_id"],
        flags=fields["flags"],
        counter=fields["counter"],
    )
    encoded = beacon.encode(value, key=_key(vector), address=vector["address"])
    assert encoded.hex() == vector["payload_hex"]
    # the full advertisement: flags AD + manufacturer AD with company id 0xFFFF
    assert vector["advert_hex"].endswith(encoded.hex())


@pytest.mark.parametrize("vector", BEACONS["invalid"], ids=lambda v: v["name"])
def test_beacon_rejected(vector: dict[str, Any]) -> None:
    with pytest.raises(beacon.BeaconError) as err:
        beacon.decode(
            bytes.fromhex(vector["payload_hex"]), key=_key(vector), address=vector["address"]
        )
    assert err.value.reason == vector["error"]


def _parse(topic: str, payload: bytes | str) -> object:
    agent_id, leaf = protocol.split_topic(topic)
    obj = protocol.decode_payload(payload)
    parsers = {
        protocol.ANNOUNCE: lambda o: protocol.parse_announce(o, agent_id),
        protocol.STATUS: protocol.parse_status,
        protocol.DATA: protocol.parse_data,
        protocol.ACK: protocol.parse_ack,
        protocol.CMD: protocol.parse_command,
        protocol.REPLY: protocol.parse_reply,
        protocol.BLE: protocol.parse_ble,
    }
    return parsers[leaf](obj)


@pytest.mark.parametrize("vector", MQTT["valid"], ids=lambda v: v["name"])
def test_mqtt_valid(vector: dict[str, Any]) -> None:
    result = _parse(vector["topic"], protocol.encode_payload(vector["payload"]))
    expect = vector.get("expect")
    if expect:
        assert isinstance(result, protocol.DataMessage)
        assert result.epoch == expect["epoch"]
        assert [r.seq for r in result.records] == expect["seqs"]


@pytest.mark.parametrize("vector", MQTT["invalid"], ids=lambda v: v["name"])
def test_mqtt_invalid(vector: dict[str, Any]) -> None:
    payload = vector["payload_text"]
    if "pad_to_bytes" in vector:
        payload = payload.ljust(vector["pad_to_bytes"])
    with pytest.raises(protocol.ProtocolError) as err:
        _parse(vector["topic"], payload.encode())
    assert err.value.reason == vector["error"]


ACKS = BEACONS["acks"]


@pytest.mark.parametrize("vector", ACKS["valid"], ids=lambda v: v["name"])
def test_ack_encodes_and_decodes(vector: dict[str, Any]) -> None:
    fields = vector["fields"]
    ack = beacon.GoalAck(**fields)
    assert (
        beacon.encode_ack(ack, key=_key(vector), address=vector["address"]).hex() == (vector["hex"])
    )
    decoded = beacon.decode_ack(
        bytes.fromhex(vector["hex"]), key=_key(vector), address=vector["address"]
    )
    assert decoded == ack


@pytest.mark.parametrize("vector", ACKS["invalid"], ids=lambda v: v["name"])
def test_ack_rejected(vector: dict[str, Any]) -> None:
    with pytest.raises(beacon.BeaconError) as err:
        beacon.decode_ack(bytes.fromhex(vector["hex"]), key=_key(vector), address=vector["address"])
    assert err.value.reason == vector["error"]
