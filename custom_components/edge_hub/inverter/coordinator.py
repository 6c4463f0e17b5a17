"""Polling one inverter in tiers, and sleeping through the night without a fuss.

One coordinator ticks at the fastest tier's interval and reads, on each tick, the tiers
that are due - power and frequency every 5 s, voltages and temperatures every 30 s, energy
every 60 s by default - merging the points of every due tier into the fewest requests.

An inverter that stops answering (asleep for the night, or gone) is "offline": its entities
go unavailable, one info line says so, and it is asked again with a growing pause (the
fastest interval doubling up to five minutes) through a bare-socket ping that logs nothing.
The first answer brings it back with a full poll and one more info line. A Modbus error
(busy for too long, device failure) is an update failure instead: HA logs it once.

Energy counters pass through edge_hub_core.energy_guard here, so no entity ever sees a
zero or a decrease of a lifetime counter; entities store the guards' state across restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import math
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..edge_hub_core.energy_guard import CounterGuard, DailyFromTotal
from ..edge_hub_core.inverter_profiles import DeviceIdentity
from ..edge_hub_core.modbus_derived import active_flags, compute_derived
from ..edge_hub_core.modbus_map import RegisterMap, Value
from ..edge_hub_core.modbus_poll import ModbusExceptionError, NoResponseError, Poller
from ..edge_hub_core.sunspec import Chain
from ..models import EdgeHubConfigEntry
from .const import MAX_BACKOFF
from .link import ModbusLink
from .outage import OutageWatch

POLLED_TIERS = ("fast", "medium", "slow")
#: first pause before asking a busy (0x06) inverter again; doubles on each retry
BUSY_DELAY = 0.5


@dataclass(frozen=True, slots=True)
class InverterData:
    """What the entities show: whether the inverter answers, and its latest values."""

    online: bool
    values: Mapping[str, Value]


class InverterCoordinator(DataUpdateCoordinator[InverterData]):
    """Polls one inverter through its link and register map."""

    config_entry: EdgeHubConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EdgeHubConfigEntry,
        link: ModbusLink,
        regmap: RegisterMap,
        identity: DeviceIdentity,
        *,
        intervals: Mapping[str, float],
        static_values: Mapping[str, Value] | None = None,
        chain: Chain | None = None,
        outage: OutageWatch | None = None,
    ) -> None:
        self.intervals = dict(intervals)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"inverter {entry.title}",
            update_interval=timedelta(seconds=min(self.intervals.values())),
            always_update=False,
        )
        self.link = link
        self.regmap = regmap
        self.identity = identity
        self.chain = chain
        self.outage = outage
        self.poller = Poller(regmap, link.async_read, busy_delay=BUSY_DELAY)
        self.online = True
        self.offline_since: datetime | None = None
        self.polls = 0
        self.last_poll_requests = 0
        self._attempts = 0
        self._next_attempt = 0.0
        self._last_read: dict[str, float] = {}
        self._values: dict[str, Value] = dict(static_values or {})
        self.counters = {
            p.key: CounterGuard.for_unit(p.counter, p.unit, regmap.max_power_w)
            for p in regmap.points
            if p.counter
        }
        self._daily_sources = {
            d.key: d.inputs[0] for d in regmap.derived if d.op == "daily_from" and d.inputs
        }
        self.daily_from = {key: DailyFromTotal() for key in self._daily_sources}

    @property
    def device_info(self) -> DeviceInfo:
        """The inverter as a device."""
        identity = self.identity
        return DeviceInfo(
            identifiers={(DOMAIN, identity.serial)},
            manufacturer=identity.manufacturer,
            model=identity.model,
            name=f"{identity.manufacturer} {identity.model}",
            serial_number=identity.serial,
            sw_version=identity.sw_version,
        )

    def request_full_poll(self) -> None:
        """Make every tier due at the next refresh."""
        self._last_read.clear()

    def value(self, key: str) -> Value:
        """The value of a point or derived value; counters as their guards let them out."""
        if key in self.counters:
            return self.counters[key].value
        if key in self.daily_from:
            return self._values.get(key)
        return self.data.values.get(key) if self.data is not None else None

    def active_flags(self, key: str) -> list[str] | None:
        """The names of the active flags (alarms) of the `flags` value `key`."""
        derived = next((d for d in self.regmap.derived if d.key == key), None)
        if derived is None or self.data is None:
            return None
        return active_flags(self.regmap, derived, self.data.values)

    def restore_counter(self, key: str, stored: Mapping[str, Any]) -> None:
        """Give a counter's guard (or daily baseline) the state its entity stored."""
        if key in self.counters:
            self.counters[key].restore(dict(stored))
        elif key in self.daily_from:
            self.daily_from[key].restore(dict(stored))
            self._refresh_daily(dt_util.now())

    def counter_state(self, key: str) -> dict[str, Any]:
        """The state an entity stores for its counter."""
        if key in self.counters:
            return self.counters[key].as_dict()
        if key in self.daily_from:
            return self.daily_from[key].as_dict()
        return {}

    # --- polling ------------------------------------------------------------------------------

    def _due(self, now: float) -> list[str]:
        tick = self.update_interval.total_seconds() if self.update_interval else 0.0
        return [
            tier
            for tier, interval in self.intervals.items()
            if now - self._last_read.get(tier, -math.inf) >= interval - tick / 2
        ]

    async def _async_update_data(self) -> InverterData:
        now = time.monotonic()
        if not self.online:
            if now < self._next_attempt:
                if self.outage is not None:
                    self.outage.check()
                return self.data or InverterData(False, dict(self._values))
            try:
                await self._ping()
            except NoResponseError as err:
                return await self._offline(err)
            self.request_full_poll()
        tiers = self._due(now)
        if not tiers:
            return self.data or InverterData(True, dict(self._values))
        keys = self.regmap.tier_keys(tiers)
        before = self.poller.stats.requests
        try:
            values = await self._read(keys)
        except NoResponseError as err:
            return await self._offline(err)
        except ModbusExceptionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="inverter_error",
                translation_placeholders={"error": str(err)},
            ) from err
        self.polls += 1
        self.last_poll_requests = self.poller.stats.requests - before
        for tier in tiers:
            self._last_read[tier] = now
        await self._online()
        return InverterData(True, self._merge(values))

    async def _ping(self) -> None:
        sanity = self.regmap.by_key.get(self.regmap.sanity.key)
        await self.link.async_ping(self.regmap.function, sanity.address if sanity else 0)

    async def _read(self, keys: frozenset[str]) -> dict[str, Value]:
        try:
            return await self.poller.read(keys)
        except NoResponseError:
            if not self.online:
                raise
            # a dropped connection is not yet a sleeping inverter: ask again, afresh
            self.link.close()
            await self._ping()
            return await self.poller.read(keys)

    async def _offline(self, err: NoResponseError) -> InverterData:
        self.link.close()
        if self.outage is not None:
            await self.outage.async_offline()
        if self.online:
            self.online = False
            self.offline_since = dt_util.utcnow()
            self._attempts = 0
            LOGGER.info(
                "%s at %s:%s is not answering (%s): asleep for the night, or offline. "
                "Its entities are unavailable until it answers again",
                self.config_entry.title,
                self.link.host,
                self.link.port,
                err,
            )
        self._attempts += 1
        base = self.update_interval.total_seconds() if self.update_interval else 5.0
        delay = min(MAX_BACKOFF, base * 2 ** min(self._attempts - 1, 16))
        # from now, not from the poll's start: a timed-out poll took a while
        self._next_attempt = time.monotonic() + delay
        return InverterData(False, dict(self._values))

    async def _online(self) -> None:
        if self.online:
            return
        if self.outage is not None:
            await self.outage.async_online()
        LOGGER.info(
            "%s at %s:%s is answering again (it was not since %s)",
            self.config_entry.title,
            self.link.host,
            self.link.port,
            self.offline_since.isoformat() if self.offline_since else "?",
        )
        self.online = True
        self.offline_since = None

    def _merge(self, values: Mapping[str, Value]) -> dict[str, Value]:
        now = dt_util.now()
        for key, reading in values.items():
            guard = self.counters.get(key)
            if guard is None:
                self._values[key] = reading
            else:
                number = reading if isinstance(reading, int | float) else None
                self._values[key] = guard.update(number, now)
        self._refresh_daily(now)
        self._values.update(compute_derived(self.regmap, self._values))
        return dict(self._values)

    def _refresh_daily(self, now: datetime) -> None:
        for key, source in self._daily_sources.items():
            guard = self.counters.get(source)
            self._values[key] = self.daily_from[key].update(guard.value if guard else None, now)

    # --- diagnostics --------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """What the coordinator knows, for the entry's diagnostics (serial left out)."""
        identity_keys = set(self.regmap.identity.keys())
        return {
            "profile": self.regmap.profile,
            "identity": {
                "manufacturer": self.identity.manufacturer,
                "model": self.identity.model,
                "sw_version": self.identity.sw_version,
            },
            "sunspec_chain": self.chain.as_list() if self.chain else None,
            "online": self.online,
            "offline_since": self.offline_since.isoformat() if self.offline_since else None,
            "outage": self.outage.tracker.as_dict() if self.outage else None,
            "intervals_s": self.intervals,
            "request_gap_s": self.link.request_gap,
            "plans": {
                tier: [[r.function, r.address, r.count] for r in self.poller.plan(keys)]
                for tier, keys in (
                    *((t, self.regmap.tier_keys([t])) for t in POLLED_TIERS),
                    ("all", self.regmap.tier_keys(POLLED_TIERS)),
                )
            },
            "stats": {
                **self.poller.stats.as_dict(),
                "polls": self.polls,
                "last_poll_requests": self.last_poll_requests,
                "connects": self.link.connects,
            },
            "unsupported": sorted(self.poller.unsupported),
            "values": {k: v for k, v in sorted(self._values.items()) if k not in identity_keys},
            "counters": {
                key: self.counter_state(key) for key in (*self.counters, *self.daily_from)
            },
        }
