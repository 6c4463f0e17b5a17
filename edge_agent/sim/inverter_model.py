"""The physics of the simulated inverter: a day of sun, a house, a battery and the grid.

PV power follows a sine from sunrise to sunset; a battery charges from a good share of it
and discharges at night; the house draws a base load with an evening peak; what is left
goes to (or comes from) the grid. Counters integrate the flows in small steps, so a clock
running thousands of times faster than real time still follows the curves, and they only
ever rise: lifetime counters since commissioning, daily ones since local midnight.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import math
import time

from edge_hub_core.modbus_map import Value

#: integration step of the counters
STEP = timedelta(minutes=5)
#: efficiency of the DC -> AC conversion
EFFICIENCY = 0.97


class SimClock:
    """Simulated local time: runs `speed` times faster than real time, or is set by hand."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        self._start = start or datetime.now().replace(microsecond=0)  # noqa: DTZ005 - local
        self._t0 = time.monotonic()
        self.speed = speed

    def now(self) -> datetime:
        """The simulated time."""
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def set(self, when: datetime, speed: float | None = None) -> None:
        """Jump to `when` (and change the speed)."""
        self._start, self._t0 = when, time.monotonic()
        if speed is not None:
            self.speed = speed

    def advance(self, seconds: float) -> None:
        """Jump forward."""
        self.set(self.now() + timedelta(seconds=seconds))


def _hour(when: datetime) -> float:
    return when.hour + when.minute / 60 + when.second / 3600


@dataclass(slots=True)
class DayCurve:
    """Clear-sky PV power between sunrise and sunset (hours, local time)."""

    sunrise: float = 6.0
    sunset: float = 20.0
    peak_w: float = 8000.0

    def power(self, when: datetime) -> float:
        """PV power at `when`."""
        hour = _hour(when)
        if not self.sunrise < hour < self.sunset:
            return 0.0
        x = (hour - self.sunrise) / (self.sunset - self.sunrise)
        return float(self.peak_w * math.sin(math.pi * x) ** 1.5)

    def asleep(self, when: datetime, margin_h: float = 0.5) -> bool:
        """Whether the inverter sleeps at `when` (from dusk + margin to dawn - margin)."""
        hour = when.hour + when.minute / 60
        return not self.sunrise - margin_h <= hour <= self.sunset + margin_h

    @staticmethod
    def at(like: datetime, day: date, hour: float) -> datetime:
        """The time `hour` on `day`, in the time zone of `like` (naive: local)."""
        return datetime.combine(day, datetime.min.time(), like.tzinfo) + timedelta(hours=hour)


@dataclass(slots=True)
class Flows:
    """Power flows at one instant (W); battery positive while charging, grid while exporting."""

    pv: float
    battery: float
    ac: float
    load: float

    @property
    def grid(self) -> float:
        """Power to the grid (negative: drawn from it)."""
        return self.ac - self.load


def house_load(when: datetime) -> float:
    """What the house draws: a base load and an evening peak around 19:00."""
    return 450.0 + 900.0 * math.exp(-(((_hour(when) - 19.0) / 2.0) ** 2))


def local_epoch(when: datetime) -> int:
    """`when` (naive, local) as seconds since 1970 of the local clock (Huawei's time stamps)."""
    return calendar.timegm(when.timetuple())


@dataclass(slots=True)
class Counters:
    """Energy (Wh) of one period: since commissioning, or since local midnight."""

    ac: float = 0.0
    battery_charged: float = 0.0
    battery_discharged: float = 0.0
    grid_imported: float = 0.0
    grid_exported: float = 0.0

    def add(self, flows: Flows, hours: float) -> None:
        """Integrate `flows` over `hours`."""
        self.ac += flows.ac * hours
        if flows.battery > 0:
            self.battery_charged += flows.battery * hours
        else:
            self.battery_discharged += -flows.battery * hours
        if flows.grid > 0:
            self.grid_exported += flows.grid * hours
        else:
            self.grid_imported += -flows.grid * hours


