"""The race blueprint, run as a real automation against the lap counter's race events.

The phone is the only stand-in: a `mobile_app` device action that records what it would
have sent (rendering the templates the way the companion app integration does).
"""

from __future__ import annotations

from pathlib import Path
import shutil
from types import SimpleNamespace
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr, template
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    mock_integration,
    mock_platform,
)

from custom_components.edge_hub.compat import vol

from .laps_harness import Harness, S, laps_harness, race_id

__all__ = ["laps_harness"]

BLUEPRINT = Path(__file__).parents[2] / "blueprints/automation/edge_hub/race_finished.yaml"
T0 = 1_795_341_600 * S  # 2026-11-22 10:00:00 UTC


@pytest.fixture(autouse=True)
def _frozen(freezer: FrozenDateTimeFactory) -> None:
    # the race starts on HA's clock and the laps carry the agent's timestamps: both must agree
    freezer.move_to("2026-11-22 10:00:00+00:00")


@pytest.fixture
def phone(hass: HomeAssistant) -> tuple[str, list[dict[str, str]]]:
    """A companion-app phone: (device id, the notifications it received)."""
    sent: list[dict[str, str]] = []

    async def call_action(
        hass: HomeAssistant,
        config: dict[str, Any],
        variables: dict[str, Any],
        context: Context | None,
    ) -> None:
        render = {key: template.Template(config[key], hass) for key in ("title", "message")}
        sent.append(
            {key: tpl.async_render(variables, parse_result=False) for key, tpl in render.items()}
        )

    mock_integration(hass, MockModule("mobile_app"))
    mock_platform(
        hass,
        "mobile_app.device_action",
        SimpleNamespace(  # type: ignore[arg-type]
            ACTION_SCHEMA=cv.DEVICE_ACTION_BASE_SCHEMA.extend(
                {vol.Required("type"): "notify"}, extra=vol.ALLOW_EXTRA
            ),
            async_call_action_from_config=call_action,
        ),
    )
    entry = MockConfigEntry(domain="mobile_app", title="Phone")
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("mobile_app", "phone")}, name="Phone"
    )
    return device.id, sent


async def use_blueprint(hass: HomeAssistant, tmp_path: Path, inputs: dict[str, Any]) -> None:
    target = tmp_path / "blueprints/automation/edge_hub"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "alias": "Race news",
                    "use_blueprint": {"path": "edge_hub/race_finished.yaml", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("automation.race_news") is not None


async def test_race_result_and_track_record_reach_the_phone(
    hass: HomeAssistant,
    laps_harness: Harness,
    phone: tuple[str, list[dict[str, str]]],
    tmp_path: Path,
) -> None:
    device_id, sent = phone
    entry = await laps_harness.setup(options={"cars": {"2": {"driver": "Ann"}}})
    race_event = race_id(hass, "event", "event")
    await use_blueprint(hass, tmp_path, {"race_event": race_event, "notify_device": device_id})

    # practice: a lap record falls on lane 1
    laps_harness.lap("1", T0, None)
    laps_harness.lap("1", T0 + 5 * S, 5_000_000)
    laps_harness.lap("1", T0 + 9 * S, 4_000_000)
    await hass.async_block_till_done()
    assert sent == [
        {
            "title": "🏆 Track record on lane 1",
            "message": "Car 1: 4.000 s (was 5.000 s by Car 1)",
        }
    ]

    # a race to 1 lap: Ann wins
    await hass.services.async_call(
        "edge_hub", "start_race", {"mode": "laps", "laps": 1, "countdown": 0}, blocking=True
    )
    laps_harness.lap("1", T0 + 11 * S, 2_000_000)
    laps_harness.lap("2", T0 + 11 * S, None)
    laps_harness.lap("2", T0 + 15_200_000_000, 4_200_000)
    laps_harness.lap("1", T0 + 15_500_000_000, 4_500_000)
    await hass.async_block_till_done()
    assert len(sent) == 2
    assert sent[1]["title"] == "🏁 Ann wins!"
    assert sent[1]["message"] == "1. Ann, 1 lap\n2. Car 1, 1 lap\nBest lap: 4.200 s (Ann)"

    # reloading the lap counter (or restarting HA) brings back its last event: no repeat
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(sent) == 2


async def test_track_records_can_be_left_out(
    hass: HomeAssistant,
    laps_harness: Harness,
    phone: tuple[str, list[dict[str, str]]],
    tmp_path: Path,
) -> None:
    device_id, sent = phone
    await laps_harness.setup()
    await use_blueprint(
        hass,
        tmp_path,
        {
            "race_event": race_id(hass, "event", "event"),
            "notify_device": device_id,
            "track_records": False,
        },
    )
    laps_harness.lap("1", T0, None)
    laps_harness.lap("1", T0 + 5 * S, 5_000_000)
    laps_harness.lap("1", T0 + 9 * S, 4_000_000)
    await hass.services.async_call("edge_hub", "start_race", {"countdown": 0}, blocking=True)
    await hass.services.async_call("edge_hub", "stop_race", {}, blocking=True)
    await hass.async_block_till_done()
    assert [n["title"] for n in sent] == ["🏁 Car 1 wins!"]  # practice: the fastest
