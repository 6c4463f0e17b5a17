"""Values computed from decoded points: V x A, active alarms, inverter-local time stamps.

`daily_from` values (today's energy from a lifetime counter) need a date and a stored
baseline: they live in energy_guard.DailyFromTotal, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from .modbus_map import Derived, RegisterMap, Value


def compute_derived(regmap: RegisterMap, values: Mapping[str, Value]) -> dict[str, Value]:
    """The `product` and `flags` derived values from the latest values."""
    out: dict[str, Value] = {}
    for derived in regmap.derived:
        if derived.op == "product":
            out[derived.key] = _product([values.get(k) for k in derived.inputs])
        elif derived.op == "flags":
            names = active_flags(regmap, derived, values)
            out[derived.key] = None if names is None else len(names)
    return out


def _product(factors: list[Value]) -> Value:
    if not all(isinstance(f, int | float) for f in factors):
        return None
    product = 1.0
    for factor in factors:
        product *= float(factor)  # type: ignore[arg-type]
    return round(product, 1)


def active_flags(
    regmap: RegisterMap, derived: Derived, values: Mapping[str, Value]
) -> list[str] | None:
    """The names of the set bits of a `flags` value's bit fields, in map order.

    None while any of its words is unknown: "no alarm" must not be claimed from a word
    that was not read. Bits the map has no name for are not counted.
    """
    names: list[str] = []
    for key in derived.inputs:
        word = values.get(key)
        flags = regmap.by_key[key].flags or {}
        if not isinstance(word, int) or isinstance(word, bool):
            return None
        names += [name for bit, name in sorted(flags.items()) if word >> bit & 1]
    return names


def local_epoch_to_datetime(seconds: int, zone: tzinfo) -> datetime:
    """An inverter time stamp counted on its local clock (Huawei's start-up and shut-down
    times: seconds since 1970-01-01 00:00 *local*), as an aware datetime in `zone`.

    The wall-clock reading is taken as is and placed in `zone` (the inverter is set to the
    local time of the place it stands in, as Home Assistant is).
    """
    wall = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    return wall.replace(tzinfo=zone)
