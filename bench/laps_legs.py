"""The Home Assistant legs of bench_laps, as one pytest run in the test harness.

Run by bench/bench_laps.py through pytest (the harness's `hass` fixture), never by the test
suite. The harness is made production-like first: asyncio debug off (it alone doubles every
cost), logging at WARNING. Every part is real except the track: a real agent process
(`edge_agent.cli run`, the simulated lanes in real time), a real mosquitto, HA's MQTT entry,
the agent's entry with its runtime and the lap counter.

Legs:
- laps: 8 lanes, a crossing about every 100 ms on each, for BENCH_LAPS_SECONDS (60), in a
  race in HA. Every lap HA shows (its car's lap event) against the simulator's ground truth
  (the same seed, generated here): `missed_laps`, `lap_error_ms_max`; and for every lap the
  time from its edge (the kernel timestamp the agent sends, in wall time) to the moment
  HA's state shows it (the car's Laps sensor): `latency_ms_p50`/`p99`.
- baseline: the plain MQTT path on the same broker and HA: a separate process publishes a
  time stamp at the same rate to HA's own MQTT sensors (discovery); publish -> HA state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from bench.conftest import production_like
from custom_components.edge_hub.agent.runtime import AgentRuntime
from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.laps.feature import LapsFeature
from edge_agent.features.laps import SPEC
from edge_agent.features.laps.config import LapsConfig
from edge_agent.features.laps.sim import TrackSim, TruthLap, settings_from_config
from tests.broker import Broker

ROOT = Path(__file__).parents[1]
AGENT = "bench-track"
LANES = 8
SECONDS = float(os.environ.get("BENCH_LAPS_SECONDS", "60"))
BASELINE_SECONDS = float(os.environ.get("BENCH_LAPS_BASELINE_SECONDS", "20"))
# the agent's outbox commit interval: 10 ms for a lap counter (docs/laps.md); the shipped
# default of 50 ms batches fsyncs harder and adds up to 50 ms to every lap under load
COMMIT_MS = int(os.environ.get("BENCH_LAPS_COMMIT_MS", "10"))
START_DELAY_S = 5.0


def laps_section(seconds: float) -> dict[str, Any]:
    return {
        "backend": "sim",
        "min_lap_ms": 50,
        "lanes": [{"lane": n} for n in range(1, LANES + 1)],
        "sim": {
            "seed": 11,
            "realtime": True,
            "start_delay_s": START_DELAY_S,
            "laps": round(seconds * 10),
            "cars": [{"lane": n, "lap_ms": 100, "sd_ms": 4} for n in range(1, LANES + 1)],
            "margin_ms": 20,
            "simultaneous": 0.2,
            "bounce_max": 3,
            "bounce_us": 2000,
            "retrigger": 0.01,
            # no simulated delivery delay: the real agent process's own delays are measured
            "jitter_us": 0,
            "stall": 0,
        },
    }


def ground_truth(seconds: float) -> list[TruthLap]:
    config = SPEC.parse(laps_section(seconds), "laps")
    assert isinstance(config, LapsConfig)
    sim = TrackSim(settings_from_config(config))
    for _ in sim.edges():
        pass
    return sim.truth


def _pct(values: list[float], q: int) -> float | None:
    if len(values) < 2:
        return None
    return round(statistics.quantiles(values, n=100)[q - 1], 2)


async def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


@contextlib.contextmanager
def _agent(tmp_path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    config = tmp_path / "agent.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "agent": {"id": AGENT, "name": "Bench track"},
                "mqtt": {"host": "127.0.0.1", "port": port},
                "outbox": {"path": str(tmp_path / "outbox.db"), "commit_interval_ms": COMMIT_MS},
                "laps": laps_section(SECONDS),
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "edge_agent.cli", "run", "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stderr=(tmp_path / "agent.log").open("ab"),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


async def laps_leg(hass: HomeAssistant, broker: Broker, tmp_path: Path) -> dict[str, Any]:
    truth = await hass.async_add_executor_job(ground_truth, SECONDS)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Bench track",
        unique_id=AGENT,
        data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": AGENT},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    registry = er.async_get(hass)

    def feature() -> LapsFeature | None:
        runtime = entry.runtime_data
        found = runtime.features.get("laps") if isinstance(runtime, AgentRuntime) else None
        return found if isinstance(found, LapsFeature) else None

    laps_entities: dict[str, str] = {}  # entity_id -> car
    shown_laps: dict[str, int] = {}
    latencies: list[float] = []
    lap_times: dict[tuple[str, int], float] = {}
    seen_events: set[tuple[str, str]] = set()

    @callback
    def _changed(event: Event[Any]) -> None:
        now_ns = time.time_ns()
        entity_id = event.data["entity_id"]
        new = event.data["new_state"]
        if new is None:
            return
        if entity_id.startswith("event.") and new.attributes.get("event_type") == "lap_completed":
            if (entity_id, new.state) not in seen_events:
                seen_events.add((entity_id, new.state))
                lap_times[(new.attributes["car"], new.attributes["lap"])] = new.attributes[
                    "lap_time"
                ]
            return
        car = laps_entities.get(entity_id)
        lap_counter = feature()
        if car is None or lap_counter is None or not new.state.isdigit():
            return
        shown = int(new.state)
        crossings = lap_counter.race.cars[car].crossings
        # every lap this state shows for the first time: edge -> HA state
        for lap in range(shown_laps.get(car, 0) + 1, shown + 1):
            latencies.append((now_ns - crossings[lap]) / 1e6)
        shown_laps[car] = max(shown, shown_laps.get(car, 0))

    arrived: list[float] = []  # edge -> the record reaching HA's MQTT client (a breakdown)
    first_seen: set[tuple[Any, Any]] = set()

    @callback
    def _data(msg: mqtt.ReceiveMessage) -> None:
        now_ns = time.time_ns()
        body = json.loads(msg.payload)
        for record in body.get("records", [body]):
            data = record.get("data") or {}
            key = (data.get("car"), data.get("lap"))
            if record.get("type") == "lap" and key not in first_seen:  # not a replay
                first_seen.add(key)
                arrived.append((now_ns - data["crossed_ns"]) / 1e6)

    unsub_data = await mqtt.async_subscribe(hass, f"edge_hub/{AGENT}/data", _data, 1)
    lag: list[float] = []  # how late HA's event loop wakes from a 5 ms sleep meanwhile

    async def _loop_lag() -> None:
        while True:
            due = time.monotonic() + 0.005
            await asyncio.sleep(0.005)
            lag.append((time.monotonic() - due) * 1000)

    lag_task = hass.async_create_background_task(_loop_lag(), "bench loop lag")
    unsub = hass.bus.async_listen("state_changed", _changed)
    with _agent(tmp_path, broker.port) as agent:
        status = f"{AGENT}_race_status"
        await _wait(
            lambda: registry.async_get_entity_id("sensor", DOMAIN, status) is not None,
            30,
            "the lap counter",
        )
        await hass.services.async_call(
            DOMAIN, "start_race", {"mode": "laps", "laps": 9999, "countdown": 0}, blocking=True
        )
        for lane in range(1, LANES + 1):  # the cars' entities come with their first lap
            unique_id = f"{AGENT}_car_{lane}_laps"

            def added(unique_id: str = unique_id) -> bool:
                return registry.async_get_entity_id("sensor", DOMAIN, unique_id) is not None

            await _wait(added, START_DELAY_S + 30, f"car {lane}")
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
            assert entity_id is not None
            laps_entities[entity_id] = str(lane)
        true_laps = sum(1 for t in truth if t.lap_time_us is not None)

        def counted() -> bool:
            lap_counter = feature()
            return lap_counter is not None and lap_counter.counters["laps"] >= true_laps

        with contextlib.suppress(TimeoutError):
            await _wait(counted, SECONDS + 30, "every lap")
        await asyncio.sleep(1.0)  # anything still in flight (extra laps would be errors)
        lap_counter = feature()
        assert lap_counter is not None
        counters = dict(lap_counter.counters)
        agent.terminate()
        await hass.async_add_executor_job(agent.wait, 10)
    unsub()
    unsub_data()
    lag_task.cancel()
    assert await hass.config_entries.async_unload(entry.entry_id)

    expected = {(t.car, t.lap): t.lap_time_us for t in truth if t.lap_time_us is not None}
    missed = len(set(expected) - set(lap_times)) + len(set(lap_times) - set(expected))
    errors = [
        abs(lap_times[key] * 1e6 - true_us) / 1000
        for key, true_us in expected.items()
        if key in lap_times
    ]
    log = (tmp_path / "agent.log").read_text()
    return {
        "lanes": LANES,
        "seconds": SECONDS,
        "commit_interval_ms": COMMIT_MS,
        "laps_true": len(expected),
        "laps_shown": len(lap_times),
        "missed_laps": missed,
        "lap_error_ms_max": round(max(errors), 4) if errors else None,
        "latency_ms_p50": _pct(latencies, 50),
        "latency_ms_p99": _pct(latencies, 99),
        "latency_ms_max": round(max(latencies), 2) if latencies else None,
        # of which: edge -> the record reaching HA (sim delivery, agent, outbox, broker)
        "latency_to_mqtt_ms_p50": _pct(arrived, 50),
        "latency_to_mqtt_ms_p99": _pct(arrived, 99),
        "laps_timed": len(latencies),
        "ha_loop_lag_ms_p50": _pct(lag, 50),
        "ha_loop_lag_ms_p99": _pct(lag, 99),
        "ha_counters": {k: v for k, v in counters.items() if v},
        "agent_warnings": log.count("WARNING"),
    }


async def baseline_leg(hass: HomeAssistant, broker: Broker) -> dict[str, Any]:
    """HA's own MQTT sensors at the same rate: publish (time stamp) -> HA state."""

    def publisher(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bench.mqtt_publisher", "--port", str(broker.port), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )

    discovery = publisher("--sensors", str(LANES), "--discovery")
    await hass.async_add_executor_job(discovery.wait)
    await _wait(lambda: hass.states.get(f"sensor.bench_s{LANES - 1}") is not None, 30, "discovery")
    await asyncio.sleep(1)
    base = time.time()
    latencies: list[float] = []

    @callback
    def _changed(event: Event[Any]) -> None:
        new = event.data["new_state"]
        if new is not None and event.data["entity_id"].startswith("sensor.bench_s"):
            with contextlib.suppress(ValueError):
                latencies.append((time.time() - base - float(new.state)) * 1000)

    unsub = hass.bus.async_listen("state_changed", _changed)
    rate = LANES * 10
    load = publisher(
        "--sensors", str(LANES), "--rate", str(rate), "--seconds", str(BASELINE_SECONDS),
        "--base", str(base),
    )  # fmt: skip
    out, _ = await hass.async_add_executor_job(load.communicate)
    await asyncio.sleep(0.5)
    unsub()
    return {
        "baseline_sent": json.loads(out)["sent"],
        "baseline_received": len(latencies),
        "baseline_latency_ms_p50": _pct(latencies, 50),
        "baseline_latency_ms_p99": _pct(latencies, 99),
    }


async def test_legs(hass: HomeAssistant, broker: Broker, tmp_path: Path) -> None:
    production_like(hass)
    mqtt_entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": broker.host, "port": broker.port},
        version=1,
        minor_version=2,
    )
    mqtt_entry.add_to_hass(hass)
    with patch("homeassistant.config.async_hass_config_yaml", return_value={}):
        assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    await _wait(lambda: mqtt.is_connected(hass), 10, "HA's MQTT client")
    results = await laps_leg(hass, broker, tmp_path)
    results |= await baseline_leg(hass, broker)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)
    out = Path(os.environ["BENCH_LAPS_OUT"])
    await hass.async_add_executor_job(out.write_text, json.dumps(results))
