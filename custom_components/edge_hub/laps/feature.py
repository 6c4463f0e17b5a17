"""The lap counter as an agent feature: `lap` records in, race state and entities out.

All race state lives in one pure `Race` (edge_hub_core.race) that `state()` hands to the
agent runtime, which stores it together with the applied sequence number: a restart (or a
reload) restores exactly the race that the acknowledged records built. Names of drivers and
cars live in the entry's options. Entities only read from here and write their state when
what they show has changed, so a busy track does not flood the state machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util

from ..agent.feature import AgentContext, AgentFeature
from ..const import DOMAIN, LOGGER
from ..edge_hub_core.protocol import Record
from ..edge_hub_core.race import (
    ACTIVE,
    LapCompleted,
    LapIgnored,
    Mode,
    PersonalBest,
    Race,
    RaceError,
    RaceEvent,
    RaceFinished,
    RaceStarted,
    Standing,
    TrackRecord,
)
from .const import CLOCK_INTERVAL_S, CONF_CAR_NAME, CONF_DRIVER, LAPS_FEATURES, OPT_CARS

if TYPE_CHECKING:
    from .entity import LapsEntity
    from .events import CarEventEntity, RaceEventEntity

_VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__annotations__


def find_device(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], entry_id: str
) -> dr.DeviceEntry | None:
    """The entry's device with `identifier` (HA 2026.10 deprecates async_get_device:
    identifiers are unique per config entry only)."""
    by_identifier = getattr(registry, "async_get_device_by_identifier", None)
    if by_identifier is not None:
        device: dr.DeviceEntry | None = by_identifier(identifier, entry_id)
        return device
    return registry.async_get_device(identifiers={identifier})


def _sort_key(car: str) -> tuple[int, int, str]:
    """Cars "2" before "10"; named cars after numbered ones."""
    return (0, int(car), "") if car.isdigit() else (1, 0, car)


def seconds(us: int | None) -> float | None:
    return None if us is None else round(us / 1_000_000, 6)


class LapsFeature(AgentFeature):
    """One agent's lap counter: its race, its cars and their entities."""

    record_types = frozenset({"lap", "edge_gap", "event"})
    platforms = frozenset(
        {Platform.BUTTON, Platform.EVENT, Platform.NUMBER, Platform.SELECT, Platform.SENSOR}
    )

    def __init__(self, ctx: AgentContext, capability: Mapping[str, Any]) -> None:
        super().__init__(ctx, capability)
        self.hass: HomeAssistant = ctx.hass
        self.race: Race = Race()
        self.lanes: dict[int, str] = {}
        self.announced_cars: dict[str, str] = {}
        self.counters: dict[str, int] = {
            "laps": 0,
            "before_start": 0,
            "after_finish": 0,
            "edge_gaps": 0,
            "missed_edges": 0,
            "unidentified_cars": 0,
            "bad_records": 0,
        }
        self._read_capability(capability)
        self._adders: dict[Platform, AddConfigEntryEntitiesCallback] = {}
        self._added: set[tuple[Platform, str]] = set()  # (platform, car) with entities
        self._entities: set[LapsEntity] = set()
        self._car_events: dict[str, CarEventEntity] = {}
        self.race_event: RaceEventEntity | None = None
        self._standings: dict[str, Standing] | None = None
        self._unsub_clock: CALLBACK_TYPE | None = None
        self._unsub_wakeup: CALLBACK_TYPE | None = None
        self._logged: set[str] = set()
        self._agent_device_id: str | None = None
        ident = ctx.device_info.get("identifiers") or {(DOMAIN, ctx.agent_id)}
        self.agent_identifier: tuple[str, str] = next(iter(ident))
        ctx.hass.data.setdefault(LAPS_FEATURES, {})[ctx.entry.entry_id] = self
        self._unsub_options = ctx.entry.add_update_listener(self._async_options_updated)

    # --- capability and names ------------------------------------------------------------

    def _read_capability(self, capability: Mapping[str, Any]) -> None:
        for lane in capability.get("lanes") or []:
            if isinstance(lane, Mapping) and isinstance(lane.get("lane"), int):
                self.lanes[lane["lane"]] = str(lane.get("name") or f"Lane {lane['lane']}")
        for car in capability.get("cars") or []:
            if isinstance(car, Mapping) and isinstance(car.get("car"), str):
                self.announced_cars[car["car"]] = str(car.get("name") or f"Car {car['car']}")

    def car_ids(self) -> list[str]:
        """Every car this lap counter knows: announced, named, or seen on the track."""
        cars = set(self.announced_cars) | set(self.race.cars)
        cars |= set(self.ctx.entry.options.get(OPT_CARS, {}))
        return sorted(cars, key=_sort_key)

    def car_name(self, car: str | None) -> str | None:
        """The shown name: "Driver (Car)" from the options flow, else the agent's name."""
        if car is None:
            return None
        names = self.ctx.entry.options.get(OPT_CARS, {}).get(car, {})
        driver = names.get(CONF_DRIVER) or ""
        model = names.get(CONF_CAR_NAME) or ""
        if driver and model:
            return f"{driver} ({model})"
        return driver or model or self.announced_cars.get(car) or f"Car {car}"

    def car_device_identifier(self, car: str) -> tuple[str, str]:
        return (DOMAIN, f"{self.ctx.agent_id}_car_{car}")

    def car_device_info(self, car: str) -> DeviceInfo:
        names = self.ctx.entry.options.get(OPT_CARS, {}).get(car, {})
        info: dict[str, Any] = {
            "identifiers": {self.car_device_identifier(car)},
            "name": self.car_name(car),
            "model": names.get(CONF_CAR_NAME) or "Slot car",
        }
        # a child of the agent's device; HA 2026.8+ links by device id (via_device is
        # deprecated there), older versions only by identifier
        if _VIA_DEVICE_ID and self._agent_device_id is not None:
            info["via_device_id"] = self._agent_device_id
        else:
            info["via_device"] = self.agent_identifier
        return cast(DeviceInfo, info)

    async def _async_options_updated(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """New driver or car names: rename the car devices and what shows names."""
        registry = dr.async_get(hass)
        for car in {car for _, car in self._added}:
            device = find_device(registry, self.car_device_identifier(car), entry.entry_id)
            if device is not None:
                names = entry.options.get(OPT_CARS, {}).get(car, {})
                registry.async_update_device(
                    device.id,
                    name=self.car_name(car),
                    model=names.get(CONF_CAR_NAME) or "Slot car",
                )
        self._refresh(force=True)

    # --- entities --------------------------------------------------------------------------

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        # imported here: entity modules import this one
        from .race_entities import race_entities  # noqa: PLC0415

        self._adders[platform] = async_add_entities
        # the agent's device hosts the race controls and parents the cars' devices
        agent_device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.ctx.entry.entry_id, **self.ctx.device_info
        )
        self._agent_device_id = agent_device.id
        entities = race_entities(self, platform)
        for car in self.car_ids():
            entities += self._new_car_entities(car, platform)
        async_add_entities(entities)
        self._update_clock()

    def _new_car_entities(self, car: str, platform: Platform) -> list[Entity]:
        from .car_entities import car_entities  # noqa: PLC0415

        if (platform, car) in self._added:
            return []
        self._added.add((platform, car))
        return car_entities(self, car, platform)

    def _ensure_car(self, car: str) -> None:
        """Add the entities of a car seen for the first time (on every set-up platform)."""
        for platform, add in self._adders.items():
            if entities := self._new_car_entities(car, platform):
                add(entities)

    def register_entity(self, entity: LapsEntity) -> Callable[[], None]:
        self._entities.add(entity)
        return lambda: self._entities.discard(entity)

    def register_car_event(self, car: str, event: CarEventEntity) -> None:
        self._car_events[car] = event

    def standing(self, car: str) -> Standing | None:
        if self._standings is None:
            self._standings = {s.car: s for s in self.race.standings()}
        return self._standings.get(car)

    @callback
    def _refresh(self, *, force: bool = False) -> None:
        self._standings = None
        for entity in list(self._entities):
            entity.async_refresh(force=force)

    def availability_changed(self) -> None:
        self._refresh()

    # --- records ---------------------------------------------------------------------------

    def apply(self, record: Record) -> None:
        try:
            if record.type == "lap":
                self._apply_lap(record.data)
            elif record.type == "edge_gap":
                self._apply_edge_gap(record.data)
            elif record.type == "event" and record.data.get("name") == "unidentified_car":
                self.counters["unidentified_cars"] += 1
                self._log_once(
                    "unidentified_car",
                    "Agent %s saw a digital car its ID table does not know (%s); check "
                    "laps.digital.cars in the agent's config",
                    self.ctx.agent_id,
                    record.data.get("attrs"),
                )
        except (KeyError, TypeError, ValueError) as err:
            self.counters["bad_records"] += 1
            self._log_once(
                f"bad_{record.type}",
                "Ignoring %s record %d from agent %s: %s",
                record.type,
                record.seq,
                self.ctx.agent_id,
                err,
            )

    def _apply_lap(self, data: Mapping[str, Any]) -> None:
        car = data["car"]
        if not isinstance(car, str) or not car:
            raise ValueError(f"bad car {car!r}")
        lap_time = data.get("lap_time_us")
        events = self.race.lap(
            car,
            int(data["lane"]),
            None if lap_time is None else int(lap_time),
            int(data["crossed_ns"]),
        )
        self._ensure_car(car)
        self._handle(events)
        self._changed()

    def _apply_edge_gap(self, data: Mapping[str, Any]) -> None:
        missed = int(data["missed"])
        self.counters["edge_gaps"] += 1
        self.counters["missed_edges"] += missed
        LOGGER.warning(
            "Agent %s lane %s dropped %d sensor edges: a lap may be missing or late",
            self.ctx.agent_id,
            data.get("lane"),
            missed,
        )
        self.ctx.schedule_save()

    def _handle(self, events: list[RaceEvent]) -> None:
        """Count the race's events and fire them on the event entities."""
        for event in events:
            if isinstance(event, LapCompleted):
                self.counters["laps"] += 1
                self._fire_car(
                    event.car,
                    "lap_completed",
                    {
                        "lap": event.lap,
                        "lap_time": seconds(event.lap_time_us),
                        "lane": event.lane,
                        "during_pause": event.paused,
                        "estimated": event.estimated,
                    },
                )
            elif isinstance(event, LapIgnored):
                self.counters[event.reason] = self.counters.get(event.reason, 0) + 1
            elif isinstance(event, PersonalBest):
                self._fire_car(
                    event.car,
                    "personal_best",
                    {
                        "lap_time": seconds(event.lap_time_us),
                        "previous": seconds(event.previous_us),
                        "lane": event.lane,
                    },
                )
            elif isinstance(event, TrackRecord):
                attrs = {
                    "car": event.car,
                    "name": self.car_name(event.car),
                    "lane": event.lane,
                    "lap_time": seconds(event.lap_time_us),
                    "previous": seconds(event.previous_us),
                    "previous_car": event.previous_car,
                    "previous_name": self.car_name(event.previous_car),
                }
                self._fire_car(event.car, "track_record", attrs)
                self._fire_race("track_record", attrs)
            elif isinstance(event, RaceStarted):
                self._fire_race("race_started", {"mode": event.mode.value})
            elif isinstance(event, RaceFinished):
                self._fire_race(
                    "race_finished",
                    {
                        "mode": event.mode.value,
                        "reason": event.reason,
                        "winner": event.winner,
                        "winner_name": self.car_name(event.winner),
                        "best_lap": seconds(event.best_lap_us),
                        "best_lap_car": event.best_lap_car,
                        "best_lap_name": self.car_name(event.best_lap_car),
                        "results": [
                            {
                                "car": result["car"],
                                "name": self.car_name(result["car"]),
                                "position": result["position"],
                                "laps": result["laps"],
                                "best_lap": seconds(result["best_us"]),
                            }
                            for result in event.results
                        ],
                    },
                )

    def _fire_car(self, car: str, event_type: str, attrs: dict[str, Any]) -> None:
        entity = self._car_events.get(car)
        if entity is not None:
            entity.fire(event_type, {"car": car, "name": self.car_name(car), **attrs})

    def _fire_race(self, event_type: str, attrs: dict[str, Any]) -> None:
        if self.race_event is not None:
            self.race_event.fire(event_type, attrs)

    def _changed(self) -> None:
        self._refresh()
        self._update_clock()
        self.ctx.schedule_save()

    def _log_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._logged:
            self._logged.add(key)
            LOGGER.warning(message, *args)

    # --- the race clock --------------------------------------------------------------------

    def now_ns(self) -> int:
        now = dt_util.utcnow()
        return int(now.timestamp()) * 1_000_000_000 + now.microsecond * 1000

    @callback
    def _update_clock(self) -> None:
        """Tick every second while a race is on, and exactly when something is due."""
        active = self.race.status in ACTIVE
        if active and self._unsub_clock is None:
            self._unsub_clock = async_track_time_interval(
                self.hass, self._async_tick, timedelta(seconds=CLOCK_INTERVAL_S)
            )
        elif not active and self._unsub_clock is not None:
            self._unsub_clock()
            self._unsub_clock = None
        if self._unsub_wakeup is not None:
            self._unsub_wakeup()
            self._unsub_wakeup = None
        wakeup = self.race.next_wakeup_ns()
        if wakeup is not None:
            delay = max(0.0, (wakeup - self.now_ns()) / 1e9)
            self._unsub_wakeup = async_call_later(self.hass, delay, self._async_tick)

    @callback
    def _async_tick(self, _now: datetime | None = None) -> None:
        events = self.race.tick(self.now_ns())
        self._handle(events)
        if events:
            self._changed()
        else:
            self._refresh()
            self._update_clock()

    # --- race control (entities and actions) -----------------------------------------------

    @contextmanager
    def _control(self) -> Iterator[None]:
        """Run a race control: refusals become translated errors, changes are saved."""
        try:
            yield
        except RaceError as err:
            raise ServiceValidationError(
                str(err), translation_domain=DOMAIN, translation_key=err.code
            ) from err
        self._changed()

    def start_race(
        self,
        *,
        mode: str | None = None,
        laps: int | None = None,
        minutes: float | None = None,
        countdown: int | None = None,
    ) -> None:
        with self._control():
            self.race.configure(
                mode=Mode(mode) if mode else None, target_laps=laps, target_minutes=minutes
            )
            self._handle(self.race.start(self.now_ns(), countdown))

    def pause_race(self) -> None:
        with self._control():
            self._handle(self.race.pause(self.now_ns()))

    def resume_race(self) -> None:
        with self._control():
            self._handle(self.race.resume(self.now_ns()))

    def stop_race(self) -> None:
        with self._control():
            self._handle(self.race.stop(self.now_ns()))

    def reset_race(self) -> None:
        with self._control():
            self.race.reset()

    def configure(self, **settings: Any) -> None:
        with self._control():
            self.race.configure(**settings)

    # --- persistence and lifecycle ---------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"race": self.race.state(), "counters": dict(self.counters)}

    def restore(self, state: Mapping[str, Any]) -> None:
        if not state:
            return  # a new lap counter: nothing was saved yet
        try:
            self.race = Race.from_state(state["race"])
        except (KeyError, TypeError, ValueError) as err:
            LOGGER.warning(
                "Agent %s: the saved race could not be restored (%s); starting afresh",
                self.ctx.agent_id,
                err,
            )
            return
        for key, value in (state.get("counters") or {}).items():
            if isinstance(value, int):
                self.counters[key] = value
        self._standings = None

    def update_capability(self, capability: Mapping[str, Any]) -> None:
        super().update_capability(capability)
        self._read_capability(capability)
        for car in self.car_ids():
            self._ensure_car(car)

    async def async_unload(self) -> None:
        for unsub in (self._unsub_clock, self._unsub_wakeup, self._unsub_options):
            if unsub is not None:
                unsub()
        self._unsub_clock = self._unsub_wakeup = None
        features = self.hass.data.get(LAPS_FEATURES, {})
        if features.get(self.ctx.entry.entry_id) is self:
            del features[self.ctx.entry.entry_id]

    def diagnostics(self) -> dict[str, Any]:
        race = self.race
        now = self.now_ns()
        return {
            "status": race.status.value,
            "settings": race.state()["settings"],
            "elapsed_s": race.elapsed_ns(now) / 1e9,
            "lanes": self.lanes,
            "cars": self.car_ids(),
            "standings": [asdict(s) for s in race.standings()],
            "personal_bests": {car: b.lap_time_us for car, b in race.personal_bests.items()},
            "track_records": {lane: b.lap_time_us for lane, b in race.track_records.items()},
            "counters": dict(self.counters),
        }
