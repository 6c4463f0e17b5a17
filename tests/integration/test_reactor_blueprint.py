"""The `reading_out_of_range` blueprint notifies a phone once a reading has stayed out of
range for the set time (and again when it is back), run by Home Assistant's automations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import shutil
from types import SimpleNamespace
from typing import Any

from homeassistant.components.blueprint import models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr, template
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    async_fire_time_changed,
    mock_integration,
    mock_platform,
)

from custom_components.edge_hub.compat import vol

BLUEPRINT = Path(__file__).parents[2] / "blueprints/automation/edge_hub/reading_out_of_range.yaml"
SENSOR = "sensor.reactor_1_ph"


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not notified")


def test_the_blueprint_is_valid() -> None:
    blueprint = models.Blueprint(
        yaml_util.load_yaml(BLUEPRINT), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert set(blueprint.inputs) == {
        "sensor",
        "minimum",
        "maximum",
        "duration",
        "notify_device",
        "notify_back_in_range",
    }


async def test_notifies_after_the_set_time_and_when_back(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/edge_hub/reading_out_of_range.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    sent: list[dict[str, Any]] = []

    async def notify(hass: HomeAssistant, config: Any, variables: Any, context: Any) -> None:
        sent.append(
            {key: template.render_complex(config[key], variables) for key in ("title", "message")}
        )

    # the phone: the Companion app's device action, recording what it would push
    mock_integration(hass, MockModule("mobile_app"))
    mock_platform(
        hass,
        "mobile_app.device_action",
        SimpleNamespace(
            ACTION_SCHEMA=cv.DEVICE_ACTION_BASE_SCHEMA.extend(
                {
                    vol.Required("type"): "notify",
                    vol.Required("message"): cv.template,
                    vol.Optional("title"): cv.template,
                }
            ),
            async_call_action_from_config=notify,
        ),
    )
    phone_entry = MockConfigEntry(domain="mobile_app")
    phone_entry.add_to_hass(hass)
    phone = dr.async_get(hass).async_get_or_create(
        config_entry_id=phone_entry.entry_id, identifiers={("mobile_app", "phone")}, name="Phone"
    )
    hass.states.async_set(SENSOR, "7.0", {"friendly_name": "pH"})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "edge_hub/reading_out_of_range.yaml",
                    "input": {
                        "sensor": SENSOR,
                        "minimum": 6.8,
                        "maximum": 7.4,
                        "duration": {"minutes": 5},
                        "notify_device": phone.id,
                    },
                }
            }
        },
    )
    await hass.async_block_till_done()
    now = dt_util.utcnow()
    # a short dip is not worth a notification
    hass.states.async_set(SENSOR, "6.7", {"friendly_name": "pH"})
    await hass.async_block_till_done()
    async_fire_time_changed(hass, now + timedelta(minutes=2))
    hass.states.async_set(SENSOR, "6.9", {"friendly_name": "pH"})
    await hass.async_block_till_done()
    async_fire_time_changed(hass, now + timedelta(minutes=10))
    await hass.async_block_till_done()
    assert sent == []
    # a long one is
    hass.states.async_set(SENSOR, "6.5", {"friendly_name": "pH"})
    await hass.async_block_till_done()
    async_fire_time_changed(hass, now + timedelta(minutes=16))
    # the run now waits for "back in range": block_till_done would wait for it too
    await _until(lambda: len(sent) == 1)
    assert sent[0]["title"] == "pH too low"
    assert "below 6.8" in sent[0]["message"]
    assert "now 6.5" in sent[0]["message"]
    hass.states.async_set(SENSOR, "7.1", {"friendly_name": "pH"})
    await _until(lambda: len(sent) == 2)
    await hass.async_block_till_done()
    assert sent[1]["title"] == "pH back in range"
