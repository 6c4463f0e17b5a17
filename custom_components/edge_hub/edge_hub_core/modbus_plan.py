"""Coalescing the points to poll into as few Modbus read requests as the map allows.

Each value is grouped with its SunSpec scale factor, so both always come from the same
response (SolarEdge changes scale factors at dawn and dusk: a value read apart from its
scale factor can be off by a factor of ten). Groups sorted by address are merged greedily
while the request stays within `max_registers` (125 is the protocol's limit for FC3/FC4)
and the hole between two groups is at most `max_gap` registers: reading a few unused
registers costs two bytes each, a separate request costs a round trip plus the inverter's
inter-request gap. A merge never bridges outside the ranges the device implements (reading
a hole there is answered with exception 0x02), and never touches an isolated group (one
that failed inside a merged request, see modbus_poll.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .modbus_map import RegisterMap

#: the protocol's limit for one FC3/FC4 response (250 bytes of data)
MAX_REGISTERS = 125


@dataclass(frozen=True, slots=True)
class ReadGroup:
    """Points that must be read in one request: a value and its scale factor."""

    address: int
    end: int
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One FC3/FC4 read: `count` registers from `address`, covering `groups`."""

    function: int
    address: int
    count: int
    groups: tuple[ReadGroup, ...]

    @property
    def end(self) -> int:
        """The first address after the request."""
        return self.address + self.count

    @property
    def keys(self) -> tuple[str, ...]:
        """Every point key the request covers (scale factors included), in address order."""
        seen: dict[str, None] = {}
        for group in self.groups:
            seen.update(dict.fromkeys(group.keys))
        return tuple(seen)


def groups_for(regmap: RegisterMap, keys: Iterable[str]) -> list[ReadGroup]:
    """One group per point: the point plus its scale factor when it has one.

    A scale factor too far from its value to share a request (more than the request limit
    apart) becomes a group of its own; decoding then uses the one read in the same cycle.
    """
    limit = min(regmap.max_registers, MAX_REGISTERS)
    groups: dict[tuple[int, int, tuple[str, ...]], ReadGroup] = {}
    for key in keys:
        point = regmap.by_key[key]
        members = [point]
        if point.scale_ref is not None:
            members.append(regmap.by_key[point.scale_ref])
        start = min(p.address for p in members)
        end = max(p.end for p in members)
        if end - start > limit:
            parts = [ReadGroup(p.address, p.end, (p.key,)) for p in members]
        else:
            parts = [ReadGroup(start, end, tuple(sorted(p.key for p in members)))]
        for part in parts:
            groups[(part.address, part.end, part.keys)] = part
    return sorted(groups.values(), key=lambda g: (g.address, g.end, g.keys))


def plan_reads(
    regmap: RegisterMap,
    keys: Iterable[str],
    *,
    isolated: frozenset[str] = frozenset(),
    max_registers: int | None = None,
    max_gap: int | None = None,
) -> list[ReadRequest]:
    """The requests reading every point of `keys` (and their scale factors)."""
    limit = min(max_registers or regmap.max_registers, MAX_REGISTERS)
    gap = regmap.max_gap if max_gap is None else max_gap
    requests: list[ReadRequest] = []
    current: list[ReadGroup] = []
    start = end = 0

    def flush() -> None:
        if current:
            requests.append(ReadRequest(regmap.function, start, end - start, tuple(current)))

    for group in groups_for(regmap, keys):
        lonely = not isolated.isdisjoint(group.keys) or (
            bool(current) and not isolated.isdisjoint(current[0].keys)
        )
        new_end = max(end, group.end)
        if (
            current
            and not lonely
            and group.address - end <= gap
            and new_end - start <= limit
            and _inside_one_range(regmap.ranges, start, new_end)
        ):
            current.append(group)
            end = new_end
            continue
        flush()
        current = [group]
        start, end = group.address, group.end
    flush()
    return requests


def _inside_one_range(ranges: tuple[tuple[int, int], ...], start: int, end: int) -> bool:
    if not ranges:
        return True
    return any(low <= start and end <= high for low, high in ranges)
