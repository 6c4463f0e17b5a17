"""A solar inverter simulator: a physical model served over Modbus TCP through a register map.

The model is a day: PV power follows a sine from sunrise to sunset (time can run faster
than real time, or be set outright by tests), energy counters integrate it and never
decrease, a battery charges from surplus and discharges at night. A register image encodes
the model through the very map files the integration decodes with (edge_hub_core/maps), so
the simulator and the integration can only disagree if the map itself is wrong.

At night the inverter sleeps, in one of three ways real inverters do:
  "sleeping" - answers, with state "sleeping" (SunSpec: "not implemented" markers for
               measurements, as SolarEdge does), power 0, counters unchanged;
  "silent"   - accepts connections but answers nothing;
  "refuse"   - closes its port (connections are refused), as a powered-down inverter.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
import time
from typing import Any

from edge_hub_core.modbus_decode import encode
from edge_hub_core.modbus_frame import ILLEGAL_DATA_ADDRESS
from edge_hub_core.modbus_map import PROFILES, Point, RegisterMap, Value, load_map
from edge_hub_core.sunspec import END_ID, MARKER, Chain, SunSpecTemplate

from .modbus_server import FaultPlan, ModbusError, ModbusTcpServer

NIGHT_MODES = ("sleeping", "silent", "refuse")
#: identity defaults per profile (tests give each simulator its own serial)
IDENTITIES: Mapping[str, Mapping[str, str]] = {
    "sunspec": {"manufacturer": "Edge Hub Sim", "model": "SunSpec 103", "sw_version": "4.19.36"},
    "huawei": {
        "manufacturer": "Huawei",
        "model": "SUN2000-10KTL-M1",
        "sw_version": "V100R001C00SPC140",
    },
    "sungrow": {
        "manufacturer": "Sungrow",
        "model": "SH10RT",
        "sw_version": "SAPPHIRE-H_01011.95.01",
    },
}


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


@dataclass(slots=True)
class DayCurve:
    """Clear-sky PV power between sunrise and sunset (hours, local time)."""

    sunrise: float = 6.0
    sunset: float = 20.0
    peak_w: float = 8000.0

    def power(self, when: datetime) -> float:
        """PV power at `when`."""
        hour = when.hour + when.minute / 60 + when.second / 3600
        if not self.sunrise < hour < self.sunset:
            return 0.0
        x = (hour - self.sunrise) / (self.sunset - self.sunrise)
        return float(self.peak_w * math.sin(math.pi * x) ** 1.5)

    def asleep(self, when: datetime, margin_h: float = 0.5) -> bool:
        """Whether the inverter sleeps at `when` (from dusk + margin to dawn - margin)."""
        hour = when.hour + when.minute / 60
        return not self.sunrise - margin_h <= hour <= self.sunset + margin_h


@dataclass(slots=True)
class InverterModel:
    """The physics: what the inverter measures and counts at the clock's time."""

    clock: SimClock
    curve: DayCurve = field(default_factory=DayCurve)
    mppts: int = 2
    battery_wh: float = 10_000.0
    energy_wh: float = 12_345_678.0
    battery_charged_wh: float = 1_234_000.0
    battery_discharged_wh: float = 1_111_000.0
    soc: float = 55.0
    #: None: sleep by the clock; True/False: forced by a test
    force_asleep: bool | None = None
    today_wh: float = 0.0
    _last: datetime | None = None
    _day: Any = None

    def asleep(self) -> bool:
        """Whether the inverter is asleep now."""
        if self.force_asleep is not None:
            return self.force_asleep
        return self.curve.asleep(self.clock.now())

    def _battery_power(self, pv_w: float) -> float:
        """Charging (positive) from PV surplus by day, discharging (negative) at night."""
        if pv_w > 500 and self.soc < 100:
            return 0.25 * pv_w
        if pv_w <= 500 and self.soc > 10:
            return -300.0
        return 0.0

    def advance(self) -> datetime:
        """Integrate counters up to now; time running backwards integrates nothing."""
        now = self.clock.now()
        if self._day != now.date():
            # a new day, or the first look at the clock: today's yield so far
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            self.today_wh = self._yield_between(midnight, now)
            self._day = now.date()
            self._last = self._last if self._last is not None and self._last > midnight else now
        if self._last is not None and now > self._last:
            # integrate in steps so a fast clock still follows the curve
            t, end = self._last, now
            while t < end:
                step = min(timedelta(minutes=5), end - t)
                mid = t + step / 2
                pv = self.curve.power(mid)
                battery = self._battery_power(pv)
                ac = max(0.0, pv * 0.97 - battery) if pv > 0 else 0.0
                hours = step.total_seconds() / 3600
                self.energy_wh += ac * hours
                if mid.date() == now.date():
                    self.today_wh += ac * hours
                if battery > 0:
                    self.battery_charged_wh += battery * hours
                else:
                    self.battery_discharged_wh += -battery * hours
                self.soc = min(100.0, max(0.0, self.soc + 100 * battery * hours / self.battery_wh))
                t += step
        if self._last is None or now > self._last:
            self._last = now
        return now

    def _yield_between(self, start: datetime, end: datetime) -> float:
        """AC energy (Wh) the curve gives between two times (no battery), for a first look."""
        total, t = 0.0, start
        while t < end:
            step = min(timedelta(minutes=5), end - t)
            total += 0.97 * 0.75 * self.curve.power(t + step / 2) * step.total_seconds() / 3600
            t += step
        return total

    def quantities(self) -> dict[tuple[str, str | None], Value]:
        """Every measured quantity by (entity key, index), in W, Wh, V, A, Hz, degC, %."""
        now = self.advance()
        asleep = self.asleep()
        pv = 0.0 if asleep else self.curve.power(now)
        battery = self._battery_power(pv)
        ac = max(0.0, pv * 0.97 - battery) if pv > 0 else -battery if battery < 0 else 0.0
        producing = pv > 0
        state = "producing" if producing else ("sleeping" if asleep else "standby")
        minute = now.hour * 60 + now.minute
        q: dict[tuple[str, str | None], Value] = {
            ("ac_power", None): round(ac),
            ("dc_power", None): round(pv),
            ("grid_frequency", None): round(50.0 + 0.03 * math.sin(minute / 7), 2),
            ("reactive_power", None): round(0.05 * ac),
            ("power_factor", None): 0.99,
            ("inverter_temperature", None): round(24.0 + pv / 1000 * 3.1, 1),
            ("operating_state", None): state,
            ("energy_total", None): self.energy_wh,
            ("energy_today", None): self.today_wh,
            ("battery_soc", None): round(self.soc, 1),
            ("battery_power", None): round(battery),
            ("battery_charged_total", None): self.battery_charged_wh,
            ("battery_discharged_total", None): self.battery_discharged_wh,
        }
        for phase, offset in (("A", 0.0), ("B", 1.3), ("C", -0.8)):
            q[("phase_voltage", phase)] = round(230.0 + offset, 1)
            q[("phase_current", phase)] = round(ac / 3 / 230.0, 2)
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


