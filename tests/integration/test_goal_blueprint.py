"""The table_game_won blueprint is a valid automation blueprint for this integration."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.util.yaml import load_yaml_dict

from custom_components.edge_hub.goal.const import TABLE_EVENT_TYPES

BLUEPRINT = (
    Path(__file__).parents[2] / "blueprints" / "automation" / "edge_hub" / "table_game_won.yaml"
)


def test_blueprint_is_valid_and_asks_for_a_table_event_and_a_phone() -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(str(BLUEPRINT)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    inputs = blueprint.inputs
    assert set(inputs) == {"table_game", "notify_device", "title"}
    table_filter = inputs["table_game"]["selector"]["entity"]["filter"][0]
    assert table_filter["integration"] == "edge_hub"
    assert table_filter["domain"] in ("event", ["event"])  # normalised by newer HA
    assert inputs["notify_device"]["selector"]["device"]["filter"][0]["integration"] == (
        "mobile_app"
    )
    # the condition matches the table event entity's event type (goal/const.py)
    assert "game_won" in TABLE_EVENT_TYPES
    assert "game_won" in BLUEPRINT.read_text()


def test_blueprint_substitutes_into_an_automation() -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(str(BLUEPRINT)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    config = models.BlueprintInputs(
        blueprint,
        {
            "use_blueprint": {
                "path": "edge_hub/table_game_won.yaml",
                "input": {"table_game": "event.kicker_game", "notify_device": "abc123"},
            }
        },
    ).async_substitute()
    assert config["triggers"][0]["entity_id"] == "event.kicker_game"
    action = config["actions"][1]
    assert (action["domain"], action["type"], action["device_id"]) == (
        "mobile_app",
        "notify",
        "abc123",
    )
    assert action["title"] == "Game over"
