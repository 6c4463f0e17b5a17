"""`edge-agent run --config FILE`: run the agent until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .. import config as config_module
from ..outbox import OutboxError

_LOGGER = logging.getLogger("edge_agent")


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        default="/etc/edge-agent/config.yaml",
        metavar="FILE",
        help="the YAML config file (default: %(default)s)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="run the agent")
    add_config_argument(parser)
    parser.set_defaults(handler=handle)


def load_or_exit(path: str) -> config_module.Config | None:
    """The config, or None after printing its problem (the caller exits 2)."""
    try:
        return config_module.load(path)
    except config_module.ConfigFileError as err:
        print(f"edge-agent: {err}", file=sys.stderr)
        return None


def handle(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    if config is None:
        return 2
    config_module.configure_logging(config.agent.log_level)
    from ..agent import FeatureStartError  # noqa: PLC0415 - only once the config is known good

    try:
        return asyncio.run(_main(config))
    except (OutboxError, FeatureStartError) as err:
        # a clear message, not a traceback; exit 1 so that systemd tries again later
        _LOGGER.error("%s", err)
        return 1


async def _main(config: config_module.Config) -> int:
    from ..agent import Agent  # noqa: PLC0415 - only once the config is known good

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return await Agent(config).run(stop)