class RegisterImage:
    """The registers of one profile, computed from the model on every read."""

    def __init__(
        self,
        regmap: RegisterMap,
        model: InverterModel,
        identity: Mapping[str, str],
        *,
        chain: Chain | None = None,
        night_sentinels: bool = False,
    ) -> None:
        self.regmap = regmap
        self.model = model
        self.identity = dict(identity)
        self.chain = chain
        self.night_sentinels = night_sentinels
        self._points = sorted(regmap.points, key=lambda p: p.address)
        self._starts = [p.address for p in self._points]
        self._fixed: dict[int, int] = {}
        if chain is not None:
            self._fixed[chain.base], self._fixed[chain.base + 1] = MARKER
            for header in chain.models:
                self._fixed[header.address] = header.model_id
                self._fixed[header.address + 1] = header.length
            end = chain.models[-1].data + chain.models[-1].length
            self._fixed[end], self._fixed[end + 1] = END_ID, 0
            self.ranges: tuple[tuple[int, int], ...] = ((chain.base, end + 2),)
        else:
            self.ranges = regmap.ranges or ((0, 0x10000),)

    def _served(self, address: int, count: int) -> bool:
        return any(low <= address and address + count <= high for low, high in self.ranges)

    def _value(self, point: Point, quantities: Mapping[tuple[str, str | None], Value]) -> Value:
        sim = point.sim
        if isinstance(sim, str) and sim.startswith("$"):
            name = sim[1:]
            if name in self.identity:
                return self.identity[name]
            if name == "mppt_count":
                return self.model.mppts
            if name == "rated_power":
                return self.model.curve.peak_w
            raise KeyError(f"{point.key}: no simulated value for {sim}")
        if sim is not None:
            return sim
        if point.entity is None:
            return 0
        value = quantities.get((point.entity, point.index))
        if value is None or isinstance(value, str):
            return value
        if point.unit == "kWh":
            value = value / 1000
        elif point.entity == "power_factor" and point.unit == "%":
            value = value * 100
        return value

    def _night_unknown(self, point: Point) -> bool:
        """SolarEdge-style night: measurements and their scale factors read "not implemented"."""
        return (
            self.night_sentinels
            and self.model.asleep()
            and point.counter is None
            and point.entity not in (None, "operating_state")
        )

    def read(self, function: int, address: int, count: int) -> list[int]:
        """Registers [address, address + count) (ModbusError 0x02 outside the served ranges)."""
        if function != self.regmap.function or not self._served(address, count):
            raise ModbusError(ILLEGAL_DATA_ADDRESS)
        out = [self._fixed.get(a, 0) for a in range(address, address + count)]
        quantities = self.model.quantities()
        first = max(0, bisect.bisect_left(self._starts, address) - 4)
        for point in self._points[first:]:
            if point.address >= address + count:
                break
            if point.end <= address:
                continue
            for i, word in enumerate(self.encode_point(point, quantities)):
                if address <= point.address + i < address + count:
                    out[point.address + i - address] = word
        return out

    def encode_point(
        self, point: Point, quantities: Mapping[tuple[str, str | None], Value]
    ) -> list[int]:
        """The registers of one point now."""
        value = None if self._night_unknown(point) else self._value(point, quantities)
        if point.type == "sunssf" and self.night_sentinels and self.model.asleep():
            value = None
        if point.states is not None and isinstance(value, str):
            names = set(point.states.values())
            if value not in names:
                # a map without this state (Sungrow has no "sleeping"): the nearest it has
                value = "standby" if "standby" in names else next(iter(names))
        sf = 0
        if point.scale_ref is not None:
            sf_value = self.regmap.by_key[point.scale_ref].sim
            sf = int(sf_value) if isinstance(sf_value, int | float) else 0
        return encode(point, value, sf)


