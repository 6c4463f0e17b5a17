"""Helpers for the inverter tests: a simulator on a loopback port and an entry polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from unittest.mock import patch

from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.inverter.coordinator import InverterCoordinator
from edge_agent.sim.inverter import InverterSimulator, SimClock

NOON = datetime(2026, 6, 21, 12, 0)  # noqa: DTZ001 - the simulator keeps naive local time
NIGHT = datetime(2026, 6, 21, 2, 0)  # noqa: DTZ001
#: every tier due at every poll, no pause between requests
FAST_OPTIONS = {"fast_interval": 1, "medium_interval": 1, "slow_interval": 1, "request_gap": 0}


@asynccontextmanager
async def running_sim(profile: str, **kw: Any) -> AsyncIterator[InverterSimulator]:
    """A started simulator (at noon unless a clock is given)."""
    kw.setdefault("clock", SimClock(NOON))
    sim = InverterSimulator(profile, **kw)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def entry_for(sim: InverterSimulator, **options: Any) -> MockConfigEntry:
    """An inverter entry for `sim` (not yet added)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Sim {sim.profile}",
        unique_id=sim.serial,
        data={
            CONF_KIND: EntryKind.INVERTER,
            CONF_HOST: "127.0.0.1",
            CONF_PORT: sim.port,
            "unit_id": 1,
            "profile": sim.profile,
        },
        options={**FAST_OPTIONS, **options},
    )


@asynccontextmanager
async def short_timeouts() -> AsyncIterator[None]:
    """Waits fit for tests: 0.3 s per answer, no backoff while offline, short busy pauses."""
    with (
        patch("custom_components.edge_hub.inverter.REQUEST_TIMEOUT", 0.3),
        patch("custom_components.edge_hub.inverter.coordinator.MAX_BACKOFF", 0.0),
        patch("custom_components.edge_hub.inverter.coordinator.BUSY_DELAY", 0.02),
    ):
        yield


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> InverterCoordinator:
    """Add and set up `entry`; its coordinator."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: InverterCoordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
    return coordinator


async def poll(hass: HomeAssistant, coordinator: InverterCoordinator) -> None:
    """One poll of every tier, entities updated."""
    coordinator.request_full_poll()
    await coordinator.async_refresh()
    await hass.async_block_till_done()


def entity_id(hass: HomeAssistant, serial: str, key: str, index: str | None = None) -> str:
    """The entity ID of one of the inverter's sensors."""
    suffix = f"_{index.lower()}" if index else ""
    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{serial}_{key}{suffix}")
    assert found is not None, f"no entity {key}{suffix}"
    return found


def state_value(hass: HomeAssistant, serial: str, key: str, index: str | None = None) -> str:
    """The state string of one of the inverter's sensors."""
    state = hass.states.get(entity_id(hass, serial, key, index))
    assert state is not None
    return state.state
