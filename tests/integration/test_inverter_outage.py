"""A repair issue for an inverter unreachable far longer than a night, cleared when it answers.

Days do not pass in a test: the outage's start is moved back instead (what the tracker
would have recorded that long ago), through the coordinator or the entry's Store.
"""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest

from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.inverter.coordinator import InverterCoordinator
from custom_components.edge_hub.inverter.outage import ISSUE_KEY, issue_id
from edge_agent.sim.inverter import InverterSimulator

from .inverter_sim import entry_for, poll, running_sim, setup_entry, short_timeouts

STRINGS = Path(__file__).parents[2] / "custom_components" / "edge_hub" / "strings.json"


def _issue(hass: HomeAssistant, entry_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id(entry_id))


async def _asleep(sim: InverterSimulator, asleep: bool) -> None:
    sim.sleep(asleep)
    await sim.settle()


async def test_issue_after_days_cleared_when_it_answers(
    hass: HomeAssistant, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    async with short_timeouts(), running_sim("huawei", night_mode="refuse") as sim:
        entry = entry_for(sim)
        coordinator: InverterCoordinator = await setup_entry(hass, entry)
        outage = coordinator.outage
        assert outage is not None
        await _asleep(sim, True)
        await poll(hass, coordinator)
        assert not coordinator.online
        since = outage.tracker.offline_since
        assert since is not None
        assert _issue(hass, entry.entry_id) is None  # a night is no issue

        # the learned night covers now: 25 hours are not enough, 48 are
        now = dt_util.now()
        outage.tracker.night_start = (now - timedelta(hours=2)).time()
        outage.tracker.night_end = (now + timedelta(hours=6)).time()
        outage.tracker.offline_since = since - timedelta(hours=25)
        await poll(hass, coordinator)
        assert _issue(hass, entry.entry_id) is None
        outage.tracker.offline_since = since - timedelta(hours=48)
        await poll(hass, coordinator)
        issue = _issue(hass, entry.entry_id)
        assert issue is not None
        assert issue.translation_key == ISSUE_KEY
        assert issue.severity is ir.IssueSeverity.WARNING
        placeholders = issue.translation_placeholders or {}
        assert placeholders["host"] == "127.0.0.1"
        assert placeholders["port"] == str(sim.port)
        await poll(hass, coordinator)  # raised once, logged once
        assert sum("raising a repair issue" in r.getMessage() for r in caplog.records) == 1

        await _asleep(sim, False)
        await poll(hass, coordinator)
        assert coordinator.online
        assert _issue(hass, entry.entry_id) is None
        assert outage.tracker.offline_since is None

        # its nights end six hours before now: it should have been up long ago, 24 h do
        now = dt_util.now()
        outage.tracker.night_start = (now - timedelta(hours=15)).time()
        outage.tracker.night_end = (now - timedelta(hours=6)).time()
        await _asleep(sim, True)
        await poll(hass, coordinator)
        assert outage.tracker.offline_since is not None
        outage.tracker.offline_since -= timedelta(hours=24, minutes=1)
        await poll(hass, coordinator)
        assert _issue(hass, entry.entry_id) is not None
        # unloading the entry drops its issue (a reload raises it again if still due)
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert _issue(hass, entry.entry_id) is None


async def test_dead_across_a_restart(
    hass: HomeAssistant, socket_enabled: None, hass_storage: dict[str, Any]
) -> None:
    async with short_timeouts(), running_sim("huawei", night_mode="refuse") as sim:
        await _asleep(sim, True)
        entry = entry_for(sim)
        # before the restart, the inverter had not answered for three days
        since = dt_util.now() - timedelta(days=3)
        hass_storage[f"{DOMAIN}.inverter.{entry.entry_id}"] = {
            "version": 1,
            "key": f"{DOMAIN}.inverter.{entry.entry_id}",
            "data": {"offline_since": since.isoformat(), "night_start": None, "night_end": None},
        }
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state.name == "SETUP_RETRY"
        issue = _issue(hass, entry.entry_id)
        assert issue is not None
        assert (issue.translation_placeholders or {})["since"] == dt_util.as_local(since).strftime(
            "%Y-%m-%d %H:%M"
        )

        await _asleep(sim, False)
        assert await hass.config_entries.async_reload(entry.entry_id)
        assert entry.state.name == "LOADED"
        assert _issue(hass, entry.entry_id) is None
        stored = hass_storage[f"{DOMAIN}.inverter.{entry.entry_id}"]["data"]
        assert stored["offline_since"] is None
        assert await hass.config_entries.async_unload(entry.entry_id)


def test_issue_is_translated() -> None:
    issues = json.loads(STRINGS.read_text())["issues"]
    text = issues[ISSUE_KEY]
    for placeholder in ("{name}", "{since}"):
        assert placeholder in text["title"]
    for placeholder in ("{host}", "{port}", "{since}"):
        assert placeholder in text["description"]
