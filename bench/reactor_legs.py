"""The Home Assistant legs of bench_reactor, as one pytest run in the test harness.

Run by bench/bench_reactor.py through pytest (the harness's `hass` fixture), never by the
test suite. The harness is made production-like first: asyncio debug off (it alone doubles
every cost), logging at WARNING. CPU is `time.process_time()` of this process (HA's loop and
its MQTT thread; the publishers are separate processes) over the load window, minus the rate
of an idle window measured just before.

Legs (100 boards x 45 sensors, every value changing every 5 s: 900 readings/s):
- floor: the same number of bare `hass.states.async_set` calls - one state change each;
- baseline: HA's own MQTT discovery sensors, one topic per sensor, through a real broker;
- ours: 100 agent entries (agent runtime + reactor feature) on the same MQTT entry, fed by
  100 agents' batches through the broker (bench/agent_publisher.py), then a rate ramp;
- entity_floor: the same writes through plain HA sensor entities (HA's entity layer alone);
- deadband: ten simulated boards' day of report-on-change records, state writes counted;
- apply (only with BENCH_REACTOR_LEGS=...,apply): the reactor feature fed in-process.
"""

from __future__ import annotations

from array import array
import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
import contextlib
import cProfile
import gc
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.conftest import production_like
from custom_components.edge_hub.agent.feature import AgentContext
from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core.protocol import Record
from custom_components.edge_hub.models import EdgeHubConfigEntry, KindModule, KindRuntime
from custom_components.edge_hub.reactor.feature import ReactorFeature
from tests.broker import Broker

ROOT = Path(__file__).parents[1]
BOARDS = int(os.environ.get("BENCH_REACTOR_BOARDS", "100"))
SENSORS = 45
PERIOD_S = 5.0
TOTAL = BOARDS * SENSORS
RATE = TOTAL / PERIOD_S
SECONDS = float(os.environ.get("BENCH_REACTOR_SECONDS", "120"))
# idle window before each leg (its CPU rate is subtracted over the leg's window)
IDLE_S = float(os.environ.get("BENCH_REACTOR_IDLE_SECONDS", "20"))
# the rate ramp after the ours leg: readings/s for RAMP_S seconds each, until p99 > 1 s or a drop
RAMP = (1800.0, 3600.0, 7200.0, 14400.0)
RAMP_S = float(os.environ.get("BENCH_REACTOR_RAMP_SECONDS", "10"))
# which legs run (investigations): floor, entity_floor, apply, baseline, ours, deadband
LEGS = os.environ.get("BENCH_REACTOR_LEGS", "floor,entity_floor,baseline,ours,deadband").split(",")


async def _cpu_over(seconds: float) -> float:
    start = time.process_time()
    await asyncio.sleep(seconds)
    return time.process_time() - start


async def _idle_rate() -> float:
    """CPU seconds per second of this process with nothing to ingest."""
    return await _cpu_over(IDLE_S) / IDLE_S


def _p99_ms(latencies: list[float]) -> float | None:
    if len(latencies) < 2:
        return None
    return round(statistics.quantiles(latencies, n=100)[98] * 1000, 1)


@contextlib.contextmanager
def _profiled() -> Iterator[None]:
    """With BENCH_REACTOR_PROFILE=PATH, a cProfile of the event loop thread over the ours
    leg's steady stage is written to PATH (pstats). Profiling inflates every figure of
    that run: use it to find where the time goes, not for the results."""
    path = os.environ.get("BENCH_REACTOR_PROFILE")
    if not path:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)


def _full_collections() -> int:
    """Full (generation 2) garbage collections so far: each stops the loop for the whole heap."""
    return int(gc.get_stats()[2]["collections"])


