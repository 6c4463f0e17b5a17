"""python -m demo_lib [--check] [--screenshot-to FILE --cdp-port PORT]

Run by ./scripts/demo inside the demo's Home Assistant environment (see scripts/demo).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
import contextlib
import dataclasses
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp

from . import broker, checks, flows, haconfig, hasetup, procs, screenshot
from .common import REPO, DemoError, say
from .families import FAMILIES, MQTT_FLOW
from .ha import HAError, HomeAssistant
from .settings import HOST, PASSWORD, USERNAME, Settings
from .spec import Family

DASHBOARD_PATH = "/edge-hub/demo"
# the device kinds Edge Hub's menu must offer (others, like a table of goal sensors, may follow)
EDGE_HUB_KINDS = ("inverter", "goal_sensor", "edge_agent")


def _elapsed(t0: float) -> str:
    return f"{time.time() - t0:.1f} s"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


async def _wait_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            if time.monotonic() > deadline:
                raise DemoError(f"{what} is not listening on {HOST}:{port}") from None
            await asyncio.sleep(0.2)
        else:
            writer.close()
            return


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the orchestrator's own; children use what is installed
    return env


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings = Settings.from_env(REPO)
        self.t0 = float(os.environ.get("EDGE_HUB_DEMO_T0") or time.time())
        self.sup = procs.Supervisor(self.settings.run, self.settings.logs)
        self.active: list[Family] = []
        self.skipped: list[tuple[Family, list[str]]] = []
        self.hass_log = self.settings.logs / "hass.log"
        self.hass_log_start = 0
        self.broker = ""

    # --- preparation ---
    def prepare(self) -> bool:
        s = self.settings
        stopped = procs.stop_leftovers(s.run)
        if stopped:
            say(f"stopped what a previous run left running: {', '.join(stopped)}")
        for family in FAMILIES:
            missing = family.missing(REPO)
            if missing:
                self.skipped.append((family, missing))
            else:
                self.active.append(family)
        ports = [("HA", s.ha_port), ("MQTT", s.mqtt_port)] + [
            (p.name, int(s.values[p.wait_port]))
            for f in self.active
            for p in f.processes
            if p.wait_port
        ]
        busy = [f"{name} {port}" for name, port in ports if not _port_free(port)]
        if busy:
            raise DemoError(
                f"ports in use on {HOST}: {', '.join(busy)} (another demo or Home Assistant "
                "running? set EDGE_HUB_DEMO_HA_PORT / _MQTT_PORT / _MODBUS_PORT to move)"
            )
        stored = haconfig.stored_http_address(s.config)
        if stored is not None and stored != ([HOST], s.ha_port):
            raise DemoError(
                f"this demo's Home Assistant listens on {stored[0]} port {stored[1]} (set at "
                f"its first start), not {HOST}:{s.ha_port}: use that port, or start afresh "
                "with ./scripts/demo --reset"
            )
        s.run.mkdir(parents=True, exist_ok=True)
        s.logs.mkdir(parents=True, exist_ok=True)
        s.state.mkdir(parents=True, exist_ok=True)
        for family in self.active:
            for process in family.processes:
                for template, target in process.files:
                    out = Path(s.render(target))
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text(s.render((REPO / template).read_text()))
            for probe in family.probes:
                argv = [s.render(a) for a in probe]
                done = subprocess.run(
                    argv, capture_output=True, text=True, env=_child_env(), check=False
                )
                if done.returncode != 0:
                    raise DemoError(
                        f"{family.name}: `{' '.join(argv)}` failed "
                        f"(exit {done.returncode}):\n{(done.stdout + done.stderr).strip()}"
                    )
        return haconfig.write(s)

    # --- processes ---
    async def start_processes(self) -> None:
        s = self.settings
        name, argv, protocol = broker.command(s)
        self.broker = name
        self.settings = s = dataclasses.replace(s, mqtt_protocol=protocol)
        await self.sup.start(name, argv, env=_child_env(), tier=0)
        await _wait_port(s.mqtt_port, 20, name)
        say(f"{name} listening on {HOST}:{s.mqtt_port}")
        # Home Assistant takes longest: start it before the devices
        self.hass_log_start = self.hass_log.stat().st_size if self.hass_log.exists() else 0
        await self.sup.start(
            "hass",
            ["hass", "--config", str(s.config), "--skip-pip", "--log-no-color"],
            env=_child_env(),
        )
        for family in self.active:
            for process in family.processes:
                argv = [s.render(a) for a in process.argv]
                await self.sup.start(process.name, argv, env=_child_env(), cwd=REPO)
        for family in self.active:
            for process in family.processes:
                if process.wait_port:
                    await _wait_port(int(s.values[process.wait_port]), 30, process.name)

    # --- Home Assistant ---
    def elapsed(self) -> str:
        return _elapsed(self.t0)

    async def configure(self, ha: HomeAssistant) -> None:
        s = self.settings
        outcome = await flows.drive(ha, MQTT_FLOW, s, 60)
        say(f"MQTT integration: {outcome}")
        await checks.wait_mqtt_connected(ha, s.mqtt_port, 60)
        options = await flows.menu_options(ha, "edge_hub")
        if not set(EDGE_HUB_KINDS) <= set(options):
            raise DemoError(f"Edge Hub's menu offers {options}, not all of {EDGE_HUB_KINDS}")
        say(f"Edge Hub is offered in Settings → Devices & services: {', '.join(options)}")
        for family in self.active:
            for flow in family.flows:
                outcome = await flows.drive(ha, flow, s, 120)
                say(f"{family.name}: {outcome} ({self.elapsed()})")
        for family in self.active:
            for action in family.actions:
                what = f"{action.domain}.{action.service}"
                try:
                    await ha.call_service(action.domain, action.service, action.data)
                except HAError as err:
                    say(f"{family.name}: {what} refused ({err})")
                else:
                    say(f"{family.name}: {what}")

    def report(self) -> None:
        s = self.settings
        for family in self.active:
            say(f"  ✔ {family.name}: {family.summary}")
        for family, missing in self.skipped:
            say(f"  · {family.name}: not on this branch yet (no {', '.join(missing)})")
        print(
            f"\n  Home Assistant:  {s.ha_url}{DASHBOARD_PATH}\n"
            f"  login:           {USERNAME} / {PASSWORD}  "
            f"(a browser on this machine is let in without it)\n"
            f"  MQTT broker:     {HOST}:{s.mqtt_port} ({self.broker})\n"
            f"  logs:            {s.logs.relative_to(REPO)}/  (HA: hass.log)\n",
            flush=True,
        )

    # --- the run ---
    async def run(self) -> int:
        fresh = self.prepare()
        s = self.settings
        say(
            f"first start: a new Home Assistant in {s.config.relative_to(REPO)}/ "
            "(onboarding, MQTT and the devices are set up through its API)"
            if fresh
            else f"starting (reusing {s.demo.relative_to(REPO)}/)"
        )
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            ha = HomeAssistant(session, s.ha_url)
            watcher = asyncio.ensure_future(self.sup.watch())
            try:
                await _first(watcher, self.setup(ha, fresh))
                say(f"ready in {_elapsed(self.t0)}")
                self.report()
                if not self.args.check:
                    say("Ctrl-C stops everything")
                    live = asyncio.ensure_future(self.tell_when_live(ha))
                    try:
                        await watcher
                    finally:
                        live.cancel()
                    return 0
                await _first(watcher, self.check(ha))
                return 0
            finally:
                watcher.cancel()

    async def tell_when_live(self, ha: HomeAssistant) -> None:
        """Say when every device shows live states (or which do not), without stopping."""
        if not any(f.live for f in self.active):
            return
        try:
            await checks.wait_live(ha, self.active, 180)
        except (DemoError, HAError) as err:
            say(f"\033[33mstill waiting:\033[0m {err}")
        else:
            say("every device of the demo shows live states")

    async def setup(self, ha: HomeAssistant, fresh: bool) -> None:
        await self.start_processes()
        await hasetup.login(ha, self.settings.ha_port, fresh, self.elapsed)
        await self.configure(ha)

    async def check(self, ha: HomeAssistant) -> None:
        await checks.wait_mqtt_connected(ha, self.settings.mqtt_port, 30)
        if any(f.flows for f in self.active):
            await checks.wait_entries_loaded(ha, "edge_hub", 60)
        await checks.wait_live(ha, self.active, 180)
        live = sum(len(f.live) for f in self.active)
        say(f"check: HA up, MQTT connected, Edge Hub menu ok, {live} device entities live")
        named, existing = await checks.check_dashboard(ha, REPO / "demo" / "dashboard.yaml")
        say(
            f"dashboard: its templates render; {existing} of the {named} entities it names exist"
            + (
                " (the others come with families not on this branch yet)"
                if existing < named
                else ""
            )
        )
        if self.args.screenshot_to:
            png, shown = await screenshot.capture(
                self.args.cdp_port, f"{self.settings.ha_url}{DASHBOARD_PATH}"
            )
            await asyncio.to_thread(Path(self.args.screenshot_to).write_bytes, png)
            say(
                f"screenshot of {DASHBOARD_PATH}: {shown.get('cards')} cards, "
                f"{shown.get('charts')} graphs, {len(png) // 1024} KiB"
            )
            for warning in shown.get("warnings", []):
                say(f"  dashboard warning: {warning}")
        for issue in await hasetup.repair_issues(ha):
            details = issue.get("translation_placeholders") or ""
            say(f"  repair issue: {issue['domain']}.{issue['issue_id']} {details}")
        errors, warnings = checks.log_problems(self.hass_log, self.hass_log_start)
        for line in warnings:
            say(f"  log warning: {line[:300]}")
        if errors:
            raise DemoError("Home Assistant logged errors:\n  " + "\n  ".join(errors[:20]))
        say(f"check passed ({self.elapsed()})")


async def _first(watcher: asyncio.Future[None], work: Coroutine[Any, Any, None]) -> None:
    """Run `work` unless a child process fails first (then raise that failure)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    if watcher in done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        watcher.result()
    await task


