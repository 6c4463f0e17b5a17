"""Control outputs: a switch (GPIO on/off), a PWM duty (%), or a setpoint the agent keeps.

The state an output reports is the one applied to the hardware, never the one asked for:
`set` returns it for the command's reply and the feature emits it as an `output` record,
so Home Assistant shows what is, not what it hoped for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import json
import logging
import math
import os
from pathlib import Path
from typing import Any

from edge_agent.backends.outputs import PwmChannel, SwitchLine
from edge_agent.feature import CommandError
from edge_hub_core.reactor import OUTPUT_PWM, OUTPUT_SETPOINT, OUTPUT_SWITCH, OutputInfo

from .config import OutputConfig

_LOGGER = logging.getLogger(__name__)


class Output:
    def __init__(
        self, config: OutputConfig, line: SwitchLine | None = None, pwm: PwmChannel | None = None
    ) -> None:
        self.config = config
        self._line = line
        self._pwm = pwm
        self.state: bool | None = None
        self.value: float | None = None
        self._last_duty = 100.0  # what "on" restores for a PWM output switched off

    def info(self) -> OutputInfo:
        c = self.config
        return OutputInfo(
            id=c.id,
            kind=c.kind,
            name=c.name,
            unit=c.unit,
            minimum=c.minimum,
            maximum=c.maximum,
            step=c.step,
            device_class=c.device_class,
        )

    def record(self) -> dict[str, Any]:
        return {"output": self.config.id, "state": self.state, "value": self.value}

    async def start(self, initial: float | bool | None) -> None:
        """Apply the initial state (the hardware's state is unknown until we set it)."""
        if self.config.kind == OUTPUT_SWITCH:
            await self.set({"state": bool(initial)})
        else:
            await self.set({"value": float(initial or 0.0)})

    async def set(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Apply `{state?, value?}`; the applied state (CommandError when refused)."""
        kind = self.config.kind
        state, value = args.get("state"), args.get("value")
        if state is not None and not isinstance(state, bool):
            raise CommandError("invalid_args", "state must be true or false")
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise CommandError("invalid_args", "value must be a number")
        if kind == OUTPUT_SWITCH:
            if state is None:
                raise CommandError("invalid_args", f"{self.config.id} is a switch: give state")
            await self._apply_switch(state)
        elif kind == OUTPUT_PWM:
            if value is None:
                if state is None:
                    raise CommandError("invalid_args", "give state or value (duty in %)")
                value = self._last_duty if state else 0.0
            if not 0 <= value <= 100:
                raise CommandError("invalid_args", "a PWM duty is 0-100 %")
            await self._apply_pwm(float(value))
        else:
            assert kind == OUTPUT_SETPOINT
            if value is None:
                raise CommandError("invalid_args", f"{self.config.id} is a setpoint: give value")
            low, high = self.config.minimum, self.config.maximum
            assert low is not None
            assert high is not None
            if not low <= value <= high:
                raise CommandError("invalid_args", f"{value} is outside {low:g}..{high:g}")
            self.value = float(value)
        return self.record()

    async def _apply_switch(self, on: bool) -> None:
        assert self._line is not None
        try:
            await asyncio.to_thread(self._line.set, on)
        except OSError as err:
            raise CommandError("output_failed", f"{self.config.id}: {err}") from err
        self.state, self.value = on, None

    async def _apply_pwm(self, duty: float) -> None:
        assert self._pwm is not None
        try:
            await asyncio.to_thread(self._pwm.set_duty, duty)
        except OSError as err:
            raise CommandError("output_failed", f"{self.config.id}: {err}") from err
        if duty > 0:
            self._last_duty = duty
        self.state, self.value = duty > 0, duty

    def close(self) -> None:
        for part in (self._line, self._pwm):
            if part is not None:
                try:
                    part.close()
                except OSError:
                    _LOGGER.warning("could not release output %s", self.config.id)


class SetpointStore:
    """Setpoints survive a restart when `state_file` is set (switches and PWM start from
    their configured initial state: a heater must not come back on by itself)."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None

    def load(self) -> dict[str, float]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
            return {k: float(v) for k, v in data.get("setpoints", {}).items()}
        except (OSError, ValueError, AttributeError):
            _LOGGER.warning("ignoring unreadable reactor state file %s", self.path)
            return {}

    def save(self, setpoints: Mapping[str, float]) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        try:
            tmp.write_text(json.dumps({"setpoints": dict(setpoints)}))
            os.replace(tmp, self.path)
        except OSError as err:
            _LOGGER.warning("could not save setpoints to %s: %s", self.path, err)
