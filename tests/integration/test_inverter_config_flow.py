"""Inverter config, reconfigure and options flows against the simulator."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from edge_agent.sim.inverter import SimClock

from .inverter_sim import NIGHT, entry_for, running_sim, setup_entry

SETUP = "custom_components.edge_hub.async_setup_entry"
FLOW = "custom_components.edge_hub.inverter.flow"


async def _form(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "inverter"}
    )


def _address(port: int, profile: str = "auto") -> dict[str, Any]:
    return {CONF_HOST: "127.0.0.1", CONF_PORT: port, "unit_id": 1, "profile": profile}


@pytest.mark.parametrize(
    ("profile", "title"),
    [
        ("sunspec", "Edge Hub Sim SunSpec 103"),
        ("huawei", "Huawei SUN2000-10KTL-M1"),
        ("sungrow", "Sungrow SH10RT"),
    ],
)
async def test_auto_detects_each_profile(
    hass: HomeAssistant, socket_enabled: None, profile: str, title: str
) -> None:
    async with running_sim(profile, serial=f"SN-{profile}") as sim:
        result = await _form(hass)
        with patch(SETUP, return_value=True):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _address(sim.port)
            )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["data"] == {
        CONF_KIND: EntryKind.INVERTER,
        CONF_HOST: "127.0.0.1",
        CONF_PORT: sim.port,
        "unit_id": 1,
        "profile": profile,
    }
    assert result["result"].unique_id == f"SN-{profile}"


async def test_night_needs_the_profile_picked(hass: HomeAssistant, socket_enabled: None) -> None:
    # a SunSpec inverter asleep answers "not implemented" for the grid frequency
    async with running_sim("sunspec", clock=SimClock(NIGHT)) as sim:
        result = await _form(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _address(sim.port)
        )
        assert result["errors"] == {"base": "unsupported_device"}
        # the wrong type is refused even when picked
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _address(sim.port, "huawei")
        )
        assert result["errors"] == {"base": "unsupported_device"}
        with patch(SETUP, return_value=True):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _address(sim.port, "sunspec")
            )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["profile"] == "sunspec"


async def test_silent_device_times_out(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("huawei", clock=SimClock(NIGHT), night_mode="silent") as sim:
        result = await _form(hass)
        with patch(f"{FLOW}.async_probe.__defaults__", (None, 0.3)):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _address(sim.port)
            )
    assert result["errors"] == {"base": "timeout"}


async def test_same_inverter_new_address_updates_the_entry(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    async with running_sim("huawei") as sim:
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_PORT: 1})
        result = await _form(hass)
        with patch(SETUP, return_value=True):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _address(sim.port)
            )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == sim.port


async def test_reconfigure(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sungrow", serial="SG-1") as first:
        entry = entry_for(first)
        await setup_entry(hass, entry)
    # the same inverter moves to another port; another one answers at a third
    async with (
        running_sim("sungrow", serial="SG-1") as moved,
        running_sim("sungrow", serial="SG-2") as other,
    ):
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "inverter_reconfigure"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _address(1))
        assert result["errors"] == {"base": "cannot_connect"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _address(other.port)
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "unique_id_mismatch"

        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _address(moved.port, "sungrow")
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data[CONF_PORT] == moved.port
        await hass.async_block_till_done()
        assert entry.state is config_entries.ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_same_address_while_connected(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    # the loaded entry holds the simulator's only client slot: the probe must borrow it
    async with running_sim("huawei") as sim:
        entry = entry_for(sim)
        coordinator = await setup_entry(hass, entry)
        await coordinator.async_refresh()
        assert coordinator.link.connected
        result = await entry.start_reconfigure_flow(hass)
        new_address = {**_address(sim.port, "huawei"), "unit_id": 0}
        result = await hass.config_entries.flow.async_configure(result["flow_id"], new_address)
        assert result["reason"] == "reconfigure_successful"
        assert sim.server.refused == 0
        await hass.async_block_till_done()
        assert entry.data["unit_id"] == 0
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_flow(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("huawei") as sim:
        entry = entry_for(sim)
        await setup_entry(hass, entry)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "inverter_polling"
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            {"fast_interval": 10, "medium_interval": 60, "slow_interval": 300, "request_gap": 50},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert entry.options == {
            "fast_interval": 10,
            "medium_interval": 60,
            "slow_interval": 300,
            "request_gap": 50,
        }
        # the entry reloaded with the new settings
        coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
        assert coordinator.intervals == {"fast": 10.0, "medium": 60.0, "slow": 300.0}
        assert coordinator.link.request_gap == 0.05
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_defaults_follow_the_map(hass: HomeAssistant, socket_enabled: None) -> None:
    async with running_sim("sungrow") as sim:
        entry = entry_for(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, options={})
        assert await hass.config_entries.async_setup(entry.entry_id)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        schema = result["data_schema"].schema
        defaults = {str(key): key.default() for key in schema}
        assert defaults == {
            "fast_interval": 5,
            "medium_interval": 30,
            "slow_interval": 60,
            "request_gap": 30,
        }
        assert await hass.config_entries.async_unload(entry.entry_id)
