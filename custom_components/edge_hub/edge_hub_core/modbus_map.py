"""Inverter register maps: the JSON files of edge_hub_core/maps/ turned into typed points.

A register map is data, one file per model family (sunspec.json, huawei_sun2000.json,
sungrow_sh.json): every value with its address, type, word order, scale, unit, poll tier,
"not implemented" sentinels and the entity it feeds. The integration polls with it and the
simulator serves it, so both sides always agree on what each register means.

SunSpec maps hold models with offsets instead of addresses; sunspec.py resolves them
against the model chain a device reports. Everything here is pure (no I/O but reading the
packaged JSON files) and runs on Python 3.11.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
import functools
from importlib import resources
import json
import math
from typing import Any, Final, TypeAlias

#: registers per value of each fixed-size type ("string" takes its "size")
REGISTER_COUNTS: Final[Mapping[str, int]] = {
    "u16": 1,
    "s16": 1,
    "sunssf": 1,
    "u32": 2,
    "s32": 2,
    "acc32": 2,
    "float32": 2,
}
STRING: Final = "string"
TIERS: Final = ("fast", "medium", "slow", "static")
FUNCTIONS: Final[Mapping[str, int]] = {"holding": 3, "input": 4}
WORD_ORDERS: Final = ("big", "little")
COUNTERS: Final = ("lifetime", "daily")
DERIVED_OPS: Final = ("product", "daily_from", "flags")
EPOCHS: Final = ("local",)

#: profile name -> map file under edge_hub_core/maps/
MAP_FILES: Final[Mapping[str, str]] = {
    "sunspec": "sunspec.json",
    "huawei": "huawei_sun2000.json",
    "sungrow": "sungrow_sh.json",
}
#: the order auto-detection tries them in
PROFILES: Final = tuple(MAP_FILES)

#: a decoded value: a number, a string (identity strings, enum states) or None (unknown)
Value: TypeAlias = float | int | str | None


class MapError(ValueError):
    """A register map file is malformed (a packaging bug, reported with the culprit)."""


@dataclass(frozen=True, slots=True)
class Point:
    """One value of a register map, at an absolute protocol (0-based) address."""

    key: str
    address: int
    type: str
    count: int
    word_order: str = "big"
    #: fixed multiplier applied to the raw value (0.1 for "tenths of a volt")
    scale: float = 1.0
    #: key of a SunSpec scale-factor point: value x 10^sf, read in the same request
    scale_ref: str | None = None
    unit: str | None = None
    #: poll tier; None for scale factors, which are read with the values that use them
    tier: str | None = None
    #: raw register values meaning "not implemented" (compared before sign conversion)
    sentinels: frozenset[int] = frozenset()
    #: the entity this value feeds (sensor description key) and its placeholder value
    entity: str | None = None
    index: str | None = None
    #: plausible range in engineering units; anything outside decodes as unknown
    valid: tuple[float, float] | None = None
    #: enum: raw code -> normalised state name
    states: Mapping[int, str] | None = None
    #: energy counter kind, guarded against zeros and decreases
    counter: str | None = None
    #: what the simulator serves for a point no physical quantity feeds (a constant)
    sim: float | str | None = None
    #: a bit field: bit number -> the name of what a set bit means (an alarm)
    flags: Mapping[int, str] | None = None
    #: a time stamp in seconds since 1970 of the inverter's *local* clock ("local")
    epoch: str | None = None

    @property
    def end(self) -> int:
        """The first address after this point."""
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class Derived:
    """A value computed from points: `product` (V x A = W), `daily_from` (a lifetime
    counter's growth since local midnight, for devices without a daily counter) or `flags`
    (how many named bits of its bit-field inputs are set: active alarms)."""

    key: str
    op: str
    inputs: tuple[str, ...]
    unit: str | None = None
    entity: str | None = None
    index: str | None = None
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Keys of the identity points; `manufacturer_name` is used when no point gives it."""

    serial: str
    model: str | None = None
    manufacturer: str | None = None
    sw_version: str | None = None
    manufacturer_name: str | None = None
    #: a point whose decoded value must start with `model_prefix` for auto-detection
    model_prefix: str | None = None

    def keys(self) -> tuple[str, ...]:
        """Every identity point key."""
        return tuple(k for k in (self.serial, self.model, self.manufacturer, self.sw_version) if k)


@dataclass(frozen=True, slots=True)
class Sanity:
    """Auto-detection accepts a profile only if this point decodes inside [low, high]."""

    key: str
    low: float
    high: float

    def passes(self, value: Value) -> bool:
        """Whether `value` is a number inside the range."""
        return isinstance(value, int | float) and self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Repeat:
    """Points repeated once per input the device reports (Huawei's PV strings).

    Group n (1-based) starts at `start + (n - 1) * size`; "{n}" in keys, indexes and
    derived inputs is replaced by n. The device's count is the static point `count_key`,
    read before the map is built; `default` is used while it is unknown (and by the
    simulator's own map), and no count goes beyond `maximum`.
    """

    count_key: str
    start: int
    size: int
    maximum: int
    default: int
    points: tuple[Mapping[str, Any], ...]
    derived: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], profile: str) -> Repeat:
        """A Repeat from its JSON object."""
        try:
            repeat = cls(
                count_key=str(raw["count"]),
                start=int(raw["start"]),
                size=int(raw["size"]),
                maximum=int(raw["max"]),
                default=int(raw["default"]),
                points=tuple(raw["points"]),
                derived=tuple(raw.get("derived", ())),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise MapError(f"{profile}: bad repeat {raw!r}: {err!r}") from err
        if not 0 <= repeat.default <= repeat.maximum or repeat.size <= 0:
            raise MapError(f"{profile}: repeat of {repeat.count_key}: bad size or counts")
        for point in repeat.points:
            if not 0 <= int(point.get("offset", -1)) < repeat.size:
                raise MapError(f"{profile}: repeated point {point.get('key')} outside its group")
        return repeat

    def clamp(self, count: Value) -> int:
        """How many groups to map for the count a device reported (None: the default)."""
        if not isinstance(count, int) or isinstance(count, bool):
            return self.default
        return max(0, min(self.maximum, count))


@dataclass(frozen=True)
class RegisterMap:
    """A resolved register map: every point at its absolute address."""

    profile: str
    function: int
    points: tuple[Point, ...]
    identity: Identity
    sanity: Sanity
    derived: tuple[Derived, ...] = ()
    max_registers: int = 125
    max_gap: int = 16
    request_gap_ms: int = 0
    #: register ranges [start, end) the device implements; a read never bridges outside one
    ranges: tuple[tuple[int, int], ...] = ()
    #: upper bound of the inverter's power, bounding how fast an energy counter may grow
    max_power_w: float = 1_000_000.0
    by_key: Mapping[str, Point] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, Point] = {}
        for point in self.points:
            if point.key in by_key:
                raise MapError(f"{self.profile}: duplicate point key {point.key!r}")
            by_key[point.key] = point
        for point in self.points:
            if point.scale_ref is not None and point.scale_ref not in by_key:
                raise MapError(f"{self.profile}: {point.key} refers to unknown {point.scale_ref}")
        known = set(by_key) | {d.key for d in self.derived}
        for derived in self.derived:
            missing = [k for k in derived.inputs if k not in by_key]
            if missing:
                raise MapError(f"{self.profile}: {derived.key} needs unknown {missing}")
        for key in (*self.identity.keys(), self.sanity.key):
            if key not in known:
                raise MapError(f"{self.profile}: identity/sanity point {key!r} is not mapped")
        object.__setattr__(self, "by_key", by_key)

    def tier_keys(self, tiers: Iterable[str]) -> frozenset[str]:
        """Keys of the points polled in `tiers` (scale factors come with their values)."""
        wanted = set(tiers)
        return frozenset(p.key for p in self.points if p.tier in wanted)

    def entity_points(self) -> tuple[Point, ...]:
        """The points that feed an entity."""
        return tuple(p for p in self.points if p.entity is not None)


