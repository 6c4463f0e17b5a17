"""The contract between the agent core and its hardware features (laps, reactor, ble).

The core (config, durable outbox, MQTT link) runs the features named in the config file.
A feature reads its hardware through a backend (real or simulated, chosen in config),
emits records through `ctx.emit` - which writes them to the durable outbox before anything
is sent - and answers commands addressed to it.

Each feature module (edge_agent/features/NAME/ or NAME.py) exposes `SPEC: FeatureSpec`,
and is listed in edge_agent/features/__init__.py: FEATURE_MODULES.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# emit(record_type, data) -> seq: the record is durable (in the outbox) once it returns,
# and will reach HA exactly once (docs/protocol.md §1.6)
Emit = Callable[[str, Mapping[str, Any]], int]
# publish_live(leaf, payload): best-effort, not sequenced, not stored (e.g. the `ble` topic)
PublishLive = Callable[[str, Mapping[str, Any]], None]


def _no_reannounce() -> None:
    """A core that cannot re-announce: the new capability goes out at the next connect."""


@dataclass(frozen=True, slots=True)
class FeatureContext:
    agent_id: str
    emit: Emit
    publish_live: PublishLive
    # ask the core to publish `announce` again soon: the feature's capability() changed
    # (a sensor was found by a scan); HA then adds the new entities without a reload
    reannounce: Callable[[], None] = _no_reannounce


class CommandError(Exception):
    """A command the feature refuses; `code` goes into the reply (docs/protocol.md §1.8)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Feature(ABC):
    """One hardware feature of an agent."""

    #: the capability name announced (docs/protocol.md §1.4)
    name: str = ""
    #: commands (docs/protocol.md §1.8) this feature answers
    commands: frozenset[str] = frozenset()

    @abstractmethod
    def capability(self) -> dict[str, Any]:
        """What goes under announce.capabilities[name]."""

    @abstractmethod
    async def run(self, ctx: FeatureContext) -> None:
        """Read the hardware until cancelled, emitting records; never returns normally.
        Blocking hardware calls go to a thread (asyncio.to_thread); nothing polls when idle
        unless the hardware itself must be polled."""

    async def handle_command(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out a command; return the reply's result or raise CommandError."""
        raise CommandError("unknown_command", f"{self.name} has no command {cmd!r}")

    async def close(self) -> None:
        """Release the hardware (called on shutdown, after run() was cancelled)."""


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """How the core finds, configures and builds one feature."""

    #: the config file's section name (may differ from the capability name)
    section: str
    #: (section mapping, key path like "laps") -> typed config; raises schema.ConfigError
    parse: Callable[[Any, str], Any]
    #: typed config -> the feature
    build: Callable[[Any], Feature]
