"""Shared set-up for the goal-sensor tests: HA's real Bluetooth stack with only the adapter
mocked (phacc's `mock_bluetooth`), goal entries, beacons, and remote scanners to inject from.
"""

from __future__ import annotations

from collections.abc import Callable
import itertools
from typing import Any
from unittest.mock import patch

from habluetooth import BaseHaRemoteScanner
from homeassistant import loader
from homeassistant.components import bluetooth
from homeassistant.components.bluetooth import MONOTONIC_TIME
from homeassistant.const import CONF_ADDRESS
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core import beacon

from .ble import ADDRESS, goal_service_info

KEY_HEX = "231d39c1d7cc1ab1aee224cd096db932"
KEY = bytes.fromhex(KEY_HEX)
ADDRESS_AWAY = "54:48:E6:8F:80:B6"
_counters = itertools.count(1)


async def _only_our_matchers(hass: HomeAssistant) -> list[Any]:
    # other integrations match company id 0xFFFF too (kegtron) and their libraries are not in
    # the test venv; our own matcher (manifest.json) stays, so discovery runs for real
    return [m for m in await loader.async_get_bluetooth(hass) if m["domain"] == DOMAIN]


@pytest.fixture
async def bluetooth_ready(hass: HomeAssistant, mock_bluetooth: None) -> None:
    """HA's Bluetooth integration with a mocked local adapter (hci0, 00:00:00:00:00:01)."""
    entry = MockConfigEntry(domain="bluetooth", unique_id="00:00:00:00:00:01")
    entry.add_to_hass(hass)
    with patch("homeassistant.components.bluetooth.async_get_bluetooth", _only_our_matchers):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def payload(
    goals: int,
    *,
    key: bytes | None = None,
    address: str = ADDRESS,
    since_ds: int = 3,
    flags: int = beacon.FLAG_WANTS_ACK,
    packet_id: int | None = None,
    counter: int | None = None,
    battery_mv: int = 2950,
) -> bytes:
    """A goal beacon's manufacturer payload (what the firmware sends)."""
    value = beacon.GoalBeacon(
        goals=goals,
        since_goal_ds=since_ds,
        battery_mv=battery_mv,
        firmware=(1, 2, 3),
        packet_id=(goals if packet_id is None else packet_id) & 0xFF,
        flags=flags,
        counter=next(_counters) * 10 if counter is None else counter,
    )
    return beacon.encode(value, key=key, address=address)


def raw_advert(manufacturer_payload: bytes) -> bytes:
    """The whole advertisement (flags + manufacturer data), as an agent forwards it."""
    return (
        bytes.fromhex("020106")
        + bytes([len(manufacturer_payload) + 3, 0xFF, 0xFF, 0xFF])
        + manufacturer_payload
    )


def inject(
    hass: HomeAssistant,
    manufacturer_payload: bytes,
    *,
    address: str = ADDRESS,
    source: str = "00:00:00:00:00:01",
    connectable: bool = False,
    rssi: int = -60,
) -> None:
    """One advertisement through HA's Bluetooth manager, as the local adapter reports it."""
    info = goal_service_info(
        manufacturer_payload, address=address, source=source, connectable=connectable, rssi=rssi
    )
    info.time = MONOTONIC_TIME()
    bluetooth.async_get_advertisement_callback(hass)(info)


class FakeProxy(BaseHaRemoteScanner):
    """A remote scanner (an ESPHome proxy or an agent) that the test feeds raw adverts."""

    def send(self, manufacturer_payload: bytes, *, address: str = ADDRESS, rssi: int) -> None:
        self._async_on_raw_advertisement(
            address, rssi, raw_advert(manufacturer_payload), {}, MONOTONIC_TIME()
        )


def add_proxy(hass: HomeAssistant, source: str) -> tuple[FakeProxy, Callable[[], None]]:
    proxy = FakeProxy(source, source, None, False)
    unsetup = proxy.async_setup()
    cancel = bluetooth.async_register_scanner(hass, proxy)

    def _remove() -> None:
        cancel()
        unsetup()

    return proxy, _remove


async def setup_goal_entry(
    hass: HomeAssistant,
    *,
    address: str = ADDRESS,
    key: str | None = None,
    side: str = "home",
    title: str = "Home goal",
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=address,
        data={
            CONF_KIND: EntryKind.GOAL_SENSOR,
            CONF_ADDRESS: address,
            "key": key,
            "side": side,
            "team": "",
        },
        options=options or {},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    from homeassistant.helpers import entity_registry as er

    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity {unique_id}"
    return found
