"""Where lane edges come from: real GPIO (gpio.py) or the simulated track (sim.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from .detector import Edge


class EdgeSource(ABC):
    """A stream of lane edges stamped with one monotonic clock, plus that clock."""

    @abstractmethod
    async def open(self) -> None:
        """Claim the hardware (raises with a clear message when it cannot)."""

    @abstractmethod
    async def read(self, deadline_ns: int | None) -> list[Edge]:
        """The edges that arrived, in kernel order; waits for at least one, or until the
        monotonic `deadline_ns` (then returns what there is, possibly nothing)."""

    @abstractmethod
    def now_ns(self) -> int:
        """The monotonic clock the edges are stamped with."""

    @abstractmethod
    def wall_ns(self, mono_ns: int) -> int:
        """A monotonic timestamp of this source as Unix time in ns."""

    async def close(self) -> None:
        """Release the hardware."""
