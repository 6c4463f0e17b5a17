"""The reactor feature on the simulated board: rounds, independence of sensors, outputs,
calibration and rescanning, through the Feature contract (run/emit/handle_command)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
import time
from typing import Any

import pytest

from edge_agent.feature import CommandError, FeatureContext
from edge_agent.features.reactor import SPEC
from edge_agent.features.reactor.config import ReactorConfig
from edge_agent.features.reactor.feature import ReactorFeature
from edge_agent.features.reactor.hardware import sim_hardware
from edge_agent.sim.i2c_devices import SimBme280
from edge_agent.sim.reactor_board import DS18B20_ID, SimBoard, board_config, build_board
from edge_agent.sim.signals import Fixed
from edge_hub_core import protocol, reactor

SCALE = 0.01


@dataclass
class Agent:
    """What the core would be: it stores every record and counts re-announcements."""

    records: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    announced: int = 0

    def context(self) -> FeatureContext:
        def emit(kind: str, data: Any) -> int:
            # what the outbox stores is JSON: the record must serialise and validate
            data = json.loads(json.dumps(data))
            protocol.RECORD_VALIDATORS[kind](data)
            self.records.append((time.time(), kind, data))
            return len(self.records)

        def reannounce() -> None:
            self.announced += 1

        return FeatureContext("reactor-1", emit, lambda leaf, payload: None, reannounce)

    def readings(self) -> list[dict[str, Any]]:
        return [r for _, kind, data in self.records if kind == "readings" for r in data["readings"]]

    def of(self, sensor: str) -> list[dict[str, Any]]:
        return [r for r in self.readings() if r["sensor"] == sensor]

    def outputs(self) -> list[dict[str, Any]]:
        return [data for _, kind, data in self.records if kind == "output"]


Runner = Callable[..., Any]


@pytest.fixture
async def running() -> AsyncIterator[Runner]:
    started: list[tuple[ReactorFeature, asyncio.Task[None]]] = []

    async def start(
        section: dict[str, Any], board: SimBoard | None = None
    ) -> tuple[ReactorFeature, Agent, SimBoard]:
        config = SPEC.parse(section, "reactor")
        assert isinstance(config, ReactorConfig)
        board = board or build_board(time_scale=SCALE, seed=2)
        feature = ReactorFeature(config, sim_hardware(board, config.bus))
        agent = Agent()
        task = asyncio.create_task(feature.run(agent.context()))
        started.append((feature, task))
        await _until(lambda: len(feature.runners) >= len(config.sensors))
        return feature, agent, board

    yield start
    for feature, task in started:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await feature.close()


async def _until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_one_round_is_one_readings_record_of_the_whole_board(running: Runner) -> None:
    section = board_config(SCALE, interval=0.2, round_timeout=0.15)
    feature, agent, board = await running(section)
    ids = {s["id"] for s in feature.capability()["sensors"]}
    assert len(ids) == 19
    await _until(lambda: any(kind == "readings" for _, kind, _ in agent.records))
    first = next(data for _, kind, data in agent.records if kind == "readings")
    assert {r["sensor"] for r in first["readings"]} == ids
    assert all(r["status"] == "ok" for r in first["readings"])
    assert board.bus.overlaps == 0  # transactions were serialised


async def test_capability_describes_measurements_and_outputs(running: Runner) -> None:
    feature, _, _ = await running(board_config(SCALE, interval=10))
    cap, problems = reactor.parse_capability(feature.capability())
    assert problems == []
    by_id = {s.id: s for s in cap.sensors}
    assert by_id["ph"].device_class == "ph"
    assert by_id["ph"].calibration == ("mid", "low", "high", "clear")
    assert by_id["air_temperature"].device == "air"
    assert by_id["air_temperature"].name == "Air temperature"
    assert by_id["air_pressure"].unit == "hPa"
    assert by_id["ec_conductivity"].unit == "\u03bcS/cm"  # HA's spelling (Greek mu)
    assert by_id["air_temperature"].device_name == "Air"
    assert by_id["ec_tds"].device_name == "Atlas Scientific EZO-EC 0x64"
    assert by_id["vessel_pressure"].unit == "bar"
    assert by_id["jacket_temperature"].address == DS18B20_ID
    assert {o.id: o.kind for o in cap.outputs} == {
        "heater": "switch",
        "stirrer": "pwm",
        "temperature_setpoint": "setpoint",
    }


async def test_a_slow_ezo_never_holds_up_a_fast_sensor(running: Runner) -> None:
    # at a tenth of real time an EZO-pH read still takes 90 ms, a fast SHT31 samples every 20
    board = build_board(time_scale=0.1, seed=3)
    section = {
        "backend": "sim",
        "round_timeout": 0.03,
        "sensors": [
            {"id": "ph", "driver": "ezo_ph", "interval": 0.1},
            {"id": "sht", "driver": "sht3x", "interval": 0.02},
        ],
    }
    _, agent, board = await running(section, board)
    await asyncio.sleep(0.6)
    sht = [(emitted, r) for emitted, kind, data in agent.records if kind == "readings"
           for r in data["readings"] if r["sensor"] == "sht_temperature"]  # fmt: skip
    assert len(sht) >= 10, len(sht)
    assert len(agent.of("ph")) <= 7
    # each sht reading left within the round timeout (plus scheduling slack), not after the EZO
    assert max(emitted - r["ts"] for emitted, r in sht) < 0.09
    assert board.bus.overlaps == 0


async def test_a_stuck_i2c_bus_does_not_stop_1wire(running: Runner) -> None:
    section = {
        "backend": "sim",
        "round_timeout": 0.05,
        "max_backoff": 5,
        "sensors": [
            {"id": "air", "driver": "bme280", "interval": 0.05},
            {"id": "jacket", "driver": "ds18b20", "address": DS18B20_ID, "interval": 0.05},
        ],
    }
    board = build_board(time_scale=SCALE)
    board.bus.stuck_timeout_s = 20.0  # 0.2 s per transaction at this scale
    feature, agent, _ = await running(section, board)
    await _until(lambda: bool(agent.of("jacket")) and bool(agent.of("air_temperature")))
    board.bus.stuck = True
    await _until(lambda: feature.runners["air"].status == "offline")
    before = feature.runners["jacket"].samples
    await asyncio.sleep(0.3)
    assert feature.runners["jacket"].samples >= before + 3
    assert feature.runners["jacket"].status == "ok"
    board.bus.stuck = False
    await _until(lambda: feature.runners["air"].status == "ok")


async def test_hot_plug_reports_offline_once_then_back(running: Runner) -> None:
    section = {
        "backend": "sim",
        "round_timeout": 0.02,
        "max_backoff": 0.1,
        "sensors": [{"id": "ph", "driver": "ezo_ph", "interval": 0.03}],
    }
    feature, agent, board = await running(section)
    await _until(lambda: feature.runners["ph"].status == "ok")
    board.bus[0x63].unplug()
    await _until(lambda: feature.runners["ph"].failures >= 4)
    offline = [r for r in agent.of("ph") if r["status"] == "offline"]
    assert len(offline) == 1  # reported once, not at every retry
    assert offline[0]["last_seen"] is not None
    board.bus[0x63].plug()
    await _until(lambda: agent.of("ph")[-1]["status"] == "ok")


async def test_deadband_sends_only_real_changes(running: Runner) -> None:
    temperature = Fixed(25.0)
    board = build_board(time_scale=SCALE)
    board.bus.add(SimBme280(0x77, temperature=temperature))
    section = {
        "backend": "sim",
        "round_timeout": 0.02,
        "sensors": [
            {"id": "air", "driver": "bme280", "address": 0x77, "interval": 0.02,
             "measurements": {"temperature": {"deadband": 0.5, "max_interval": 60}}},
        ],
    }  # fmt: skip
    feature, agent, _ = await running(section, board)
    await _until(lambda: feature.runners["air"].samples >= 5)
    assert len(agent.of("air_temperature")) == 1
    temperature.value = 25.3  # within the deadband: not sent
    samples = feature.runners["air"].samples
    await _until(lambda: feature.runners["air"].samples >= samples + 3)
    assert len(agent.of("air_temperature")) == 1
    temperature.value = 25.8  # 0.8 from the last *sent* value: sent
    await _until(lambda: len(agent.of("air_temperature")) == 2)
    assert agent.of("air_temperature")[-1]["value"] == pytest.approx(25.8, abs=0.01)
    # humidity has no deadband: every sample goes out
    assert len(agent.of("air_humidity")) >= feature.runners["air"].samples - 1


async def test_set_output_applies_and_reports_the_applied_state(running: Runner) -> None:
    feature, agent, board = await running(board_config(SCALE, interval=10))
    await _until(lambda: len(agent.outputs()) == 3)
    assert agent.outputs() == [
        {"output": "heater", "state": False, "value": None},
        {"output": "stirrer", "state": True, "value": 30.0},
        {"output": "temperature_setpoint", "state": None, "value": 37.0},
    ]
    result = await feature.handle_command("set_output", {"output": "heater", "state": True})
    assert result == {"output": "heater", "state": True, "value": None}
    assert board.switches["heater"].on is True
    assert agent.outputs()[-1] == result
    assert await feature.handle_command("set_output", {"output": "stirrer", "state": False}) == {
        "output": "stirrer",
        "state": False,
        "value": 0.0,
    }
    # "on" restores the last duty
    result = await feature.handle_command("set_output", {"output": "stirrer", "state": True})
    assert result["value"] == 30.0
    assert board.pwms["stirrer"].history == [30.0, 0.0, 30.0]
    result = await feature.handle_command(
        "set_output", {"output": "temperature_setpoint", "value": 36.5}
    )
    assert result == {"output": "temperature_setpoint", "state": None, "value": 36.5}
    # repeating a state emits no record
    count = len(agent.outputs())
    await feature.handle_command("set_output", {"output": "heater", "state": True})
    assert len(agent.outputs()) == count


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"output": "nope", "state": True}, "unknown_output"),
        ({"output": "heater"}, "invalid_args"),
        ({"output": "heater", "state": "on"}, "invalid_args"),
        ({"output": "stirrer", "value": 150}, "invalid_args"),
        ({"output": "temperature_setpoint", "value": 50}, "invalid_args"),
        ({"output": "temperature_setpoint", "state": True}, "invalid_args"),
    ],
)
async def test_set_output_refusals(running: Runner, args: dict[str, Any], code: str) -> None:
    feature, _, _ = await running(board_config(SCALE, interval=10))
    await asyncio.sleep(0.05)
    with pytest.raises(CommandError) as err:
        await feature.handle_command("set_output", args)
    assert err.value.code == code


async def test_a_failing_output_reports_the_failure_not_a_guess(running: Runner) -> None:
    feature, agent, board = await running(board_config(SCALE, interval=10))
    await _until(lambda: len(agent.outputs()) == 3)
    board.switches["heater"].broken = True
    with pytest.raises(CommandError) as err:
        await feature.handle_command("set_output", {"output": "heater", "state": True})
    assert err.value.code == "output_failed"
    assert agent.outputs()[-1]["output"] != "heater" or agent.outputs()[-1]["state"] is False


async def test_setpoints_survive_a_restart_with_a_state_file(
    running: Runner, tmp_path: Path
) -> None:
    section = board_config(SCALE, interval=10, state_file=str(tmp_path / "reactor.json"))
    feature, _, _ = await running(section)
    await asyncio.sleep(0.05)
    await feature.handle_command("set_output", {"output": "temperature_setpoint", "value": 30})
    _, agent, _ = await running(section)
    await _until(lambda: len(agent.outputs()) == 3)
    assert agent.outputs()[2] == {"output": "temperature_setpoint", "state": None, "value": 30.0}


async def test_calibrate_returns_the_device_answer(running: Runner) -> None:
    feature, _, board = await running(board_config(SCALE, interval=0.05))
    await _until(lambda: feature.runners["ph"].status == "ok")
    result = await feature.handle_command(
        "calibrate", {"sensor": "ph", "action": "mid", "value": 7.0}
    )
    assert result == {
        "sensor": "ph",
        "action": "mid",
        "value": 7.0,
        "command": "Cal,mid,7.00",
        "reply": "ok",
        "points": 1,
    }
    result = await feature.handle_command(
        "calibrate", {"sensor": "ph", "action": "low", "value": 4}
    )
    assert result["points"] == 2
    # a measurement id of a multi-value sensor reaches its device
    result = await feature.handle_command("calibrate", {"sensor": "ec_tds", "action": "dry"})
    assert (result["sensor"], result["command"]) == ("ec", "Cal,dry")
    assert "Cal,dry" in board.bus[0x64].commands


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"sensor": "nope", "action": "mid", "value": 7}, "unknown_sensor"),
        ({"sensor": "ph", "action": "sideways"}, "invalid_args"),
        ({"sensor": "ph", "action": "mid"}, "invalid_args"),
        ({"sensor": "ph", "action": "mid", "value": 20}, "invalid_args"),
        ({"sensor": "ph", "action": "dry"}, "unsupported_action"),
        ({"sensor": "air_temperature", "action": "mid", "value": 1}, "not_calibratable"),
    ],
)
async def test_calibrate_refusals(running: Runner, args: dict[str, Any], code: str) -> None:
    feature, _, _ = await running(board_config(SCALE, interval=0.05))
    await _until(lambda: feature.runners["air"].status == "ok")
    await _until(lambda: feature.runners["ph"].status == "ok")
    with pytest.raises(CommandError) as err:
        await feature.handle_command("calibrate", args)
    assert err.value.code == code


async def test_calibrating_an_offline_sensor_is_refused(running: Runner) -> None:
    feature, _, board = await running(board_config(SCALE, interval=0.05))
    await _until(lambda: feature.runners["ph"].status == "ok")
    board.bus[0x63].unplug()
    await _until(lambda: feature.runners["ph"].status == "offline")
    with pytest.raises(CommandError) as err:
        await feature.handle_command("calibrate", {"sensor": "ph", "action": "clear"})
    assert err.value.code == "sensor_offline"


async def test_scan_adds_undeclared_devices_and_reannounces(running: Runner) -> None:
    section = {
        "backend": "sim",
        "scan": True,
        "interval": 0.05,
        "round_timeout": 0.03,
        "rescan_interval": 0,
        "sensors": [{"id": "ph", "driver": "ezo_ph"}],
    }
    feature, agent, board = await running(section)
    await _until(lambda: agent.announced == 1)
    ids = {s["id"] for s in feature.capability()["sensors"]}
    # every supported part except the ADC (whose volts mean nothing without config)
    assert {"ph", "ezo_do_61", "ezo_rtd_66", "bme280_76_temperature", "sht3x_44_humidity",
            "sht4x_45_temperature", "ds18b20_0a1b2c"} <= ids  # fmt: skip
    assert not any(i.startswith("ads1115") for i in ids)
    await _until(lambda: bool(agent.of("bme280_76_pressure")))
    # a part plugged in later is found by the next rescan (the `rescan` command here)
    board.bus.add(SimBme280(0x77))
    result = await feature.handle_command("rescan", {})
    assert result["added"] == ["bme280_77"]
    assert {"bus": "i2c-1", "address": "0x77", "driver": "bme280",
            "description": "Bosch BME280"} in result["found"]  # fmt: skip
    assert agent.announced == 2
    assert (await feature.handle_command("rescan", {}))["added"] == []


async def test_rescan_of_a_stuck_bus_stops_at_once(running: Runner) -> None:
    feature, _, board = await running({"backend": "sim", "sensors": []})
    board.bus.stuck = True
    with pytest.raises(CommandError) as err:
        await feature.handle_command("rescan", {})
    assert err.value.code == "bus_error"
    assert sum(board.bus.transactions.values()) == 1


async def test_unknown_command_is_refused(running: Runner) -> None:
    feature, _, _ = await running(board_config(SCALE, interval=10))
    with pytest.raises(CommandError) as err:
        await feature.handle_command("reboot", {})
    assert err.value.code == "unknown_command"
