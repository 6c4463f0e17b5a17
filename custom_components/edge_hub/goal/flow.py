"""Config flow steps for goal sensors (BLE beacons), discovered by HA's Bluetooth stack."""

from __future__ import annotations

from typing import Any

from homeassistant.components import onboarding
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_ADDRESS, CONF_NAME
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.bluetooth import BluetoothServiceInfo

from ..compat import vol
from ..const import CONF_KIND, EntryKind
from ..edge_hub_core import beacon
from ..edge_hub_core.table_game import DEFAULT_GOALS_TO_WIN, GOALS_TO_WIN_RANGE
from .const import (
    CONF_AWAY,
    CONF_GOALS_TO_WIN,
    CONF_HEARTBEAT_MIN,
    CONF_HOME,
    CONF_KEY,
    CONF_SIDE,
    CONF_TEAM,
    DEFAULT_HEARTBEAT_MIN,
    SIDES,
)


def _payload(info: BluetoothServiceInfo) -> bytes | None:
    data = info.manufacturer_data.get(beacon.COMPANY_ID)
    return data if data is not None and beacon.is_goal_beacon(data) else None


def _title(info: BluetoothServiceInfo) -> str:
    return f"Goal sensor {info.address[-5:].replace(':', '')}"


class GoalFlow(ConfigFlow):
    """Steps: bluetooth (discovery) or goal_sensor (menu) → goal_key if encrypted → goal_side."""

    _goal_info: BluetoothServiceInfo | None = None
    _goal_key: str | None = None
    _goal_candidates: dict[str, BluetoothServiceInfo]

    async def async_step_bluetooth(self, discovery_info: BluetoothServiceInfo) -> ConfigFlowResult:
        """A goal beacon was heard."""
        await self.async_set_unique_id(discovery_info.address)
        self._abort_if_unique_id_configured()
        return await self._async_goal_start(discovery_info)

    async def async_step_goal_sensor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the goal sensors HA's Bluetooth stack has heard."""
        if user_input is not None:
            address = user_input[CONF_ADDRESS]
            await self.async_set_unique_id(address, raise_on_progress=False)
            self._abort_if_unique_id_configured()
            return await self._async_goal_start(self._goal_candidates[address])

        # imported here: only goal sensors need the bluetooth component (an after_dependency)
        from homeassistant.components.bluetooth import (  # noqa: PLC0415
            async_discovered_service_info,
        )

        current = self._async_current_ids(include_ignore=False)
        self._goal_candidates = {
            info.address: info
            for info in async_discovered_service_info(self.hass, connectable=False)
            if info.address not in current and _payload(info) is not None
        }
        if not self._goal_candidates:
            return self.async_abort(reason="no_devices_found")
        return self.async_show_form(
            step_id="goal_sensor",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_ADDRESS): vol.In(
                        {a: f"{_title(i)} ({a})" for a, i in self._goal_candidates.items()}
                    )
                }
            ),
        )

    async def _async_goal_start(self, info: BluetoothServiceInfo) -> ConfigFlowResult:
        payload = _payload(info)
        if payload is None:
            return self.async_abort(reason="not_supported")
        self._goal_info = info
        self.context["title_placeholders"] = {"name": _title(info)}
        try:
            beacon.decode(payload)
        except beacon.BeaconError as err:
            if err.reason == "no_key":
                return await self.async_step_goal_key()
            return self.async_abort(reason="not_supported")
        return await self.async_step_goal_side()

    async def async_step_goal_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The sensor encrypts its beacons: ask for its key and check it decrypts."""
        assert self._goal_info is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                key = beacon.parse_key(user_input[CONF_KEY])
            except beacon.BeaconError:
                errors[CONF_KEY] = "invalid_key"
            else:
                payload = _payload(self._goal_info) or b""
                try:
                    beacon.decode(payload, key=key, address=self._goal_info.address)
                except beacon.BeaconError:
                    errors[CONF_KEY] = "decryption_failed"
                else:
                    self._goal_key = key.hex()
                    return await self.async_step_goal_side()
        return self.async_show_form(
            step_id="goal_key",
            data_schema=vol.Schema({vol.Required(CONF_KEY): str}),
            errors=errors,
            description_placeholders=self.context["title_placeholders"],
        )

    async def async_step_goal_side(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which side of the table the sensor counts for, and the team's name."""
        assert self._goal_info is not None
        if user_input is not None or not onboarding.async_is_onboarded(self.hass):
            user_input = user_input or {CONF_SIDE: SIDES[0], CONF_TEAM: ""}
            return self.async_create_entry(
                title=user_input.get(CONF_TEAM) or _title(self._goal_info),
                data={
                    CONF_KIND: EntryKind.GOAL_SENSOR,
                    CONF_ADDRESS: self._goal_info.address,
                    CONF_KEY: self._goal_key,
                    CONF_SIDE: user_input[CONF_SIDE],
                    CONF_TEAM: user_input.get(CONF_TEAM, ""),
                },
            )
        return self.async_show_form(
            step_id="goal_side",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_SIDE, default=SIDES[0]): selector.SelectSelector(
                        selector.SelectSelectorConfig(
                            options=list(SIDES), translation_key=CONF_SIDE
                        )
                    ),
                    vol.Optional(CONF_TEAM, default=""): str,
                }
            ),
            description_placeholders=self.context["title_placeholders"],
        )

    # --- tables: two goal sensors paired into one table ------------------------------------

    async def async_step_table(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pair a home and an away goal sensor into a table (score A-B, first to N)."""
        sensors = {
            entry.data[CONF_ADDRESS]: entry
            for entry in self.hass.config_entries.async_entries(self.handler)
            if entry.data.get(CONF_KIND) == EntryKind.GOAL_SENSOR
        }
        if len(sensors) < 2:
            return self.async_abort(reason="not_enough_goal_sensors")
        errors: dict[str, str] = {}
        if user_input is not None:
            home, away = user_input[CONF_HOME], user_input[CONF_AWAY]
            if home == away:
                errors["base"] = "same_goal_sensor"
            else:
                await self.async_set_unique_id(f"table-{'-'.join(sorted((home, away)))}")
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=user_input[CONF_NAME],
                    data={
                        CONF_KIND: EntryKind.TABLE,
                        CONF_HOME: home,
                        CONF_AWAY: away,
                        CONF_GOALS_TO_WIN: int(user_input[CONF_GOALS_TO_WIN]),
                    },
                )
        # default: the sensors set up for each side
        by_side = {entry.data.get(CONF_SIDE): address for address, entry in sensors.items()}
        addresses = list(sensors)
        options = [
            selector.SelectOptionDict(value=address, label=f"{entry.title} ({address})")
            for address, entry in sensors.items()
        ]
        sensor_selector = selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=options, mode=selector.SelectSelectorMode.DROPDOWN
            )
        )
        low, high = GOALS_TO_WIN_RANGE
        return self.async_show_form(
            step_id="table",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_NAME, default="Table"): str,
                    vol.Required(CONF_HOME, default=by_side.get("home", addresses[0])): (
                        sensor_selector
                    ),
                    vol.Required(CONF_AWAY, default=by_side.get("away", addresses[1])): (
                        sensor_selector
                    ),
                    vol.Required(CONF_GOALS_TO_WIN, default=DEFAULT_GOALS_TO_WIN): (
                        selector.NumberSelector(
                            selector.NumberSelectorConfig(
                                min=low, max=high, step=1, mode=selector.NumberSelectorMode.BOX
                            )
                        )
                    ),
                }
            ),
            errors=errors,
        )


class GoalOptionsFlow(OptionsFlow):
    """A goal sensor's heartbeat period, sent to the sensor with its next ack."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_goal_heartbeat(user_input)

    async def async_step_goal_heartbeat(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        if user_input is not None:
            return self.async_create_entry(
                data={CONF_HEARTBEAT_MIN: int(user_input[CONF_HEARTBEAT_MIN])}
            )
        low, high = beacon.HEARTBEAT_MIN_RANGE
        current = self.config_entry.options.get(CONF_HEARTBEAT_MIN, DEFAULT_HEARTBEAT_MIN)
        return self.async_show_form(
            step_id="goal_heartbeat",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_HEARTBEAT_MIN, default=current): selector.NumberSelector(
                        selector.NumberSelectorConfig(
                            min=low,
                            max=high,
                            step=1,
                            mode=selector.NumberSelectorMode.BOX,
                            unit_of_measurement="min",
                        )
                    )
                }
            ),
        )