class _Stalls:
    """Where a latency tail comes from: event-loop lag (a 10 ms ticker) and garbage
    collection pauses of this process, with when they happened (seconds since `base`)."""

    def __init__(self, base: float) -> None:
        self.base = base
        self.lags: list[tuple[float, float]] = []  # (when, lag s) over 50 ms
        self.lag_max = 0.0
        self.gc: list[tuple[float, int, float]] = []  # (when, generation, pause s)
        self._gc_start = 0.0
        self.promoted: list[tuple[str, int]] | None = None
        self._task: asyncio.Task[None] | None = None

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            if info["generation"] == 1 and self.promoted is None and time.time() > self.base + 20:
                # what survived the young collections: these fill generation 2 up
                self.promoted = Counter(
                    type(o).__qualname__ for o in gc.get_objects(generation=1)
                ).most_common(15)
            self._gc_start = time.perf_counter()
        else:
            pause = time.perf_counter() - self._gc_start
            if pause > 0.005:
                self.gc.append((time.time() - self.base, info["generation"], pause))

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + 0.01
            await asyncio.sleep(0.01)
            lag = loop.time() - due
            self.lag_max = max(self.lag_max, lag)
            if lag > 0.05:
                self.lags.append((time.time() - self.base, lag))

    def __enter__(self) -> _Stalls:
        objects = gc.get_objects()
        self.tracked = len(objects)
        self.top_types = Counter(type(o).__qualname__ for o in objects).most_common(12)
        del objects
        gc.callbacks.append(self._gc)
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._gc)
        if self._task is not None:
            self._task.cancel()

    def figures(self, samples: list[tuple[float, float]], until: float) -> dict[str, Any]:
        per_second: dict[int, list[float]] = {}
        for sent, latency in samples:
            if sent < until:
                per_second.setdefault(int(sent), []).append(latency)
        worst = sorted(per_second.items(), key=lambda item: -max(item[1]))[:8]
        return {
            "gc_tracked_objects": self.tracked,
            "gc_generation1_types": self.promoted,
            "gc_top_types": self.top_types,
            "loop_lag_ms_max": round(self.lag_max * 1000, 1),
            "loop_lags_over_50ms": [(round(t, 1), round(lag * 1000)) for t, lag in self.lags][:20],
            "gc_pauses_over_5ms": [(round(t, 1), g, round(p * 1000)) for t, g, p in self.gc][:20],
            "latency_worst_seconds": [
                (second, round(max(lat) * 1000), len(lat)) for second, lat in worst
            ],
        }


# --- floor: bare state writes -----------------------------------------------------------------


def _observer(prefix: str, sink: list[float], base: float) -> Callable[[Event[Any]], None]:
    """The latency observer the MQTT legs run: it parses every new state of their sensors
    (each value is its send time in seconds since `base`)."""

    @callback
    def _changed(event: Event[Any]) -> None:
        new = event.data["new_state"]
        if new is not None and event.data["entity_id"].startswith(prefix):
            with contextlib.suppress(ValueError):
                sink.append(time.time() - base - float(new.state))

    return _changed


async def floor_leg(hass: HomeAssistant, observed: bool = False) -> dict[str, Any]:
    """Bare state writes; `observed`: with the same state_changed observer as the MQTT legs
    (their latency measurement), the floor to compare them with on equal terms."""
    unsub = (
        hass.bus.async_listen("state_changed", _observer("sensor.floor_", [], time.time()))
        if observed
        else None
    )
    entity_ids = [f"sensor.floor_{i}" for i in range(TOTAL)]
    attributes = [
        {
            "state_class": "measurement",
            "unit_of_measurement": "°C",
            "device_class": "temperature",
            "friendly_name": f"Floor {i}",
        }
        for i in range(TOTAL)
    ]
    for i, entity_id in enumerate(entity_ids):
        hass.states.async_set(entity_id, "0", attributes[i])
    idle = await _idle_rate() * SECONDS
    loop = asyncio.get_running_loop()
    tick = 0.01
    per_tick = round(RATE * tick)
    writes = 0
    full = _full_collections()
    start_cpu = time.process_time()
    start = next_tick = loop.time()
    while loop.time() - start < SECONDS:
        for _ in range(per_tick):
            i = writes % TOTAL
            hass.states.async_set(entity_ids[i], str(writes), attributes[i])
            writes += 1
        next_tick += tick
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
    busy = time.process_time() - start_cpu
    full = _full_collections() - full
    if unsub is not None:
        unsub()
        return {"cpu_us_per_write_floor_observed": round((busy - idle) / writes * 1e6, 1)}
    return {
        "cpu_us_per_write_floor": round((busy - idle) / writes * 1e6, 1),
        "floor_writes": writes,
        "floor_full_gc_per_min": round(full / SECONDS * 60, 1),
    }


# --- entity floor: HA's own cost of one sensor entity state write -----------------------------


