"""Night sleep and morning recovery, a second client refused, every fault, counters that
never go backwards - against the simulator, through the real pymodbus link."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.edge_hub.inverter.coordinator import InverterCoordinator
from edge_agent.sim.inverter import InverterSimulator, SimClock
from edge_hub_core.modbus_poll import STRIKES

from .inverter_sim import (
    NIGHT,
    NOON,
    entry_for,
    poll,
    running_sim,
    setup_entry,
    short_timeouts,
    state_value,
)

NOISY = ("custom_components.edge_hub", "pymodbus")


def _noise(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors from the integration or pymodbus."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith(NOISY)
    ]


def _infos(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == logging.INFO and text in r.getMessage())


def _available(hass: HomeAssistant, sim: InverterSimulator) -> bool:
    return state_value(hass, sim.serial, "ac_power") != STATE_UNAVAILABLE


@pytest.mark.parametrize("night_mode", ["refuse", "silent"])
async def test_night_sleep_and_morning_recovery(
    hass: HomeAssistant, socket_enabled: None, caplog: pytest.LogCaptureFixture, night_mode: str
) -> None:
    caplog.set_level(logging.INFO)
    async with short_timeouts(), running_sim("huawei", night_mode=night_mode) as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await poll(hass, coordinator)
        assert _available(hass, sim)
        lifetime = state_value(hass, sim.serial, "energy_total")

        sim.clock.set(NIGHT.replace(day=22))
        await sim.settle()
        # let the client notice its connection was dropped (an inverter goes to sleep long
        # before the next poll; a poll in flight at that moment costs pymodbus's own line)
        await asyncio.sleep(0.05)
        # the poll that finds it asleep, and one more that must not log again
        for _ in range(2):
            await poll(hass, coordinator)
        assert not _available(hass, sim)
        assert state_value(hass, sim.serial, "energy_total") == STATE_UNAVAILABLE
        assert _infos(caplog, "is not answering") == 1
        # a silent inverter costs pymodbus's own "no response" line at nightfall, no more
        assert len(_noise(caplog)) == (1 if night_mode == "silent" else 0), _noise(caplog)

        sim.clock.set(NOON.replace(day=22))
        await sim.settle()
        await poll(hass, coordinator)
        assert _available(hass, sim)
        assert _infos(caplog, "is answering again") == 1
        assert float(state_value(hass, sim.serial, "energy_total")) >= float(lifetime)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_backoff_while_asleep(hass: HomeAssistant, socket_enabled: None) -> None:
    async with short_timeouts(), running_sim("huawei", night_mode="refuse") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        sim.sleep(True)
        await sim.settle()
        await asyncio.sleep(0.05)
        pings: list[float] = []
        original = coordinator.link.async_ping

        async def counting_ping(function: int, address: int) -> None:
            pings.append(1)
            await original(function, address)

        coordinator.link.async_ping = counting_ping  # type: ignore[method-assign]
        with patch("custom_components.edge_hub.inverter.coordinator.MAX_BACKOFF", 300.0):
            for _ in range(8):
                coordinator.request_full_poll()
                await coordinator.async_refresh()
        # asleep: one failed poll and its retry ping; the next tries wait (1 s, 2 s, ...)
        assert len(pings) == 1
        assert not coordinator.online
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_sleeping_sunspec_answers_not_implemented(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    async with running_sim("sunspec") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await poll(hass, coordinator)
        lifetime = state_value(hass, sim.serial, "energy_total")
        sim.clock.set(NIGHT.replace(day=22))
        await poll(hass, coordinator)
        # SolarEdge-like night: measurements and scale factors read "not implemented"
        assert state_value(hass, sim.serial, "ac_power") == STATE_UNKNOWN
        assert state_value(hass, sim.serial, "grid_frequency") == STATE_UNKNOWN
        assert state_value(hass, sim.serial, "operating_state") == "sleeping"
        # the lifetime counter keeps its last value, never unknown nor zero
        assert float(state_value(hass, sim.serial, "energy_total")) >= float(lifetime)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_second_client_is_refused(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sungrow") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await poll(hass, coordinator)
        other = AsyncModbusTcpClient(
            "127.0.0.1", port=sim.port, timeout=0.3, retries=0, reconnect_delay=0
        )
        await other.connect()
        try:
            with pytest.raises(ModbusException):
                await other.read_input_registers(5241, count=1, device_id=1)
        finally:
            other.close()
        assert sim.server.refused >= 1
        await poll(hass, coordinator)
        assert _available(hass, sim)
        assert coordinator.link.connects == 1  # HA's connection was never disturbed
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_faults(
    hass: HomeAssistant, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with short_timeouts(), running_sim("huawei") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await poll(hass, coordinator)
        serial = sim.serial

        # one lost answer, one dropped connection: retried on a fresh connection
        for kind in ("timeout", "disconnect"):
            sim.faults.inject(kind)
            await poll(hass, coordinator)
            assert _available(hass, sim), kind
            assert coordinator.online, kind
        assert _infos(caplog, "is not answering") == 0

        # busy once: retried after a pause
        sim.faults.inject("exception", code=0x06)
        await poll(hass, coordinator)
        assert _available(hass, sim)
        assert coordinator.poller.stats.busy_retries == 1

        # busy for good: the poll fails (logged once by the coordinator), then recovers
        sim.faults.inject("exception", code=0x06, count=None)
        await poll(hass, coordinator)
        assert not _available(hass, sim)
        await poll(hass, coordinator)
        sim.faults.clear()
        await poll(hass, coordinator)
        assert _available(hass, sim)

        # one illegal-address answer: the merged request is re-read value by value
        sim.faults.inject("exception", code=0x02)
        before = coordinator.poller.stats.requests
        await poll(hass, coordinator)
        assert coordinator.poller.stats.requests - before > 3
        assert state_value(hass, serial, "ac_power") not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        before = coordinator.poller.stats.requests
        await poll(hass, coordinator)
        assert coordinator.poller.stats.requests - before == 3  # nothing changed for good

        # the battery registers refused for good: those entities unknown, the rest fine
        sim.faults.inject("exception", code=0x02, count=None, addresses=range(37760, 37767))
        for _ in range(STRIKES + 1):
            await poll(hass, coordinator)
        assert state_value(hass, serial, "battery_soc") == STATE_UNKNOWN
        assert state_value(hass, serial, "battery_power") == STATE_UNKNOWN
        assert state_value(hass, serial, "ac_power") not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        assert {"battery_soc", "battery_power"} <= coordinator.poller.unsupported
        sim.faults.clear()

        # garbage registers: decoded, range-checked, counters guarded - nothing breaks
        lifetime = float(state_value(hass, serial, "energy_total"))
        for _ in range(5):
            sim.faults.inject("garbage", count=2)
            await poll(hass, coordinator)
            frequency = state_value(hass, serial, "grid_frequency")
            assert frequency in (STATE_UNKNOWN, STATE_UNAVAILABLE) or 45 <= float(frequency) <= 65
            now = float(state_value(hass, serial, "energy_total"))
            assert now >= lifetime
            lifetime = now
        assert coordinator.online
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_counters_never_decrease_through_days(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    clock = SimClock(NIGHT)
    async with short_timeouts(), running_sim("sungrow", clock=clock) as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        keys = ["energy_total", "battery_charged_total", "battery_discharged_total"]
        last = dict.fromkeys(keys, 0.0)
        today_last = 0.0
        for step in range(60):  # 30 hours in half-hour steps, with some glitches
            clock.advance(1800)
            if step % 7 == 3:
                sim.faults.inject("garbage")
            if step % 11 == 5:
                sim.model.energy_wh = 0.0  # a counter read as zero ...
            await poll(hass, coordinator)
            if step % 11 == 5:
                sim.model.energy_wh = 20_000_000.0  # ... and back
            for key in keys:
                value = float(state_value(hass, sim.serial, key))
                assert value > 0, key
                assert value >= last[key], key
                last[key] = value
            today = float(state_value(hass, sim.serial, "energy_today"))
            # HA's own date does not change during the test: today's energy never drops
            assert today >= today_last
            today_last = today
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_restart_keeps_the_counter_floor(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("huawei") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await poll(hass, coordinator)
        lifetime = float(state_value(hass, sim.serial, "energy_total"))
        sim.model.energy_wh -= 1_000_000  # the inverter now reports 1 MWh less
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
        assert float(state_value(hass, sim.serial, "energy_total")) == lifetime
        await poll(hass, coordinator)
        assert float(state_value(hass, sim.serial, "energy_total")) == lifetime
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_tiers_poll_on_their_own(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sunspec") as sim:
        entry = entry_for(sim, fast_interval=1, medium_interval=3, slow_interval=3)
        coordinator: InverterCoordinator = await setup_entry(hass, entry)
        assert coordinator.update_interval == timedelta(seconds=1)
        polls = coordinator.polls
        # HA's timer drives the polls (tiers are due by the monotonic clock, which the
        # test's time travel does not move: mark them due)
        coordinator.request_full_poll()
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1.5))
        await hass.async_block_till_done(wait_background_tasks=True)
        assert coordinator.polls == polls + 1
        assert _available(hass, sim)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_tier_schedule(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("huawei") as sim:
        entry = entry_for(sim, fast_interval=5, medium_interval=30, slow_interval=60)
        coordinator = await setup_entry(hass, entry)
        for tier in ("fast", "medium", "slow"):
            coordinator._last_read[tier] = 1000.0
        assert coordinator._due(1004.0) == ["fast"]  # half a tick early is on time
        assert coordinator._due(1030.0) == ["fast", "medium"]
        assert coordinator._due(1060.0) == ["fast", "medium", "slow"]
        # every tier due at once is one poll with merged requests
        plans = coordinator.diagnostics()["plans"]
        assert len(plans["all"]) < len(plans["fast"]) + len(plans["medium"]) + len(plans["slow"])
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_setup_retries_while_unreachable(hass: HomeAssistant, socket_enabled: None) -> None:
    async with short_timeouts(), running_sim("huawei", night_mode="refuse") as sim:
        sim.sleep(True)
        await sim.settle()
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state.name == "SETUP_RETRY"
        assert "does not answer" in (entry.reason or "")
        sim.sleep(False)
        await sim.settle()
        assert await hass.config_entries.async_reload(entry.entry_id)
        assert entry.state.name == "LOADED"
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_setup_refuses_another_inverter(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sungrow", serial="OTHER") as sim:
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, unique_id="MINE")
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert "OTHER" in (entry.reason or "")
