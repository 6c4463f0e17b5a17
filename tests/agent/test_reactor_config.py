"""The reactor config section, report on change (pure), and `edge-agent scan`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edge_agent.cli import main
from edge_agent.features.reactor import SPEC
from edge_agent.features.reactor.config import Deadband, Report, parse, parse_deadband
from edge_agent.features.reactor.report import ChangeFilter, Median
from edge_agent.schema import ConfigError
from edge_agent.sim.reactor_board import board_config


def test_the_board_config_parses() -> None:
    config = parse(board_config())
    assert config.backend == "sim"
    assert len(config.sensors) == 11
    ph = config.sensors[0]
    assert (ph.id, ph.driver, ph.address, ph.bus) == ("ph", "ezo_ph", 0x63, 1)
    assert ph.measurements[0].report == Report(Deadband(absolute=0.01), 300.0)
    air = next(s for s in config.sensors if s.id == "air")
    assert [m.id for m in air.measurements] == ["air_temperature", "air_humidity", "air_pressure"]
    assert air.measurements[2].report.deadband == Deadband(absolute=0.2)
    assert air.measurements[0].name == "Air temperature"
    assert SPEC.section == "reactor"


def test_addresses_may_be_hex_strings_and_default_to_the_drivers() -> None:
    config = parse(
        {
            "sensors": [
                {"id": "a", "driver": "ezo_ph", "address": "0x64"},
                {"id": "b", "driver": "ezo_do"},
            ]
        }
    )
    assert [s.address for s in config.sensors] == [0x64, 0x61]


@pytest.mark.parametrize(
    ("section", "path", "message"),
    [
        ({"sensorz": []}, "reactor.sensorz", "unknown key"),
        ({"backend": "gpio"}, "reactor.backend", "must be one of"),
        ({"sensors": [{"id": "Ph", "driver": "ezo_ph"}]}, "reactor.sensors[0].id", "lower-case"),
        ({"sensors": [{"id": "ph", "driver": "ezo_xx"}]}, "reactor.sensors[0].driver", "one of"),
        ({"sensors": [{"id": "ph", "driver": "ezo_ph", "adress": 1}]}, "reactor.sensors[0].adress",
         "unknown key"),
        ({"sensors": [{"id": "ph", "driver": "ezo_ph", "address": 0x80}]},
         "reactor.sensors[0].address", "0x03-0x77"),
        ({"sensors": [{"id": "t", "driver": "ds18b20"}]}, "reactor.sensors[0].address", "required"),
        ({"sensors": [{"id": "t", "driver": "ds18b20", "address": 5}]},
         "reactor.sensors[0].address", "1-Wire"),
        ({"sensors": [{"id": "ph", "driver": "ezo_ph"}, {"id": "ph", "driver": "ezo_do"}]},
         "reactor.sensors[1].id", "already used"),
        ({"sensors": [{"id": "a", "driver": "ezo_ph"}, {"id": "b", "driver": "ezo_ph"}]},
         "reactor.sensors[1].address", "already"),
        ({"sensors": [{"id": "ph", "driver": "ezo_ph", "temperature_from": "nope"}]},
         "reactor.sensors[0].temperature_from", "no measurement"),
        ({"sensors": [{"id": "o", "driver": "ezo_orp", "temperature_from": "o"}]},
         "reactor.sensors[0].temperature_from", "does not use it"),
        ({"sensors": [{"id": "ph", "driver": "ezo_ph", "deadband": "lots"}]},
         "reactor.sensors[0].deadband", "percentage"),
        ({"sensors": [{"id": "a", "driver": "bme280", "measurements": {"co2": {}}}]},
         "reactor.sensors[0].measurements.co2", "unknown measurement"),
        ({"sensors": [{"id": "ec", "driver": "ezo_ec", "outputs": ["ph"]}]},
         "reactor.sensors[0].outputs", "unknown"),
        ({"sensors": [{"id": "v", "driver": "ads1115", "channel": 0, "points": [[1, 0], [1, 5]]}]},
         "reactor.sensors[0].points", "different volts"),
        ({"sensors": [{"id": "v", "driver": "ads1115"}]}, "reactor.sensors[0].channel", "required"),
        ({"outputs": [{"id": "h", "kind": "valve"}]}, "reactor.outputs[0].kind", "one of"),
        ({"outputs": [{"id": "h", "kind": "switch"}]}, "reactor.outputs[0].pin", "required"),
        ({"outputs": [{"id": "s", "kind": "setpoint", "min": 5, "max": 1}]},
         "reactor.outputs[0].max", "above min"),
        ({"outputs": [{"id": "h", "kind": "switch", "pin": 1}, {"id": "h", "kind": "switch",
                                                                  "pin": 2}]},
         "reactor.outputs[1].id", "twice"),
    ],
)  # fmt: skip
def test_config_errors_name_the_key(section: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(section)
    assert err.value.path == path
    assert message in err.value.message


def test_two_adc_channels_may_share_a_chip() -> None:
    config = parse(
        {
            "sensors": [
                {"id": "a", "driver": "ads1115", "channel": 0},
                {"id": "b", "driver": "ads1115", "channel": 1, "points": [[0, 0], [2, 100]],
                 "unit": "%"},
            ]
        }
    )  # fmt: skip
    a, b = (s.measurements[0].measurement for s in config.sensors)
    assert (a.unit, a.device_class, a.kind) == ("V", "voltage", "voltage")
    assert (b.unit, b.device_class, b.kind) == ("%", None, "value")


def test_deadbands() -> None:
    assert parse_deadband(0.05, "x") == Deadband(absolute=0.05)
    assert parse_deadband("2%", "x") == Deadband(relative=0.02)
    assert parse_deadband(0, "x") is None
    assert parse_deadband("0%", "x") is None
    assert Deadband(absolute=0.1).exceeded(7.0, 7.11)
    assert not Deadband(absolute=0.1).exceeded(7.0, 7.1)
    assert Deadband(relative=0.01).exceeded(1000.0, 989.0)
    assert not Deadband(relative=0.01).exceeded(1000.0, 1009.0)


def test_change_filter() -> None:
    f = ChangeFilter(Report(Deadband(absolute=0.1), max_interval=60))
    assert f.offer("ok", 7.0, None, 0.0)  # the first
    assert not f.offer("ok", 7.05, None, 1.0)
    assert not f.offer("ok", 7.1, None, 2.0)  # 0.1 is not more than the deadband
    assert f.offer("ok", 7.11, None, 3.0)  # a creep counts from the last sent value
    assert not f.offer("ok", 7.15, None, 4.0)
    assert f.offer("ok", 7.15, None, 63.0)  # the heartbeat
    assert f.offer("offline", None, "NACK", 64.0)  # a failure always goes out...
    assert not f.offer("offline", None, "NACK", 65.0)  # ...once
    assert f.offer("offline", None, "timeout", 66.0)  # a different failure does
    assert f.offer("offline", None, "timeout", 126.0)  # the heartbeat of a failure
    assert f.offer("ok", 7.15, None, 127.0)  # recovery always goes out
    every = ChangeFilter(Report())
    assert all(every.offer("ok", 1.0, None, t) for t in range(5))
    assert not every.offer("error", None, "CRC", 6) or not every.offer("error", None, "CRC", 7)


def test_median() -> None:
    m = Median(3)
    assert [m.add(v) for v in (1.0, 9.0, 2.0, 3.0, 100.0)] == [1.0, 5.0, 2.0, 3.0, 3.0]
    m.clear()
    assert m.add(4.0) == 4.0


def test_scan_command_lists_the_simulated_board(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--sim"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 10
    assert "i2c-1  0x63             Atlas Scientific EZO-pH (firmware 2.16)  (driver ezo_ph)" in out
    assert any("0x76" in line and "Bosch BME280" in line for line in out)
    assert any("28-0000000a1b2c" in line and "DS18B20" in line for line in out)


def test_scan_command_reads_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump({"reactor": {"backend": "sim", "sim": {"time_scale": 0.01}}}))
    assert main(["scan", "--config", str(path)]) == 0
    assert "0x44" in capsys.readouterr().out
    path.write_text(yaml.safe_dump({"reactor": {"bakend": "sim"}}))
    assert main(["scan", "--config", str(path)]) == 2
    assert "reactor.bakend: unknown key" in capsys.readouterr().err


def test_scan_without_smbus2_says_how_to_get_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--bus", "7"]) == 1
    assert "smbus2" in capsys.readouterr().err