class _PlainSensor(SensorEntity):
    """The least a sensor entity of this kind can be in HA: a name, a device, device class,
    unit, state class and display precision, its value set and written. No edge_hub code."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.TEMPERATURE
    _attr_native_unit_of_measurement = "°C"
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 2

    def __init__(self, board: int, index: int) -> None:
        self._attr_unique_id = f"plain-{board}-{index}"
        self._attr_name = f"Plain {index}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"plain-{board}")}, name=f"Plain {board:03d}"
        )


class _PlainRuntime(KindRuntime):
    platforms = (Platform.SENSOR,)

    def __init__(self, board: int) -> None:
        self.sensors = [_PlainSensor(board, j) for j in range(SENSORS)]

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        async_add_entities(self.sensors)


class _PlainKind(KindModule):
    def __init__(self) -> None:
        self.runtimes: list[_PlainRuntime] = []

    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        runtime = _PlainRuntime(len(self.runtimes))
        self.runtimes.append(runtime)
        return runtime


async def entity_floor_leg(hass: HomeAssistant) -> dict[str, Any]:
    """The same number of state writes through plain HA sensor entities (100 entries x 45),
    without any edge_hub code: what any integration pays per reading for HA's entity layer
    (state, unit, attributes, registry checks) on top of the bare write."""
    kind = _PlainKind()

    async def get_kind(hass: HomeAssistant, kind_name: EntryKind) -> KindModule:
        return kind

    entries = []
    with patch("custom_components.edge_hub.async_get_kind", get_kind):
        for board in range(BOARDS):
            entry = MockConfigEntry(
                domain=DOMAIN,
                unique_id=f"plain-{board}",
                data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": f"plain-{board}"},
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            entries.append(entry)
        await hass.async_block_till_done()
    sensors = [sensor for runtime in kind.runtimes for sensor in runtime.sensors]
    assert len(sensors) == TOTAL
    assert all(s.hass is not None for s in sensors)
    idle = await _idle_rate() * SECONDS
    loop = asyncio.get_running_loop()
    tick = 0.01
    per_tick = round(RATE * tick)
    writes = 0
    full = _full_collections()
    start_cpu = time.process_time()
    start = next_tick = loop.time()
    while loop.time() - start < SECONDS:
        for _ in range(per_tick):
            sensor = sensors[writes % TOTAL]
            sensor._attr_native_value = 20.0 + writes * 1e-6
            sensor.async_write_ha_state()
            writes += 1
        next_tick += tick
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
    busy = time.process_time() - start_cpu
    full = _full_collections() - full
    for entry in entries:  # out of the way of the later legs
        assert await hass.config_entries.async_remove(entry.entry_id)
    return {
        "cpu_us_per_write_entity_floor": round((busy - idle) / writes * 1e6, 1),
        "entity_floor_full_gc_per_min": round(full / SECONDS * 60, 1),
    }


# --- ours: the reactor feature applying readings records ---------------------------------------


def _capability() -> dict[str, Any]:
    return {
        "sensors": [
            {"id": f"t{j}", "kind": "temperature", "name": f"Temperature {j}", "unit": "°C",
             "device_class": "temperature", "precision": 2}
            for j in range(SENSORS)
        ]
    }  # fmt: skip


class _Runtime(KindRuntime):
    platforms = (Platform.SENSOR,)

    def __init__(self, feature: ReactorFeature) -> None:
        self.feature = feature

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        await self.feature.async_setup_platform(platform, async_add_entities)


class _Kind(KindModule):
    def __init__(self) -> None:
        self.features: list[ReactorFeature] = []

    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        agent_id = entry.data["agent_id"]

        async def send_command(cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
            return {}

        ctx = AgentContext(
            hass=hass,
            entry=entry,
            agent_id=agent_id,
            device_info=DeviceInfo(identifiers={(DOMAIN, agent_id)}, name=agent_id),
            send_command=send_command,
            is_online=lambda: True,
            schedule_save=lambda: None,
        )
        feature = ReactorFeature(ctx, _capability())
        self.features.append(feature)
        return _Runtime(feature)


async def ours_apply_leg(hass: HomeAssistant) -> dict[str, Any]:
    kind = _Kind()

    async def get_kind(hass: HomeAssistant, kind_name: EntryKind) -> KindModule:
        return kind

    with patch("custom_components.edge_hub.async_get_kind", get_kind):
        for board in range(BOARDS):
            entry = MockConfigEntry(
                domain=DOMAIN,
                unique_id=f"board-{board}",
                data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": f"board-{board}"},
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    for feature in kind.features:
        feature.availability_changed()
    # every round of every board, built beforehand (the runtime hands over parsed records)
    rounds = int(SECONDS / PERIOD_S) + 1

    def readings(r: int) -> list[dict[str, Any]]:
        return [
            {"sensor": f"t{j}", "value": 20.0 + r * 0.01 + j * 0.001, "status": "ok",
             "ts": 1763798400.0 + r * PERIOD_S}
            for j in range(SENSORS)
        ]  # fmt: skip

    records = [
        [Record(seq=r + 1, ts=1.0, type="readings", data={"readings": readings(r)})
         for r in range(rounds)]
        for _ in range(BOARDS)
    ]  # fmt: skip
    idle = await _idle_rate() * SECONDS
    loop = asyncio.get_running_loop()
    gap = PERIOD_S / BOARDS  # boards spread over the period, like real ones
    applied = 0
    start_cpu = time.process_time()
    start = loop.time()
    step = 0
    while loop.time() - start < SECONDS:
        board, rnd = step % BOARDS, step // BOARDS
        kind.features[board].apply(records[board][rnd])
        applied += SENSORS
        step += 1
        await asyncio.sleep(max(0.0, start + step * gap - loop.time()))
    busy = time.process_time() - start_cpu
    writes = sum(f.applied["writes"] for f in kind.features)
    return {
        "cpu_us_per_reading_ours_apply_only": round((busy - idle) / applied * 1e6, 1),
        "ours_apply_readings": applied,
        "ours_apply_writes": writes,
    }


# --- baseline: HA's own MQTT discovery sensors ---------------------------------------------------


def _publisher(broker: Broker, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.mqtt_publisher", "--port", str(broker.port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )


async def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)


async def _mqtt_entry(hass: HomeAssistant, broker: Broker) -> None:
    """HA's MQTT integration on the broker (once per run)."""
    if hass.config_entries.async_entries("mqtt"):
        return
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": broker.host, "port": broker.port},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    with patch("homeassistant.config.async_hass_config_yaml", return_value={}):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


