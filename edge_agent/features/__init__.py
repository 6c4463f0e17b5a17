"""Hardware features of the agent: config section name -> module exposing `SPEC`.

Modules are imported only when their section appears in the config file.
"""

from __future__ import annotations

FEATURE_MODULES: dict[str, str] = {
    "laps": "edge_agent.features.laps",
    "reactor": "edge_agent.features.reactor",
    "ble": "edge_agent.features.ble",
    "synthetic": "edge_agent.features.synthetic",
}
