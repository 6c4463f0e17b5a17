"""One device per car: laps, last/best/average lap, position, gap to leader, lap events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import Platform, UnitOfTime
from homeassistant.helpers.entity import Entity

from .entity import LapsEntity
from .events import CarEventEntity
from .feature import seconds

if TYPE_CHECKING:
    from .feature import LapsFeature


@dataclass(frozen=True, kw_only=True)
class CarSensorDescription(SensorEntityDescription):
    value_fn: Callable[[LapsFeature, str], float | int | None]
    attrs_fn: Callable[[LapsFeature, str], dict[str, Any]] | None = None


def _stat(feature: LapsFeature, car: str, name: str) -> int | None:
    stats = feature.race.cars.get(car)
    value: int | None = getattr(stats, name) if stats is not None else None
    return value


def _gap(feature: LapsFeature, car: str) -> float | None:
    standing = feature.standing(car)
    return None if standing is None else seconds(standing.gap_us)


def _gap_attrs(feature: LapsFeature, car: str) -> dict[str, Any]:
    standing = feature.standing(car)
    return {"laps_behind": None if standing is None else standing.laps_behind}


def _laps_attrs(feature: LapsFeature, car: str) -> dict[str, Any]:
    stats = feature.race.cars.get(car)
    standing = feature.standing(car)
    return {
        "lane": None if stats is None else stats.lane,
        "laps_during_pause": 0 if stats is None else stats.marked_laps,
        "finished": standing is not None and standing.finished,
    }


def _duration(key: str, **kwargs: Any) -> CarSensorDescription:
    return CarSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=3,
        **kwargs,
    )


CAR_SENSORS: tuple[CarSensorDescription, ...] = (
    CarSensorDescription(
        key="laps",
        translation_key="car_laps",
        value_fn=lambda f, car: _stat(f, car, "laps") or 0,
        attrs_fn=_laps_attrs,
    ),
    _duration(
        "last_lap",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda f, car: seconds(_stat(f, car, "last_us")),
    ),
    _duration("best_lap", value_fn=lambda f, car: seconds(_stat(f, car, "best_us"))),
    _duration("average_lap", value_fn=lambda f, car: seconds(_stat(f, car, "average_us"))),
    CarSensorDescription(
        key="position",
        translation_key="race_position",
        value_fn=lambda f, car: s.position if (s := f.standing(car)) else None,
    ),
    _duration("gap_to_leader", value_fn=_gap, attrs_fn=_gap_attrs),
)


class CarSensor(LapsEntity, SensorEntity):
    entity_description: CarSensorDescription

    def __init__(self, feature: LapsFeature, car: str, description: CarSensorDescription) -> None:
        super().__init__(feature, description.key, car)
        self.entity_description = description

    @property
    def native_value(self) -> float | int | None:
        assert self.car is not None
        return self.entity_description.value_fn(self.feature, self.car)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        attrs_fn = self.entity_description.attrs_fn
        assert self.car is not None
        return None if attrs_fn is None else attrs_fn(self.feature, self.car)


def car_entities(feature: LapsFeature, car: str, platform: Platform) -> list[Entity]:
    """The entities of `car` on `platform` (sensors and the lap event entity)."""
    if platform is Platform.SENSOR:
        return [CarSensor(feature, car, description) for description in CAR_SENSORS]
    if platform is Platform.EVENT:
        event = CarEventEntity(feature, car)
        feature.register_car_event(car, event)
        return [event]
    return []