# --- loading ----------------------------------------------------------------------------------


def load_raw(profile: str) -> dict[str, Any]:
    """The parsed JSON of a profile's map file (packaged with edge_hub_core).

    The file is read once per process (`preload()` reads them all, e.g. in an import
    executor, so an event loop never waits for the disk).
    """
    data: dict[str, Any] = json.loads(_map_text(profile))
    return data


@functools.cache
def _map_text(profile: str) -> str:
    try:
        name = MAP_FILES[profile]
    except KeyError:
        raise MapError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})") from None
    return resources.files(__package__).joinpath("maps", name).read_text(encoding="utf-8")


def preload() -> None:
    """Read every map file now."""
    for profile in PROFILES:
        _map_text(profile)


def repeats_of(profile: str) -> tuple[Repeat, ...]:
    """The repeated groups of a fixed-address profile's map (none for most)."""
    raw = load_raw(profile)
    return tuple(Repeat.from_raw(r, profile) for r in raw.get("repeats", ()))


def load_map(profile: str, counts: Mapping[str, Value] | None = None) -> RegisterMap:
    """The register map of a fixed-address profile (Huawei, Sungrow).

    `counts` are the values of the repeats' count points as the device reported them
    (missing: each repeat's default).
    """
    raw = load_raw(profile)
    if "models" in raw:
        raise MapError(f"{profile}: a SunSpec map is resolved against a device (sunspec.py)")
    defaults = MapDefaults.from_raw(raw)
    points = [parse_point(p, p.get("address"), defaults) for p in raw["points"]]
    derived = [_parse_derived(d) for d in raw.get("derived", ())]
    for repeat in repeats_of(profile):
        for n in range(1, repeat.clamp((counts or {}).get(repeat.count_key)) + 1):
            base = repeat.start + (n - 1) * repeat.size
            replacements = {"{n}": str(n)}
            points += [
                parse_point(p, base + int(p["offset"]), defaults, replacements)
                for p in repeat.points
            ]
            derived += [_parse_derived(d, replacements) for d in repeat.derived]
    regmap = build_map(raw, points, derived)
    for repeat in repeats_of(profile):
        count_point = regmap.by_key.get(repeat.count_key)
        if count_point is None or count_point.tier != "static":
            raise MapError(f"{profile}: a repeat's count {repeat.count_key!r} is no static point")
    return regmap


