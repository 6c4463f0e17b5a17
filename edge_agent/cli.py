"""Command line entry point (`edge-agent`).

Each subcommand lives in its own module under edge_agent/commands/ exposing
`register(subparsers)`; the module is imported only when listed in COMMANDS, so the agent's
start-up never imports simulator or scanner code it does not run.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

# subcommand module names under edge_agent.commands
COMMANDS = ("run", "check_config", "scan", "simulate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-agent",
        description="Edge Hub agent: local hardware to Home Assistant over MQTT.",
    )
    parser.add_argument("--version", action="version", version=f"edge-agent {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__package__}.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{__package__}.commands.{name}":
                raise
            continue  # not written yet
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
