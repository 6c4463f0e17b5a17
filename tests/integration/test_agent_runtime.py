"""An edge agent's entry against a real mosquitto and HA's own MQTT integration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub import async_remove_config_entry_device
from custom_components.edge_hub.agent import acks as acks_module, commands as commands_module
from custom_components.edge_hub.agent.runtime import AgentRuntime
from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.diagnostics import async_get_config_entry_diagnostics
from tests.broker import Broker

from .agent_support import (
    FEATURES,
    FakeAgent,
    StreamFeature,
    agent_device,
    agent_entry,
    patch_features,
    setup_mqtt,
    until,
)

AGENT = "track-pi"
CONNECTIVITY = "binary_sensor.test_pi_connectivity"
BACKLOG = "sensor.test_pi_outbox_backlog"
DROPPED = "sensor.test_pi_dropped_readings"
WAVE = "sensor.test_pi_wave_0"


@pytest.fixture
async def mqtt_entry(hass: HomeAssistant, broker: Broker) -> AsyncIterator[MockConfigEntry]:
    entry = await setup_mqtt(hass, broker.port)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)  # while the broker still runs


@pytest.fixture
async def agent(broker: Broker) -> AsyncIterator[FakeAgent]:
    fake = FakeAgent(broker.port, AGENT)
    fake.announce()
    fake.online(backlog=3, dropped=1)
    yield fake
    fake.close()


@pytest.fixture
async def entry(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, agent: FakeAgent
) -> AsyncIterator[MockConfigEntry]:
    FEATURES.clear()
    config_entry = agent_entry(hass, AGENT)
    with patch_features():
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await until(lambda: runtime(config_entry).available, what="the agent online")
        yield config_entry
        await hass.config_entries.async_unload(config_entry.entry_id)


def runtime(entry: MockConfigEntry) -> AgentRuntime:
    assert isinstance(entry.runtime_data, AgentRuntime)
    return entry.runtime_data


def feature(entry: MockConfigEntry) -> StreamFeature:
    found = runtime(entry).features["synthetic"]
    assert isinstance(found, StreamFeature)
    return found


def applied_seqs(entry: MockConfigEntry) -> list[int]:
    return [item[0] for item in feature(entry).applied]


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and text in r.getMessage() and AGENT in r.getMessage()
    ]


async def test_setup_without_mqtt_is_a_clear_error(hass: HomeAssistant) -> None:
    entry = agent_entry(hass, AGENT)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "set up the MQTT integration first" in entry.reason


async def test_device_entities_and_availability(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    agent: FakeAgent,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    device = agent_device(hass, entry.entry_id, AGENT)
    assert device is not None
    assert (device.name, device.manufacturer, device.model) == (
        "Test Pi",
        "Raspberry Pi Foundation",
        "Raspberry Pi 5 Model B",
    )
    assert (device.sw_version, device.hw_version) == ("0.1.0", "rev 1.0")
    await until(lambda: hass.states.get(BACKLOG) is not None)
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert hass.states.get(BACKLOG).state == "3"
    assert hass.states.get(DROPPED).state == "1"
    assert hass.states.get("sensor.test_pi_last_seen").state != STATE_UNAVAILABLE

    caplog.clear()
    agent.offline()
    await until(lambda: hass.states.get(BACKLOG).state == STATE_UNAVAILABLE)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(WAVE).state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.test_pi_last_seen").state != STATE_UNAVAILABLE
    agent.offline()  # said twice: logged once
    agent.online(backlog=0)
    await until(lambda: hass.states.get(BACKLOG).state == "0")  # back, without a reload
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    messages = [r.getMessage() for r in caplog.records if AGENT in r.getMessage()]
    assert messages.count(f"Edge agent {AGENT} is unavailable (offline)") == 1
    assert messages.count(f"Edge agent {AGENT} is available again") == 1


async def test_records_applied_once_in_order_then_acknowledged(
    hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent
) -> None:
    agent.readings(1, 2, 3)
    agent.readings(2, 3)  # a replay overlapping what was applied
    agent.readings(5)  # a gap: waits ...
    agent.readings(4)  # ... and fills
    await until(
        lambda: applied_seqs(entry) == [1, 2, 3, 4, 5],
        show=lambda: (applied_seqs(entry), runtime(entry).counters, runtime(entry).identity),
    )
    assert hass.states.get(WAVE).state == "5"
    # acknowledged once stored, retained, in batches (not one per message)
    await until(
        lambda: bool(agent.acks) and agent.acks[-1]["seq"] == 5,
        show=lambda: (agent.acks, runtime(entry)._acks.saved, runtime(entry)._acks.writes),
    )
    assert agent.acks[-1]["epoch"] == agent.epoch
    assert len(agent.acks) <= 3
    counters = runtime(entry).counters
    assert counters["applied"] == 5
    assert counters["duplicates"] == 2
    assert counters["gaps"] == 0
    # the gap made HA ask for a replay
    assert any(c["cmd"] == "replay" for c in agent.commands)


async def test_sparse_records_share_one_state_write(
    hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board sending a record every few seconds is not written (and acked) per record: the
    records that arrive within ACK_INTERVAL of the last write share the next one (shortened
    here from 10 s so the test does not wait)."""
    monkeypatch.setattr(acks_module, "ACK_INTERVAL", 1.5)
    agent.readings(1)
    await until(lambda: bool(agent.acks) and agent.acks[-1]["seq"] == 1)
    writes = runtime(entry)._acks.writes
    for seq in (2, 3, 4):
        agent.readings(seq)
        await asyncio.sleep(0.3)
    assert hass.states.get(WAVE).state == "4"  # shown at once, whatever the ack does
    assert agent.acks[-1]["seq"] == 1
    await until(lambda: agent.acks[-1]["seq"] == 4)
    assert runtime(entry)._acks.writes == writes + 1


