"""One 5,000-reading stream from a real agent process to a real HA test instance.

Along the way the agent is killed with SIGKILL and restarted, Home Assistant "restarts" (the
agent's entry and HA's MQTT entry unloaded and set up again, storage kept) and the broker is
stopped for 30 seconds. Every reading must be applied exactly once, in order, with the values
the agent gave it. (The one slow test of the suite: the outage is 30 s by definition.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import signal
import subprocess
import sys

from homeassistant.core import HomeAssistant
import pytest

from custom_components.edge_hub.agent.runtime import AgentRuntime
from edge_agent.features.synthetic import START_EVENT, expected_value
from tests.broker import Broker

from .agent_support import (
    StreamFeature,
    agent_entry,
    patch_features,
    setup_mqtt,
    start_mqtt,
    until,
)

AGENT = "e2e-pi"
COUNT = 5000
RATE = 100  # readings per second: the stream lasts ~50 s, so each event hits it mid-flow
OUTAGE_S = 30


class AgentProcesses:
    """The agent as real processes, started again after each death; all killed at the end."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def current(self) -> subprocess.Popen[bytes]:
        return self.processes[-1]

    def start(self) -> None:
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "edge_agent.cli", "run", "--config", str(self.config)],
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stderr=(self.config.parent / "agent.log").open("ab"),
            )
        )

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)


@contextlib.contextmanager
def agent_processes(config: Path) -> Iterator[AgentProcesses]:
    agents = AgentProcesses(config)
    agents.start()
    try:
        yield agents
    finally:
        agents.kill_all()


@pytest.mark.timeout(240)
async def test_stream_survives_kill_restart_and_outage(
    hass: HomeAssistant, broker: Broker, tmp_path: Path
) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"agent: {{id: {AGENT}, name: E2E Pi}}\n"
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}, keepalive: 5}}\n"
        f"outbox: {{path: {tmp_path / 'outbox.db'}}}\n"
        f"synthetic: {{rate_hz: {RATE}, count: {COUNT}, sensors: 2}}\n"
    )
    mqtt_entry = await setup_mqtt(hass, broker.port)
    entry = agent_entry(hass, AGENT, title="E2E Pi")

    def runtime() -> AgentRuntime:
        assert isinstance(entry.runtime_data, AgentRuntime)
        return entry.runtime_data

    def feature() -> StreamFeature:
        found = runtime().features["synthetic"]
        assert isinstance(found, StreamFeature)
        return found

    def applied() -> int:
        try:
            return runtime().sequencer.applied
        except (AttributeError, KeyError, AssertionError):
            return 0

    def births() -> int:  # HA birth messages the agent heard (it logs each)
        return (tmp_path / "agent.log").read_text().count("Home Assistant is online")

    def show() -> str:
        return f"applied {applied()}, log: {(tmp_path / 'agent.log').read_text()[-2000:]}"

    with (
        patch_features(),
        agent_processes(config) as agents,
    ):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await until(lambda: applied() >= 300, timeout=30, show=show)

        # 1. the agent dies without a word, mid-stream, and systemd starts it again
        agents.current.send_signal(signal.SIGKILL)
        agents.current.wait(5)
        agents.start()
        await until(lambda: applied() >= 700, timeout=30, show=show)

        # 2. Home Assistant restarts: the entry and HA's MQTT connection go away meanwhile
        heard = births()
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert await hass.config_entries.async_unload(mqtt_entry.entry_id)
        await start_mqtt(hass, mqtt_entry)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await until(lambda: applied() >= 1200, timeout=30, show=show)
        # HA publishes its birth a few seconds after connecting (a discovery cool-down); a
        # broker lost before that makes HA's own birth task fail, which is not ours to test
        await until(lambda: births() > heard, timeout=30, show=show)

        # 3. the broker is gone for 30 s; the agent keeps writing to its outbox
        await hass.async_add_executor_job(broker.stop)
        await until(lambda: not runtime().available, timeout=10)
        at_outage = applied()
        await asyncio.sleep(OUTAGE_S)
        assert applied() == at_outage  # nothing can arrive
        await hass.async_add_executor_job(broker.start)

        # the rest of the stream, and the replay of what was written meanwhile
        await until(lambda: applied() >= COUNT, timeout=90, show=show)
        # the agent's outbox drains: HA acknowledged everything it applied
        await until(lambda: runtime().outbox_backlog == 0, timeout=15, show=show)
        # the final values on the entity
        state = hass.states.get("sensor.e2e_pi_wave_0")
        assert state is not None
        assert float(state.state) == expected_value(COUNT, 0)

        process = agents.current
        process.send_signal(signal.SIGTERM)
        assert await hass.async_add_executor_job(process.wait, 5) == 0

    records = feature().applied
    # every seq exactly once, in order ...
    assert [seq for seq, _, _ in records] == list(range(1, COUNT + 1))
    # ... each reading with the values the agent gave its seq ...
    for seq, kind, payload in records:
        if kind == "readings":
            assert payload == [expected_value(seq, 0), expected_value(seq, 1)], seq
        else:
            assert payload == START_EVENT, seq
    # ... from two agent processes (SIGKILL, restart) ...
    assert sum(1 for _, kind, _ in records if kind == "event") == 2
    # ... with nothing skipped
    assert runtime().counters["gaps"] == 0
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)


