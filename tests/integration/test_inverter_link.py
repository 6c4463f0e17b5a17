"""The pymodbus link: one connection, requests one at a time, errors as the poller expects."""

from __future__ import annotations

import asyncio
import logging

from homeassistant.core import HomeAssistant
import pytest

from custom_components.edge_hub.edge_hub_core.modbus_poll import (
    ModbusExceptionError,
    NoResponseError,
)
from custom_components.edge_hub.inverter.link import BACKSTOP_MARGIN_S, ModbusLink

from .inverter_sim import running_sim


async def test_concurrent_reads_share_one_connection(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    async with running_sim("huawei") as sim:
        link = ModbusLink("127.0.0.1", sim.port, 1, timeout=1, request_gap=0.001)
        try:
            results = await asyncio.gather(*(link.async_read(3, 32085, 1) for _ in range(10)))
            assert results == [[5002]] * 10
            assert link.connects == 1
            assert sim.server.refused == 0
            with pytest.raises(ModbusExceptionError) as err:
                await link.async_read(3, 100, 1)
            assert err.value.code == 0x02
        finally:
            link.close()


async def test_timeout_closes_and_reconnects(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sungrow") as sim:
        link = ModbusLink("127.0.0.1", sim.port, 1, timeout=0.2)
        try:
            sim.faults.inject("timeout")
            with pytest.raises(NoResponseError) as err:
                await link.async_read(4, 5241, 1)
            assert err.value.reason == "timeout"
            assert not link.connected  # a late answer cannot be taken for the next one
            assert await link.async_read(4, 5241, 1) == [5002]
            assert link.connects == 2
        finally:
            link.close()
    # the backstop never cuts pymodbus's own timeout short
    assert BACKSTOP_MARGIN_S > 0


async def test_refused_connections_log_nothing(
    hass: HomeAssistant, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pymodbus")
    async with running_sim("huawei", night_mode="refuse") as sim:
        sim.sleep(True)
        await sim.settle()
        link = ModbusLink("127.0.0.1", sim.port, 1, timeout=0.5)
        for _ in range(3):
            with pytest.raises(NoResponseError) as err:
                await link.async_read(3, 32085, 1)
            assert err.value.reason == "cannot_connect"
            with pytest.raises(NoResponseError) as err:
                await link.async_ping(3, 32085)
            assert err.value.reason == "cannot_connect"
        link.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