async def test_a_gap_that_never_fills_is_reported_and_skipped(
    hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    runtime(entry).sequencer.gap_wait = 0.3
    agent.readings(1)
    agent.readings(4, 5)
    await until(lambda: applied_seqs(entry) == [1, 4, 5])
    assert runtime(entry).counters["gaps"] == 1
    assert runtime(entry).counters["missing"] == 2
    assert len(warnings(caplog, "records 2 to 3 never arrived")) == 1


async def test_hostile_input_is_rejected_with_one_line_each(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    agent: FakeAgent,
    broker: Broker,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    agent.readings(1, 2)
    await until(lambda: applied_seqs(entry) == [1, 2])
    await until(lambda: hass.states.get(WAVE).state == "2")
    caplog.clear()
    good = {"v": 1, "epoch": agent.epoch, "seq": 3, "ts": 1.0, "type": "readings"}
    hostile: list[tuple[str, bytes, str]] = [
        ("data", b"{not json", "invalid JSON"),
        ("data", b"\xff\xfe", "invalid JSON"),
        ("data", json.dumps({**good, "data": {"readings": "many"}}).encode(), "'readings'"),
        ("data", json.dumps({**good, "seq": "3", "data": {"readings": []}}).encode(), "'seq'"),
        ("data", json.dumps({**good, "v": 2, "data": {"readings": []}}).encode(), "version 2"),
        ("data", b'{"v": 1, "pad": "' + b"x" * 300_000 + b'"}', "exceeds 262144"),
        (
            "data",
            json.dumps(
                {
                    "v": 1,
                    "epoch": agent.epoch,
                    "type": "batch",
                    "records": [
                        {"seq": 9, "ts": 1.0, "type": "event", "data": {"name": "a"}},
                        {"seq": 8, "ts": 1.0, "type": "event", "data": {"name": "b"}},
                    ],
                }
            ).encode(),
            "increasing seq order",
        ),
        ("status", b'{"v": 1, "state": "sleeping"}', "sleeping"),
        ("announce", json.dumps({"v": 1, "agent_id": "other"}).encode(), "differs from its topic"),
        ("reply", b"[]", "not a JSON object"),
    ]
    for leaf, payload, _ in hostile:
        agent.raw(leaf, payload)
    agent.readings(1)  # seq going backwards: a duplicate, ignored
    agent.readings(3, value=33.0)  # the stream goes on after all that
    await until(lambda: applied_seqs(entry) == [1, 2, 3])
    for leaf, _, reason in hostile:
        lines = [
            r
            for r in caplog.records
            if r.levelno == logging.WARNING and f"{AGENT}/{leaf}" in r.getMessage()
        ]
        assert any(reason in r.getMessage() for r in lines), (leaf, reason)
    rejected = [r for r in caplog.records if "dropped a message" in r.getMessage()]
    assert len(rejected) == len(hostile)  # one line each
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert hass.states.get(WAVE).state == "33.0"
    assert runtime(entry).counters["duplicates"] >= 1
    assert hass.states.get(CONNECTIVITY).state == STATE_ON  # the bad status changed nothing

    # a second agent claiming the same id while this one is online
    intruder = FakeAgent(broker.port, AGENT, epoch="0123456789abcdef", instance="ffffffffffffffff")
    try:
        intruder.online()
        intruder.announce()
        intruder.readings(1, 2, 3, 4, value=-1.0)
        await until(lambda: runtime(entry).counters["foreign_epoch"] >= 1)
        assert runtime(entry).identity.epoch == agent.epoch
        assert len(warnings(caplog, "claims the id")) == 1
        assert issue_registry.async_get_issue(DOMAIN, f"second_agent_{entry.entry_id}")
        agent.readings(4, value=44.0)
        await until(lambda: applied_seqs(entry) == [1, 2, 3, 4])
        assert hass.states.get(WAVE).state == "44.0"
    finally:
        intruder.close()


async def test_reinstalled_agent_gets_a_new_epoch(
    hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent, broker: Broker
) -> None:
    agent.readings(1, 2, 3)
    await until(lambda: applied_seqs(entry) == [1, 2, 3])
    agent.offline()
    agent.close()
    fresh = FakeAgent(broker.port, AGENT, epoch="00000000000000aa", instance="00000000000000bb")
    try:
        fresh.online()
        fresh.announce()
        await until(lambda: runtime(entry).identity.epoch == fresh.epoch)
        assert runtime(entry).sequencer.applied == 0
        fresh.readings(1, value=7.0)
        await until(lambda: applied_seqs(entry) == [1, 2, 3, 1])
        assert runtime(entry).counters["new_epochs"] == 1
    finally:
        fresh.close()


async def test_commands(hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent) -> None:
    send = runtime(entry).context.send_command
    assert await send("ping", {}) == {"echo": "ping"}
    agent.answer = lambda cmd: {"ok": False, "error": {"code": "unknown_output", "message": "no"}}
    with pytest.raises(HomeAssistantError) as info:
        await send("set_output", {"output": "pump"})
    assert info.value.translation_key == "command_failed"
    assert info.value.translation_placeholders == {
        "agent_id": AGENT,
        "command": "set_output",
        "code": "unknown_output",
        "message": "no",
    }
    agent.answer = lambda cmd: None  # never answers
    with (
        patch.object(commands_module, "REPLY_TIMEOUT", 0.2),
        pytest.raises(HomeAssistantError) as info,
    ):
        await send("ping", {})
    assert info.value.translation_key == "command_timeout"
    agent.offline()
    await until(lambda: not runtime(entry).available)
    with pytest.raises(HomeAssistantError) as info:
        await send("ping", {})
    assert info.value.translation_key == "agent_offline"


async def test_new_capabilities_without_reload(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    broker: Broker,
    entity_registry: er.EntityRegistry,
) -> None:
    fake = FakeAgent(broker.port, AGENT)
    fake.announce(capabilities={"teleporter": {"pads": 2}})  # unknown: ignored
    fake.online()
    config_entry = agent_entry(hass, AGENT)
    try:
        with patch_features():
            assert await hass.config_entries.async_setup(config_entry.entry_id)
            await until(lambda: runtime(config_entry).available)
            assert runtime(config_entry).features == {}
            assert hass.states.get(WAVE) is None
            fake.announce(capabilities={"teleporter": {}, "synthetic": {"sensors": []}})
            await until(lambda: hass.states.get(WAVE) is not None)
            fake.readings(1)
            await until(lambda: hass.states.get(WAVE).state == "1")
            assert config_entry.state is ConfigEntryState.LOADED
            await hass.config_entries.async_unload(config_entry.entry_id)
    finally:
        fake.close()


async def test_restart_restores_state_and_acks(
    hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent
) -> None:
    agent.readings(1, 2)
    await until(lambda: bool(agent.acks) and agent.acks[-1]["seq"] == 2)
    await hass.config_entries.async_unload(entry.entry_id)
    agent.acks.clear()
    with patch_features():
        assert await hass.config_entries.async_setup(entry.entry_id)
        # the feature and its entity exist at once, from storage
        assert applied_seqs(entry) == [1, 2]
        await until(lambda: hass.states.get(WAVE).state == "2")
        # HA tells the agent where it is when it starts
        await until(lambda: bool(agent.acks) and agent.acks[-1]["seq"] == 2)
        agent.readings(2, 3)
        await until(lambda: applied_seqs(entry) == [1, 2, 3])


async def test_unload_unsubscribes_everything(
    hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent
) -> None:
    client = hass.data[mqtt.DATA_MQTT].client
    ours = f"edge_hub/{AGENT}/"
    assert {s.topic for s in client.subscriptions if s.topic.startswith(ours)} == {
        f"{ours}announce",
        f"{ours}status",
        f"{ours}data",
        f"{ours}reply",
    }
    await hass.config_entries.async_unload(entry.entry_id)
    assert not [s for s in client.subscriptions if s.topic.startswith(ours)]
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_device_removal_until_the_agent_announces_again(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    agent: FakeAgent,
    device_registry: dr.DeviceRegistry,
) -> None:
    device = agent_device(hass, entry.entry_id, AGENT)
    assert device is not None
    assert await async_remove_config_entry_device(hass, entry, device)
    device_registry.async_remove_device(device.id)
    await hass.async_block_till_done()
    # a reload sees only the broker's retained announce: still gone
    with patch_features():
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert agent_device(hass, entry.entry_id, AGENT) is None
        assert hass.states.get(CONNECTIVITY) is None
        # records are still applied and acknowledged meanwhile
        agent.readings(1)
        await until(lambda: applied_seqs(entry) == [1])
        # the agent announces itself again (a live message, not the retained copy)
        agent.announce()
        await until(lambda: agent_device(hass, entry.entry_id, AGENT) is not None)
        await until(lambda: hass.states.get(CONNECTIVITY) is not None)
        await until(lambda: entry.state is ConfigEntryState.LOADED)


async def test_diagnostics(hass: HomeAssistant, entry: MockConfigEntry, agent: FakeAgent) -> None:
    agent.readings(1)
    agent.readings(1)
    await until(lambda: runtime(entry).counters["duplicates"] == 1)
    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    data = diagnostics["runtime"]
    assert data["identity"]["epoch"] == agent.epoch
    assert data["sequence"]["applied"] == 1
    assert data["counters"]["duplicates"] == 1
    assert data["status"]["backlog"] == 3
    assert data["announce"]["model"] == "Raspberry Pi 5 Model B"
    assert diagnostics["entry"]["data"]["agent_id"] == AGENT
