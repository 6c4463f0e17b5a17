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

from . import broker, dashboard, flows, haconfig, procs, screenshot
from .families import FAMILIES, MQTT_FLOW
from .ha import HAError, HomeAssistant
from .settings import HOST, PASSWORD, USER_NAME, USERNAME, Settings
from .spec import Family

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_PATH = "/edge-hub/demo"
EDGE_HUB_KINDS = ("inverter", "goal_sensor", "edge_agent")
NOT_LIVE = ("unavailable", "unknown")
# hass always says these; anything else at WARNING or above is worth a look
EXPECTED_WARNINGS = (
    "Skipping pip installation of required modules",
    "We found a custom integration edge_hub which has not been tested",
)


# repair issues that say nothing about the demo, dismissed as a user would
EXPECTED_ISSUES = (
    # the notice that the first start took the http: YAML in (done with: see secure_http)
    ("http", "deprecated_yaml"),
    # hass run from a Python environment is the "Core" installation method, which HA has
    # deprecated for homes; it is exactly what a development demo is
    ("homeassistant", "deprecated_method"),
)


class DemoError(Exception):
    pass


def say(msg: str) -> None:
    print(f"\033[1m[demo]\033[0m {msg}", flush=True)


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
    async def login(self, ha: HomeAssistant, fresh: bool) -> None:
        await ha.wait_http(600 if fresh else 180)
        say(f"Home Assistant answers on {ha.url} ({_elapsed(self.t0)})")
        steps = await ha.onboarding_steps()
        if steps is not None and not steps.get("user", True):
            await ha.onboard_user(USER_NAME, USERNAME, PASSWORD)
            say(f"onboarding: created the owner account {USERNAME!r}")
        else:
            await ha.login(USERNAME, PASSWORD)
        if steps is not None:
            for step in ("core_config", "analytics", "integration"):
                if not steps.get(step, True):
                    await ha.onboard_step(step)
            say("onboarding: done")
        await self.secure_http(ha)
        config = await ha.wait_running(300)
        await self.dismiss_expected_issues(ha)
        say(f"Home Assistant {config['version']} running ({_elapsed(self.t0)})")

    async def secure_http(self, ha: HomeAssistant) -> None:
        """Confirm the HTTP settings HA took from YAML on its first start (else it reverts to
        listening on every interface after 5 minutes), and check it listens on loopback only."""
        http = await ha.ws_call("http/config")
        pending = http.get("pending")
        if pending and pending.get("error") is None:
            await ha.ws_call("http/config/promote")
            http = await ha.ws_call("http/config")
            say("HTTP settings confirmed: listening on 127.0.0.1 only")
        stable = http["stable"]
        if (
            stable.get("server_host") != [HOST]
            or stable.get("server_port") != self.settings.ha_port
        ):
            raise DemoError(
                f"HA's stored HTTP settings are {stable.get('server_host')}:"
                f"{stable.get('server_port')}, not {HOST}:{self.settings.ha_port} "
                "(the port changed since the first start? ./scripts/demo --reset starts afresh)"
            )

    async def dismiss_expected_issues(self, ha: HomeAssistant) -> None:
        for issue in await self.repair_issues(ha):
            key = (issue["domain"], issue["issue_id"])
            if key in EXPECTED_ISSUES:
                domain, issue_id = key
                await ha.ws_call(
                    "repairs/ignore_issue", domain=domain, issue_id=issue_id, ignore=True
                )

    async def repair_issues(self, ha: HomeAssistant) -> list[dict[str, Any]]:
        """The repair issues HA shows (Settings → Repairs), ignored ones left out."""
        listed = await ha.ws_call("repairs/list_issues")
        return [i for i in listed.get("issues", []) if not i.get("ignored")]

    async def configure(self, ha: HomeAssistant) -> None:
        s = self.settings
        outcome = await flows.drive(ha, MQTT_FLOW, s, 60)
        say(f"MQTT integration: {outcome}")
        await self.wait_mqtt_connected(ha, 60)
        options = await flows.menu_options(ha, "edge_hub")
        if list(options) != list(EDGE_HUB_KINDS):
            raise DemoError(f"Edge Hub's menu offers {options}, expected {list(EDGE_HUB_KINDS)}")
        say(f"Edge Hub is offered in Settings → Devices & services: {', '.join(options)}")
        for family in self.active:
            for flow in family.flows:
                outcome = await flows.drive(ha, flow, s, 120)
                say(f"{family.name}: {outcome}")

    async def wait_entries_loaded(self, ha: HomeAssistant, domain: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            entries = await ha.entries(domain)
            bad = [f"{e['title']}: {e['state']}" for e in entries if e["state"] != "loaded"]
            if entries and not bad:
                return
            if time.monotonic() > deadline:
                raise DemoError(f"{domain} entries not loaded: {bad or 'none'}")
            await asyncio.sleep(0.5)

    async def wait_mqtt_connected(self, ha: HomeAssistant, timeout: float) -> None:
        """The MQTT entry is loaded and HA's client is connected to the demo's broker (as its
        diagnostics say)."""
        await self.wait_entries_loaded(ha, "mqtt", timeout)
        [entry] = await ha.entries("mqtt")
        deadline = time.monotonic() + timeout
        while not (await ha.diagnostics(entry["entry_id"]))["data"].get("connected"):
            if time.monotonic() > deadline:
                raise DemoError(
                    f"HA's MQTT client is not connected to {HOST}:{self.settings.mqtt_port} "
                    "(see .demo/logs/hass.log and the broker's log)"
                )
            await asyncio.sleep(0.5)

    async def wait_live(self, ha: HomeAssistant, timeout: float) -> None:
        """Every active family's `live` entities show a state."""
        wanted = [(f.name, e) for f in self.active for e in f.live]
        deadline = time.monotonic() + timeout
        while True:
            states = await ha.states()
            waiting = [
                f"{fam}: {eid} = {states.get(eid, {}).get('state', 'missing')}"
                for fam, eid in wanted
                if states.get(eid, {}).get("state", "unavailable") in NOT_LIVE
            ]
            if not waiting:
                return
            if time.monotonic() > deadline:
                lines = "\n  ".join(waiting)
                raise DemoError(f"not live after {timeout:.0f} s:\n  {lines}")
            await asyncio.sleep(1)

    async def check_dashboard(self, ha: HomeAssistant) -> None:
        """Every markdown template of the dashboard renders; say which entities are missing."""
        board = dashboard.load(REPO / "demo" / "dashboard.yaml")
        for name, template in dashboard.templates(board):
            try:
                await ha.render_template(template)
            except HAError as err:
                raise DemoError(f"dashboard card {name!r}: its template fails: {err}") from None
        states = await ha.states()
        named = dashboard.entities(board)
        missing = sorted(e for e in named if e not in states)
        say(
            f"dashboard: {len(named) - len(missing)} of its {len(named)} entities exist"
            + (" (the others come with families not on this branch yet)" if missing else "")
        )

    def log_problems(self) -> tuple[list[str], list[str]]:
        """(errors, unexpected warnings) in hass's log since this run started it."""
        try:
            with self.hass_log.open("rb") as log:
                log.seek(self.hass_log_start)
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return [], []
        errors = [ln for ln in lines if " ERROR " in ln or " CRITICAL " in ln]
        warnings = [
            ln for ln in lines if " WARNING " in ln and not any(w in ln for w in EXPECTED_WARNINGS)
        ]
        return errors, warnings

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
            await self.wait_live(ha, 180)
        except (DemoError, HAError) as err:
            say(f"\033[33mstill waiting:\033[0m {err}")
        else:
            say("every device of the demo shows live states")

    async def setup(self, ha: HomeAssistant, fresh: bool) -> None:
        await self.start_processes()
        await self.login(ha, fresh)
        await self.configure(ha)

    async def check(self, ha: HomeAssistant) -> None:
        await self.wait_mqtt_connected(ha, 30)
        if any(f.flows for f in self.active):
            await self.wait_entries_loaded(ha, "edge_hub", 60)
        await self.wait_live(ha, 180)
        live = sum(len(f.live) for f in self.active)
        say(f"check: HA up, MQTT connected, Edge Hub menu ok, {live} device entities live")
        await self.check_dashboard(ha)
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
        for issue in await self.repair_issues(ha):
            details = issue.get("translation_placeholders") or ""
            say(f"  repair issue: {issue['domain']}.{issue['issue_id']} {details}")
        errors, warnings = self.log_problems()
        for line in warnings:
            say(f"  log warning: {line[:300]}")
        if errors:
            raise DemoError("Home Assistant logged errors:\n  " + "\n  ".join(errors[:20]))
        say(f"check passed ({_elapsed(self.t0)})")


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
