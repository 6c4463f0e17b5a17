"""The `laps` config section: defaults, and an error naming the key for every mistake."""

from __future__ import annotations

from typing import Any

import pytest

from edge_agent.features.laps import SPEC
from edge_agent.features.laps.config import LapsConfig
from edge_agent.schema import ConfigError


def parse(raw: Any) -> LapsConfig:
    config = SPEC.parse(raw, "laps")
    assert isinstance(config, LapsConfig)
    return config


def test_defaults() -> None:
    config = parse({"lanes": [{"lane": 1, "line": 17}, {"lane": 2, "line": "GPIO27"}]})
    assert config.backend == "gpiod"
    assert config.car_id == "analog"
    lane = config.lanes[1]
    assert (lane.chip, lane.edge, lane.bias, lane.min_lap_ms) == (
        "/dev/gpiochip0",
        "falling",
        "pull_up",
        1500,
    )
    assert (lane.car, lane.car_name, lane.name, lane.line) == ("2", "Car 2", "Lane 2", "GPIO27")
    assert config.cars() == [("1", "Car 1"), ("2", "Car 2")]
    # the simulator gets one car per lane unless told otherwise
    assert [(c.car, c.lane) for c in config.sim.cars] == [("1", 1), ("2", 2)]


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ({"lanes": []}, "laps.lanes", "at least one lane"),
        ({"lanes": [{"lane": 1}]}, "laps.lanes[0].line", "is required"),
        ({"lanes": [{"lane": 1, "line": True}]}, "laps.lanes[0].line", "line name or offset"),
        ({"lanes": [{"lane": 1, "line": -1}]}, "laps.lanes[0].line", "at least 0"),
        ({"lanes": [{"lane": 1, "line": 1, "edge": "both"}]}, "laps.lanes[0].edge", "one of"),
        ({"lanes": [{"lane": 1, "line": 1, "pin": 3}]}, "laps.lanes[0].pin", "unknown key"),
        ({"lanes": [{"lane": 1, "line": 1}, {"lane": 1, "line": 2}]}, "laps.lanes", "twice"),
        (
            {"lanes": [{"lane": 1, "line": 1, "car": "a"}, {"lane": 2, "line": 2, "car": "a"}]},
            "laps.lanes",
            "car 'a' appears twice",
        ),
        ({"lanes": [{"lane": 1, "line": 1}], "min_lap_ms": 0}, "laps.min_lap_ms", "at least"),
        ({"lanes": [{"lane": 1, "line": 1}], "car_id": "digital"}, "laps.digital.cars", "ID"),
        (
            {"lanes": [{"lane": 1, "line": 1}], "digital": {"cars": []}},
            "laps.digital",
            "car_id: digital",
        ),
        (
            {"backend": "sim", "lanes": [{"lane": 1}], "sim": {"cars": [{"lane": 2}]}},
            "laps.sim.cars[0].lane",
            "one of",
        ),
        ({"backend": "serial", "lanes": [{"lane": 1}]}, "laps.backend", "one of"),
    ],
)
def test_mistakes_name_their_key(raw: Any, path: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse(raw)
    assert err.value.path == path


def test_digital_id_table() -> None:
    config = parse(
        {
            "backend": "sim",
            "car_id": "digital",
            "lanes": [{"lane": 1}, {"lane": 2}],
            "digital": {"cars": [{"car": "1", "period_us": 64}, {"car": "2", "period_us": 128}]},
        }
    )
    assert config.digital is not None
    spec = config.digital.spec()
    assert spec.identify(66_000) == "1"
    assert spec.identify(127_000) == "2"
    assert spec.identify(96_000) is None
    assert config.cars() == [("1", "Car 1"), ("2", "Car 2")]
    with pytest.raises(ConfigError, match="not in the digital ID table"):
        parse(
            {
                "backend": "sim",
                "car_id": "digital",
                "lanes": [{"lane": 1}],
                "digital": {"cars": [{"car": "1", "period_us": 64}]},
                "sim": {"cars": [{"car": "9", "lane": 1}]},
            }
        )
