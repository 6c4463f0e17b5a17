# env: ha
"""Requests per poll and poll-cycle time: coalesced reads against one request per value.

For each profile the simulator serves an inverter on a loopback port, and both ways of
polling go through the integration's own link (pymodbus, one connection, the profile's
pause between requests):

* ours: the Poller reads every polled value (a poll where every tier is due) in the
  requests modbus_plan coalesces - scale factors in the same request as their values;
* per register: what Home Assistant's own modbus integration does, one request per mapped
  value (every polled point, and every SunSpec scale factor, which it would need as a
  sensor of its own to scale anything).

The simulated inverters have two PV inputs (Huawei: two PV strings, as register 30071 says;
more strings add values, not requests - 24 strings still take three). Requests are counted
by the simulator, in the same run. Cycle times are medians over several polls, with the
profile's request gap (what a real inverter gets) and without (the bare cost of the round
trips).
"""

from __future__ import annotations

from datetime import datetime
import statistics
import time
from typing import Any

from custom_components.edge_hub.edge_hub_core.inverter_profiles import resolve_map
from custom_components.edge_hub.edge_hub_core.modbus_map import PROFILES, RegisterMap
from custom_components.edge_hub.edge_hub_core.modbus_poll import Poller
from custom_components.edge_hub.inverter.link import ModbusLink
from edge_agent.sim.inverter import InverterSimulator, SimClock

TARGETS = {
    "request_ratio": ">= 10 (requests per poll, per register / ours)",
    "requests_per_poll_ours": "as few as the map allows (<= 125 registers each)",
    "poll_cycle_ms_p50": "lower than poll_cycle_ms_p50_per_register",
}
POLLED = ("fast", "medium", "slow")
NOON = datetime(2026, 6, 21, 12, 0)  # noqa: DTZ001 - the simulator keeps naive local time
POLLS = 30
POLLS_PER_REGISTER_WITH_GAP = 8


def _per_register_reads(regmap: RegisterMap) -> list[tuple[int, int, int]]:
    keys = set(regmap.tier_keys(POLLED))
    keys |= {regmap.by_key[k].scale_ref for k in keys if regmap.by_key[k].scale_ref} - {None}
    points = sorted((regmap.by_key[k] for k in keys if k), key=lambda p: p.address)
    return [(regmap.function, p.address, p.count) for p in points]


async def _ms(polls: int, once: Any) -> float:
    times = []
    for _ in range(polls):
        start = time.perf_counter()
        await once()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


async def _profile(profile: str) -> dict[str, Any]:
    async with InverterSimulator(profile, clock=SimClock(NOON)) as sim:
        link = ModbusLink("127.0.0.1", sim.port, 1)
        try:
            regmap, _chain = await resolve_map(profile, link.async_read)
            gap = regmap.request_gap_ms / 1000
            poller = Poller(regmap, link.async_read)
            keys = regmap.tier_keys(POLLED)
            reads = _per_register_reads(regmap)

            async def ours() -> None:
                await poller.read(keys)

            async def per_register() -> None:
                for function, address, count in reads:
                    await link.async_read(function, address, count)

            before = sim.server.requests
            await ours()
            requests_ours = sim.server.requests - before
            before = sim.server.requests
            await per_register()
            requests_per_register = sim.server.requests - before
            link.request_gap = 0.0
            ours_no_gap = await _ms(POLLS, ours)
            per_register_no_gap = await _ms(POLLS, per_register)
            link.request_gap = gap
            ours_gap = await _ms(POLLS, ours)
            per_register_gap = await _ms(POLLS_PER_REGISTER_WITH_GAP, per_register)
        finally:
            link.close()
    return {
        "values_polled": len(keys),
        # the map's batch limit (Huawei: 64, what huawei-solar-lib uses for the SDongle)
        "max_registers_per_request": regmap.max_registers,
        "pv_inputs": len([p for p in regmap.points if p.entity == "pv_voltage"]),
        "requests_per_poll_ours": requests_ours,
        "requests_per_poll_per_register": requests_per_register,
        "request_ratio": round(requests_per_register / requests_ours, 1),
        "request_gap_ms": regmap.request_gap_ms,
        "poll_cycle_ms_p50": ours_gap,
        "poll_cycle_ms_p50_per_register": per_register_gap,
        "poll_cycle_ms_p50_no_gap": ours_no_gap,
        "poll_cycle_ms_p50_per_register_no_gap": per_register_no_gap,
    }


async def run() -> dict[str, Any]:
    """Figures for every profile."""
    profiles = {profile: await _profile(profile) for profile in PROFILES}
    return {
        "profiles": profiles,
        "min_request_ratio": min(p["request_ratio"] for p in profiles.values()),
    }
