# env: agent
"""The edge agent as a real process: replay speed after an outage, memory, idle CPU.

- replay_readings_per_s: the broker is down while the agent writes REPLAY_N readings to its
  outbox; then the broker comes back and a stand-in for HA (tests/ha_stub.py: applies in
  order, acknowledges like HA) receives them. Readings / (last - first data message).
  Baseline: the same payloads published by a bare paho client (no outbox, nothing read
  from disk) with the same window - the broker and consumer's own ceiling.
- rss_mb_idle / cpu_pct_idle: connected, no feature emitting, over IDLE_S seconds.
  Baseline RSS: a bare interpreter with the agent's libraries imported.
- rss_mb_load / cpu_pct_load: the synthetic feature at 1,000 readings/s, acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import sqlite3
import subprocess
import sys
import tempfile
import time
from typing import Any

from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.sender import WINDOW, build_message
from edge_hub_core import protocol
from tests.broker import Broker, running_broker
from tests.ha_stub import HaStub

TARGETS = {
    "replay_readings_per_s": ">= 5000",
    "rss_mb_idle": "<= 40",
    "rss_mb_load": "<= 40",
    "cpu_pct_idle": "~ 0 (< 0.5)",
}

AGENT_ID = "bench-pi"
REPLAY_N = 30_000
IDLE_S = 20.0  # CPU time comes in 10 ms ticks: 0.05 % resolution
LOAD_RATE = 1000
LOAD_S = 10.0
TICK = os.sysconf("SC_CLK_TCK")


def _config(tmp: Path, broker: Broker, rate: float, count: int = 0) -> Path:
    """A config with its own outbox (a new epoch: each phase starts from seq 1)."""
    path = tmp / f"agent-{rate}-{count}.yaml"
    path.write_text(
        f"agent: {{id: {AGENT_ID}, log_level: warning}}\n"
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}}}\n"
        f"outbox: {{path: {_db(tmp, rate, count)}}}\n"
        f"synthetic: {{rate_hz: {rate}, count: {count}, sensors: 2}}\n"
    )
    return path


def _db(tmp: Path, rate: float, count: int) -> Path:
    return tmp / f"outbox-{rate}-{count}.db"


@contextlib.contextmanager
def _agent(config: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "run", "-c", str(config)])
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _measure(pid: int, seconds: float) -> tuple[float, float]:
    """(CPU %, peak RSS MB) of `pid` over `seconds`."""
    cpu0, wall0, peak = _cpu_s(pid), time.monotonic(), 0.0
    while time.monotonic() - wall0 < seconds:
        peak = max(peak, _rss_mb(pid))
        time.sleep(0.5)
    cpu = (_cpu_s(pid) - cpu0) / (time.monotonic() - wall0) * 100
    return cpu, max(peak, _rss_mb(pid))


def _baseline_rss() -> float:
    code = "import asyncio, sqlite3, yaml, paho.mqtt.client, json, time; time.sleep(3)"
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(2)
        return _rss_mb(process.pid)
    finally:
        process.kill()
        process.wait()


def _idle(tmp: Path, broker: Broker) -> dict[str, float]:
    stub = HaStub(broker.port, AGENT_ID)
    try:
        with _agent(_config(tmp, broker, rate=0)) as agent:
            stub.wait_for(lambda: bool(stub.announces), 20)
            time.sleep(2)  # settle after start-up
            cpu, rss = _measure(agent.pid, IDLE_S)
    finally:
        stub.close()
    return {"cpu_pct_idle": round(cpu, 3), "rss_mb_idle": round(rss, 1)}


def _load(tmp: Path, broker: Broker) -> dict[str, float]:
    stub = HaStub(broker.port, AGENT_ID)
    try:
        with _agent(_config(tmp, broker, rate=LOAD_RATE)) as agent:
            stub.wait_for(lambda: stub.applied > LOAD_RATE, 20)
            start_applied, start = stub.applied, time.monotonic()
            cpu, rss = _measure(agent.pid, LOAD_S)
            rate = (stub.applied - start_applied) / (time.monotonic() - start)
    finally:
        stub.close()
    return {
        "cpu_pct_load": round(cpu, 1),
        "rss_mb_load": round(rss, 1),
        "load_readings_per_s": round(rate),
    }


def _committed(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        try:
            return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _replay(tmp: Path, broker: Broker) -> dict[str, float]:
    broker.stop()
    rate = 20_000
    with _agent(_config(tmp, broker, rate=rate, count=REPLAY_N)):
        deadline = time.monotonic() + 60
        while _committed(_db(tmp, rate, REPLAY_N)) < REPLAY_N:
            if time.monotonic() > deadline:
                raise RuntimeError("the agent did not fill its outbox")
            time.sleep(0.1)
        broker.start()
        back = time.monotonic()
        stub = HaStub(broker.port, AGENT_ID)  # connects: its birth message asks for a replay
        try:
            stub.wait_for(lambda: stub.applied >= REPLAY_N, 120)
            assert stub.first_data_at is not None
            assert stub.last_data_at is not None
            span = stub.last_data_at - stub.first_data_at
            records = [stub.records[0], stub.records[-1]]
            messages = stub.messages
        finally:
            stub.close()
    assert [r.seq for r in records] == [1, REPLAY_N]
    return {
        "replay_readings_per_s": round(REPLAY_N / span),
        "replay_total_s": round(time.monotonic() - back, 2),
        "replay_messages": messages,
    }


def _raw_paho(tmp: Path, broker: Broker) -> float:
    """The same batches, published by a bare paho client with the same window."""
    rows = []
    body = '{"seq":%d,"ts":1795338646.638309,"type":"readings","data":{"readings":[' + (
        '{"sensor":"wave0","value":21.234,"status":"ok"},'
        '{"sensor":"wave1","value":28.1,"status":"ok"}]}}'
    )
    for seq in range(1, REPLAY_N + 1):
        rows.append((body % seq).encode())
    epoch = "0123456789abcdef"
    payloads, batch, size = [], [], 0
    for row in rows:
        if batch and size + len(row) + 1 > protocol.MAX_BATCH_BYTES - 96:
            payloads.append(build_message(epoch, batch))
            batch, size = [], 0
        batch.append(row)
        size += len(row) + 1
    payloads.append(build_message(epoch, batch))
    raw_id = "bench-raw"  # no retained announce of another epoch there
    stub = HaStub(broker.port, raw_id)
    stub.epoch = epoch
    client = Client(CallbackAPIVersion.VERSION2, client_id="raw")
    inflight: list[Any] = []
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        for payload in payloads:
            while len([i for i in inflight if not i.is_published()]) >= WINDOW:
                time.sleep(0.0005)
            inflight.append(client.publish(protocol.topic(raw_id, "data"), payload, qos=1))
        stub.wait_for(lambda: stub.applied >= REPLAY_N, 60)
        assert stub.first_data_at is not None
        assert stub.last_data_at is not None
        return REPLAY_N / (stub.last_data_at - stub.first_data_at)
    finally:
        client.disconnect()
        client.loop_stop()
        stub.close()


def run() -> dict[str, Any]:
    with running_broker() as broker, tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        path = Path(tmp)
        result: dict[str, Any] = {}
        result |= _idle(path, broker)
        result |= _load(path, broker)
        raw = _raw_paho(path, broker)
        result |= _replay(path, broker)
        baseline_rss = _baseline_rss()
    result["baseline"] = {
        "raw_paho_readings_per_s": round(raw),
        "bare_python_rss_mb": round(baseline_rss, 1),
    }
    result["ratios"] = {
        "replay_vs_raw_paho": round(result["replay_readings_per_s"] / raw, 2),
        "rss_idle_vs_bare_python": round(result["rss_mb_idle"] / baseline_rss, 2),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    return result
