"""The agent against a real mosquitto, with a minimal HA stand-in (tests/ha_stub.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
import json
import logging
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any

from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion
import pytest

from edge_agent import agent as agent_module, config as config_module
from edge_agent.agent import Agent
from edge_agent.features.synthetic import START_EVENT, expected_value
from edge_hub_core import protocol
from tests.broker import Broker
from tests.ha_stub import HaStub

AGENT_ID = "test-pi"


def make_config(tmp_path: Path, broker: Broker, **synthetic: Any) -> config_module.Config:
    raw = {
        "agent": {"id": AGENT_ID, "name": "Test Pi"},
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "keepalive": 5},
        "outbox": {"path": str(tmp_path / "outbox.db")},
        "synthetic": {"rate_hz": 1000, "count": 50, **synthetic},
    }
    return config_module.parse(raw, tmp_path / "agent.yaml")


@pytest.fixture
def stub(broker: Broker) -> Iterator[HaStub]:
    ha = HaStub(broker.port, AGENT_ID)
    yield ha
    ha.close()


@contextlib.asynccontextmanager
async def running(config: config_module.Config) -> AsyncIterator[Agent]:
    agent = Agent(config)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:
        yield agent
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 6) == 0


async def until(stub: HaStub, predicate: Callable[[], bool], timeout: float = 10) -> None:
    await asyncio.to_thread(stub.wait_for, predicate, timeout)


def check_stream(records: list[protocol.Record]) -> None:
    """Seqs 1..N once each, in order; every reading holds the values of its seq."""
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    for record in records:
        if record.type == "readings":
            values = [reading["value"] for reading in record.data["readings"]]
            assert values == [expected_value(record.seq, 0), expected_value(record.seq, 1)]
        else:
            assert record.data["name"] == START_EVENT


async def test_announce_status_data_and_acks(
    tmp_path: Path, broker: Broker, stub: HaStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agent_module, "STATUS_MIN_INTERVAL", 0.2)
    async with running(make_config(tmp_path, broker)) as agent:
        await until(stub, lambda: stub.applied == 50)
        check_stream(stub.records)
        assert stub.messages < 50  # records travel in batches
        [announce] = stub.announces
        parsed = protocol.parse_announce(announce, AGENT_ID)
        assert parsed.epoch == agent.outbox.epoch
        assert parsed.instance == agent.instance
        assert parsed.name == "Test Pi"
        assert parsed.capabilities["synthetic"]["sensors"][0] == {"id": "wave0", "name": "Wave 0"}
        # acknowledged rows leave the outbox; the status says so (throttled, not periodic)
        # (the last status seen may still be the one sent before the stream began, and HA's
        # acks are batched: wait until the outbox and the latest status both say empty)
        await until(
            stub,
            lambda: (
                agent.outbox.stats().backlog == 0 and stub.statuses[-1]["outbox"]["backlog"] == 0
            ),
        )
        status = protocol.parse_status(stub.statuses[-1])
        assert status.online
        assert status.instance == agent.instance
    # a clean stop says offline (with the instance), retained
    await until(stub, lambda: stub.statuses[-1]["state"] == "offline")
    assert stub.statuses[-1]["instance"] == agent.instance


async def test_a_healthy_stream_sends_no_status_a_late_backlog_does(
    tmp_path: Path, broker: Broker, stub: HaStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records on their way are normal: a steady stream that HA acknowledges sends no status
    after the one on connect. A backlog HA leaves unacknowledged for BACKLOG_LATE_S is
    reported, and followed until it is gone."""
    monkeypatch.setattr(agent_module, "STATUS_MIN_INTERVAL", 0.2)
    monkeypatch.setattr(agent_module, "BACKLOG_LATE_S", 1.5)
    async with running(make_config(tmp_path, broker, rate_hz=20, count=0)) as agent:
        await until(stub, lambda: stub.applied >= 10)
        before = len(stub.statuses)  # on connect (and again on HA's birth)
        await until(stub, lambda: stub.applied >= 50)  # 2 s of records, acked every 0.2 s
        assert len(stub.statuses) == before
        assert stub.statuses[-1]["outbox"]["backlog"] == 0
        stub.ack_interval = 3600.0  # HA stops acknowledging
        stub._last_ack_at = time.monotonic()
        await until(stub, lambda: stub.statuses[-1]["outbox"]["backlog"] > 0)
        late = len(stub.statuses)
        assert late >= 2
        stub.ack_interval = 0.2  # and acknowledges again: followed until empty
        stub._ack()
        await until(stub, lambda: stub.statuses[-1]["outbox"]["backlog"] == 0)
        assert agent.outbox.stats().dropped == 0


