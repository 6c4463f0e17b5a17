"""manifest.json, hacs.json, strings/translations and services.yaml are valid and agree."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
import pytest
import yaml

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "edge_hub"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = {key for key in keys if keys.count(key) > 1}
    # json.loads would silently keep the last one (a text merge of two branches does this)
    assert not duplicates, f"duplicate JSON keys: {duplicates}"
    return dict(pairs)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(), object_pairs_hook=_no_duplicate_keys)


def test_manifest_keys_in_hassfest_order() -> None:
    manifest = _json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest wants domain, name, then alphabetical keys"
    assert manifest["domain"] == "edge_hub"
    assert manifest["name"] == "Edge Hub"
    assert manifest["config_flow"] is True
    for key in (
        "version",
        "documentation",
        "issue_tracker",
        "codeowners",
        "iot_class",
        "integration_type",
    ):
        assert manifest[key], key
    # an inverter-only user needs neither MQTT nor Bluetooth
    assert manifest["dependencies"] == []
    assert {"mqtt", "bluetooth"} <= set(manifest["after_dependencies"])
    assert manifest["mqtt"] == ["edge_hub/+/announce"]
    assert manifest["bluetooth"][0]["manufacturer_id"] == 0xFFFF
    assert manifest["bluetooth"][0]["manufacturer_data_start"] == list(b"EH")
    # HA core pins pymodbus itself: a lower bound only, never == or an upper cap
    pymodbus = [r for r in manifest["requirements"] if r.startswith("pymodbus")]
    assert pymodbus == ["pymodbus>=3.11"]


async def test_manifest_loads_in_home_assistant(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, "edge_hub")
    assert integration.config_flow
    assert integration.version is not None
    assert str(integration.version) == _json(INTEGRATION / "manifest.json")["version"]


def test_hacs_json() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert hacs["name"] == "Edge Hub"
    assert hacs["homeassistant"] == "2026.2.0"


def test_brand_icon_is_png() -> None:
    assert (INTEGRATION / "brand" / "icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _leaves(tree: Any, path: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_leaves(value, f"{path}.{key}" if path else key))
        return out
    return {path: tree}


def test_translations_match_strings() -> None:
    strings = _json(INTEGRATION / "strings.json")
    english = _json(INTEGRATION / "translations" / "en.json")
    assert english == strings, "translations/en.json must be a copy of strings.json"
    for key, value in _leaves(strings).items():
        assert isinstance(value, str), key
        assert "[%key:" not in value, f"{key}: custom integrations cannot use [%key:...]"


def test_every_flow_step_is_translated() -> None:
    strings = _json(INTEGRATION / "strings.json")
    # options flows (options.step / options.abort) share the check with the config flow
    options = strings.get("options", {})
    steps = set(strings["config"]["step"]) | set(options.get("step", {}))
    source = "\n".join(p.read_text() for p in INTEGRATION.rglob("*.py"))
    used = set(re.findall(r'step_id="([a-z_]+)"', source))
    assert used <= steps, f"untranslated steps: {used - steps}"
    errors = set(re.findall(r'errors\[[^\]]+\] = "([a-z_]+)"', source))
    errors |= set(re.findall(r'errors\["base"\] = ([a-z_.]+)', source)) - {"err.reason"}
    assert errors <= set(strings["config"]["error"]), errors - set(strings["config"]["error"])
    aborts = set(re.findall(r'async_abort\(reason="([a-z_]+)"\)', source))
    known_aborts = set(strings["config"]["abort"]) | set(options.get("abort", {}))
    assert aborts <= known_aborts, aborts - known_aborts


def test_services_yaml_matches_strings() -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text()) or {}
    strings = _json(INTEGRATION / "strings.json").get("services", {})
    assert set(services) == set(strings)
    for name, spec in services.items():
        fields = set((spec or {}).get("fields", {}))
        assert fields == set(strings[name].get("fields", {})), name
        assert strings[name]["name"], name
        assert strings[name]["description"], name


@pytest.mark.parametrize("name", ["icons.json"])
def test_json_files_parse(name: str) -> None:
    _json(INTEGRATION / name)


def test_quality_scale_self_audit_is_well_formed() -> None:
    audit = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())
    rules = audit["rules"]
    assert len(rules) >= 50
    for name, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, name
        if status == "exempt":
            assert value["comment"], f"{name}: an exemption needs a comment"
