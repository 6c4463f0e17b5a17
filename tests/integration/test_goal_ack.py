"""The GATT ack and time sync (docs/protocol.md §2.5), with a mocked bleak client: the
Bluetooth adapter is the hardware edge, everything above it is HA's real stack."""

from __future__ import annotations

from collections.abc import Iterator
import time
from unittest.mock import AsyncMock, MagicMock, patch

from bleak_retry_connector import BleakOutOfConnectionSlotsError
from homeassistant.core import HomeAssistant
import pytest

from custom_components.edge_hub.diagnostics import async_get_config_entry_diagnostics
from custom_components.edge_hub.edge_hub_core import beacon

from .ble import ADDRESS
from .goal_support import (
    KEY,
    KEY_HEX,
    bluetooth_ready,
    entity_id,
    inject,
    payload,
    setup_goal_entry,
)

__all__ = ["bluetooth_ready"]

pytestmark = pytest.mark.usefixtures("bluetooth_ready")
ESTABLISH = "custom_components.edge_hub.goal.ack.establish_connection"


@pytest.fixture
def client() -> Iterator[MagicMock]:
    """The bleak client establish_connection would return (the adapter edge)."""
    mock = MagicMock()
    mock.write_gatt_char = AsyncMock()
    mock.disconnect = AsyncMock()
    with patch(ESTABLISH, AsyncMock(return_value=mock)) as establish:
        mock.establish = establish
        yield mock


def _written(client: MagicMock) -> bytes:
    client.write_gatt_char.assert_awaited_once()
    char, data = client.write_gatt_char.await_args.args
    assert char == beacon.ACK_CHAR_UUID
    assert client.write_gatt_char.await_args.kwargs == {"response": True}
    return bytes(data)


async def test_ack_is_written_when_a_connectable_path_exists(
    hass: HomeAssistant, client: MagicMock
) -> None:
    await setup_goal_entry(hass)
    inject(hass, payload(1), connectable=True)
    await hass.async_block_till_done()
    ack = beacon.decode_ack(_written(client))
    assert ack.acked_goals == 1
    assert abs(ack.unix_time - time.time()) < 5
    assert (ack.game_mode, ack.heartbeat_min) == (0, 30)
    client.disconnect.assert_awaited_once()
    # the same packet heard again is not acked twice
    inject(hass, payload(1, packet_id=1), connectable=True, rssi=-70)
    await hass.async_block_till_done()
    client.write_gatt_char.assert_awaited_once()


async def test_encrypted_ack_carries_an_increasing_counter(
    hass: HomeAssistant, client: MagicMock
) -> None:
    await setup_goal_entry(hass, key=KEY_HEX)
    inject(hass, payload(7, key=KEY, counter=50), connectable=True)
    await hass.async_block_till_done()
    first = beacon.decode_ack(_written(client), key=KEY, address=ADDRESS)
    assert first.acked_goals == 7
    assert first.counter is not None
    assert first.counter >= int(time.time()) - 5
    client.write_gatt_char.reset_mock()
    inject(hass, payload(8, key=KEY, counter=51), connectable=True)
    await hass.async_block_till_done()
    second = beacon.decode_ack(_written(client), key=KEY, address=ADDRESS)
    assert second.counter is not None
    assert second.counter > first.counter


async def test_no_connectable_path_means_no_connection_but_still_counted(
    hass: HomeAssistant, client: MagicMock
) -> None:
    entry = await setup_goal_entry(hass)
    inject(hass, payload(1), connectable=False)
    await hass.async_block_till_done()
    client.establish.assert_not_awaited()
    assert hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-goals")).state == "1"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["runtime"]["ack"]["stats"] == {"no_connectable_path": 1}


async def test_out_of_connection_slots_is_handled(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_goal_entry(hass)
    with patch(ESTABLISH, AsyncMock(side_effect=BleakOutOfConnectionSlotsError("no slot"))):
        inject(hass, payload(1), connectable=True)
        await hass.async_block_till_done()
        inject(hass, payload(2), connectable=True)
        await hass.async_block_till_done()
    assert hass.states.get(entity_id(hass, "sensor", f"{ADDRESS}-goals")).state == "2"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["runtime"]["ack"]["stats"] == {"attempts": 2, "no_connection_slot": 2}
    assert caplog.text.count("No free Bluetooth connection slot") == 1


async def test_heartbeat_option_is_sent_and_then_used_for_availability(
    hass: HomeAssistant, client: MagicMock
) -> None:
    entry = await setup_goal_entry(hass, options={"heartbeat_min": 5})
    runtime = entry.runtime_data
    assert runtime.diagnostics()["availability_window_s"] == 2 * 30 * 60 + 180
    inject(hass, payload(3, flags=beacon.FLAG_HEARTBEAT | beacon.FLAG_WANTS_ACK), connectable=True)
    await hass.async_block_till_done()
    assert beacon.decode_ack(_written(client)).heartbeat_min == 5
    # the sensor now wakes every 5 minutes: unavailable after 2 x 5 minutes + grace
    assert runtime.diagnostics()["availability_window_s"] == 2 * 5 * 60 + 60