async def test_birth_reannounces_and_replays_what_is_not_acknowledged(
    tmp_path: Path, broker: Broker, stub: HaStub
) -> None:
    stub.ack_interval = 3600.0  # this HA never acknowledges
    stub._last_ack_at = time.monotonic()
    async with running(make_config(tmp_path, broker, count=20)):
        await until(stub, lambda: stub.applied == 20)
        assert stub.duplicates == 0
        stub.birth()
        await until(stub, lambda: stub.duplicates == 20 and len(stub.announces) == 2)
        check_stream(stub.records)


async def test_commands(tmp_path: Path, broker: Broker, stub: HaStub) -> None:
    async with running(make_config(tmp_path, broker, count=0, rate_hz=0)) as agent:
        await until(stub, lambda: bool(stub.announces))
        reply = await asyncio.to_thread(stub.command, "ping")
        assert reply["ok"] is True
        assert reply["result"]["instance"] == agent.instance
        reply = await asyncio.to_thread(stub.command, "launch_rocket")
        assert reply["ok"] is False
        assert reply["error"]["code"] == "unknown_command"
        # routed to the feature whose `commands` holds it
        reply = await asyncio.to_thread(stub.command, "set_rate", {"rate_hz": 500})
        assert reply["result"] == {"rate_hz": 500.0}
        await until(stub, lambda: stub.applied > 20)
        reply = await asyncio.to_thread(stub.command, "set_rate", {"rate_hz": "fast"})
        assert reply["error"]["code"] == "invalid_args"
        # garbage on the command topic is ignored
        stub.client.publish(stub.topic("cmd"), b"{not json", qos=1)
        reply = await asyncio.to_thread(stub.command, "ping")
        assert reply["ok"] is True


async def test_broker_outage_loses_nothing(tmp_path: Path, broker: Broker, stub: HaStub) -> None:
    async with running(make_config(tmp_path, broker, rate_hz=200, count=400)) as agent:
        await until(stub, lambda: stub.applied >= 50)
        await asyncio.to_thread(broker.stop)
        await asyncio.sleep(0.5)  # the agent keeps writing to its outbox meanwhile
        assert not agent.link.connected
        await asyncio.to_thread(broker.start)
        await until(stub, lambda: stub.applied == 400, timeout=20)
        check_stream(stub.records)
        assert agent.link.connects == 2


async def test_restart_resumes_from_the_retained_ack(
    tmp_path: Path, broker: Broker, stub: HaStub
) -> None:
    async with running(make_config(tmp_path, broker, count=30)):
        await until(stub, lambda: stub.acked == 30)
    async with running(make_config(tmp_path, broker, count=60)) as agent:
        await until(stub, lambda: stub.applied == 60)
        # the second run started after the retained ack: it replayed nothing HA had
        assert stub.duplicates == 0
        assert agent.outbox.epoch == stub.epoch
    check_stream(stub.records)
    starts = [r.seq for r in stub.records if r.type == "event"]
    assert starts == [1, 31]


