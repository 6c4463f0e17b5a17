"""HA's passive Bluetooth processor coordinator for one goal sensor (as `bthome` does).

Every advertisement HA's Bluetooth stack hands over (local adapters, ESPHome proxies, edge
agents' remote scanners) goes to the runtime's `process`, which counts goals by the beacon's
counter and returns a `GoalSnapshot`; one processor per platform turns it into entity data.
The processors are registered with their entity-description class, so HA restores their
values after a restart even before the sensor's next beacon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger
from typing import TYPE_CHECKING, TypeVar

from homeassistant.components.bluetooth import (
    BluetoothScanningMode,
    BluetoothServiceInfoBleak,
)
from homeassistant.components.bluetooth.passive_update_processor import (
    PassiveBluetoothDataProcessor,
    PassiveBluetoothProcessorCoordinator,
)
from homeassistant.core import HomeAssistant

if TYPE_CHECKING:
    from .runtime import GoalRuntime

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class GoalSnapshot:
    """Everything the goal sensor's entities show (JSON-able values only)."""

    seen: bool = False  # a beacon was ever accepted
    total: int = 0
    game: int = 0
    last_goal_ts: float | None = None
    battery_mv: int | None = None
    battery_low: bool | None = None
    rssi: int | None = None
    firmware: str | None = None


class GoalCoordinator(PassiveBluetoothProcessorCoordinator[GoalSnapshot]):
    """Receives the sensor's advertisements; availability is the runtime's heartbeat rule."""

    def __init__(
        self,
        hass: HomeAssistant,
        logger: Logger,
        address: str,
        update_method: Callable[[BluetoothServiceInfoBleak], GoalSnapshot],
        runtime: GoalRuntime,
    ) -> None:
        # connectable=False: beacons from non-connectable proxies and remote scanners count too
        super().__init__(hass, logger, address, BluetoothScanningMode.PASSIVE, update_method, False)
        self.runtime = runtime

    @property
    def goal_available(self) -> bool:
        """Two missed heartbeats make the sensor unavailable (not the stack's own timeout,
        which a sensor sleeping 30 minutes between heartbeats would always trip)."""
        return self.runtime.available

    def async_push_snapshot(self, snapshot: GoalSnapshot) -> None:
        """Re-send state to every processor (restored state, availability changes)."""
        for processor in self._processors:
            processor.async_handle_update(snapshot)

    def async_availability_changed(self) -> None:
        for processor in self._processors:
            processor.async_handle_unavailable()  # makes every entity re-write its state


class GoalProcessor(PassiveBluetoothDataProcessor[_T, GoalSnapshot]):
    """One platform's processor."""

    coordinator: GoalCoordinator
