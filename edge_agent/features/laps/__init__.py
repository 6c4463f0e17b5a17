"""Slot-car lap counter: lane sensors on GPIO (or a simulated track) -> lap records.

Config section `laps` (see config.py); capability `laps` (docs/protocol.md §1.4); records
`lap`, `edge_gap` and `event` (§1.6).
"""

from __future__ import annotations

from typing import Any

from ...feature import Feature, FeatureSpec
from .config import LapsConfig, parse_config
from .feature import LapsFeature


def _build(config: Any) -> Feature:
    assert isinstance(config, LapsConfig)
    return LapsFeature(config)


SPEC = FeatureSpec(section="laps", parse=parse_config, build=_build)

__all__ = ["SPEC", "LapsConfig", "LapsFeature"]
