"""Reconnect delays: exponential from a few milliseconds up to a cap, with jitter.

The reactor seed's ladder (5 ms, 10 ms, 25 ms ... 1 s, 1 s) is the shape: a broker that
restarts is found again almost at once, one that stays down costs one attempt per second.
The jitter (each delay is drawn between half and all of its step) keeps a room full of Pis
that lost the same broker from reconnecting in lock-step.
"""

from __future__ import annotations

from collections.abc import Callable
import random


class Backoff:
    def __init__(
        self, initial: float, cap: float, rand: Callable[[], float] = random.random
    ) -> None:
        self.initial = initial
        self.cap = max(cap, initial)
        self._rand = rand
        self._step = 0.0

    def next(self) -> float:
        """The delay before the next attempt (seconds)."""
        self._step = self.initial if self._step == 0 else min(self._step * 2, self.cap)
        return self._step * (0.5 + self._rand() / 2)

    def reset(self) -> None:
        """A connection succeeded: the next failure starts again from `initial`."""
        self._step = 0.0
