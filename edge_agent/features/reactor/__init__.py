"""Reactor sensors: I2C and 1-Wire sensors of a bioreactor board, control outputs, EZO
calibration (docs/protocol.md: capability `reactor`, records `readings` and `output`)."""

from __future__ import annotations

from typing import Any

from edge_agent.feature import Feature, FeatureSpec

from .config import ReactorConfig, parse


def _build(config: Any) -> Feature:
    from .feature import ReactorFeature  # noqa: PLC0415 - drivers load only when run

    assert isinstance(config, ReactorConfig)
    return ReactorFeature(config)


SPEC = FeatureSpec(section="reactor", parse=parse, build=_build)