@dataclass(slots=True)
class InverterModel:
    """What the inverter measures and counts at the clock's time."""

    clock: SimClock
    curve: DayCurve = field(default_factory=DayCurve)
    mppts: int = 2
    battery_wh: float = 10_000.0
    total: Counters = field(
        default_factory=lambda: Counters(
            ac=12_345_678.0,
            battery_charged=1_234_000.0,
            battery_discharged=1_111_000.0,
            grid_imported=2_345_000.0,
            grid_exported=5_678_000.0,
        )
    )
    today: Counters = field(default_factory=Counters)
    soc: float = 55.0
    #: None: sleep by the clock; True/False: forced by a test
    force_asleep: bool | None = None
    peak_today_w: float = 0.0
    _last: datetime | None = None
    _day: date | None = None

    # the lifetime AC counter under its historical name (tests glitch it)
    @property
    def energy_wh(self) -> float:
        """Lifetime AC energy (Wh)."""
        return self.total.ac

    @energy_wh.setter
    def energy_wh(self, value: float) -> None:
        self.total.ac = value

    @property
    def today_wh(self) -> float:
        """Today's AC energy (Wh)."""
        return self.today.ac

    def asleep(self) -> bool:
        """Whether the inverter is asleep now."""
        if self.force_asleep is not None:
            return self.force_asleep
        return self.curve.asleep(self.clock.now())

    def flows(self, when: datetime, pv: float | None = None) -> Flows:
        """The power flows at `when` (PV as given, e.g. 0 while asleep)."""
        pv = self.curve.power(when) if pv is None else pv
        # charging (positive) from PV surplus by day, discharging (negative) at night
        if pv > 500 and self.soc < 100:
            battery = 0.25 * pv
        elif pv <= 500 and self.soc > 10:
            battery = -300.0
        else:
            battery = 0.0
        ac = max(0.0, pv * EFFICIENCY - battery) if pv > 0 else max(0.0, -battery)
        return Flows(pv=pv, battery=battery, ac=ac, load=house_load(when))

    def advance(self) -> datetime:
        """Integrate counters up to now; time running backwards integrates nothing.

        Steps never cross midnight, so today's counters restart exactly there.
        """
        now = self.clock.now()
        if self._last is None:
            # the first look: today's counters as if the day had run as simulated
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            self.today = self._between(midnight, now)
            self._day, self._last = now.date(), now
            return now
        t = self._last
        while t < now:
            if t.date() != self._day:
                self._new_day(t.date())
            next_midnight = DayCurve.at(t, t.date() + timedelta(days=1), 0.0)
            step = min(STEP, now - t, next_midnight - t)
            flows = self.flows(t + step / 2)
            hours = step.total_seconds() / 3600
            self.total.add(flows, hours)
            self.today.add(flows, hours)
            self.peak_today_w = max(self.peak_today_w, flows.ac)
            self.soc = min(
                100.0, max(0.0, self.soc + 100 * flows.battery * hours / self.battery_wh)
            )
            t += step
        if now > self._last:
            self._last = now
            if now.date() != self._day:
                self._new_day(now.date())
        return now

    def _new_day(self, day: date) -> None:
        self.today = Counters()
        self.peak_today_w = 0.0
        self._day = day

    def _between(self, start: datetime, end: datetime) -> Counters:
        """Energy of the curve between two times (battery at its current charge), for a first
        look at a day already under way; the day's peak power too."""
        counters, t = Counters(), start
        while t < end:
            step = min(STEP, end - t)
            flows = self.flows(t + step / 2)
            counters.add(flows, step.total_seconds() / 3600)
            self.peak_today_w = max(self.peak_today_w, flows.ac)
            t += step
        return counters

    def _last_transition(self, now: datetime, hour: float) -> datetime:
        """The latest time of day `hour` at or before `now`."""
        today = self.curve.at(now, now.date(), hour)
        return today if today <= now else self.curve.at(now, now.date() - timedelta(days=1), hour)

    def quantities(self) -> dict[tuple[str, str | None], Value]:
        """Every measured quantity by (entity key, index): W, Wh, V, A, Hz, degC, %, MOhm."""
        now = self.advance()
        asleep = self.asleep()
        flows = self.flows(now, 0.0 if asleep else None)
        pv, battery, ac = flows.pv, flows.battery, flows.ac
        producing = pv > 0
        state = "producing" if producing else ("sleeping" if asleep else "standby")
        minute = now.hour * 60 + now.minute
        battery_volts = 400.0 + 0.5 * self.soc
        q: dict[tuple[str, str | None], Value] = {
            ("ac_power", None): round(ac),
            ("dc_power", None): round(pv),
            ("grid_frequency", None): round(50.0 + 0.03 * math.sin(minute / 7), 2),
            ("reactive_power", None): round(0.05 * ac),
            ("power_factor", None): 0.99,
            ("inverter_temperature", None): round(24.0 + pv / 1000 * 3.1, 1),
            ("operating_state", None): state,
            ("energy_total", None): self.total.ac,
            ("energy_today", None): self.today.ac,
            ("peak_power_today", None): round(self.peak_today_w),
            ("efficiency", None): round(100 * EFFICIENCY, 2) if producing else 0.0,
            ("insulation_resistance", None): 3.0,
            ("fault_code", None): 0,
            ("startup_time", None): local_epoch(
                self._last_transition(now, self.curve.sunrise - 0.5)
            ),
            ("shutdown_time", None): local_epoch(
                self._last_transition(now, self.curve.sunset + 0.5)
            ),
            ("battery_soc", None): round(self.soc, 1),
            ("battery_power", None): round(battery),
            ("battery_status", None): "running" if battery else "standby",
            ("battery_voltage", None): round(battery_volts, 1),
            ("battery_current", None): round(battery / battery_volts, 1),
            ("battery_temperature", None): 25.5,
            ("battery_health", None): 99.0,
            ("battery_capacity", None): self.battery_wh,
            ("battery_charged_total", None): self.total.battery_charged,
            ("battery_discharged_total", None): self.total.battery_discharged,
            ("battery_charged_today", None): self.today.battery_charged,
            ("battery_discharged_today", None): self.today.battery_discharged,
            ("load_power", None): round(flows.load),
            ("grid_export_power", None): round(flows.grid),
            ("grid_imported_total", None): self.total.grid_imported,
            ("grid_exported_total", None): self.total.grid_exported,
            ("grid_imported_today", None): self.today.grid_imported,
            ("grid_exported_today", None): self.today.grid_exported,
        }
        for phase, offset in (("A", 0.0), ("B", 1.3), ("C", -0.8)):
            q[("phase_voltage", phase)] = round(230.0 + offset, 1)
            q[("phase_current", phase)] = round(ac / 3 / 230.0, 2)
        for pair, offset in (("AB", 0.0), ("BC", 2.1), ("CA", -1.4)):
            q[("line_voltage", pair)] = round(400.0 + offset, 1)
        shares = [1.0 / self.mppts] * self.mppts if self.mppts else []
        if len(shares) >= 2:
            shares[0], shares[1] = shares[0] + 0.05, shares[1] - 0.05
        for n, share in enumerate(shares, start=1):
            power = pv * share
            volts = (340.0 + 15 * n) if producing else 0.0
            amps = round(power / volts, 1) if volts else 0.0
            q[("mppt_power", str(n))] = round(power)
            q[("pv_voltage", str(n))] = volts
            q[("pv_current", str(n))] = amps
        return q
