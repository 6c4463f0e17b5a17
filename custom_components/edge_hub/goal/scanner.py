"""An edge agent's Bluetooth scanner as a remote scanner in HA's Bluetooth stack.

An agent announcing the `ble_scanner` capability forwards the raw advertisements its
adapter hears on `edge_hub/<agent_id>/ble` (docs/protocol.md §1.9). This feature registers a
`BaseHaRemoteScanner` for it and feeds it those adverts, so goal beacons heard by a Pi take
exactly the path of those heard by a local adapter or an ESPHome proxy: the goal sensor's
passive coordinator, counting by goal counter. Adverts are live only (QoS 0, not replayed):
a beacon carries its own goal counter, so a lost or late advert costs nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
import hashlib
import logging
from typing import TYPE_CHECKING, Any

from habluetooth import BaseHaRemoteScanner
from homeassistant.components import bluetooth
from homeassistant.components.bluetooth import MONOTONIC_TIME
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..agent.feature import AgentContext, AgentFeature
from ..const import DOMAIN
from ..edge_hub_core import protocol

if TYPE_CHECKING:
    from homeassistant.components.mqtt import ReceiveMessage

_LOGGER = logging.getLogger(__name__)

# an advert reported late (clock skew, a slow link) is dated at most this far back
_MAX_ADVERT_AGE_S = 30.0


class AgentBleScanner(BaseHaRemoteScanner):
    """The agent's adapter, fed with what the agent forwards (it cannot connect)."""

    def async_feed(self, advert: protocol.Advert, monotonic_time: float) -> None:
        # raw AD bytes: habluetooth reuses the previous parse while they do not change
        self._async_on_raw_advertisement(
            advert.address, advert.rssi, advert.raw, {}, monotonic_time
        )


def scanner_source(capability: Mapping[str, Any], agent_id: str) -> str:
    """The scanner's source: the agent adapter's MAC (upper case, as HA expects), or a
    stable locally administered address derived from the agent id."""
    source = capability.get("source")
    if isinstance(source, str) and len(source.split(":")) == 6:
        return source.upper()
    digest = hashlib.sha256(agent_id.encode()).digest()
    return ":".join(f"{byte:02X}" for byte in (0x02, *digest[:5]))


class BleScannerFeature(AgentFeature):
    """`ble_scanner`: the agent's adverts into HA's Bluetooth stack."""

    def __init__(self, ctx: AgentContext, capability: Mapping[str, Any]) -> None:
        super().__init__(ctx, capability)
        self.source = scanner_source(capability, ctx.agent_id)
        adapter = capability.get("adapter")
        self.scanner = AgentBleScanner(
            self.source, adapter if isinstance(adapter, str) else "agent", None, False
        )
        self.stats: Counter[str] = Counter()
        self._logged: set[str] = set()
        self._cleanups: list[CALLBACK_TYPE] = []
        # no platform to wait for: register and subscribe as soon as the agent entry starts
        self._start = ctx.entry.async_create_background_task(
            ctx.hass, self._async_start(), f"edge_hub ble scanner {ctx.agent_id}"
        )

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """The scanner has no entities of its own (it shows in HA's Bluetooth settings)."""

    async def _async_start(self) -> None:
        from homeassistant.components import mqtt  # noqa: PLC0415

        hass = self.ctx.hass
        self._cleanups.append(self.scanner.async_setup())
        self._cleanups.append(
            bluetooth.async_register_scanner(
                hass,
                self.scanner,
                source_domain=DOMAIN,
                source_model="Edge agent",
                source_config_entry_id=self.ctx.entry.entry_id,
            )
        )
        if not await mqtt.async_wait_for_mqtt_client(hass):
            _LOGGER.warning(
                "MQTT is not available: agent %s's adverts are not received", self.ctx.agent_id
            )
            return
        self._cleanups.append(
            await mqtt.async_subscribe(
                hass,
                protocol.topic(self.ctx.agent_id, protocol.BLE),
                self._received,
                qos=0,
                encoding=None,
            )
        )

    @callback
    def _received(self, message: ReceiveMessage) -> None:
        try:
            adverts = protocol.parse_ble(protocol.decode_payload(message.payload))
        except protocol.ProtocolError as err:
            self.stats[err.reason] += 1
            if err.reason not in self._logged:
                self._logged.add(err.reason)
                _LOGGER.warning(
                    "Agent %s: invalid message on %s dropped (%s: %s); logged once per reason",
                    self.ctx.agent_id,
                    message.topic,
                    err.reason,
                    err,
                )
            return
        now = dt_util.utcnow().timestamp()
        monotonic_now = MONOTONIC_TIME()
        for advert in adverts:
            age = min(max(now - advert.ts, 0.0), _MAX_ADVERT_AGE_S)
            self.scanner.async_feed(advert, monotonic_now - age)
        self.stats["adverts"] += len(adverts)

    async def async_unload(self) -> None:
        if not self._start.done():
            self._start.cancel()
        for cleanup in reversed(self._cleanups):
            cleanup()
        self._cleanups.clear()

    def diagnostics(self) -> dict[str, Any]:
        return {"source": self.source, "stats": dict(self.stats)}


def _factory(ctx: AgentContext, capability: Mapping[str, Any]) -> AgentFeature:
    return BleScannerFeature(ctx, capability)


FEATURE = _factory
