"""Where the reactor feature's buses and outputs come from: the Pi's, or the simulator's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_agent.backends.i2c import I2CBus, open_bus
from edge_agent.backends.onewire import OneWire, SysfsOneWire
from edge_agent.backends.outputs import GpiodSwitch, PwmChannel, SwitchLine, SysfsPwm

from .config import OutputConfig, ReactorConfig


@dataclass
class Hardware:
    open_bus: Callable[[int], I2CBus]
    onewire: OneWire | None
    switch: Callable[[OutputConfig], SwitchLine]
    pwm: Callable[[OutputConfig], PwmChannel]
    #: the simulated board behind it, if any (tests and the demo drive its failures)
    board: Any = None


def _switch(config: OutputConfig) -> SwitchLine:
    assert config.pin is not None
    return GpiodSwitch(config.chip, config.pin, config.active_low)


def _pwm(config: OutputConfig) -> PwmChannel:
    assert config.pwm_channel is not None
    return SysfsPwm(config.pwm_chip, config.pwm_channel, config.frequency)


def sim_hardware(board: Any, bus_number: int) -> Hardware:
    """Hardware backed by a SimBoard (edge_agent.sim.reactor_board)."""
    from edge_agent.sim.i2c import SimBus  # noqa: PLC0415 - simulator only when asked for

    def bus(number: int) -> I2CBus:
        return board.bus if number == bus_number else SimBus(time_scale=board.bus.time_scale)

    return Hardware(
        open_bus=bus,
        onewire=board.onewire,
        switch=lambda config: board.switch(config.id),
        pwm=lambda config: board.pwm(config.id),
        board=board,
    )


def open_hardware(config: ReactorConfig) -> Hardware:
    if config.backend == "sim":
        from edge_agent.sim.control import watch_control  # noqa: PLC0415
        from edge_agent.sim.reactor_board import build_board  # noqa: PLC0415

        board = build_board(config.sim.time_scale, config.sim.seed)
        if config.sim.control is not None:
            watch_control(board, config.sim.control)
        return sim_hardware(board, config.bus)
    return Hardware(
        open_bus=open_bus, onewire=SysfsOneWire(config.w1_path), switch=_switch, pwm=_pwm
    )
