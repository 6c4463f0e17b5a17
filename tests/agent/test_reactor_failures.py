"""Each simulated failure gives the status a real one would: offline (no answer) or error
(nonsense), with the error text and the last time the sensor answered; and recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from edge_agent.backends.i2c import I2CPort
from edge_agent.backends.onewire import OneWirePort
from edge_agent.features.reactor.config import ReactorConfig, parse_sensor
from edge_agent.features.reactor.rounds import Readings, RoundCollector
from edge_agent.features.reactor.sampler import SensorRunner
from edge_agent.sim.reactor_board import DS18B20_ID, SimBoard, build_board

SCALE = 0.01  # every datasheet wait 100x shorter


class _Collector(RoundCollector):
    def __init__(self) -> None:
        super().__init__(lambda readings: None, 1.0)


@pytest.fixture
def board() -> SimBoard:
    return build_board(time_scale=SCALE, seed=1)


@pytest.fixture
async def ports(board: SimBoard) -> AsyncIterator[tuple[I2CPort, OneWirePort]]:
    i2c, w1 = I2CPort(board.bus, "i2c-1"), OneWirePort(board.onewire)
    yield i2c, w1
    i2c.close()
    w1.close()


@pytest.fixture
def runner(ports: tuple[I2CPort, OneWirePort]) -> Any:
    i2c, w1 = ports

    def make(section: dict[str, Any]) -> SensorRunner:
        config = parse_sensor(section, "sensor", ReactorConfig(interval=0.05))
        device = (
            w1.device(str(config.address))
            if isinstance(config.address, str)
            else i2c.device(config.address)
        )
        return SensorRunner(
            config,
            config.new_driver(),
            device,
            collector=_Collector(),
            max_backoff=0.4,
            time_scale=SCALE,
        )

    return make


def _statuses(readings: Readings) -> dict[str, tuple[str, Any]]:
    return {r["sensor"]: (r["status"], r.get("error")) for r in readings}


async def test_a_healthy_board_reads_every_driver(runner: Any) -> None:
    sections = [
        {"id": "ph", "driver": "ezo_ph"},
        {"id": "do", "driver": "ezo_do", "outputs": ["mg", "percent"]},
        {"id": "orp", "driver": "ezo_orp"},
        {"id": "ec", "driver": "ezo_ec", "outputs": ["conductivity", "tds"]},
        {"id": "rtd", "driver": "ezo_rtd"},
        {"id": "air", "driver": "bme280"},
        {"id": "sht31", "driver": "sht3x"},
        {"id": "sht40", "driver": "sht4x", "address": 0x45},
        {"id": "adc", "driver": "ads1115", "channel": 0},
        {"id": "jacket", "driver": "ds18b20", "address": DS18B20_ID},
    ]
    ids = set()
    for section in sections:
        r = runner(section)
        readings = await r.sample()
        assert r.status == "ok", (section, r.error)
        assert all(x["status"] == "ok" and isinstance(x["value"], float) for x in readings)
        ids |= {x["sensor"] for x in readings}
    assert {"do_dissolved_oxygen", "do_saturation", "ec_tds", "air_pressure", "jacket"} <= ids


async def test_nack_is_offline_with_last_seen_then_recovers(board: SimBoard, runner: Any) -> None:
    r = runner({"id": "ph", "driver": "ezo_ph"})
    await r.sample()
    seen = r.last_seen
    assert seen is not None
    board.bus[0x63].fault = "nack"
    (reading,) = await r.sample()
    assert reading["status"] == "offline"
    assert reading["value"] is None
    assert reading["error"] == "no answer at 0x63 (NACK)"
    assert reading["last_seen"] == round(seen, 3)
    # a persisting failure is not repeated every round (report on change)
    assert await r.sample() == []
    assert r.failures == 2
    board.bus[0x63].fault = None
    (reading,) = await r.sample()
    assert reading["status"] == "ok"
    assert r.failures == 0


async def test_unplugged_and_replugged_is_set_up_again(board: SimBoard, runner: Any) -> None:
    r = runner({"id": "ec", "driver": "ezo_ec", "outputs": ["conductivity", "tds"]})
    assert _statuses(await r.sample())["ec_tds"] == ("ok", None)
    ezo = board.bus[0x64]
    ezo.unplug()
    assert _statuses(await r.sample()) == {
        "ec_conductivity": ("offline", "no answer at 0x64 (NACK)"),
        "ec_tds": ("offline", "no answer at 0x64 (NACK)"),
    }
    ezo.plug()  # a replugged EZO forgot its settings: TDS output is off again
    assert ezo.outputs == {"EC"}  # type: ignore[attr-defined]
    assert _statuses(await r.sample())["ec_tds"] == ("ok", None)
    assert "O,TDS,1" in ezo.commands  # type: ignore[attr-defined]


async def test_stuck_bus_is_offline_for_every_i2c_sensor_not_1wire(
    board: SimBoard, runner: Any
) -> None:
    air = runner({"id": "air", "driver": "bme280"})
    jacket = runner({"id": "jacket", "driver": "ds18b20", "address": DS18B20_ID})
    await air.sample()
    board.bus.stuck = True
    board.bus.stuck_timeout_s = 1.0
    readings = await air.sample()
    assert {r["status"] for r in readings} == {"offline"}
    assert "SDA stuck low" in readings[0]["error"]
    assert _statuses(await jacket.sample()) == {"jacket": ("ok", None)}
    board.bus.stuck = False
    assert {r["status"] for r in await air.sample()} == {"ok"}


async def test_crc_error_is_an_error_not_offline(board: SimBoard, runner: Any) -> None:
    sht = runner({"id": "sht", "driver": "sht3x"})
    await sht.sample()
    board.bus[0x44].fault = "crc"
    assert _statuses(await sht.sample()) == {
        "sht_temperature": ("error", "CRC mismatch"),
        "sht_humidity": ("error", "CRC mismatch"),
    }
    board.bus[0x44].fault = None
    assert {r["status"] for r in await sht.sample()} == {"ok"}


async def test_corrupted_ezo_and_1wire_answers_are_errors(board: SimBoard, runner: Any) -> None:
    ph = runner({"id": "ph", "driver": "ezo_ph"})
    jacket = runner({"id": "jacket", "driver": "ds18b20", "address": DS18B20_ID})
    await ph.sample()
    board.bus[0x63].fault = "crc"
    assert _statuses(await ph.sample())["ph"][0] == "error"
    board.onewire[DS18B20_ID].fault = "crc"
    assert _statuses(await jacket.sample()) == {
        "jacket": ("error", "CRC error reported by the kernel")
    }
    board.onewire[DS18B20_ID].fault = "power_on"
    assert (
        _statuses(await jacket.sample())["jacket"][1] == "power-on value 85 °C: no conversion ran"
    )
    board.onewire[DS18B20_ID].unplug()
    status, error = _statuses(await jacket.sample())["jacket"]
    assert status == "offline"
    assert DS18B20_ID in error


async def test_slow_ezo_within_its_time_is_fine_beyond_it_offline(
    board: SimBoard, runner: Any
) -> None:
    ph = runner({"id": "ph", "driver": "ezo_ph"})
    await ph.sample()
    board.bus[0x63].slow_s = 0.5  # answers "still processing" 0.5 s longer: polled, fine
    assert _statuses(await ph.sample())["ph"][0] == "ok"
    board.bus[0x63].slow_s = 100.0
    status, error = _statuses(await ph.sample())["ph"]
    assert status == "error"
    assert "still processing" in error or "no answer within" in error


async def test_a_wrong_device_at_the_address_is_an_error(runner: Any) -> None:
    r = runner({"id": "ph", "driver": "ezo_ph", "address": 0x64})  # an EZO-EC lives there
    assert _statuses(await r.sample()) == {
        "ph": ("error", "found EZO-EC at 0x64, expected Atlas Scientific EZO-pH")
    }


async def test_backoff_doubles_up_to_its_cap(board: SimBoard, runner: Any) -> None:
    r = runner({"id": "ph", "driver": "ezo_ph"})
    board.bus[0x63].unplug()
    delays = []
    for _ in range(6):
        await r.sample()
        delays.append(r.backoff())
    assert delays == [0.05, 0.1, 0.2, 0.4, 0.4, 0.4]