def build_map(
    raw: Mapping[str, Any],
    points: Iterable[Point],
    derived: Iterable[Derived] | None = None,
) -> RegisterMap:
    """A RegisterMap from a map file's top-level settings and its resolved points."""
    profile = str(raw["profile"])
    try:
        return RegisterMap(
            profile=profile,
            function=FUNCTIONS[raw.get("function", "holding")],
            points=tuple(points),
            identity=Identity(**raw["identity"]),
            sanity=Sanity(**raw["sanity"]),
            derived=tuple(
                derived
                if derived is not None
                else (_parse_derived(d) for d in raw.get("derived", ()))
            ),
            max_registers=int(raw.get("max_registers", 125)),
            max_gap=int(raw.get("max_gap", 16)),
            request_gap_ms=int(raw.get("request_gap_ms", 0)),
            ranges=tuple((int(a), int(b)) for a, b in raw.get("ranges", ())),
            max_power_w=float(raw.get("max_power_w", 1_000_000.0)),
        )
    except (KeyError, TypeError) as err:
        raise MapError(f"{profile}: {err!r}") from err


@dataclass(frozen=True, slots=True)
class MapDefaults:
    """Map-wide defaults applied to every point of a file."""

    profile: str
    word_order: str
    sentinels: Mapping[str, frozenset[int]]
    valid: Mapping[str, tuple[float, float]]

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> MapDefaults:
        """Read the defaults of a map file."""
        profile = str(raw.get("profile", "?"))
        return cls(
            profile=profile,
            word_order=str(raw.get("word_order", "big")),
            sentinels={
                t: frozenset(_int(v, profile) for v in values)
                for t, values in raw.get("sentinels", {}).items()
            },
            valid={e: (float(lo), float(hi)) for e, (lo, hi) in raw.get("valid", {}).items()},
        )


