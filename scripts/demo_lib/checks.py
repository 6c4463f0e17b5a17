"""What --check asserts through HA's API (and its log), and the waits setting up relies on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
import time

from . import dashboard
from .common import DemoError
from .ha import HAError, HomeAssistant
from .settings import HOST
from .spec import Family

NOT_LIVE = ("unavailable", "unknown")
# hass always says these; anything else at WARNING or above is worth a look
EXPECTED_WARNINGS = (
    "Skipping pip installation of required modules",
    "We found a custom integration edge_hub which has not been tested",
)


async def wait_entries_loaded(ha: HomeAssistant, domain: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        entries = await ha.entries(domain)
        bad = [f"{e['title']}: {e['state']}" for e in entries if e["state"] != "loaded"]
        if entries and not bad:
            return
        if time.monotonic() > deadline:
            raise DemoError(f"{domain} entries not loaded: {bad or 'none'}")
        await asyncio.sleep(0.5)


async def _mqtt_client_connected(ha: HomeAssistant, entry_id: str) -> bool:
    try:
        diagnostics = await ha.diagnostics(entry_id)
    except HAError as err:
        # HA sets up its diagnostics view a moment after the MQTT entry may be loaded: a 404
        # then means "not yet" (seen once in CI), anything else is a real error
        if "HTTP 404" in str(err):
            return False
        raise
    return bool(diagnostics["data"].get("connected"))


async def wait_mqtt_connected(ha: HomeAssistant, mqtt_port: int, timeout: float) -> None:
    """The MQTT entry is loaded and HA's client is connected to the demo's broker (as its
    diagnostics say)."""
    await wait_entries_loaded(ha, "mqtt", timeout)
    [entry] = await ha.entries("mqtt")
    deadline = time.monotonic() + timeout
    while not await _mqtt_client_connected(ha, entry["entry_id"]):
        if time.monotonic() > deadline:
            raise DemoError(
                f"HA's MQTT client is not connected to {HOST}:{mqtt_port} "
                "(see .demo/logs/hass.log and the broker's log)"
            )
        await asyncio.sleep(0.5)


async def wait_live(ha: HomeAssistant, families: Sequence[Family], timeout: float) -> None:
    """Every family's `live` entities show a state."""
    wanted = [(f.name, e) for f in families for e in f.live]
    deadline = time.monotonic() + timeout
    while True:
        states = await ha.states()
        waiting = [
            f"{fam}: {eid} = {states.get(eid, {}).get('state', 'missing')}"
            for fam, eid in wanted
            if states.get(eid, {}).get("state", "unavailable") in NOT_LIVE
        ]
        if not waiting:
            return
        if time.monotonic() > deadline:
            lines = "\n  ".join(waiting)
            raise DemoError(f"not live after {timeout:.0f} s:\n  {lines}")
        await asyncio.sleep(1)


async def check_dashboard(ha: HomeAssistant, path: Path) -> tuple[int, int]:
    """Every markdown template of the dashboard renders (else DemoError);
    returns (entities the cards name, how many of them exist)."""
    board = dashboard.load(path)
    for name, template in dashboard.templates(board):
        try:
            await ha.render_template(template)
        except HAError as err:
            raise DemoError(f"dashboard card {name!r}: its template fails: {err}") from None
    states = await ha.states()
    named = dashboard.entities(board)
    return len(named), sum(1 for e in named if e in states)


def log_problems(log_file: Path, start: int) -> tuple[list[str], list[str]]:
    """(errors, unexpected warnings) in hass's log from byte `start` (this run) on."""
    try:
        with log_file.open("rb") as log:
            log.seek(start)
            lines = log.read().decode(errors="replace").splitlines()
    except OSError:
        return [], []
    errors = [ln for ln in lines if " ERROR " in ln or " CRITICAL " in ln]
    warnings = [
        ln for ln in lines if " WARNING " in ln and not any(w in ln for w in EXPECTED_WARNINGS)
    ]
    return errors, warnings
