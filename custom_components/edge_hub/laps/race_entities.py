"""Race control on the lap counter's (the agent's) device.

Mode select, target/countdown numbers, start/pause/resume/stop/reset buttons, and the race's
status, leader, winner, elapsed and remaining time. They are Home Assistant's own state, so
every dashboard (and every phone) shows the same race, and a page refresh loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.components.select import SelectEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import Platform, UnitOfTime
from homeassistant.helpers.entity import Entity

from ..edge_hub_core.race import Mode, Status
from .entity import LapsEntity
from .events import RaceEventEntity

if TYPE_CHECKING:
    from .feature import LapsFeature


def _s(ns: int | None) -> int | None:
    return None if ns is None else round(ns / 1_000_000_000)


# --- sensors -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RaceSensorDescription(SensorEntityDescription):
    value_fn: Callable[[LapsFeature], str | int | None]
    attrs_fn: Callable[[LapsFeature], dict[str, Any]] | None = None


def _status_attrs(feature: LapsFeature) -> dict[str, Any]:
    race = feature.race
    settings = race.settings
    leader = feature.standing(race.leader() or "")
    return {
        "mode": settings.mode.value,
        "target_laps": settings.target_laps if settings.mode is Mode.LAPS else None,
        "target_minutes": settings.target_minutes if settings.mode is Mode.TIMED else None,
        "countdown": _s(race.countdown_ns(feature.now_ns())),
        "laps_remaining": (
            max(0, settings.target_laps - (leader.laps if leader else 0))
            if settings.mode is Mode.LAPS and race.status is not Status.READY
            else None
        ),
    }


def _car_attrs(car: str | None) -> dict[str, Any]:
    return {"car": car}


RACE_SENSORS: tuple[RaceSensorDescription, ...] = (
    RaceSensorDescription(
        key="status",
        translation_key="race_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in Status],
        value_fn=lambda f: f.race.status.value,
        attrs_fn=_status_attrs,
    ),
    RaceSensorDescription(
        key="leader",
        translation_key="race_leader",
        value_fn=lambda f: f.car_name(f.race.leader()),
        attrs_fn=lambda f: _car_attrs(f.race.leader()),
    ),
    RaceSensorDescription(
        key="winner",
        translation_key="race_winner",
        value_fn=lambda f: f.car_name(f.race.winner()),
        attrs_fn=lambda f: _car_attrs(f.race.winner()),
    ),
    RaceSensorDescription(
        key="elapsed",
        translation_key="race_elapsed",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=lambda f: _s(f.race.elapsed_ns(f.now_ns())),
    ),
    RaceSensorDescription(
        key="remaining",
        translation_key="race_remaining",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        value_fn=lambda f: _s(f.race.remaining_ns(f.now_ns())),
    ),
)


class RaceSensor(LapsEntity, SensorEntity):
    entity_description: RaceSensorDescription

    def __init__(self, feature: LapsFeature, description: RaceSensorDescription) -> None:
        super().__init__(feature, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | int | None:
        return self.entity_description.value_fn(self.feature)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        attrs_fn = self.entity_description.attrs_fn
        return None if attrs_fn is None else attrs_fn(self.feature)


# --- mode, targets, countdown ------------------------------------------------------------


class RaceModeSelect(LapsEntity, SelectEntity):
    _attr_translation_key = "race_mode"
    _attr_options = [mode.value for mode in Mode]

    def __init__(self, feature: LapsFeature) -> None:
        super().__init__(feature, "mode")

    @property
    def current_option(self) -> str:
        return self.feature.race.settings.mode.value

    async def async_select_option(self, option: str) -> None:
        self.feature.configure(mode=Mode(option))


@dataclass(frozen=True, kw_only=True)
class RaceNumberDescription(NumberEntityDescription):
    setting: str  # the Settings field
    kind: type[int] | type[float] = int


RACE_NUMBERS: tuple[RaceNumberDescription, ...] = (
    RaceNumberDescription(
        key="target_laps",
        translation_key="race_target_laps",
        native_min_value=1,
        native_max_value=999,
        native_step=1,
        mode=NumberMode.BOX,
        setting="target_laps",
    ),
    RaceNumberDescription(
        key="target_minutes",
        translation_key="race_minutes",
        device_class=NumberDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        native_min_value=0.5,
        native_max_value=600,
        native_step=0.5,
        mode=NumberMode.BOX,
        setting="target_minutes",
        kind=float,
    ),
    RaceNumberDescription(
        key="countdown",
        translation_key="race_countdown",
        device_class=NumberDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        native_min_value=0,
        native_max_value=60,
        native_step=1,
        mode=NumberMode.BOX,
        setting="countdown_s",
    ),
)


class RaceNumber(LapsEntity, NumberEntity):
    entity_description: RaceNumberDescription

    def __init__(self, feature: LapsFeature, description: RaceNumberDescription) -> None:
        super().__init__(feature, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float:
        value: float = getattr(self.feature.race.settings, self.entity_description.setting)
        return value

    async def async_set_native_value(self, value: float) -> None:
        description = self.entity_description
        self.feature.configure(**{description.setting: description.kind(value)})


# --- buttons -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RaceButtonDescription(ButtonEntityDescription):
    control: str  # the LapsFeature method it calls


RACE_BUTTONS: tuple[RaceButtonDescription, ...] = tuple(
    RaceButtonDescription(key=key, translation_key=f"race_{key}", control=f"{key}_race")
    for key in ("start", "pause", "resume", "stop", "reset")
)


class RaceButton(LapsEntity, ButtonEntity):
    entity_description: RaceButtonDescription

    def __init__(self, feature: LapsFeature, description: RaceButtonDescription) -> None:
        super().__init__(feature, description.key)
        self.entity_description = description

    def _snapshot(self) -> Any:
        return self.available  # a button's state is its last press, written by HA

    async def async_press(self) -> None:
        control: Callable[[], None] = getattr(self.feature, self.entity_description.control)
        control()


def race_entities(feature: LapsFeature, platform: Platform) -> list[Entity]:
    """The race control entities of `platform`."""
    if platform is Platform.SENSOR:
        return [RaceSensor(feature, description) for description in RACE_SENSORS]
    if platform is Platform.SELECT:
        return [RaceModeSelect(feature)]
    if platform is Platform.NUMBER:
        return [RaceNumber(feature, description) for description in RACE_NUMBERS]
    if platform is Platform.BUTTON:
        return [RaceButton(feature, description) for description in RACE_BUTTONS]
    if platform is Platform.EVENT:
        feature.race_event = RaceEventEntity(feature)
        return [feature.race_event]
    return []
