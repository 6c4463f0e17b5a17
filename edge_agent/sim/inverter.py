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

from edge_hub_core.modbus_decode import encode
from edge_hub_core.modbus_frame import ILLEGAL_DATA_ADDRESS
from edge_hub_core.modbus_map import PROFILES, Point, RegisterMap, Value, load_map
from edge_hub_core.sunspec import END_ID, MARKER, Chain, SunSpecTemplate

from .inverter_model import DayCurve, InverterModel, SimClock
from .modbus_server import FaultPlan, ModbusError, ModbusTcpServer

__all__ = ["NIGHT_MODES", "DayCurve", "InverterModel", "InverterSimulator", "SimClock"]

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
        #: point key -> value served instead of the model's (a test's alarm, a fault code)
        self.overrides: dict[str, Value] = {}
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
        if point.key in self.overrides:
            return self.overrides[point.key]
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
            # repeated groups (Huawei's PV strings): one per simulated input
            regmap = load_map(profile, {"pv_string_count": mppts})
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

    def set_point(self, key: str, value: Value) -> None:
        """Serve `value` for the point `key` from now on (None: the model's value again)."""
        self.point(key)  # a typo is an error, not a silently ignored override
        if value is None:
            self.image.overrides.pop(key, None)
        else:
            self.image.overrides[key] = value

    def point(self, key: str) -> Point:
        """The point `key` of the map served."""
        try:
            return self.image.regmap.by_key[key]
        except KeyError:
            raise KeyError(f"{self.profile} map has no point {key!r}") from None

    def with_identity(self, **identity: str) -> None:
        """Change identity strings (e.g. to pretend to be another device)."""
        self.image.identity.update(identity)
