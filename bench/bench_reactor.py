# env: ha
"""Reactor sensors at the seed's scale: 100 boards x 45 sensors every 5 s (900 readings/s,
every value changing) into one Home Assistant, against two references measured in the same
run: HA's own MQTT discovery sensors (one topic per sensor: the baseline users would pick)
and the floor, one bare `hass.states.async_set` per reading.

Ours (`cpu_us_per_reading_ours`, `latency_ms_p99`, `dropped`) is the whole path: 100
agents' wire messages (bench/agent_publisher.py: one MQTT client per agent, the agent's own
record encoding and batch framing, QoS 1) through a real mosquitto into 100 agent entries
(the agent runtime: validation, exactly-once sequencing, persisted acks) and their reactor
feature's entities. Each reading's value is its send time, so latency is measured from the
state itself, as in the baseline. That latency observer (a state_changed listener) costs
HA CPU itself, so the 900 readings/s stage runs twice: observed (latency, drops,
`cpu_us_per_reading_ours_observed`, to compare with the baseline, which is observed the same
way) and not (`cpu_us_per_reading_ours`, to compare with the floor's bare writes, which have
no listener either). After the 900 readings/s stages, the same run ramps the rate
(`ramp`: 1,800 to 14,400 readings/s, 10 s each); `peak_readings_per_s` is the first rate
at which p99 passes 1 s or anything drops (null if none did), `highest_passing_readings_per_s`
the last rate before it.

`writes_per_reading_deadband`: ten simulated boards' day of drifting values, sampled at their
sensors' intervals through the agent's report-on-change filter with the board's deadbands
(bench/deadband_stream.py), published through mosquitto into their agent entries; Home
Assistant's own state changes of their measurement sensors per reading sampled.

`cpu_us_per_write_entity_floor`: the same number of writes through plain HA sensor entities
with no edge_hub code - HA's own entity layer, which every integration's entity pays.

CPU: each leg's process CPU minus the rate of an idle window measured just before it.
Environment: BENCH_REACTOR_SECONDS (per leg, default 120), BENCH_REACTOR_BOARDS (100),
BENCH_REACTOR_IDLE_SECONDS (20), BENCH_REACTOR_RAMP_SECONDS (10); for investigations only,
BENCH_REACTOR_PROFILE=PATH (a cProfile of the ours leg, a path under the repo) and
BENCH_REACTOR_LEGS (default floor,entity_floor,baseline,ours,deadband; `apply`: the reactor
feature fed in-process).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import tempfile
from typing import Any

import pytest

TARGETS = {
    "cpu_us_per_reading_ours": "<= 1.5 x cpu_us_per_write_floor",
    "cpu_us_per_reading_ours_observed": "< cpu_us_per_reading_baseline (both with the observer)",
    "peak_readings_per_s": "(the rate at which p99 passes 1 s or anything drops)",
    "cpu_us_per_reading_baseline": "(reference: HA MQTT discovery sensors)",
    "cpu_us_per_write_floor": "(reference: one bare state write)",
    "cpu_us_per_write_floor_observed": "(the floor with the MQTT legs' latency observer)",
    "cpu_us_per_write_entity_floor": "(reference: one write of a plain HA sensor entity)",
    "latency_ms_p99": "< 200",
    "dropped": "0",
    "writes_per_reading_deadband": "<= 0.2",
}


def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "legs.json"
        os.environ["BENCH_REACTOR_OUT"] = str(out)
        code = pytest.main(
            [
                "-q",
                "-p", "no:cacheprovider",
                "-p", "no:logging",
                "--timeout", "7200",
                "-o", "asyncio_default_fixture_loop_scope=function",
                str(Path(__file__).with_name("reactor_legs.py")),
            ]
        )  # fmt: skip
        if code != 0 or not out.exists():
            raise RuntimeError(f"the Home Assistant legs failed (pytest exit {code})")
        results |= json.loads(out.read_text())
    if "cpu_us_per_write_floor" not in results or "cpu_us_per_reading_ours" not in results:
        return results  # BENCH_REACTOR_LEGS chose a part
    floor = results["cpu_us_per_write_floor"]
    ours = results["cpu_us_per_reading_ours"]
    if "cpu_us_per_reading_ours_apply_only" in results:
        results["ratio_apply_only_to_floor"] = round(
            results["cpu_us_per_reading_ours_apply_only"] / floor, 2
        )
    results["ratio_ours_to_floor"] = round(ours / floor, 2)
    results["ratio_ours_observed_to_floor_observed"] = round(
        results["cpu_us_per_reading_ours_observed"] / results["cpu_us_per_write_floor_observed"], 2
    )
    if "cpu_us_per_write_entity_floor" in results:
        entity_floor = results["cpu_us_per_write_entity_floor"]
        results["ratio_entity_floor_to_floor"] = round(entity_floor / floor, 2)
        results["ratio_ours_to_entity_floor"] = round(ours / entity_floor, 2)
    # the baseline is measured with its latency observer: compared with ours observed
    results["ratio_ours_to_baseline"] = round(
        results["cpu_us_per_reading_ours_observed"] / results["cpu_us_per_reading_baseline"], 2
    )
    results["ratio_baseline_to_floor"] = round(results["cpu_us_per_reading_baseline"] / floor, 2)
    return results
