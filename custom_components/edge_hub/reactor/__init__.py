"""Reactor boards of edge agents: one entity per measurement, per-sensor availability, control
outputs showing the agent's confirmed state, EZO calibration (capability `reactor`)."""

from __future__ import annotations

from ..agent.feature import FeatureFactory
from .feature import ReactorFeature

FEATURE: FeatureFactory = ReactorFeature