def parse_point(
    raw: Mapping[str, Any],
    address: int | None,
    defaults: MapDefaults,
    replacements: Mapping[str, str] | None = None,
) -> Point:
    """A Point from its JSON object, at `address`; "{n}" in key/index/sf is replaced."""

    def text(name: str) -> str | None:
        value = raw.get(name)
        if value is None:
            return None
        out = str(value)
        for old, new in (replacements or {}).items():
            out = out.replace(old, new)
        return out

    key = text("key")
    where = f"{defaults.profile}: point {key or raw!r}"
    if not key or address is None:
        raise MapError(f"{where}: needs a key and an address")
    kind = str(raw.get("type"))
    if kind == STRING:
        count = int(raw.get("size", 0))
    elif kind in REGISTER_COUNTS:
        count = REGISTER_COUNTS[kind]
    else:
        raise MapError(f"{where}: unknown type {kind!r}")
    if count <= 0:
        raise MapError(f"{where}: a string needs a size")
    tier = raw.get("tier")
    if kind == "sunssf" and tier is None:
        pass  # scale factors are read with the values that use them
    elif tier not in TIERS:
        raise MapError(f"{where}: tier must be one of {TIERS}, not {tier!r}")
    word_order = str(raw.get("word_order", defaults.word_order))
    if word_order not in WORD_ORDERS:
        raise MapError(f"{where}: word_order must be big or little")
    counter = raw.get("counter")
    if counter is not None and counter not in COUNTERS:
        raise MapError(f"{where}: counter must be one of {COUNTERS}")
    if "sentinels" in raw:
        sentinels = frozenset(_int(v, where) for v in raw["sentinels"])
    else:
        sentinels = defaults.sentinels.get(kind, frozenset())
    entity = text("entity")
    valid = raw.get("valid")
    valid_range = (
        (float(valid[0]), float(valid[1]))
        if valid is not None
        else defaults.valid.get(entity or "", None)
    )
    states = raw.get("states")
    flags = raw.get("flags")
    epoch = raw.get("epoch")
    if epoch is not None and (epoch not in EPOCHS or kind not in ("u32", "s32")):
        raise MapError(f"{where}: epoch must be one of {EPOCHS}, on a 32-bit integer")
    if flags is not None and kind not in ("u16", "u32"):
        raise MapError(f"{where}: flags need an unsigned integer type")
    scale = float(raw.get("scale", 1.0))
    if not math.isfinite(scale) or scale == 0:
        raise MapError(f"{where}: bad scale {scale}")
    return Point(
        key=key,
        address=int(address),
        type=kind,
        count=count,
        word_order=word_order,
        scale=scale,
        scale_ref=text("sf"),
        unit=raw.get("unit"),
        tier=tier,
        sentinels=sentinels,
        entity=entity,
        index=text("index"),
        valid=valid_range,
        states=(
            {_int(code, where): str(name) for code, name in states.items()}
            if states is not None
            else None
        ),
        counter=counter,
        sim=raw.get("sim"),
        flags=(
            {_int(bit, where): str(name) for bit, name in flags.items()}
            if flags is not None
            else None
        ),
        epoch=epoch,
    )


def _parse_derived(
    raw: Mapping[str, Any], replacements: Mapping[str, str] | None = None
) -> Derived:
    def text(value: Any) -> str:
        out = str(value)
        for old, new in (replacements or {}).items():
            out = out.replace(old, new)
        return out

    op = raw.get("op")
    if op not in DERIVED_OPS:
        raise MapError(f"derived {raw.get('key')!r}: op must be one of {DERIVED_OPS}")
    index = raw.get("index")
    return Derived(
        key=text(raw["key"]),
        op=str(op),
        inputs=tuple(text(k) for k in raw["inputs"]),
        unit=raw.get("unit"),
        entity=raw.get("entity"),
        index=text(index) if index is not None else None,
        counter=raw.get("counter"),
    )


def _int(value: Any, where: str) -> int:
    """An int from a JSON number or a "0x..." string (sentinels and codes read better in hex)."""
    try:
        return int(value, 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise MapError(f"{where}: {value!r} is not an integer") from None


def decimals(scale: float) -> int:
    """Decimal places a fixed scale introduces (0.01 -> 2), to round away float noise."""
    exponent = Decimal(repr(scale)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
