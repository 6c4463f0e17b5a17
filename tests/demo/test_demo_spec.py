"""The demo's declarations hold together: every family's templates render to valid YAML, its
flows can be driven, the dashboard gates its cards on entities --check waits for, and the HA
configuration renders. (The demo itself is checked end to end by ./scripts/demo --check.)"""

from __future__ import annotations

from pathlib import Path
import re
import sys

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from demo_lib import dashboard  # noqa: E402
from demo_lib.families import FAMILIES, MQTT_FLOW  # noqa: E402
from demo_lib.flows import _with_defaults  # noqa: E402
from demo_lib.settings import Settings  # noqa: E402
from demo_lib.spec import Family, module_exists  # noqa: E402

SETTINGS = Settings(repo=REPO)
ENTITY_ID = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
MODULE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
EDGE_HUB_KINDS = ("inverter", "goal_sensor", "edge_agent", "table")


def _board() -> dict:
    return dashboard.load(REPO / "demo" / "dashboard.yaml")


def test_names_are_unique() -> None:
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)
    processes = [p.name for f in FAMILIES for p in f.processes]
    assert len(set(processes)) == len(processes)
    assert not {"hass", "mosquitto", "amqtt"} & set(processes)  # their log files are taken


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_declaration(family: Family) -> None:
    assert family.summary
    assert all(MODULE.match(m) for m in family.requires)
    for process in family.processes:
        argv = [SETTINGS.render(a) for a in process.argv]
        assert argv
        assert "$" not in " ".join(argv)
        if process.wait_port:
            assert isinstance(SETTINGS.values[process.wait_port], int)
        for template, target in process.files:
            rendered = SETTINGS.render((REPO / template).read_text())
            assert isinstance(yaml.safe_load(rendered), dict), template
            assert SETTINGS.render(target).startswith(str(SETTINGS.demo))
    for probe in family.probes:
        assert "$" not in " ".join(SETTINGS.render(a) for a in probe)
    for flow in family.flows:
        if flow.discovery:
            assert flow.discovery in ("mqtt", "bluetooth")
            assert flow.unique_id
            assert flow.title
        for step, answer in flow.answers.items():
            rendered = SETTINGS.render_value(answer)
            if flow.handler == "edge_hub" and step == "user":
                assert rendered["next_step_id"] in EDGE_HUB_KINDS
    assert family.live
    assert all(ENTITY_ID.match(e) for e in family.live)


def test_missing_modules(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "mod.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    assert module_exists(tmp_path, "pkg.mod")
    assert module_exists(tmp_path, "pkg.sub")
    assert not module_exists(tmp_path, "pkg.other")
    family = Family(name="x", requires=("pkg.mod", "pkg.gone"))
    assert family.missing(tmp_path) == ["pkg.gone"]


def test_placeholders() -> None:
    assert SETTINGS.render_value("$mqtt_port") == SETTINGS.mqtt_port  # an int stays an int
    assert SETTINGS.render_value("port $mqtt_port") == f"port {SETTINGS.mqtt_port}"
    assert SETTINGS.render_value({"a": ["$host"]}) == {"a": ["127.0.0.1"]}
    assert SETTINGS.render("$$5") == "$5"
    with pytest.raises(ValueError, match=r"unknown placeholder \$nope"):
        SETTINGS.render("$nope")


def test_mqtt_flow_answers_plain_tcp_on_loopback() -> None:
    answer = SETTINGS.render_value(MQTT_FLOW.answers["broker"])
    assert answer["broker"] == "127.0.0.1"
    assert answer["port"] == SETTINGS.mqtt_port


def test_form_filled_in_as_the_ui_does() -> None:
    schema = [
        {"name": "broker", "required": True},
        {"name": "port", "default": 1883},
        {"name": "username"},  # optional, no default: not sent
        {"name": "keep", "description": {"suggested_value": "x"}},
        {
            "name": "other_settings",
            "type": "expandable",
            "schema": [
                {"name": "set_ca_cert", "required": True},
                {"name": "transport", "default": "tcp"},
            ],
        },
    ]
    answer = {"broker": "h", "other_settings": {"set_ca_cert": "off"}, "not_in_form": 1}
    assert _with_defaults(schema, answer) == {
        "broker": "h",
        "port": 1883,
        "keep": "x",
        "other_settings": {"set_ca_cert": "off", "transport": "tcp"},
    }


def test_dashboard_is_a_sections_view() -> None:
    board = _board()
    [view] = board["views"]
    assert view["path"] == "demo"
    assert view["type"] == "sections"
    cards = list(dashboard.cards(board))
    assert all("type" in c for c in cards)
    assert all(ENTITY_ID.match(e) for e in dashboard.entities(board))
    assert len(dashboard.templates(board)) >= 5  # the status card and one per family


def test_dashboard_gates_cards_on_what_check_waits_for() -> None:
    """A family's cards show once its key entity has a state: --check must wait for it."""
    live = {e for f in FAMILIES for e in f.live}
    gates = {
        cond["entity"]
        for card in dashboard.cards(_board())
        for cond in card.get("visibility", [])
        if "entity" in cond
    }
    assert gates
    assert gates <= live


def test_configuration_renders() -> None:
    config = yaml.safe_load(SETTINGS.render((REPO / "demo" / "configuration.yaml").read_text()))
    providers = config["homeassistant"]["auth_providers"]
    assert providers[0] == {
        "type": "trusted_networks",
        "trusted_networks": ["127.0.0.1/32"],
        "allow_bypass_login": True,
    }
    assert {"type": "homeassistant"} in providers
    assert "default_config" not in config
    assert "http" not in config  # added on the first start only (see haconfig.HTTP_YAML)
    board = config["lovelace"]["dashboards"]["edge-hub"]
    assert board == board | {"mode": "yaml", "filename": "dashboard.yaml"}
