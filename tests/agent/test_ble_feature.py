"""The agent's `ble` feature: config, advertisement bytes, the simulated table, forwarding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from edge_agent.feature import FeatureContext
from edge_agent.features import FEATURE_MODULES
from edge_agent.features.ble import (
    SPEC,
    BleConfig,
    BleFeature,
    Heard,
    SimConfig,
    SimSensor,
    SimulatedBackend,
    build_raw,
    goal_advert,
    is_goal_beacon_raw,
    parse,
)
from edge_agent.schema import ConfigError
from edge_hub_core import beacon, protocol

KEY = "231d39c1d7cc1ab1aee224cd096db932"


def _ad_structures(raw: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    index = 0
    while index < len(raw):
        length = raw[index]
        out[raw[index + 1]] = raw[index + 2 : index + 1 + length]
        index += 1 + length
    return out


def test_spec_is_listed_under_its_section() -> None:
    assert FEATURE_MODULES["ble"] == "edge_agent.features.ble"
    assert SPEC.section == "ble"


def test_config_defaults_and_simulation() -> None:
    assert parse(None, "ble") == BleConfig()
    config = parse(
        {
            "backend": "simulated",
            "source": "d8:3a:dd:00:00:01",
            "batch_ms": 0,
            "simulate": {
                "sensors": [
                    {"address": "54:48:E6:8F:80:A5", "key": KEY},
                    {"address": "54:48:E6:8F:80:B6"},
                ],
                "goal_interval_s": 0.5,
                "repeats": 3,
                "seed": 4,
            },
        },
        "ble",
    )
    assert config.backend == "simulated"
    assert config.source == "D8:3A:DD:00:00:01"
    assert config.simulate.sensors[0].key == bytes.fromhex(KEY)
    assert config.simulate.repeats == 3
    feature = SPEC.build(config)
    assert feature.name == "ble_scanner"
    assert feature.capability() == {"adapter": "hci0", "source": "D8:3A:DD:00:00:01"}


@pytest.mark.parametrize(
    ("section", "path"),
    [
        ({"backend": "radio"}, "ble.backend"),
        ({"sourc": "x"}, "ble.sourc"),
        ({"source": "not-a-mac"}, "ble.source"),
        ({"simulate": {"sensors": [{"address": "54:48"}]}}, "ble.simulate.sensors[0].address"),
        (
            {"simulate": {"sensors": [{"address": "54:48:E6:8F:80:A5", "key": "abc"}]}},
            "ble.simulate.sensors[0].key",
        ),
        ({"simulate": {"repeats": 0}}, "ble.simulate.repeats"),
        ({"batch_ms": -1}, "ble.batch_ms"),
    ],
)
def test_config_errors_name_the_key(section: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(section, "ble")
    assert err.value.path == path


def test_raw_advert_from_parsed_fields() -> None:
    raw = build_raw(
        local_name="Edge Goal 80A5",
        manufacturer_data={0xFFFF: b"EH\x18\x01" + bytes(11)},
        service_data={"0000fcd2-0000-1000-8000-00805f9b34fb": b"\x40\x01"},
        service_uuids=[
            "0000180f-0000-1000-8000-00805f9b34fb",
            "e0f1a000-5d3c-4f0a-9b8e-6a1d2c3b4a50",
        ],
        tx_power=-4,
    )
    ads = _ad_structures(raw)
    assert ads[0x01] == b"\x06"
    assert ads[0xFF] == b"\xff\xffEH\x18\x01" + bytes(11)
    assert ads[0x16] == b"\xd2\xfc\x40\x01"
    assert ads[0x03] == b"\x0f\x18"  # the vendor 128-bit UUID does not fit: dropped
    assert len(raw) <= 62
    assert is_goal_beacon_raw(raw)
    assert not is_goal_beacon_raw(build_raw(manufacturer_data={0x004C: b"\x02\x15"}))


def test_oversized_fields_are_dropped_not_truncated_into_garbage() -> None:
    raw = build_raw(manufacturer_data={0xFFFF: bytes(40), 0x0001: bytes(40)}, local_name="x" * 40)
    assert len(raw) <= 62
    index = 0
    while index < len(raw):  # every AD structure is whole
        index += 1 + raw[index]
    assert index == len(raw)


def test_simulated_table_sends_what_the_firmware_sends() -> None:
    home = SimSensor("54:48:E6:8F:80:A5", bytes.fromhex(KEY))
    backend = SimulatedBackend(SimConfig(sensors=(home, SimSensor("54:48:E6:8F:80:B6")), seed=1))
    backend.goals[home.address] = 3
    first = backend.beacon_payload(home, heartbeat=False)
    second = backend.beacon_payload(home, heartbeat=True)
    one = beacon.decode(first, key=home.key, address=home.address)
    two = beacon.decode(second, key=home.key, address=home.address)
    assert (one.goals, one.heartbeat, one.wants_ack) == (3, False, True)
    assert two.heartbeat
    assert two.counter is not None
    assert one.counter is not None
    assert two.counter > one.counter
    assert two.packet_id == (one.packet_id + 1) & 0xFF
    raw = goal_advert(first)
    assert is_goal_beacon_raw(raw)
    assert raw.startswith(bytes.fromhex("0201061affffff"))


class _ListBackend:
    def __init__(self, adverts: list[Heard]) -> None:
        self._adverts = adverts

    async def adverts(self) -> AsyncIterator[Heard]:
        for heard in self._adverts:
            yield heard
        await asyncio.Event().wait()  # then silence, like a quiet room


async def _run_until(feature: BleFeature, published: list[Mapping[str, Any]], count: int) -> None:
    """Run the feature until `count` adverts were published (bounded by a timeout)."""
    enough = asyncio.Event()

    def _publish(leaf: str, payload: Mapping[str, Any]) -> None:
        published.append({"leaf": leaf, **payload})
        if sum(len(p["adverts"]) for p in published) >= count:
            enough.set()

    ctx = FeatureContext(agent_id="table-pi", emit=lambda *_: 0, publish_live=_publish)
    task = asyncio.create_task(feature.run(ctx))
    try:
        async with asyncio.timeout(10):
            await enough.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_forwards_goal_beacons_in_batches_and_flushes_on_time() -> None:
    goal = Heard(
        "54:48:E6:8F:80:A5",
        -60,
        goal_advert(bytes.fromhex("45481801010000000300c40b010000")),
        True,
        1.0,
    )
    other = Heard(
        "11:22:33:44:55:66", -70, build_raw(manufacturer_data={0x004C: b"\x02"}), False, 1.0
    )
    feature = BleFeature(BleConfig(batch_ms=50), backend=_ListBackend([goal, other, goal, goal]))
    published: list[Mapping[str, Any]] = []
    await _run_until(feature, published, 3)
    adverts = [a for p in published for a in p["adverts"]]
    assert {p["leaf"] for p in published} == {"ble"}
    assert len(adverts) == 3  # the phone's advert is not a goal beacon: not forwarded
    # what the agent publishes is what HA's parser accepts
    for message in published:
        parsed = protocol.parse_ble({k: v for k, v in message.items() if k != "leaf"})
        assert parsed[0].address == "54:48:E6:8F:80:A5"


async def test_simulated_backend_runs_a_game() -> None:
    config = BleConfig(
        backend="simulated",
        batch_ms=0,
        simulate=SimConfig(goal_interval_s=0.01, repeats=2, repeat_interval_s=0.0, seed=7),
    )
    feature = BleFeature(config)
    published: list[Mapping[str, Any]] = []
    await _run_until(feature, published, 12)
    goals: dict[str, set[int]] = {}
    for message in published:
        for advert in protocol.parse_ble({k: v for k, v in message.items() if k != "leaf"}):
            manufacturer = _ad_structures(advert.raw)[0xFF]
            decoded = beacon.decode(manufacturer[2:])
            goals.setdefault(advert.address, set()).add(decoded.goals)
    # heartbeats first (goal counter 0), then goals counting up by one per goal
    assert set(goals) <= {"54:48:E6:8F:80:A5", "54:48:E6:8F:80:B6"}
    assert sum(max(values) for values in goals.values()) >= 3


async def test_bleak_missing_is_a_clear_error() -> None:
    try:
        import bleak  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("bleak is installed here")
    feature = BleFeature(BleConfig(backend="bleak"))
    ctx = FeatureContext(agent_id="a", emit=lambda *_: 0, publish_live=lambda *_: None)
    with pytest.raises(RuntimeError, match="edge-agent\\[ble\\]"):
        async with asyncio.timeout(5):
            await feature.run(ctx)
