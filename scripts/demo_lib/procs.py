"""The demo's child processes: each in its own session (process group), logged to a file,
stopped together - SIGTERM to every group, then SIGKILL to what is left - so Ctrl-C leaves
nothing behind. Each child also gets SIGTERM from the kernel if the orchestrator dies
(PR_SET_PDEATHSIG), and the groups are recorded so the next run can stop leftovers of a run
that was killed outright.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
from dataclasses import dataclass, field
import json
import logging
import os
from pathlib import Path
import signal
import time

_LOGGER = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


def _child_setup() -> None:  # pragma: no cover - runs in the forked child
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildExitedError(Exception):
    """A child the demo depends on exited."""


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    proc: asyncio.subprocess.Process
    #: stop order: higher tiers first (the broker last, so no client sees it vanish)
    tier: int = 1

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


@dataclass
class Supervisor:
    """Starts children, notices when one exits, stops them all."""

    run_dir: Path
    log_dir: Path
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    @property
    def _record(self) -> Path:
        return self.run_dir / "pgids.json"

    async def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        tier: int = 1,
    ) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            out.write(f"\n==== {time.strftime('%F %T')} {' '.join(argv)}\n".encode())
            out.flush()
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                cwd=cwd,
                preexec_fn=_child_setup,  # only os.setsid and prctl: safe before exec
            )
        child = Child(name, argv, log, proc, tier)
        self.children.append(child)
        self._save()
        return child

    def _save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        data = [{"name": c.name, "pgid": c.pid, "argv0": c.argv[0]} for c in self.children]
        self._record.write_text(json.dumps(data))

    async def watch(self) -> None:
        """Return never; raise ChildExitedError as soon as any child (started so far) exits."""
        while True:
            for child in self.children:
                if child.proc.returncode is not None:
                    raise ChildExitedError(
                        f"{child.name} exited with code {child.proc.returncode} "
                        f"(log: {child.log})\n{child.tail()}"
                    )
            await asyncio.sleep(0.5)

    async def stop_all(self, timeout: float = 25.0) -> None:
        """Stop every child, tier by tier (highest first): SIGTERM to its group, a wait, then
        SIGKILL to the group (so nothing a child started is left behind either)."""
        self.stopping = True
        for tier in sorted({c.tier for c in self.children}, reverse=True):
            await self._stop([c for c in self.children if c.tier == tier], timeout)
        self.children.clear()
        self._record.unlink(missing_ok=True)

    async def _stop(self, children: list[Child], timeout: float) -> None:
        for child in children:
            if child.proc.returncode is None:
                _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                await asyncio.wait_for(child.proc.wait(), remaining)
            except TimeoutError:
                _LOGGER.warning("%s did not stop in %.0f s: killing it", child.name, timeout)
        for child in children:
            _signal_group(child.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.proc.wait(), 5)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_leftovers(run_dir: Path) -> list[str]:
    """Stop the groups a previous run recorded and did not stop (it was killed outright).

    A recorded group is only signalled if its leader still runs the program recorded for it,
    so a recycled process id is never hit.
    """
    record = run_dir / "pgids.json"
    try:
        entries = json.loads(record.read_text())
    except (OSError, ValueError):
        return []
    stopped = []
    for entry in entries:
        pgid = int(entry["pgid"])
        try:
            cmdline = Path(f"/proc/{pgid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # a script's leader shows its interpreter first: compare the first two words
        names = {os.path.basename(w.decode(errors="replace")) for w in cmdline[:2]}
        if os.path.basename(entry["argv0"]) not in names:
            continue
        _signal_group(pgid, signal.SIGTERM)
        stopped.append(f"{entry['name']} (pgid {pgid})")
    if stopped:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
            Path(f"/proc/{int(e['pgid'])}").exists() for e in entries
        ):
            time.sleep(0.2)
        for entry in entries:
            _signal_group(int(entry["pgid"]), signal.SIGKILL)
    record.unlink(missing_ok=True)
    return stopped
