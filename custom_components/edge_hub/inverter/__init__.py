"""The inverter kind of Edge Hub entries: a solar inverter polled over Modbus TCP.

Setting an entry up resolves its register map on the device (SunSpec: walking the model
chain), checks that the device is still the entry's inverter (same serial number), and
starts the tiered polling; HA retries the setup while the inverter does not answer.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from ..edge_hub_core.inverter_profiles import identify, resolve_map
from ..edge_hub_core.modbus_map import preload
from ..edge_hub_core.modbus_poll import BadResponseError, ModbusExceptionError, NoResponseError
from ..edge_hub_core.sunspec import NotSunSpecError
from ..models import EdgeHubConfigEntry, KindModule, KindRuntime
from .const import CONF_PROFILE, CONF_UNIT_ID, REQUEST_TIMEOUT
from .coordinator import InverterCoordinator
from .link import ModbusLink
from .outage import OutageWatch
from .sensor import build_sensors
from .settings import request_gap_s, tier_intervals

# the map files are read here, in HA's import executor, never later in the event loop
preload()


class InverterRuntime(KindRuntime):
    """A loaded inverter entry: its coordinator and link."""

    platforms = (Platform.SENSOR,)

    def __init__(self, coordinator: InverterCoordinator, outage: OutageWatch) -> None:
        self.coordinator = coordinator
        self.outage = outage

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the inverter's sensors."""
        if platform is Platform.SENSOR:
            async_add_entities(build_sensors(self.coordinator))

    async def async_unload(self) -> None:
        """Close the connection (the coordinator stops with the entry), drop the issue (a
        reload raises it again if the inverter still does not answer)."""
        self.coordinator.link.close()
        self.outage.clear()

    def diagnostics(self) -> dict[str, Any]:
        """The coordinator's view of the inverter."""
        return self.coordinator.diagnostics()


class _Kind(KindModule):
    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        data, options = entry.data, entry.options
        profile = data[CONF_PROFILE]
        link = ModbusLink(
            data[CONF_HOST],
            data[CONF_PORT],
            data[CONF_UNIT_ID],
            timeout=REQUEST_TIMEOUT,
            request_gap=request_gap_s(options, profile),
        )
        placeholders = {"host": data[CONF_HOST], "port": str(data[CONF_PORT]), "profile": profile}
        outage = OutageWatch(hass, entry, data[CONF_HOST], data[CONF_PORT])
        await outage.async_load()
        try:
            regmap, chain = await resolve_map(profile, link.async_read)
            identity, static_values = await identify(regmap, link.async_read)
        except NoResponseError as err:
            link.close()
            # HA retries the set-up; an inverter dead for days gets its repair issue here
            await outage.async_offline()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="inverter_unreachable",
                translation_placeholders={**placeholders, "error": str(err)},
            ) from err
        except (NotSunSpecError, ModbusExceptionError, BadResponseError) as err:
            link.close()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="inverter_not_recognised",
                translation_placeholders=placeholders,
            ) from err
        if identity is None or identity.serial != entry.unique_id:
            link.close()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="inverter_wrong_device",
                translation_placeholders={
                    **placeholders,
                    "serial": identity.serial if identity else "?",
                },
            )
        coordinator = InverterCoordinator(
            hass,
            entry,
            link,
            regmap,
            identity,
            intervals=tier_intervals(options),
            static_values=static_values,
            chain=chain,
            outage=outage,
        )
        await outage.async_online()
        await coordinator.async_config_entry_first_refresh()
        return InverterRuntime(coordinator, outage)


KIND: KindModule = _Kind()
