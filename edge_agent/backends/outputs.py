"""Control outputs on the Pi: a GPIO line on/off (libgpiod v2) and hardware PWM (sysfs).

Both are imported or opened only when an output is configured. Each call is a few
microseconds of kernel work; the line or channel stays claimed by the agent until closed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class SwitchLine(Protocol):
    def set(self, on: bool) -> None: ...

    def close(self) -> None: ...


class PwmChannel(Protocol):
    def set_duty(self, percent: float) -> None: ...

    def close(self) -> None: ...


class OutputError(OSError):
    """The output cannot be claimed or driven."""


class GpiodSwitch:
    """One GPIO line as an output (`gpiod` >= 2.0.2: `pip install 'edge-agent[gpio]'`)."""

    def __init__(self, chip: int, pin: int, active_low: bool = False) -> None:
        try:
            import gpiod  # noqa: PLC0415 - optional dependency, only on the Pi
            from gpiod.line import Direction, Value  # noqa: PLC0415
        except ImportError as err:
            raise OutputError("gpiod is not installed (pip install 'edge-agent[gpio]')") from err
        self._pin = pin
        self._value: Any = Value
        try:
            self._request: Any = gpiod.request_lines(
                f"/dev/gpiochip{chip}",
                consumer="edge-agent",
                config={
                    pin: gpiod.LineSettings(
                        direction=Direction.OUTPUT,
                        active_low=active_low,
                        output_value=Value.INACTIVE,
                    )
                },
            )
        except OSError as err:
            raise OutputError(f"cannot claim GPIO {pin} on gpiochip{chip}: {err}") from err

    def set(self, on: bool) -> None:
        self._request.set_value(self._pin, self._value.ACTIVE if on else self._value.INACTIVE)

    def close(self) -> None:
        self._request.release()


class SysfsPwm:
    """A hardware PWM channel (`dtoverlay=pwm` on a Raspberry Pi) at a fixed frequency."""

    def __init__(self, chip: int, channel: int, frequency: float) -> None:
        self._root = Path(f"/sys/class/pwm/pwmchip{chip}")
        self._dir = self._root / f"pwm{channel}"
        self._period_ns = round(1e9 / frequency)
        try:
            if not self._dir.exists():
                (self._root / "export").write_text(str(channel))
            (self._dir / "period").write_text(str(self._period_ns))
            (self._dir / "duty_cycle").write_text("0")
            (self._dir / "enable").write_text("1")
        except OSError as err:
            raise OutputError(f"cannot set up PWM {channel} on pwmchip{chip}: {err}") from err

    def set_duty(self, percent: float) -> None:
        (self._dir / "duty_cycle").write_text(str(round(self._period_ns * percent / 100)))

    def close(self) -> None:
        try:
            (self._dir / "duty_cycle").write_text("0")
            (self._dir / "enable").write_text("0")
        except OSError:
            pass
