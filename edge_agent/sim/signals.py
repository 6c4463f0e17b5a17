"""Values for simulated sensors: fixed ones for tests, slowly drifting ones for the demo.

A bioreactor's values move slowly: a daily cycle, a wandering offset and a little noise.
`Drift` models exactly that (a sine plus a mean-reverting random walk), deterministic for a
given seed, so a demo run looks real and a deadband has something realistic to filter.
"""

from __future__ import annotations

import math
import random
import threading
from typing import Protocol


class Signal(Protocol):
    def __call__(self, t: float) -> float: ...


class Fixed:
    """A value that changes only when told to (tests)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, t: float) -> float:
        return self.value


class Drift:
    """base + amplitude·sin(2πt/period) + a mean-reverting walk (sd `wander`) + noise."""

    def __init__(
        self,
        base: float,
        *,
        amplitude: float = 0.0,
        period_s: float = 86_400.0,
        wander: float = 0.0,
        noise: float = 0.0,
        seed: int = 0,
        minimum: float = -math.inf,
        maximum: float = math.inf,
    ) -> None:
        self.base = base
        self.amplitude = amplitude
        self.period_s = period_s
        self.wander = wander
        self.noise = noise
        self.minimum = minimum
        self.maximum = maximum
        self._rng = random.Random(seed)
        self._phase = self._rng.uniform(0, 2 * math.pi)
        self._walk = 0.0
        self._last_t: float | None = None
        self._lock = threading.Lock()

    def __call__(self, t: float) -> float:
        with self._lock:
            if self._last_t is not None and t > self._last_t and self.wander:
                # Ornstein-Uhlenbeck step with a 30-minute relaxation time
                dt = min(t - self._last_t, 3600.0)
                theta = dt / 1800.0
                self._walk += -theta * self._walk + self.wander * math.sqrt(
                    2 * theta
                ) * self._rng.gauss(0, 1)
            self._last_t = t
            value = (
                self.base
                + self.amplitude * math.sin(2 * math.pi * t / self.period_s + self._phase)
                + self._walk
                + (self._rng.gauss(0, self.noise) if self.noise else 0.0)
            )
        return min(self.maximum, max(self.minimum, value))
