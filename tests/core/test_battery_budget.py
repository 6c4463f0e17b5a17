"""The goal sensor's battery budget (firmware/goal_sensor/battery_budget.py) and its README."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType

ROOT = Path(__file__).parents[2]
FIRMWARE = ROOT / "firmware" / "goal_sensor"


def _budget() -> ModuleType:
    spec = importlib.util.spec_from_file_location("battery_budget", FIRMWARE / "battery_budget.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    spec.loader.exec_module(module)
    return module


def test_recommended_sensor_lasts_over_a_year_at_50_goals_a_day() -> None:
    budget = _budget()
    assert budget.recommended_life_years(50) >= 1.0
    assert budget.recommended_life_years(200) < budget.recommended_life_years(50)
    # without an ack the sensor advertises the full 3 s: shorter, still over a year at 50/day
    assert 1.0 <= budget.recommended_life_years(50, acked=False) < budget.recommended_life_years(50)


def test_an_always_on_beam_empties_the_batteries_in_days() -> None:
    budget = _budget()
    usage = budget.Usage(50)
    days = budget.life_days(budget.BOARDS["esp32c3_custom"], budget.TRIGGERS["ir_beam"], usage)
    assert 2 <= days <= 10


def test_every_figure_has_a_source() -> None:
    budget = _budget()
    for item in [*budget.BOARDS.values(), *budget.TRIGGERS.values(), budget.BATTERY]:
        assert item.source.strip(), item


def test_readme_table_is_the_module_output() -> None:
    readme = (FIRMWARE / "README.md").read_text()
    assert _budget().table() in readme, "re-run battery_budget.py and update the README table"