async def test_records_sent_while_no_entry_listened_arrive(
    hass: HomeAssistant, broker: Broker, tmp_path: Path
) -> None:
    """The agent streamed to nobody - before the user confirmed it, and while its entry was
    unloaded - and then went quiet: the entry asks for what it missed when it starts."""
    config = tmp_path / "agent.yaml"

    def configure(count: int) -> None:
        config.write_text(
            f"agent: {{id: {AGENT}, name: E2E Pi}}\n"
            f"mqtt: {{host: 127.0.0.1, port: {broker.port}}}\n"
            f"outbox: {{path: {tmp_path / 'outbox.db'}}}\n"
            f"synthetic: {{rate_hz: 500, count: {count}}}\n"
        )

    def reached(count: int) -> bool:
        return f"reached seq {count}" in (tmp_path / "agent.log").read_text()

    def runtime() -> AgentRuntime:
        assert isinstance(entry.runtime_data, AgentRuntime)
        return entry.runtime_data

    configure(100)
    mqtt_entry = await setup_mqtt(hass, broker.port)
    entry = agent_entry(hass, AGENT, title="E2E Pi")
    with patch_features(), agent_processes(config) as agents:
        await until(lambda: reached(100), timeout=20)
        assert await hass.config_entries.async_setup(entry.entry_id)  # first set-up
        await until(lambda: runtime().sequencer.applied == 100, timeout=20)
        await until(lambda: runtime().outbox_backlog == 0, timeout=15)
        # HA's birth (which makes agents replay too) is behind us: not what brings 101..150
        log = tmp_path / "agent.log"
        await until(lambda: "Home Assistant is online" in log.read_text(), timeout=30)

        assert await hass.config_entries.async_unload(entry.entry_id)
        agents.current.send_signal(signal.SIGTERM)  # a new run streams 101..150 meanwhile
        assert await hass.async_add_executor_job(agents.current.wait, 5) == 0
        configure(150)
        agents.start()
        await until(lambda: reached(150), timeout=20)
        assert await hass.config_entries.async_setup(entry.entry_id)  # same epoch
        await until(lambda: runtime().sequencer.applied == 150, timeout=20)

        feature = runtime().features["synthetic"]
        assert isinstance(feature, StreamFeature)
        assert [seq for seq, _, _ in feature.applied] == list(range(1, 151))
        agents.current.send_signal(signal.SIGTERM)
        assert await hass.async_add_executor_job(agents.current.wait, 5) == 0
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)
