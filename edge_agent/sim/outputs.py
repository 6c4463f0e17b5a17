"""Simulated control outputs: they remember what they were told (tests, the demo)."""

from __future__ import annotations


class SimSwitch:
    def __init__(self) -> None:
        self.on = False
        self.history: list[bool] = []
        self.closed = False
        self.broken = False  # set to make the next set() fail like a lost GPIO chip

    def set(self, on: bool) -> None:
        if self.broken:
            raise OSError("simulated GPIO failure")
        self.on = on
        self.history.append(on)

    def close(self) -> None:
        self.closed = True


class SimPwm:
    def __init__(self) -> None:
        self.duty = 0.0
        self.history: list[float] = []
        self.closed = False

    def set_duty(self, percent: float) -> None:
        self.duty = percent
        self.history.append(percent)

    def close(self) -> None:
        self.closed = True
