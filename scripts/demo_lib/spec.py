"""What a device family declares to take part in the demo (see families.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Process:
    """A program run beside Home Assistant, in the demo's HA environment (where `edge-agent`
    is installed from the repository), with the repository root as working directory.

    `argv` and the `files` templates may use `$placeholders` (settings.Settings.values).
    """

    name: str
    argv: tuple[str, ...]
    #: (template in the repo, file under .demo/) rendered before the process starts, e.g. an
    #: agent's config file with the broker's port filled in
    files: tuple[tuple[str, str], ...] = ()
    #: a placeholder naming a TCP port on 127.0.0.1 the process serves: the demo waits for it
    wait_port: str | None = None


@dataclass(frozen=True)
class Flow:
    """A config flow driven through HA's API, answering each step the flow shows by its id.

    `answers` maps a step id to the form data ({} for a confirmation) or, for a menu, to
    {"next_step_id": option}. A value that is exactly "$placeholder" becomes that setting's
    value (an int for ports); "$x" inside a longer string is substituted as text.
    Nothing is driven when an entry of `handler` titled `title` exists already (a second run).
    Otherwise a flow started by the user (discovery=None) is driven - HA itself aborts it with
    already_configured / single_instance_allowed if its entry exists under another title - and
    a discovery flow is waited for (HA starts it when the device shows up).
    """

    handler: str
    answers: Mapping[str, Mapping[str, Any]]
    title: str = ""
    discovery: str | None = None  # "mqtt" or "bluetooth"
    unique_id: str | None = None  # picks the discovery flow (its context's unique_id)


@dataclass(frozen=True)
class Action:
    """An action (service call) made through HA's API once the family's flows are done - what
    a person would press to get things going, e.g. start a race. HA refusing it (a race
    already on) is reported, not a failure."""

    domain: str
    service: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Family:
    """One kind of device in the demo."""

    name: str
    #: modules (dotted, relative to the repo root) that must exist for this family to run; a
    #: family whose code is not on this branch yet is skipped with a notice
    requires: tuple[str, ...]
    processes: tuple[Process, ...] = ()
    #: commands (argv, same placeholders) that must succeed before anything starts, e.g.
    #: `edge-agent check-config --config ...`: once the code is there, a wrong entry fails loudly
    probes: tuple[tuple[str, ...], ...] = ()
    flows: tuple[Flow, ...] = ()
    #: actions made after the flows, every run (e.g. start a race)
    actions: tuple[Action, ...] = ()
    #: entity ids that must show a live state (not unavailable/unknown) for --check to pass
    live: tuple[str, ...] = ()
    #: what the README / console says this family shows
    summary: str = ""

    def missing(self, repo: Path) -> list[str]:
        """The required modules not present in `repo`."""
        return [m for m in self.requires if not module_exists(repo, m)]


def module_exists(repo: Path, module: str) -> bool:
    """Whether `module` (a.b.c) is a module or package file under `repo`."""
    base = repo.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
