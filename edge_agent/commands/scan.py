"""`edge-agent scan [--config FILE] [--sim]`: list what answers on the I2C and 1-Wire buses.

With --config, the reactor section says which bus (and whether it is simulated); --sim scans
the simulated reactor board (every supported part) without any hardware.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys
from typing import Any

import yaml

from edge_agent.backends.i2c import I2CPort
from edge_agent.backends.onewire import OneWirePort
from edge_agent.drivers.scan import Found, scan_i2c, scan_w1
from edge_agent.schema import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="list the I2C and 1-Wire devices that answer, and what each is",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="the agent's config file (its reactor section)")
    parser.add_argument("--sim", action="store_true", help="scan the simulated reactor board")
    parser.add_argument("--bus", type=int, help="I2C bus number (default: config's, or 1)")
    parser.set_defaults(handler=run)


def _load_reactor_config(path: Path) -> Any:
    from edge_agent.features.reactor.config import parse  # noqa: PLC0415

    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError("", f"{path}: {err}") from err
    if not isinstance(document, dict):
        raise ConfigError("", f"{path}: not a mapping")
    return parse(document.get("reactor"), "reactor")


async def _scan(args: argparse.Namespace) -> list[Found]:
    from edge_agent.features.reactor.config import ReactorConfig, SimConfig  # noqa: PLC0415
    from edge_agent.features.reactor.hardware import open_hardware  # noqa: PLC0415

    config = _load_reactor_config(args.config) if args.config else ReactorConfig()
    if args.sim:
        config = ReactorConfig(backend="sim", bus=config.bus, sim=SimConfig(time_scale=0.01))
    bus_number = args.bus if args.bus is not None else config.bus
    hardware = open_hardware(config)
    if args.sim:
        bus_number = config.bus
    port = I2CPort(hardware.open_bus(bus_number), f"i2c-{bus_number}")
    try:
        found = await scan_i2c(port)
    finally:
        port.close()
    if hardware.onewire is not None:
        w1 = OneWirePort(hardware.onewire)
        try:
            found += await scan_w1(w1)
        finally:
            w1.close()
    return found


def run(args: argparse.Namespace) -> int:
    try:
        found = asyncio.run(_scan(args))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err.strerror or err}", file=sys.stderr)
        return 1
    if not found:
        print("no device answered")
        return 0
    width = max(len(f.address_text) for f in found)
    for f in found:
        driver = f"driver {f.driver}" if f.driver else "no driver"
        print(f"{f.bus:<6} {f.address_text:<{width}}  {f.description}  ({driver})")
    return 0
