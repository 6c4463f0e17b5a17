"""The poller's policies: busy retries, 0x02 splitting, adapting the plan, bad answers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from edge_hub_core.modbus_map import Identity, Point, RegisterMap, Sanity
from edge_hub_core.modbus_poll import (
    STRIKES,
    ModbusExceptionError,
    NoResponseError,
    Poller,
)


def _map() -> RegisterMap:
    points = [Point(f"p{i}", 100 + i, "u16", 1, tier="fast") for i in range(4)]
    serial = Point("sn", 0, "string", 2, tier="static")
    return RegisterMap("t", 3, (*points, serial), Identity("sn"), Sanity("p0", 0, 9))


class Script:
    """A read function answering from a register dict, with scripted failures."""

    def __init__(self, refused: set[int] | None = None, busy: int = 0) -> None:
        self.refused = refused or set()
        self.busy = busy
        self.calls: list[tuple[int, int]] = []

    async def read(self, function: int, address: int, count: int) -> Sequence[int]:
        self.calls.append((address, count))
        if self.busy:
            self.busy -= 1
            raise ModbusExceptionError(6)
        if self.refused & set(range(address, address + count)):
            raise ModbusExceptionError(2)
        return [a % 100 for a in range(address, address + count)]


async def test_busy_is_retried() -> None:
    script = Script(busy=2)
    poller = Poller(_map(), script.read, busy_delay=0)
    values = await poller.read(["p0", "p1"])
    assert values == {"p0": 0, "p1": 1}
    assert poller.stats.busy_retries == 2


async def test_busy_for_too_long_fails_the_poll() -> None:
    poller = Poller(_map(), Script(busy=5).read, busy_retries=2, busy_delay=0)
    with pytest.raises(ModbusExceptionError):
        await poller.read(["p0"])


async def test_one_refused_register_costs_only_itself() -> None:
    script = Script(refused={102})
    poller = Poller(_map(), script.read)
    values = await poller.read(["p0", "p1", "p2", "p3"])
    assert values == {"p0": 0, "p1": 1, "p2": None, "p3": 3}
    # merged request, then each group alone
    assert script.calls == [(100, 4), (100, 1), (101, 1), (102, 1), (103, 1)]


async def test_persistent_refusal_adapts_the_plan() -> None:
    script = Script(refused={102})
    poller = Poller(_map(), script.read)
    for _ in range(STRIKES):
        await poller.read(["p0", "p1", "p2", "p3"])
    assert poller.unsupported == {"p2"}
    script.calls.clear()
    values = await poller.read(["p0", "p1", "p2", "p3"])
    assert values["p2"] is None
    assert script.calls == [(100, 1), (101, 1), (103, 1)]


async def test_transient_refusal_changes_nothing() -> None:
    script = Script(refused={102})
    poller = Poller(_map(), script.read)
    await poller.read(["p0", "p1", "p2", "p3"])
    script.refused.clear()
    script.calls.clear()
    await poller.read(["p0", "p1", "p2", "p3"])
    assert script.calls == [(100, 4)]
    assert not poller.unsupported


async def test_short_answer_leaves_values_unknown() -> None:
    async def read(function: int, address: int, count: int) -> Sequence[int]:
        return [1]

    poller = Poller(_map(), read)
    assert await poller.read(["p0", "p1"]) == {"p0": None, "p1": None}
    assert poller.stats.bad_responses == 1


async def test_no_response_propagates() -> None:
    async def read(function: int, address: int, count: int) -> Sequence[int]:
        raise NoResponseError("timeout")

    with pytest.raises(NoResponseError):
        await Poller(_map(), read).read(["p0"])


async def test_other_exceptions_fail_the_poll() -> None:
    async def read(function: int, address: int, count: int) -> Sequence[int]:
        raise ModbusExceptionError(4)

    with pytest.raises(ModbusExceptionError):
        await Poller(_map(), read).read(["p0"])
