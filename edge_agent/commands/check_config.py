"""`edge-agent check-config --config FILE`: check the config and say what it would run."""

from __future__ import annotations

import argparse

from .run import add_config_argument, load_or_exit


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check-config", help="check the config file and exit (0: valid, 2: not)"
    )
    add_config_argument(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    if config is None:
        return 2
    mqtt = config.mqtt
    features = ", ".join(f.section for f in config.features) or "none"
    print(f"{config.file}: valid")
    print(f"  agent:    {config.agent.id} ({config.agent.name})")
    print(
        f"  broker:   {mqtt.host}:{mqtt.port}"
        f"{' with TLS' if mqtt.tls else ''}{f' as {mqtt.username}' if mqtt.username else ''}"
    )
    print(f"  outbox:   {config.outbox.path}")
    print(f"  features: {features}")
    return 0
