"""Polling a register map through any async `read(function, address, count)`.

The transport (pymodbus in the integration, an in-memory register image in tests) raises
NoResponseError when the device does not answer, ModbusExceptionError for a Modbus exception and
BadResponseError for a malformed answer. The Poller turns them into policy:

* 0x06 (busy): the same request is retried after a short, growing delay; if the device
  stays busy the whole poll fails (ModbusExceptionError propagates).
* 0x02/0x03 (illegal address/value) on a merged request: its groups are re-read one by one
  in the same poll, so one bad register costs nothing else. A merged request failing three
  polls running has its groups read apart from then on; a lone group failing three polls
  running is unsupported (unknown) until the entry reloads. A one-off 0x02 therefore
  changes nothing, and a firmware without some register degrades to exactly that value.
* A malformed answer (wrong register count) leaves that request's values unknown for this
  poll only.
* NoResponseError propagates: the caller decides between "asleep" and "gone".
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import logging
from typing import TypeAlias

from .modbus_decode import decode_block
from .modbus_frame import ILLEGAL_DATA_ADDRESS, ILLEGAL_DATA_VALUE, SERVER_DEVICE_BUSY
from .modbus_map import RegisterMap, Value
from .modbus_plan import ReadRequest, plan_reads

_LOGGER = logging.getLogger(__name__)

ReadFn: TypeAlias = Callable[[int, int, int], Awaitable[Sequence[int]]]
#: how many polls running a request or group must fail before the plan changes
STRIKES = 3


class NoResponseError(Exception):
    """The device did not answer: connection refused, closed, or a timeout.

    `reason` tells which: "cannot_connect" (refused, unreachable), "timeout" (nothing came
    back in time) or "no_answer" (the connection was closed without an answer).
    """

    def __init__(self, message: str = "", reason: str = "timeout") -> None:
        super().__init__(message or reason)
        self.reason = reason


class ModbusExceptionError(Exception):
    """The device answered with a Modbus exception."""

    def __init__(self, code: int) -> None:
        super().__init__(f"Modbus exception 0x{code:02X}")
        self.code = code


class BadResponseError(Exception):
    """The device answered something unusable (e.g. the wrong number of registers)."""


@dataclass(slots=True)
class PollStats:
    """Counters for diagnostics and the benchmark."""

    requests: int = 0
    busy_retries: int = 0
    bad_responses: int = 0
    exceptions: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly counters."""
        return {
            "requests": self.requests,
            "busy_retries": self.busy_retries,
            "bad_responses": self.bad_responses,
            "exceptions": {f"0x{c:02X}": n for c, n in sorted(self.exceptions.items())},
        }


class Poller:
    """Reads sets of points with coalesced requests, adapting to what the device refuses."""

    def __init__(
        self,
        regmap: RegisterMap,
        read: ReadFn,
        *,
        busy_retries: int = 2,
        busy_delay: float = 0.5,
    ) -> None:
        self.regmap = regmap
        self._read = read
        self._busy_retries = busy_retries
        self._busy_delay = busy_delay
        self._plans: dict[frozenset[str], list[ReadRequest]] = {}
        self._isolated: set[str] = set()
        self.unsupported: set[str] = set()
        self._request_strikes: Counter[tuple[int, int]] = Counter()
        self._group_strikes: Counter[tuple[str, ...]] = Counter()
        self.stats = PollStats()

    def plan(self, keys: Iterable[str]) -> list[ReadRequest]:
        """The (cached) requests reading `keys`, minus unsupported points."""
        wanted = frozenset(keys) - self.unsupported
        plan = self._plans.get(wanted)
        if plan is None:
            plan = plan_reads(self.regmap, wanted, isolated=frozenset(self._isolated))
            self._plans[wanted] = plan
        return plan

    async def read(self, keys: Iterable[str]) -> dict[str, Value]:
        """Decoded values of `keys` (None: unknown); NoResponseError/ModbusExceptionError raise."""
        wanted = frozenset(keys)
        out: dict[str, Value] = dict.fromkeys(wanted & self.unsupported)
        for request in self.plan(wanted):
            out.update(await self._execute(request, out))
        return {k: v for k, v in out.items() if k in wanted}

    async def _execute(self, request: ReadRequest, so_far: Mapping[str, Value]) -> dict[str, Value]:
        try:
            registers = await self._read_busy_aware(
                request.function, request.address, request.count
            )
        except ModbusExceptionError as err:
            if err.code not in (ILLEGAL_DATA_ADDRESS, ILLEGAL_DATA_VALUE):
                raise
            return await self._refused(request, so_far)
        except BadResponseError as err:
            self.stats.bad_responses += 1
            _LOGGER.debug("%s: unusable answer to %s: %s", self.regmap.profile, request, err)
            return dict.fromkeys(request.keys)
        self._request_strikes.pop((request.address, request.count), None)
        for group in request.groups:
            self._group_strikes.pop(group.keys, None)
        points = [self.regmap.by_key[k] for k in request.keys]
        return decode_block(points, request.address, registers, so_far)

    async def _refused(self, request: ReadRequest, so_far: Mapping[str, Value]) -> dict[str, Value]:
        """0x02/0x03: re-read the groups one by one; change the plan only if it persists."""
        out: dict[str, Value] = {}
        if len(request.groups) > 1:
            span = (request.address, request.count)
            self._request_strikes[span] += 1
            if self._request_strikes[span] >= STRIKES:
                del self._request_strikes[span]
                self._isolated.update(request.keys)
                self._plans.clear()
                _LOGGER.info(
                    "%s: reading registers %d-%d in one request keeps failing; reading "
                    "its values separately from now on",
                    self.regmap.profile,
                    request.address,
                    request.end - 1,
                )
            for group in request.groups:
                single = ReadRequest(
                    request.function, group.address, group.end - group.address, (group,)
                )
                out.update(await self._execute(single, {**so_far, **out}))
            return out
        group = request.groups[0]
        self._group_strikes[group.keys] += 1
        if self._group_strikes[group.keys] >= STRIKES:
            del self._group_strikes[group.keys]
            self.unsupported.update(k for k in group.keys if self.regmap.by_key[k].tier)
            self._plans.clear()
            _LOGGER.warning(
                "%s: the device refuses registers %d-%d (%s); treating them as not "
                "supported until the entry is reloaded",
                self.regmap.profile,
                group.address,
                group.end - 1,
                ", ".join(group.keys),
            )
        return dict.fromkeys(request.keys)

    async def _read_busy_aware(self, function: int, address: int, count: int) -> list[int]:
        delay = self._busy_delay
        for attempt in range(self._busy_retries + 1):
            self.stats.requests += 1
            try:
                registers = list(await self._read(function, address, count))
            except ModbusExceptionError as err:
                self.stats.exceptions[err.code] += 1
                if err.code != SERVER_DEVICE_BUSY or attempt == self._busy_retries:
                    raise
                self.stats.busy_retries += 1
                await asyncio.sleep(delay)
                delay *= 2
                continue
            if len(registers) != count:
                raise BadResponseError(f"asked for {count} registers, got {len(registers)}")
            return registers
        raise AssertionError("unreachable")  # pragma: no cover