async def _agent_entries(hass: HomeAssistant, titles: Mapping[str, str]) -> list[MockConfigEntry]:
    """One edge agent entry per agent id (its title), set up."""
    entries = []
    for agent, title in titles.items():
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=title,
            unique_id=agent,
            data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": agent},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        entries.append(entry)
    return entries


async def baseline_leg(hass: HomeAssistant, broker: Broker) -> dict[str, Any]:
    discovery = _publisher(broker, "--sensors", str(TOTAL), "--discovery")
    await asyncio.get_running_loop().run_in_executor(None, discovery.wait)
    await _mqtt_entry(hass, broker)
    await _wait(
        lambda: (
            hass.states.get(f"sensor.bench_s{TOTAL - 1}") is not None
            and len(hass.states.async_entity_ids("sensor")) >= TOTAL
        ),
        600,
        "MQTT discovery of every sensor",
    )
    await asyncio.sleep(2)
    base = time.time()
    latencies: list[float] = []
    unsub = hass.bus.async_listen("state_changed", _observer("sensor.bench_s", latencies, base))
    idle = await _idle_rate() * SECONDS
    publisher = _publisher(
        broker, "--sensors", str(TOTAL), "--rate", str(RATE), "--seconds", str(SECONDS),
        "--base", str(base),
    )  # fmt: skip
    start_cpu = time.process_time()
    started = time.monotonic()
    out, _ = await asyncio.get_running_loop().run_in_executor(None, publisher.communicate)
    await asyncio.sleep(1.0)  # what is still in flight
    busy = time.process_time() - start_cpu
    window = time.monotonic() - started
    unsub()
    sent = json.loads(out)["sent"]
    received = len(latencies)
    return {
        "cpu_us_per_reading_baseline": round(
            (busy - idle * window / SECONDS) / max(received, 1) * 1e6, 1
        ),
        "baseline_sent": sent,
        "baseline_received": received,
        "baseline_dropped": sent - received,
        "baseline_latency_ms_p99": _p99_ms(latencies),
    }


# --- ours: 100 agents through the broker into the agent runtime + reactor feature -----------


def _agent_publisher(broker: Broker, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.agent_publisher", "--port", str(broker.port),
         "--boards", str(BOARDS), "--sensors", str(SENSORS), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )  # fmt: skip


def _stage_figures(
    stage: Mapping[str, float], until: float, samples: list[tuple[float, float]]
) -> dict[str, Any]:
    """A stage's readings: sent from its first value up to the next stage's first."""
    latencies = [lat for sent, lat in samples if stage["first"] <= sent < until]
    return {
        "rate": stage["rate"],
        "sent": int(stage["sent"]),
        "received": len(latencies),
        "dropped": int(stage["sent"]) - len(latencies),
        "latency_ms_p99": _p99_ms(latencies),
    }


