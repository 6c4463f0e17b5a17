"""The lap counter of an edge agent: slot-car lanes in, races in Home Assistant.

The agent reports every crossing as a `lap` record (docs/protocol.md §1.6); the pure race
logic (edge_hub_core.race) turns them into standings; this package shows them as a device
per car plus race control entities on the agent's device, and offers race actions.
"""

from __future__ import annotations

from ..agent.feature import FeatureFactory
from .feature import LapsFeature

FEATURE: FeatureFactory = LapsFeature

__all__ = ["FEATURE", "LapsFeature"]