class InverterSimulator:
    """A simulated inverter on a loopback port: model + register image + Modbus server."""

    def __init__(
        self,
        profile: str,
        *,
        unit_id: int = 1,
        clock: SimClock | None = None,
        curve: DayCurve | None = None,
        night_mode: str = "sleeping",
        serial: str | None = None,
        sunspec_models: Sequence[int] = (1, 103, 160),
        sunspec_base: int = 40000,
        mppts: int = 2,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        if night_mode not in NIGHT_MODES:
            raise ValueError(f"night mode must be one of {NIGHT_MODES}")
        self.profile = profile
        self.clock = clock or SimClock()
        self.model = InverterModel(self.clock, curve or DayCurve(), mppts=mppts)
        self.night_mode = night_mode
        identity = {**IDENTITIES[profile], "serial": serial or f"SIM{profile.upper()}0001"}
        chain = None
        if profile == "sunspec":
            template = SunSpecTemplate()
            chain = template.layout(sunspec_models, base=sunspec_base, modules=mppts)
            regmap = template.resolve(chain)
            identity["model"] = f"SunSpec {next(m for m in sunspec_models if m != 1)}"
        else:
            regmap = load_map(profile)
        self.image = RegisterImage(
            regmap,
            self.model,
            identity,
            chain=chain,
            night_sentinels=profile == "sunspec" and night_mode == "sleeping",
        )
        self.server = ModbusTcpServer(self._handle, unit_id=unit_id)
        self._watcher: asyncio.Task[None] | None = None
        self._pending: asyncio.Task[None] | None = None

    @property
    def faults(self) -> FaultPlan:
        """Faults to inject into the next requests."""
        return self.server.faults

    @property
    def port(self) -> int:
        """The port served on."""
        return self.server.port

    @property
    def serial(self) -> str:
        """The serial number the inverter reports."""
        return self.image.identity["serial"]

    def _handle(self, function: int, address: int, count: int) -> list[int]:
        return self.image.read(function, address, count)

    def sleep(self, asleep: bool | None = True) -> None:
        """Force night (True), day (False), or follow the clock again (None)."""
        self.model.force_asleep = asleep
        self._apply_night()

    def _apply_night(self) -> None:
        asleep = self.model.asleep()
        self.server.silent = asleep and self.night_mode == "silent"
        busy = self._pending is not None and not self._pending.done()
        if self.night_mode == "refuse" and asleep == self.server.listening and not busy:
            loop = asyncio.get_running_loop()
            self._pending = loop.create_task(self.server.set_listening(not asleep))

    async def settle(self) -> None:
        """Wait until the server follows the night state (refuse mode: the port)."""
        self._apply_night()
        if self._pending is not None:
            await self._pending
            self._pending = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve on host:port (port 0: a free one); returns the port."""
        await self.server.start(host, port)
        await self.settle()
        self._watcher = asyncio.get_running_loop().create_task(self._watch())
        return self.server.port

    async def _watch(self) -> None:
        """Follow the clock into and out of the night (silent and refuse modes)."""
        while True:
            await self.settle()
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop serving."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self.server.stop()

    async def __aenter__(self) -> InverterSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def values(self) -> dict[tuple[str, str | None], Value]:
        """The model's quantities now (what the entities should show, in base units)."""
        return self.model.quantities()

    def points(self) -> Iterator[Point]:
        """The points the simulator serves."""
        return iter(self.image.regmap.points)

    def with_identity(self, **identity: str) -> None:
        """Change identity strings (e.g. to pretend to be another device)."""
        self.image.identity.update(identity)