async def ours_leg(hass: HomeAssistant, broker: Broker) -> dict[str, Any]:
    """Real agent entries (agent runtime + reactor feature) on HA's MQTT entry, fed by 100
    agents' wire messages from a separate process."""
    from bench.agent_publisher import agent_id

    await _mqtt_entry(hass, broker)
    entries = await _agent_entries(hass, {agent_id(b): f"Reactor {b:03d}" for b in range(BOARDS)})
    announcer = _agent_publisher(broker, "--announce")
    await asyncio.get_running_loop().run_in_executor(None, announcer.wait)

    def ours(entity_id: str) -> bool:
        return entity_id.startswith("sensor.reactor_") and "_temperature_" in entity_id

    await _wait(
        lambda: (
            sum(1 for e in hass.states.async_entity_ids("sensor") if ours(e)) >= TOTAL
            and all(entry.runtime_data.available for entry in entries)
        ),
        600,
        "every agent announced and online, every reactor sensor added",
    )
    await asyncio.sleep(2)
    base = time.time()
    # (sent, latency) in seconds, as two arrays of plain doubles: a list of tuples would add
    # one garbage-collected object per reading, and that alone made CPython run a full
    # collection of HA's heap (~0.3 s, the loop stopped) every ~30 s - the tail we measured
    sent_at, latency = array("d"), array("d")

    @callback
    def _changed(event: Event[Any]) -> None:
        new = event.data["new_state"]
        if new is not None and ours(event.data["entity_id"]):
            with contextlib.suppress(ValueError):
                sent = float(new.state)
                sent_at.append(sent)
                latency.append(time.time() - base - sent)

    def writes() -> int:
        return sum(entry.runtime_data.features["reactor"].applied["writes"] for entry in entries)

    unsub = hass.bus.async_listen("state_changed", _changed)
    idle_rate = await _idle_rate()
    start = time.time() + 3.0
    # the steady rate twice: observed (latency, drops), then without the observer (CPU on
    # the floor's terms: the floor's bare writes have no listener either); then the ramp
    stages = [f"{RATE}:{SECONDS}"] * 2 + [f"{rate}:{RAMP_S}" for rate in RAMP]
    publisher = _agent_publisher(
        broker, "--base", str(base), "--start", str(start), "--stages", ",".join(stages)
    )
    communicate = asyncio.get_running_loop().run_in_executor(None, publisher.communicate)
    # CPU over the steady stage (and 1 s for what is still in flight), not over the ramp
    await asyncio.sleep(max(0.0, start - time.time()))
    with _Stalls(base) as stalls, _profiled():
        full = _full_collections()
        start_cpu = time.process_time()
        await asyncio.sleep(SECONDS + 1.0)
        busy_observed = time.process_time() - start_cpu
        full = _full_collections() - full
    unsub()
    # unobserved: from 1 s into the second stage to 1 s before its end
    window = SECONDS - 2.0
    written = writes()
    start_cpu = time.process_time()
    await asyncio.sleep(window)
    busy = time.process_time() - start_cpu
    written = writes() - written
    await asyncio.sleep(max(0.0, start + 2 * SECONDS - time.time()))
    unsub = hass.bus.async_listen("state_changed", _changed)  # the ramp is observed again
    out, _ = await communicate
    await asyncio.sleep(2.0)
    unsub()
    samples = list(zip(sent_at, latency, strict=True))
    summary = json.loads(out)
    bounds = [stage["first"] for stage in summary["stages"][1:]] + [float("inf")]
    steady, _unobserved, *ramp = (
        _stage_figures(stage, until, samples)
        for stage, until in zip(summary["stages"], bounds, strict=True)
    )
    # the peak: the first rate at which p99 passes 1 s or anything drops
    peak = passing = None
    for stage in [steady, *ramp]:
        p99 = stage["latency_ms_p99"]
        if stage["dropped"] or p99 is None or p99 > 1000:
            peak = stage["rate"]
            break
        passing = stage["rate"]
    applied = sum(entry.runtime_data.counters["applied"] for entry in entries)
    gaps = sum(entry.runtime_data.counters["gaps"] for entry in entries)
    return {
        "cpu_us_per_reading_ours": round((busy - idle_rate * window) / max(written, 1) * 1e6, 1),
        "cpu_us_per_reading_ours_observed": round(
            (busy_observed - idle_rate * (SECONDS + 1.0)) / max(steady["received"], 1) * 1e6, 1
        ),
        "ours_sent": steady["sent"],
        "ours_received": steady["received"],
        "ours_unobserved_writes": written,
        "dropped": steady["dropped"],
        "latency_ms_p99": steady["latency_ms_p99"],
        "peak_readings_per_s": peak,  # None: even the last rate of the ramp passed
        "highest_passing_readings_per_s": passing,
        "ramp": ramp,
        "ours_records_applied": applied,
        "ours_gaps": gaps,
        "ours_full_gc_per_min": round(full / (SECONDS + 1.0) * 60, 1),
        "ours_stalls": stalls.figures(samples, bounds[0]),
    }


