"""`edge-agent simulate inverter`: a solar inverter over Modbus TCP until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import datetime
import signal
import sys
from typing import Any

from edge_hub_core.modbus_map import PROFILES

from .inverter import NIGHT_MODES, DayCurve, InverterSimulator, SimClock


def register(targets: Any) -> None:
    """Add the `inverter` target."""
    parser: argparse.ArgumentParser = targets.add_parser(
        "inverter",
        help="a solar inverter over Modbus TCP (SunSpec, Huawei SUN2000 or Sungrow SH)",
        description=(
            "Serve a simulated solar inverter over Modbus TCP, through the register map the "
            "Home Assistant integration reads. Only one client may connect at a time, as with "
            "most real inverters."
        ),
    )
    parser.add_argument("--profile", choices=PROFILES, required=True, help="register map")
    parser.add_argument("--port", type=int, required=True, help="TCP port (e.g. 1502)")
    parser.add_argument("--unit", type=int, default=1, help="Modbus unit ID (default 1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--serial", help="serial number to report")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (e.g. 720: a day in two minutes)",
    )
    parser.add_argument("--start", help="simulated start time, HH:MM (default: now)")
    parser.add_argument(
        "--night",
        choices=NIGHT_MODES,
        default="sleeping",
        help="how the inverter sleeps at night (default: sleeping)",
    )
    parser.add_argument("--peak-w", type=float, default=8000.0, help="peak PV power (W)")
    parser.set_defaults(handler=_run)


def _start_time(text: str | None) -> datetime | None:
    if not text:
        return None
    hour, minute = (int(part) for part in text.split(":", 1))
    return datetime.now().replace(hour=hour, minute=minute, second=0, microsecond=0)  # noqa: DTZ005


def _run(args: argparse.Namespace) -> int:
    try:
        start = _start_time(args.start)
    except ValueError:
        print(f"--start must be HH:MM, not {args.start!r}", file=sys.stderr)
        return 2
    simulator = InverterSimulator(
        args.profile,
        unit_id=args.unit,
        clock=SimClock(start, args.speed),
        curve=DayCurve(peak_w=args.peak_w),
        night_mode=args.night,
        serial=args.serial,
    )
    try:
        asyncio.run(_serve(simulator, args.host, args.port))
    except OSError as err:
        print(f"cannot serve on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0


async def _serve(simulator: InverterSimulator, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await simulator.start(host, port)
    print(
        f"{simulator.profile} inverter {simulator.serial} on {host}:{simulator.port} "
        f"(unit {simulator.server.unit_id}); Ctrl-C to stop",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await simulator.stop()
