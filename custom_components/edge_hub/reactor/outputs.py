"""Control outputs of a board: a switch, or a number (PWM duty, setpoint). They show the
state the agent confirmed (its reply, its `output` records), never an optimistic guess."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.components.number import NumberDeviceClass, NumberEntity, NumberMode
from homeassistant.components.number.const import DEVICE_CLASS_UNITS as NUMBER_DEVICE_CLASS_UNITS
from homeassistant.components.switch import SwitchEntity
from homeassistant.core import callback

from ..edge_hub_core.reactor import OUTPUT_PWM, OutputInfo
from .entities import EntityContext, PushedEntity, normalize_unit
from .model import OutputState

SetOutput = Callable[[OutputInfo, dict[str, Any]], Awaitable[None]]


class _OutputEntity(PushedEntity):
    """What the switch and the number share."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    info: OutputInfo
    output_state: OutputState

    def _init(
        self, ctx: EntityContext, info: OutputInfo, state: OutputState, set_output: SetOutput
    ) -> None:
        self.info = info
        self.output_state = state
        self._set_output = set_output
        self._is_online = ctx.is_online
        self._attr_unique_id = f"{ctx.unique_prefix}_output_{info.id}"
        self._attr_device_info = ctx.device_info
        self._attr_name = info.name


class OutputSwitch(_OutputEntity, SwitchEntity):
    def __init__(
        self, ctx: EntityContext, info: OutputInfo, state: OutputState, set_output: SetOutput
    ) -> None:
        self._init(ctx, info, state, set_output)
        self._attr_available = False

    def refresh(self) -> None:
        self.sync(self._is_online())

    def sync(self, online: bool) -> None:
        self._attr_is_on = self.output_state.state
        self._attr_available = online and self.output_state.state is not None

    @callback
    def show(self, online: bool) -> None:
        self.sync(online)
        self.async_write_ha_state()

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._set_output(self.info, {"state": True})

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._set_output(self.info, {"state": False})


def number_device_class(info: OutputInfo) -> NumberDeviceClass | None:
    if info.device_class is None:
        return None
    try:
        device_class = NumberDeviceClass(info.device_class)
    except ValueError:
        return None
    units = NUMBER_DEVICE_CLASS_UNITS.get(device_class)
    return device_class if units is None or normalize_unit(info.unit) in units else None


class OutputNumber(_OutputEntity, NumberEntity):
    def __init__(
        self, ctx: EntityContext, info: OutputInfo, state: OutputState, set_output: SetOutput
    ) -> None:
        self._init(ctx, info, state, set_output)
        self._attr_available = False
        self._attr_native_min_value = info.minimum if info.minimum is not None else 0.0
        self._attr_native_max_value = info.maximum if info.maximum is not None else 100.0
        if info.step is not None:
            self._attr_native_step = info.step
        self._attr_native_unit_of_measurement = normalize_unit(info.unit)
        self._attr_device_class = number_device_class(info)
        self._attr_mode = NumberMode.SLIDER if info.kind == OUTPUT_PWM else NumberMode.BOX

    def refresh(self) -> None:
        self.sync(self._is_online())

    def sync(self, online: bool) -> None:
        self._attr_native_value = self.output_state.value
        self._attr_available = online and self.output_state.value is not None

    @callback
    def show(self, online: bool) -> None:
        self.sync(online)
        self.async_write_ha_state()

    async def async_set_native_value(self, value: float) -> None:
        await self._set_output(self.info, {"value": value})