# --- deadband: report-on-change on drifting values, counted by HA ------------------------------

DEADBAND_BOARDS = 10
DEADBAND_HOURS = 24.0


async def deadband_leg(hass: HomeAssistant, broker: Broker) -> dict[str, Any]:
    """Ten simulated boards' day of report-on-change records (bench/deadband_stream.py)
    through mosquitto into their agent entries; Home Assistant's own state changes of their
    measurement sensors, per reading the boards sampled."""
    from bench.agent_publisher import deadband_id

    await _mqtt_entry(hass, broker)
    entries = await _agent_entries(
        hass, {deadband_id(b): f"Deadband {b:03d}" for b in range(DEADBAND_BOARDS)}
    )
    args = ["--deadband-boards", str(DEADBAND_BOARDS)]
    announcer = _agent_publisher(broker, *args, "--announce")
    await asyncio.get_running_loop().run_in_executor(None, announcer.wait)
    registry = er.async_get(hass)
    prefixes = tuple(f"{deadband_id(board)}_reactor_" for board in range(DEADBAND_BOARDS))

    def measurements() -> set[str]:
        return {
            e.entity_id
            for e in registry.entities.values()
            if e.unique_id.startswith(prefixes)
            and not e.unique_id.endswith("_last_seen")
            and e.domain == "sensor"
        }

    def live() -> bool:
        ids = measurements()
        return len(ids) >= 19 * DEADBAND_BOARDS and all(hass.states.get(i) for i in ids)

    await _wait(
        lambda: live() and all(entry.runtime_data.available for entry in entries),
        300,
        "every deadband board announced and its sensors added",
    )
    watched = measurements()
    writes = 0

    @callback
    def _changed(event: Event[Any]) -> None:
        nonlocal writes
        if event.data["entity_id"] in watched and event.data["old_state"] is not None:
            writes += 1

    unsub = hass.bus.async_listen("state_changed", _changed)
    streamer = _agent_publisher(broker, *args, "--hours", str(DEADBAND_HOURS))
    out, _ = await asyncio.get_running_loop().run_in_executor(None, streamer.communicate)
    summary = json.loads(out)
    last = summary["last_seq"]
    await _wait(
        lambda: all(
            entry.runtime_data.sequencer.applied >= last[entry.unique_id] for entry in entries
        ),
        600,
        "every deadband record applied",
    )
    await hass.async_block_till_done()
    unsub()
    return {
        "writes_per_reading_deadband": round(writes / summary["sampled"], 4),
        "sent_per_reading_deadband": round(summary["sent"] / summary["sampled"], 4),
        "deadband_boards": DEADBAND_BOARDS,
        "deadband_hours": DEADBAND_HOURS,
        "deadband_readings_sampled": summary["sampled"],
        "deadband_readings_sent": summary["sent"],
        "deadband_records": summary["records"],
        "deadband_state_writes": writes,
    }


async def test_legs(hass: HomeAssistant, broker: Broker) -> None:
    production_like(hass)
    results: dict[str, Any] = {"boards": BOARDS, "sensors": TOTAL, "readings_per_s": RATE,
                               "seconds_per_leg": SECONDS}  # fmt: skip
    if "floor" in LEGS:
        results |= await floor_leg(hass)
        results |= await floor_leg(hass, observed=True)
    if "entity_floor" in LEGS:
        results |= await entity_floor_leg(hass)
    if "apply" in LEGS:
        results |= await ours_apply_leg(hass)
    if "baseline" in LEGS:
        results |= await baseline_leg(hass, broker)
    if "ours" in LEGS:
        results |= await ours_leg(hass, broker)
    if "deadband" in LEGS:
        results |= await deadband_leg(hass, broker)
    out = Path(os.environ["BENCH_REACTOR_OUT"])
    await hass.async_add_executor_job(out.write_text, json.dumps(results))
