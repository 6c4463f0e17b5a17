"""`edge-agent simulate TARGET ...`: run a device simulator on this machine.

Each target is its own sub-subcommand, registered by a module exposing
`register(subparsers)` (listed in TARGETS), and imported only when the parser is built.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

#: target name -> module registering it
TARGETS = {
    "inverter": "edge_agent.sim.inverter_cli",
}


def register(subparsers: Any) -> None:
    """Add `simulate` and its targets."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="run a device simulator (for development, tests and the demo)",
        description="Run a simulated device until interrupted.",
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for module_name in TARGETS.values():
        importlib.import_module(module_name).register(targets)
