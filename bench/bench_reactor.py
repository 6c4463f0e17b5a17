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
state itself, as in the baseline. After the 900 readings/s stage, the same run ramps the rate
(`ramp`: 1,800 to 14,400 readings/s, 10 s each); `peak_readings_per_s` is the first rate
at which p99 passes 1 s or anything drops (null if none did), `highest_passing_readings_per_s`
the last rate before it.
The in-process apply-only leg of round 1 runs with BENCH_REACTOR_APPLY_ONLY=1.

`writes_per_reading_deadband` replays the simulated board's drifting values (24 h per board,
10 boards) through the agent's report-on-change filter with the board's deadbands, and
Home Assistant's skipping of unchanged values: state writes per reading sampled.

CPU: each leg's process CPU minus the rate of an idle window measured just before it.
Environment: BENCH_REACTOR_SECONDS (per leg, default 120), BENCH_REACTOR_BOARDS (100),
BENCH_REACTOR_IDLE_SECONDS (20), BENCH_REACTOR_RAMP_SECONDS (10).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import tempfile
from typing import Any

import pytest

TARGETS = {
    "cpu_us_per_reading_ours": "<= 1.5 x cpu_us_per_write_floor and < cpu_us_per_reading_baseline",
    "peak_readings_per_s": "(the rate at which p99 passes 1 s or anything drops)",
    "cpu_us_per_reading_baseline": "(reference: HA MQTT discovery sensors)",
    "cpu_us_per_write_floor": "(reference: one bare state write)",
    "cpu_us_per_write_floor_observed": "(the floor with the MQTT legs' latency observer)",
    "latency_ms_p99": "< 200",
    "dropped": "0",
    "writes_per_reading_deadband": "<= 0.2",
}


def writes_per_reading_deadband(boards: int = 10, hours: float = 24.0) -> dict[str, Any]:
    """Sampled readings -> readings sent (agent filter) -> state writes (changed values)."""
    from edge_agent.features.reactor.config import parse
    from edge_agent.features.reactor.report import ChangeFilter
    from edge_agent.sim.reactor_board import board_config, build_board

    config = parse(board_config())
    sampled = sent = writes = 0
    for seed in range(boards):
        board = build_board(seed=seed)
        bus = board.bus.devices
        signals = _board_signals(bus, board.onewire)
        for sensor in config.sensors:
            for m in sensor.measurements:
                signal = signals[m.id]
                change = ChangeFilter(m.report)
                shown: float | None = None
                t = 0.0
                while t < hours * 3600:
                    value = round(signal(t), (m.precision or 0) + 2)
                    sampled += 1
                    if change.offer("ok", value, None, t):
                        sent += 1
                        if value != shown:
                            writes += 1
                            shown = value
                    t += sensor.interval
    return {
        "writes_per_reading_deadband": round(writes / sampled, 4),
        "sent_per_reading_deadband": round(sent / sampled, 4),
    }


def _board_signals(bus: dict[int, Any], onewire: Any) -> dict[str, Any]:
    from edge_agent.drivers.ads1115 import Linear
    from edge_agent.sim.reactor_board import DS18B20_ID

    ezo = {address: bus[address].signals for address in (0x61, 0x62, 0x63, 0x64, 0x66)}
    pressure = Linear.through((0.5, 0.0), (4.5, 2.0))
    level = Linear.through((0.0, 0.0), (2.0, 100.0))
    jacket = onewire[DS18B20_ID].temperature
    return {
        "ph": ezo[0x63]["PH"],
        "do_dissolved_oxygen": ezo[0x61]["MG"],
        "do_saturation": ezo[0x61]["%"],
        "orp": ezo[0x62]["OR"],
        "ec_conductivity": ezo[0x64]["EC"],
        "ec_tds": ezo[0x64]["TDS"],
        "ec_salinity": ezo[0x64]["S"],
        "ec_specific_gravity": ezo[0x64]["SG"],
        "liquid_temperature": ezo[0x66]["RTD"],
        "air_temperature": bus[0x76].temperature,
        "air_humidity": bus[0x76].humidity,
        "air_pressure": bus[0x76].pressure_hpa,
        "enclosure_temperature": bus[0x44].temperature,
        "enclosure_humidity": bus[0x44].humidity,
        "cabinet_temperature": bus[0x45].temperature,
        "cabinet_humidity": bus[0x45].humidity,
        "vessel_pressure": lambda t: pressure(bus[0x48].volts[0](t)),
        "level": lambda t: level(bus[0x48].volts[1](t)),
        # a DS18B20 reports 1/16 °C steps
        "jacket_temperature": lambda t: round(jacket(t) * 16) / 16,
    }


def run() -> dict[str, Any]:
    results: dict[str, Any] = writes_per_reading_deadband()
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
    floor = results["cpu_us_per_write_floor"]
    if "cpu_us_per_reading_ours_apply_only" in results:
        results["ratio_apply_only_to_floor"] = round(
            results["cpu_us_per_reading_ours_apply_only"] / floor, 2
        )
    results["ratio_ours_to_floor"] = round(results["cpu_us_per_reading_ours"] / floor, 2)
    results["ratio_ours_to_floor_observed"] = round(
        results["cpu_us_per_reading_ours"] / results["cpu_us_per_write_floor_observed"], 2
    )
    results["ratio_ours_to_baseline"] = round(
        results["cpu_us_per_reading_ours"] / results["cpu_us_per_reading_baseline"], 2
    )
    results["ratio_baseline_to_floor"] = round(results["cpu_us_per_reading_baseline"] / floor, 2)
    return results
