"""SunSpec discovery: find "SunS", walk the model chain, resolve the map's models on it.

A SunSpec device starts its register space with the marker "SunS" (0x5375 0x6E53) at
40000, 0 or 50000 (tried in that order, as pysunspec2 does), followed by a chain of models,
each `[ID, L, L registers of data]`, ending with ID 0xFFFF. sunspec.json describes the
models we use (1 common, 101-103 integer + scale factor inverters, 111-113 float inverters,
160 multiple MPPT) with offsets into the model's data; resolving them against the chain
gives the absolute addresses of this very device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .modbus_map import MapDefaults, MapError, Point, RegisterMap, build_map, load_raw, parse_point
from .modbus_poll import ModbusExceptionError, ReadFn

MARKER: Final = (0x5375, 0x6E53)  # "SunS"
BASES: Final = (40000, 0, 50000)
END_ID: Final = 0xFFFF
#: a chain longer than this is garbage, not a device
MAX_MODELS: Final = 64
INVERTER_MODELS: Final = frozenset({101, 102, 103, 111, 112, 113})


class NotSunSpecError(Exception):
    """No SunSpec marker at any base address, or a broken model chain."""


@dataclass(frozen=True, slots=True)
class ModelHeader:
    """One model of the chain: its ID, the address of its ID register, its data length."""

    model_id: int
    address: int
    length: int

    @property
    def data(self) -> int:
        """Address of the model's first data register."""
        return self.address + 2


@dataclass(frozen=True, slots=True)
class Chain:
    """A device's SunSpec layout."""

    base: int
    models: tuple[ModelHeader, ...]

    def first(self, *model_ids: int) -> ModelHeader | None:
        """The first model of the chain whose ID is one of `model_ids`."""
        return next((m for m in self.models if m.model_id in model_ids), None)

    def as_list(self) -> list[list[int]]:
        """[[id, address, length], ...] for diagnostics and tests."""
        return [[m.model_id, m.address, m.length] for m in self.models]


async def discover(read: ReadFn, function: int = 3, bases: Sequence[int] = BASES) -> Chain:
    """The model chain of the device behind `read` (NotSunSpecError if there is none).

    NoResponseError propagates: a device that does not answer is not "not SunSpec".
    """
    for base in bases:
        try:
            marker = await read(function, base, 2)
        except ModbusExceptionError:
            continue
        if tuple(marker) == MARKER:
            return await _walk(read, function, base)
    raise NotSunSpecError(f"no SunSpec marker at {', '.join(map(str, bases))}")


async def _walk(read: ReadFn, function: int, base: int) -> Chain:
    models: list[ModelHeader] = []
    address = base + 2
    for _ in range(MAX_MODELS):
        try:
            # ID and L apart: some devices give no length for the end model (pysunspec2 too)
            (model_id,) = await read(function, address, 1)
            if model_id == END_ID:
                return Chain(base, tuple(models))
            (length,) = await read(function, address + 1, 1)
        except ModbusExceptionError as err:
            if models:
                return Chain(base, tuple(models))  # a chain that just stops, without 0xFFFF
            raise NotSunSpecError(f"cannot read the model header at {address}") from err
        if length == 0 or address + 2 + length > 0xFFFF:
            raise NotSunSpecError(f"model {model_id} at {address} has a bad length {length}")
        models.append(ModelHeader(model_id, address, length))
        address += 2 + length
    raise NotSunSpecError(f"more than {MAX_MODELS} models from {base}: not a SunSpec chain")


@dataclass(frozen=True)
class ModelDef:
    """A model of sunspec.json: its point templates (offsets into the model's data)."""

    ids: frozenset[int]
    length: int | None
    points: tuple[Mapping[str, Any], ...]
    #: repeating groups (model 160's modules): start offset, group size, point templates
    repeat_start: int = 0
    repeat_size: int = 0
    repeat_points: tuple[Mapping[str, Any], ...] = ()


class SunSpecTemplate:
    """sunspec.json, ready to be resolved against a device's chain."""

    def __init__(self, raw: Mapping[str, Any] | None = None) -> None:
        self.raw = dict(raw if raw is not None else load_raw("sunspec"))
        self.defaults = MapDefaults.from_raw(self.raw)
        self.models: list[ModelDef] = []
        for model in self.raw["models"]:
            repeat = model.get("repeat", {})
            self.models.append(
                ModelDef(
                    ids=frozenset(int(i) for i in model["ids"]),
                    length=model.get("length"),
                    points=tuple(model["points"]),
                    repeat_start=int(repeat.get("start", 0)),
                    repeat_size=int(repeat.get("size", 0)),
                    repeat_points=tuple(repeat.get("points", ())),
                )
            )

    def model(self, model_id: int) -> ModelDef | None:
        """The definition of `model_id`, if the map knows it."""
        return next((m for m in self.models if model_id in m.ids), None)

    def resolve(self, chain: Chain) -> RegisterMap:
        """The device's register map: the common model, its first inverter model, model 160."""
        common = chain.first(1)
        inverter = chain.first(*sorted(INVERTER_MODELS))
        if common is None or inverter is None:
            raise NotSunSpecError("the chain has no common model or no inverter model")
        headers = [common, inverter]
        mppt = chain.first(160)
        if mppt is not None:
            headers.append(mppt)
        points: list[Point] = []
        for header in headers:
            points.extend(self.model_points(header))
        end = chain.models[-1].data + chain.models[-1].length
        return build_map({**self.raw, "ranges": [[chain.base, end]]}, points)

    def model_points(self, header: ModelHeader) -> list[Point]:
        """The points of one model of the chain at their absolute addresses."""
        model = self.model(header.model_id)
        if model is None:
            return []
        if model.length is not None and header.length < model.length - 1:
            # model 1 is 65 or 66 long (with or without its pad): anything shorter is broken
            raise NotSunSpecError(f"model {header.model_id} is only {header.length} registers long")
        points = [
            parse_point(p, header.data + int(p["offset"]), self.defaults)
            for p in model.points
            # phase B/C points exist in the three-phase models only ("models": [102, 103])
            if header.model_id in p.get("models", model.ids)
        ]
        if model.repeat_size:
            count = (header.length - model.repeat_start) // model.repeat_size
            for n in range(1, count + 1):
                base = header.data + model.repeat_start + (n - 1) * model.repeat_size
                for raw in model.repeat_points:
                    points.append(
                        parse_point(raw, base + int(raw["offset"]), self.defaults, {"{n}": str(n)})
                    )
        return points

    def layout(self, model_ids: Sequence[int], base: int = 40000, modules: int = 2) -> Chain:
        """The chain a device with these models would report (the simulator's layout)."""
        models: list[ModelHeader] = []
        address = base + 2
        for model_id in model_ids:
            model = self.model(model_id)
            if model is None:
                raise MapError(f"sunspec.json has no model {model_id}")
            length = model.length or model.repeat_start + modules * model.repeat_size
            models.append(ModelHeader(model_id, address, length))
            address += 2 + length
        return Chain(base, tuple(models))
