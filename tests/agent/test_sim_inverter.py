"""The inverter simulator over real sockets, read with pymodbus (the agent venv's version)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import os
import socket
import subprocess
import sys
from typing import Any

from pymodbus.client import AsyncModbusTcpClient
import pytest

from edge_agent.sim.inverter import InverterSimulator, SimClock
from edge_hub_core.modbus_decode import decode_block
from edge_hub_core.modbus_frame import (
    encode_frame,
    parse_read_response,
    read_frame,
    read_request_pdu,
)
from edge_hub_core.modbus_map import load_map
from edge_hub_core.modbus_plan import plan_reads

NOON = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
NIGHT = datetime(2026, 6, 21, 2, 0, tzinfo=UTC)


@pytest.fixture
async def huawei() -> AsyncIterator[InverterSimulator]:
    async with InverterSimulator("huawei", clock=SimClock(NOON)) as sim:
        yield sim


async def _client(sim: InverterSimulator, timeout: float = 0.5) -> AsyncModbusTcpClient:
    client = AsyncModbusTcpClient(
        "127.0.0.1", port=sim.port, timeout=timeout, retries=0, reconnect_delay=0
    )
    assert await client.connect()
    return client


async def _read(client: AsyncModbusTcpClient, address: int, count: int) -> Any:
    return await client.read_holding_registers(address, count=count, device_id=1)


@pytest.mark.parametrize("profile", ["huawei", "sungrow"])
async def test_serves_the_map(profile: str) -> None:
    regmap = load_map(profile)
    async with InverterSimulator(profile, clock=SimClock(NOON)) as sim:
        client = await _client(sim)
        try:
            values = {}
            for request in plan_reads(regmap, regmap.tier_keys(["fast", "medium", "slow"])):
                if regmap.function == 3:
                    response = await client.read_holding_registers(
                        request.address, count=request.count, device_id=1
                    )
                else:
                    response = await client.read_input_registers(
                        request.address, count=request.count, device_id=1
                    )
                assert not response.isError()
                points = [regmap.by_key[k] for k in request.keys]
                values.update(decode_block(points, request.address, response.registers))
        finally:
            client.close()
    truth = sim.values()
    by_entity = {(p.entity, p.index): values[p.key] for p in regmap.points if p.key in values}
    assert by_entity[("ac_power", None)] == truth[("ac_power", None)]
    assert by_entity[("grid_frequency", None)] == truth[("grid_frequency", None)]
    assert by_entity[("phase_voltage", "B")] == truth[("phase_voltage", "B")]
    assert by_entity[("operating_state", None)] == "producing"
    assert sim.server.requests == 3


async def test_exceptions(huawei: InverterSimulator) -> None:
    client = await _client(huawei)
    try:
        outside = await client.read_holding_registers(100, count=2, device_id=1)
        assert outside.isError()
        assert outside.exception_code == 0x02
        wrong_function = await client.read_input_registers(32080, count=2, device_id=1)
        assert wrong_function.exception_code == 0x02
        wrong_unit = await client.read_holding_registers(32080, count=2, device_id=7)
        assert wrong_unit.exception_code == 0x0B
    finally:
        client.close()


async def test_raw_framing() -> None:
    async with InverterSimulator("huawei", clock=SimClock(NOON)) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        try:
            # 126 registers (pymodbus refuses to send that): illegal data value
            writer.write(encode_frame(9, 1, read_request_pdu(3, 32000, 126)))
            frame = await read_frame(reader)
            assert (frame.transaction_id, frame.pdu) == (9, bytes((0x83, 0x03)))
            # a write: illegal function
            writer.write(encode_frame(10, 1, bytes.fromhex("06800000ff")))
            assert (await read_frame(reader)).pdu == bytes((0x86, 0x01))
            writer.write(encode_frame(11, 1, read_request_pdu(3, 32085, 1)))
            frame = await read_frame(reader)
            assert parse_read_response(frame.pdu, 3) == [5002]
        finally:
            writer.close()


async def test_second_client_is_refused(huawei: InverterSimulator) -> None:
    first = await _client(huawei)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", huawei.port)
        # the simulator hangs up on the second client after its hand-over grace
        assert await asyncio.wait_for(reader.read(), timeout=2) == b""
        writer.close()
        assert huawei.server.refused == 1
        response = await first.read_holding_registers(32085, count=1, device_id=1)
        assert not response.isError()
    finally:
        first.close()
    # the slot frees when the first client leaves
    await asyncio.sleep(0.05)
    second = await _client(huawei)
    try:
        assert not (await second.read_holding_registers(32085, count=1, device_id=1)).isError()
    finally:
        second.close()


async def test_faults(huawei: InverterSimulator) -> None:
    client = await _client(huawei, timeout=0.3)
    try:
        huawei.faults.inject("exception", code=0x06, count=2)
        for _ in range(2):
            assert (await _read(client, 32085, 1)).exception_code == 6
        assert not (await _read(client, 32085, 1)).isError()

        huawei.faults.inject("exception", code=0x02, count=None, addresses=range(32080, 32082))
        assert (await _read(client, 32085, 1)).registers
        assert (await _read(client, 32080, 2)).exception_code == 2
        assert (await _read(client, 32070, 20)).exception_code == 2
        huawei.faults.clear()

        huawei.faults.inject("garbage", count=1)
        garbage = await client.read_holding_registers(32064, count=30, device_id=1)
        assert len(garbage.registers) == 30

        huawei.faults.inject("timeout", count=1)
        with pytest.raises(Exception, match=r"(?i)no response|retries"):
            await client.read_holding_registers(32085, count=1, device_id=1)
    finally:
        client.close()
    with pytest.raises(ValueError, match="unknown fault"):
        huawei.faults.inject("fire")


async def test_disconnect_fault(huawei: InverterSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", huawei.port)
    huawei.faults.inject("disconnect")
    writer.write(bytes.fromhex("000100000006010375550001"))
    assert await asyncio.wait_for(reader.read(), timeout=2) == b""
    writer.close()


async def test_night_modes() -> None:
    clock = SimClock(NIGHT)
    async with InverterSimulator("huawei", clock=clock, night_mode="sleeping") as sim:
        client = await _client(sim)
        try:
            status = await client.read_holding_registers(32089, count=1, device_id=1)
            assert status.registers == [0xA000]  # "Standby: no irradiation"
        finally:
            client.close()

    async with InverterSimulator("sunspec", clock=SimClock(NIGHT)) as sim:
        client = await _client(sim)
        try:
            w = next(p for p in sim.points() if p.key == "W")
            response = await client.read_holding_registers(w.address, count=2, device_id=1)
            assert response.registers == [0x8000, 0x8000]  # SolarEdge at night
        finally:
            client.close()

    async with InverterSimulator("huawei", clock=SimClock(NIGHT), night_mode="silent") as sim:
        client = await _client(sim, timeout=0.2)
        try:
            with pytest.raises(Exception, match=r"(?i)no response|retries"):
                await client.read_holding_registers(32085, count=1, device_id=1)
        finally:
            client.close()

    async with InverterSimulator("huawei", clock=SimClock(NIGHT), night_mode="refuse") as sim:
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", sim.port)
        sim.clock.set(NOON)  # morning
        await sim.settle()
        client = await _client(sim)
        try:
            assert not (await client.read_holding_registers(32085, count=1, device_id=1)).isError()
        finally:
            client.close()


async def test_counters_never_decrease_over_a_fast_day() -> None:
    clock = SimClock(NIGHT, speed=3600)  # an hour per second
    async with InverterSimulator("sungrow", clock=clock) as sim:
        client = await _client(sim)
        regmap = load_map("sungrow")
        total = regmap.by_key["total_pv_generation"]
        last = 0.0
        seen_day = set()
        try:
            for _ in range(30):
                response = await client.read_input_registers(total.address, count=2, device_id=1)
                value = decode_block([total], total.address, response.registers)[total.key]
                assert isinstance(value, float)
                assert value >= last
                last = value
                seen_day.add(sim.model.asleep())
                clock.advance(3600)
        finally:
            client.close()
        assert seen_day == {True, False}
        assert last > 12345.7


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_cli_serves_until_interrupted() -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edge_agent.cli", "simulate", "inverter", "--profile", "sunspec",
        "--port", str(port), "--serial", "CLI-1", "--start", "12:00",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
        assert "sunspec inverter CLI-1" in line.decode()
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
        assert await client.connect()
        marker = await client.read_holding_registers(40000, count=2, device_id=1)
        client.close()
        assert marker.registers == [0x5375, 0x6E53]
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=10)
    assert proc.returncode == 0


def test_cli_rejects_bad_start() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "simulate", "inverter", "--profile", "huawei",
         "--port", "1", "--start", "noon"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert out.returncode == 2
    assert "HH:MM" in out.stderr


def test_clock() -> None:
    clock = SimClock(NOON, speed=60)
    clock.advance(60)
    assert clock.now() - NOON >= timedelta(seconds=60)