async def amain(args: argparse.Namespace) -> int:
    demo = Demo(args)
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    interrupted = False

    def _interrupt() -> None:
        nonlocal interrupted
        if interrupted:
            return  # already stopping: a second Ctrl-C must not cut that short
        interrupted = True
        main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, _interrupt)
    code = 1
    try:
        code = await demo.run()
    except asyncio.CancelledError:
        code = 1 if args.check else 0
    except (DemoError, HAError, flows.FlowError, procs.ChildExitedError, ValueError) as err:
        say(f"\033[31mFAILED:\033[0m {err}")
        code = 1
    except screenshot.ScreenshotError as err:
        say(f"\033[31mFAILED (screenshot):\033[0m {err}")
        code = 1
    finally:
        if demo.sup.children:
            say("stopping everything" + (" (interrupted)" if interrupted else ""))
            await asyncio.shield(demo.sup.stop_all())
            say("stopped")
    return code


def main() -> int:
    parser = argparse.ArgumentParser(prog="demo_lib")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--screenshot-to")
    parser.add_argument("--cdp-port", type=int, default=0)
    args = parser.parse_args()
    # ./scripts/demo forwards the signals it gets to this process
    pid_file = REPO / ".demo" / "run" / "orchestrator.pid"
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    try:
        return asyncio.run(amain(args))
    finally:
        pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
