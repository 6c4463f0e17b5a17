"""Building Bluetooth advertisements as HA's Bluetooth stack hands them over."""

from __future__ import annotations

import time

from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from homeassistant.components.bluetooth import BluetoothServiceInfoBleak

from custom_components.edge_hub.edge_hub_core import beacon

ADDRESS = "54:48:E6:8F:80:A5"


def goal_service_info(
    payload: bytes,
    *,
    address: str = ADDRESS,
    rssi: int = -60,
    source: str = "00:00:00:00:00:01",
    connectable: bool = False,
) -> BluetoothServiceInfoBleak:
    """A goal beacon (the manufacturer-data payload after the company id) as HA sees it."""
    manufacturer_data = {beacon.COMPANY_ID: payload}
    return BluetoothServiceInfoBleak(
        name=f"Edge Goal {address[-5:]}",
        address=address,
        rssi=rssi,
        manufacturer_data=manufacturer_data,
        service_data={},
        service_uuids=[],
        source=source,
        device=BLEDevice(address, None, {}),
        advertisement=AdvertisementData(
            local_name=None,
            manufacturer_data=manufacturer_data,
            service_data={},
            service_uuids=[],
            tx_power=None,
            rssi=rssi,
            platform_data=(),
        ),
        connectable=connectable,
        time=time.monotonic(),
        tx_power=None,
    )