async def test_acks_of_another_epoch_or_malformed_are_ignored(
    tmp_path: Path, broker: Broker, stub: HaStub, caplog: pytest.LogCaptureFixture
) -> None:
    stub.ack_interval = 3600.0
    stub._last_ack_at = time.monotonic()
    async with running(make_config(tmp_path, broker, count=10)) as agent:
        await until(stub, lambda: stub.applied == 10)
        publish = stub.client.publish
        other = protocol.build_ack("0123456789abcdef", 10, 0.0)
        publish(stub.topic("ack"), json.dumps(other), qos=1).wait_for_publish(2)
        for _ in range(2):  # one log line, however often it comes
            publish(stub.topic("ack"), b"[1, 2]", qos=1).wait_for_publish(2)
        mine = protocol.build_ack(agent.outbox.epoch, 5, 0.0)
        publish(stub.topic("ack"), json.dumps(mine), qos=1).wait_for_publish(2)
        for _ in range(50):
            if agent.outbox.acked_seq == 5:
                break
            await asyncio.sleep(0.02)
        assert agent.outbox.acked_seq == 5
    bad = [r for r in caplog.records if "invalid ack" in r.getMessage()]
    assert len(bad) == 1
    assert bad[0].levelno == logging.WARNING


# --- the process: SIGTERM, SIGKILL -----------------------------------------------------------


def _spawn(tmp_path: Path, broker: Broker, rate_hz: int) -> subprocess.Popen[bytes]:
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"agent: {{id: {AGENT_ID}}}\n"
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}}}\n"
        f"synthetic: {{rate_hz: {rate_hz}}}\n"
    )
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent.cli", "run", "--config", str(config)],
        stderr=subprocess.PIPE,
    )


def _retained_status(broker: Broker) -> dict[str, Any]:
    got: list[bytes] = []
    client = Client(CallbackAPIVersion.VERSION2)
    client.on_message = lambda _c, _u, msg: got.append(msg.payload)
    client.connect("127.0.0.1", broker.port)
    client.subscribe(protocol.topic(AGENT_ID, "status"), 1)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
    client.disconnect()
    client.loop_stop()
    assert got, "no retained status"
    result: dict[str, Any] = json.loads(got[-1])
    return result


def test_sigterm_exits_cleanly_and_says_offline(tmp_path: Path, broker: Broker) -> None:
    stub = HaStub(broker.port, AGENT_ID)
    try:
        process = _spawn(tmp_path, broker, rate_hz=500)
        stub.wait_for(lambda: stub.applied > 100)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(5) == 0
        assert time.monotonic() - started < 5
        status = _retained_status(broker)
        assert status["state"] == "offline"
        # every record emitted before SIGTERM was committed: the next run continues after it
        emitted = stub.applied
        process = _spawn(tmp_path, broker, rate_hz=0)
        stub.wait_for(lambda: len(stub.announces) == 2)
        stub.wait_for(lambda: stub.applied > emitted)  # the new run's start event
        process.send_signal(signal.SIGTERM)
        assert process.wait(5) == 0
        seqs = [r.seq for r in stub.records]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        stub.close()
        for proc in (process,):
            if proc.poll() is None:
                proc.kill()


def test_sigkill_fires_the_will(tmp_path: Path, broker: Broker) -> None:
    stub = HaStub(broker.port, AGENT_ID)
    process = _spawn(tmp_path, broker, rate_hz=10)
    try:
        stub.wait_for(lambda: any(s["state"] == "online" for s in stub.statuses))
        process.kill()
        process.wait(5)
        stub.wait_for(lambda: stub.statuses[-1]["state"] == "offline")
        assert protocol.parse_status(stub.statuses[-1]).instance == stub.announces[-1]["instance"]
    finally:
        stub.close()
        if process.poll() is None:
            process.kill()


async def test_replay_command_resends_what_ha_misses(
    tmp_path: Path, broker: Broker, stub: HaStub
) -> None:
    stub.ack_interval = 3600.0  # nothing acknowledged: everything is still in the outbox
    stub._last_ack_at = time.monotonic()
    async with running(make_config(tmp_path, broker, count=20)):
        await until(stub, lambda: stub.applied == 20)
        reply = await asyncio.to_thread(stub.command, "replay", {"after": 15})
        assert reply["result"] == {"from": 16}
        await until(stub, lambda: stub.duplicates == 5)
        reply = await asyncio.to_thread(stub.command, "replay", {"after": -1})
        assert reply["error"]["code"] == "invalid_args"
