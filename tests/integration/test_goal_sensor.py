"""Goal sensors through HA's real Bluetooth stack (only the adapter is mocked): counting
exactly once, gaps, resets, security, availability and restore after a restart."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.edge_hub.const import DOMAIN
from custom_components.edge_hub.diagnostics import async_get_config_entry_diagnostics
from custom_components.edge_hub.edge_hub_core import beacon
from tests.vectors import load

from .ble import ADDRESS
from .goal_support import (
    KEY,
    KEY_HEX,
    add_proxy,
    bluetooth_ready,
    entity_id,
    inject,
    payload,
    setup_goal_entry,
)

__all__ = ["bluetooth_ready"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.usefixtures("bluetooth_ready")
VECTORS = load("beacons")


def _goals(hass: HomeAssistant) -> str:
    return hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-goals")).state


async def test_one_goal(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass)
    # the first vector: goal 1, plain, wants an ack, 0.3 s after the goal
    inject(hass, bytes.fromhex(VECTORS["valid"][0]["payload_hex"]))
    await hass.async_block_till_done()
    assert _goals(hass) == "1"
    assert hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-score")).state == "1"
    last_goal = hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-last_goal"))
    assert last_goal.state not in ("unknown", STATE_UNAVAILABLE)
    event = hass.states.get(entity_id(hass, "event", f"{ADDRESS}-goal_event"))
    assert event.attributes["event_type"] == "goal"
    assert event.attributes["goals"] == 1
    assert event.attributes["total"] == 1
    voltage = hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-battery_voltage"))
    assert float(voltage.state) == pytest.approx(3.012)
    assert hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-firmware")).state == "1.0.0"
    battery = hass.states.get(entity_id(hass, "binary_sensor", f"{ADDRESS}-battery"))
    assert battery.state == "off"


async def test_twenty_repeats_from_three_sources_count_once(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass)
    proxies = [add_proxy(hass, f"AA:BB:CC:00:00:0{n}") for n in (1, 2, 3)]
    event_states: list[str] = []
    goal_event = None
    for goals in (1, 2):
        data = payload(goals)
        for repeat in range(20):
            for n, (proxy, _remove) in enumerate(proxies):
                proxy.send(data, rssi=-50 - 10 * n - repeat % 3)
        await hass.async_block_till_done()
        goal_event = hass.states.get(entity_id(hass, "event", f"{ADDRESS}-goal_event"))
        event_states.append(goal_event.state)
    assert _goals(hass) == "2"
    assert goal_event is not None
    assert goal_event.attributes["goals"] == 1
    assert event_states[0] != event_states[1]  # one event per goal, not per packet
    for _proxy, remove in proxies:
        remove()


async def test_gap_of_three_goals_is_recovered(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass)
    inject(hass, payload(1))
    await hass.async_block_till_done()
    # goals 2, 3 and 4 were scored out of range; the next beacon says 5
    inject(hass, payload(5, since_ds=20))
    await hass.async_block_till_done()
    assert _goals(hass) == "5"
    event = hass.states.get(entity_id(hass, "event", f"{ADDRESS}-goal_event"))
    assert event.attributes["goals"] == 4
    assert event.attributes["total"] == 5


async def test_device_counter_reset_takes_a_new_baseline(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass)
    inject(hass, payload(10))
    inject(hass, payload(1))  # batteries out, counter lost: nothing added
    inject(hass, payload(2))
    await hass.async_block_till_done()
    assert _goals(hass) == "11"


async def test_spoofed_and_replayed_beacons_are_rejected(hass: HomeAssistant) -> None:
    entry = await setup_goal_entry(hass, key=KEY_HEX)
    inject(hass, payload(1, key=KEY, counter=500))
    await hass.async_block_till_done()
    assert _goals(hass) == "1"
    # forged with the wrong key, replayed with an old counter, downgraded to plain
    inject(hass, payload(9, key=bytes(16), counter=501))
    inject(hass, payload(9, key=KEY, counter=400))
    inject(hass, payload(9))
    await hass.async_block_till_done()
    assert _goals(hass) == "1"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["runtime"]["rejected"] == {"mic_failed": 1, "replayed": 1, "downgrade": 1}
    issue_id = f"goal_encryption_removed_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    # encrypted beacons again: counted, and the repair issue clears
    inject(hass, payload(2, key=KEY, counter=502))
    await hass.async_block_till_done()
    assert _goals(hass) == "2"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_heartbeat_timeout_makes_it_unavailable(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # the default 30-minute heartbeat: unavailable after 2 x 30 min + 10 % grace
    await setup_goal_entry(hass)
    inject(hass, payload(3, flags=beacon.FLAG_HEARTBEAT, since_ds=0xFFFF))
    await hass.async_block_till_done()
    goals = entity_id(hass, "sensor", f"{ADDRESS}-goals")
    event = entity_id(hass, "event", f"{ADDRESS}-goal_event")
    assert hass.states.get(goals).state == "3"
    # one missed heartbeat: still available
    freezer.tick(timedelta(minutes=40))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(goals).state == "3"
    # two missed heartbeats (and the grace): unavailable
    freezer.tick(timedelta(minutes=24))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(goals).state == STATE_UNAVAILABLE
    assert hass.states.get(event).state == STATE_UNAVAILABLE
    # the next heartbeat brings it back, without a goal
    inject(hass, payload(3, flags=beacon.FLAG_HEARTBEAT, since_ds=0xFFFF, packet_id=9))
    await hass.async_block_till_done()
    assert hass.states.get(goals).state == "3"
    assert hass.states.get(event).state != STATE_UNAVAILABLE


async def test_count_survives_a_restart(hass: HomeAssistant) -> None:
    entry = await setup_goal_entry(hass, key=KEY_HEX)
    inject(hass, payload(4, key=KEY, counter=700))
    await hass.async_block_till_done()
    assert _goals(hass) == "4"
    # unload and set up again (what a restart does, with the store on disk)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _goals(hass) == "4"  # restored before any new beacon
    # the last packet heard again is a repeat, an older one a replay, the next one counts
    inject(hass, payload(4, key=KEY, counter=700, packet_id=4))
    inject(hass, payload(5, key=KEY, counter=701))
    await hass.async_block_till_done()
    assert _goals(hass) == "5"


async def test_reset_score_button(hass: HomeAssistant) -> None:
    await setup_goal_entry(hass)
    inject(hass, payload(2))
    inject(hass, payload(3))
    await hass.async_block_till_done()
    score = entity_id(hass, "sensor", f"{ADDRESS}-score")
    assert hass.states.get(score).state == "2"
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": entity_id(hass, "button", f"{ADDRESS}-reset_score")},
        blocking=True,
    )
    assert hass.states.get(score).state == "0"
    assert _goals(hass) == "3"


async def test_garbage_never_crashes_or_counts(hass: HomeAssistant) -> None:
    entry = await setup_goal_entry(hass)
    inject(hass, payload(1))
    for bad in (b"EH", b"EH\x10" + bytes(20), b"EH\x20" + bytes(12), b"XX" + bytes(13)):
        inject(hass, bad)
    await hass.async_block_till_done()
    assert _goals(hass) == "1"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["runtime"]["rejected"] == {
        "too_short": 1,
        "bad_length": 1,
        "unknown_version": 1,
    }
