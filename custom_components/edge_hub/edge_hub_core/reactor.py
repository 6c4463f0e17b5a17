"""The reactor capability (docs/protocol.md §1.4) and its readings (§1.6), shared by both sides.

The agent builds the announce's `capabilities.reactor` from its config with these classes; Home
Assistant parses it back to create one entity per measurement and one per output. Pure and
HA-free (3.11-compatible): no I/O, no clocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import math
import re
from typing import Any, Final

from .protocol import ProtocolError

CAPABILITY: Final = "reactor"
STATUS_OK: Final = "ok"
STATUS_OFFLINE: Final = "offline"
STATUS_ERROR: Final = "error"
STATUSES: Final = frozenset({STATUS_OK, STATUS_OFFLINE, STATUS_ERROR})

# `calibrate` actions (docs/protocol.md §1.8); each driver accepts a subset
CALIBRATION_ACTIONS: Final = ("mid", "low", "high", "clear", "dry")
# actions that need a reference value (the others take none)
CALIBRATION_NEEDS_VALUE: Final = frozenset({"mid", "low", "high"})

OUTPUT_SWITCH: Final = "switch"
OUTPUT_PWM: Final = "pwm"
OUTPUT_SETPOINT: Final = "setpoint"
OUTPUT_KINDS: Final = (OUTPUT_SWITCH, OUTPUT_PWM, OUTPUT_SETPOINT)

# sensor and output ids: short, stable, usable in unique ids and log lines
ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class SensorInfo:
    """One measurement of a reactor board: one Home Assistant entity."""

    id: str
    kind: str
    name: str
    unit: str | None = None
    device_class: str | None = None
    state_class: str | None = "measurement"
    precision: int | None = None
    # the physical sensor this measurement comes from (a BME280 gives three measurements)
    device: str | None = None
    device_name: str | None = None
    driver: str | None = None
    address: str | None = None
    # the `calibrate` actions the physical sensor accepts (empty: not calibratable)
    calibration: tuple[str, ...] = ()

    @property
    def device_id(self) -> str:
        return self.device or self.id

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "name": self.name}
        for key in (
            "unit",
            "device_class",
            "state_class",
            "precision",
            "device",
            "device_name",
            "driver",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.address is not None:
            out["address"] = self.address
        if self.calibration:
            out["calibration"] = list(self.calibration)
        return out


@dataclass(frozen=True, slots=True)
class OutputInfo:
    """One control output: a switch (GPIO on/off), a PWM duty in % or a setpoint value."""

    id: str
    kind: str
    name: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    device_class: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "name": self.name}
        for key, value in (
            ("unit", self.unit),
            ("min", self.minimum),
            ("max", self.maximum),
            ("step", self.step),
            ("device_class", self.device_class),
        ):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class ReactorCapability:
    sensors: tuple[SensorInfo, ...] = ()
    outputs: tuple[OutputInfo, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "sensors": [sensor.to_json() for sensor in self.sensors],
            "outputs": [output.to_json() for output in self.outputs],
        }


def _text(item: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = item.get(key)
    if value is None:
        if required:
            raise ProtocolError("bad_field", f"{where}: {key!r} missing")
        return None
    if not isinstance(value, str) or not value:
        raise ProtocolError("bad_field", f"{where}: {key!r} is not a non-empty string")
    return value


def _number(item: Mapping[str, Any], key: str, where: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError("bad_field", f"{where}: {key!r} is not a finite number")
    return float(value)


def _ident(item: Mapping[str, Any], where: str) -> str:
    ident = _text(item, "id", where, required=True)
    assert ident is not None
    if not ID_RE.match(ident):
        raise ProtocolError("bad_field", f"{where}: id {ident!r} is not a valid id")
    return ident


def parse_sensor(item: Any, where: str = "sensor") -> SensorInfo:
    if not isinstance(item, Mapping):
        raise ProtocolError("bad_field", f"{where} is not an object")
    ident = _ident(item, where)
    precision = item.get("precision")
    if precision is not None and (
        isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 9
    ):
        raise ProtocolError("bad_field", f"{where}: precision must be an integer 0-9")
    calibration = item.get("calibration") or []
    if not isinstance(calibration, list) or not all(
        isinstance(action, str) for action in calibration
    ):
        raise ProtocolError("bad_field", f"{where}: calibration must be a list of strings")
    return SensorInfo(
        id=ident,
        kind=_text(item, "kind", where) or "value",
        name=_text(item, "name", where) or ident,
        unit=_text(item, "unit", where),
        device_class=_text(item, "device_class", where),
        state_class=_text(item, "state_class", where) if "state_class" in item else "measurement",
        precision=precision,
        device=_text(item, "device", where),
        device_name=_text(item, "device_name", where),
        driver=_text(item, "driver", where),
        address=_text(item, "address", where),
        # actions this version does not know are ignored, not errors
        calibration=tuple(a for a in calibration if a in CALIBRATION_ACTIONS),
    )


def parse_output(item: Any, where: str = "output") -> OutputInfo:
    if not isinstance(item, Mapping):
        raise ProtocolError("bad_field", f"{where} is not an object")
    ident = _ident(item, where)
    kind = _text(item, "kind", where, required=True)
    if kind not in OUTPUT_KINDS:
        raise ProtocolError("bad_field", f"{where}: unknown output kind {kind!r}")
    minimum, maximum = _number(item, "min", where), _number(item, "max", where)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ProtocolError("bad_field", f"{where}: min is above max")
    step = _number(item, "step", where)
    if step is not None and step <= 0:
        raise ProtocolError("bad_field", f"{where}: step must be positive")
    return OutputInfo(
        id=ident,
        kind=kind,
        name=_text(item, "name", where) or ident,
        unit=_text(item, "unit", where),
        minimum=minimum,
        maximum=maximum,
        step=step,
        device_class=_text(item, "device_class", where),
    )


def parse_capability(obj: Any) -> tuple[ReactorCapability, list[str]]:
    """The capability and the problems found; a bad entry is skipped, never the whole board
    (one typo in one sensor must not take every other entity away)."""
    if not isinstance(obj, Mapping):
        raise ProtocolError("bad_field", "the reactor capability is not an object")
    problems: list[str] = []
    sensors: dict[str, SensorInfo] = {}
    outputs: dict[str, OutputInfo] = {}
    for key, parse, into in (
        ("sensors", parse_sensor, sensors),
        ("outputs", parse_output, outputs),
    ):
        raw = obj.get(key) or []
        if not isinstance(raw, list):
            problems.append(f"{key} is not a list")
            continue
        for index, item in enumerate(raw):
            try:
                parsed = parse(item, f"{key}[{index}]")
            except ProtocolError as err:
                problems.append(str(err))
                continue
            if parsed.id in into:
                problems.append(f"{key}[{index}]: duplicate id {parsed.id!r}")
                continue
            into[parsed.id] = parsed  # type: ignore[assignment]
    return (
        ReactorCapability(sensors=tuple(sensors.values()), outputs=tuple(outputs.values())),
        problems,
    )


def build_reading(
    sensor: str,
    status: str,
    value: float | None = None,
    *,
    ts: float | None = None,
    error: str | None = None,
    last_seen: float | None = None,
) -> dict[str, Any]:
    """One entry of a `readings` record (docs/protocol.md §1.6)."""
    out: dict[str, Any] = {"sensor": sensor, "value": value if status == STATUS_OK else None}
    out["status"] = status
    if error is not None:
        out["error"] = error
    if ts is not None:
        out["ts"] = ts
    if last_seen is not None:
        out["last_seen"] = last_seen
    return out


def unique(ids: Iterable[str]) -> list[str]:
    """The ids that appear more than once (config checks on both sides)."""
    seen: set[str] = set()
    dupes: list[str] = []
    for ident in ids:
        if ident in seen and ident not in dupes:
            dupes.append(ident)
        seen.add(ident)
    return dupes
