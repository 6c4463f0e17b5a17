"""GATT acknowledgement and time sync of a goal sensor (docs/protocol.md §2.5).

A sensor that wants an ack is connectable for up to 3 s. When HA's Bluetooth stack has a
connectable path to it (a local adapter or an ESPHome proxy with a free slot), HA connects
with bleak-retry-connector, writes the ack (the counted goal counter, its clock, the table's
game mode and the heartbeat period) and disconnects at once. Without a connectable path
nothing is attempted: the sensor simply advertises its full 3 s and goes back to sleep, and
every goal is still counted from its beacons.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
import logging

from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
from bleak_retry_connector import (
    BleakClientWithServiceCache,
    BleakOutOfConnectionSlotsError,
    establish_connection,
)
from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant

from ..edge_hub_core import beacon
from ..models import EdgeHubConfigEntry
from .const import ACK_CONNECT_ATTEMPTS, ACK_WINDOW_S

_LOGGER = logging.getLogger(__name__)

# (goals, packet_id) -> the bytes to write; built at write time so it carries fresh values
BuildAck = Callable[[beacon.GoalBeacon], bytes]
Acked = Callable[[beacon.GoalBeacon], None]


class GoalAcker:
    """Acknowledges one sensor's beacons, one connection at a time."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EdgeHubConfigEntry,
        address: str,
        build: BuildAck,
        on_acked: Acked,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._address = address
        self._build = build
        self._on_acked = on_acked
        self._task: asyncio.Task[None] | None = None
        self._pending: beacon.GoalBeacon | None = None
        self._done: tuple[int, int] | None = None  # (goals, packet_id) already acked
        self._slots_logged = False
        self.stats: Counter[str] = Counter()
        self.last_error: str | None = None

    def request(self, wanted: beacon.GoalBeacon) -> None:
        """The sensor sent `wanted` with wants_ack: ack it if a connectable path exists."""
        if (wanted.goals, wanted.packet_id) == self._done:
            return
        if self._task is not None and not self._task.done():
            self._pending = wanted  # a newer goal while connecting: ack it right after
            return
        device = bluetooth.async_ble_device_from_address(
            self._hass, self._address, connectable=True
        )
        if device is None:
            self.stats["no_connectable_path"] += 1
            return
        self._task = self._entry.async_create_background_task(
            self._hass, self._ack(wanted, device), f"edge_hub goal ack {self._address}"
        )

    async def async_stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                if (current := asyncio.current_task()) is not None and current.cancelling():
                    raise

    async def _ack(self, wanted: beacon.GoalBeacon, device: BLEDevice) -> None:
        self.stats["attempts"] += 1
        try:
            async with asyncio.timeout(ACK_WINDOW_S + 7):
                client = await establish_connection(
                    BleakClientWithServiceCache,
                    device,
                    f"goal sensor {self._address}",
                    max_attempts=ACK_CONNECT_ATTEMPTS,
                    # each retry takes the best connectable path at that moment
                    ble_device_callback=lambda: (
                        bluetooth.async_ble_device_from_address(
                            self._hass, self._address, connectable=True
                        )
                        or device
                    ),
                )
                try:
                    await client.write_gatt_char(
                        beacon.ACK_CHAR_UUID, self._build(wanted), response=True
                    )
                finally:
                    await client.disconnect()
        except BleakOutOfConnectionSlotsError as err:
            # every adapter and proxy in range is busy: the beacon was counted anyway
            self.stats["no_connection_slot"] += 1
            self.last_error = str(err)
            if not self._slots_logged:
                self._slots_logged = True
                _LOGGER.info(
                    "No free Bluetooth connection slot to acknowledge goal sensor %s; its "
                    "goals are still counted, it just advertises longer (logged once)",
                    self._address,
                )
        except (BleakError, TimeoutError, OSError) as err:
            self.stats["failed"] += 1
            self.last_error = f"{type(err).__name__}: {err}"
            _LOGGER.debug("Acknowledging goal sensor %s failed: %s", self._address, err)
        else:
            self.stats["acked"] += 1
            self.last_error = None
            self._done = (wanted.goals, wanted.packet_id)
            self._on_acked(wanted)
        pending, self._pending = self._pending, None
        if pending is not None and (pending.goals, pending.packet_id) != self._done:
            self._task = None
            self.request(pending)

    def diagnostics(self) -> dict[str, object]:
        return {"stats": dict(self.stats), "last_error": self.last_error}
