"""The contract between the agent core and its hardware features (laps, reactor, ble).

The core (config, durable outbox, MQTT link) runs the features named in the config file.
A feature reads its hardware through a backend (real or simulated, chosen in config),
emits records through `emit` - which writes them to the durable outbox before anything is
sent - and answers commands addressed to it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

# emit(record_type, data) -> seq: durable once it returns (docs/protocol.md §1.6)
Emit = Callable[[str, Mapping[str, Any]], int]


class CommandError(Exception):
    """A command the feature refuses; `code` goes into the reply (docs/protocol.md §1.8)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Feature(ABC):
    """One hardware feature of an agent."""

    #: the capability name announced (docs/protocol.md §1.4) and the config section
    name: str = ""
    #: commands (docs/protocol.md §1.8) this feature answers
    commands: frozenset[str] = frozenset()

    @abstractmethod
    def capability(self) -> dict[str, Any]:
        """What goes under announce.capabilities[name]."""

    @abstractmethod
    async def run(self, emit: Emit) -> None:
        """Read the hardware until cancelled, emitting records; never returns normally."""

    async def handle_command(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out a command; return the reply's result or raise CommandError."""
        raise CommandError("unknown_command", f"{self.name} has no command {cmd!r}")
