"""Groups the readings of one sampling round into one `readings` record.

Sensors sample on their own schedules (aligned to their interval, so sensors sharing an
interval start together). The first sensor starting a sample opens a round; the round is
emitted when every sensor that joined it has finished, or `timeout` after it opened, so a
slow or stuck sensor delays the others' readings by at most `timeout` and never blocks
them. A sensor finishing after its round closed goes into the open round, or alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any

_LOGGER = logging.getLogger(__name__)

Readings = list[dict[str, Any]]


class Round:
    __slots__ = ("closed", "outstanding", "readings", "timer")

    def __init__(self) -> None:
        self.outstanding = 0
        self.readings: Readings = []
        self.closed = False
        self.timer: asyncio.TimerHandle | None = None


class RoundCollector:
    def __init__(self, emit: Callable[[Readings], None], timeout: float) -> None:
        self._emit = emit
        self._timeout = timeout
        self._open: Round | None = None
        self.rounds_emitted = 0

    def begin(self) -> Round:
        """A sensor starts sampling: it joins the open round (or opens one)."""
        rnd = self._open
        if rnd is None:
            rnd = self._open = Round()
            rnd.timer = asyncio.get_running_loop().call_later(self._timeout, self._close, rnd)
        rnd.outstanding += 1
        return rnd

    def finish(self, rnd: Round, readings: Readings) -> None:
        """The sensor is done (readings may be empty: nothing worth sending)."""
        if not rnd.closed:
            rnd.readings.extend(readings)
            rnd.outstanding -= 1
            if rnd.outstanding == 0:
                self._close(rnd)
        elif readings:
            if self._open is not None:  # late: ride with the round now collecting
                self._open.readings.extend(readings)
            else:
                self._send(readings)

    def flush(self) -> None:
        """Emit what is collected (shutdown)."""
        if self._open is not None:
            self._close(self._open)

    def _close(self, rnd: Round) -> None:
        if rnd.closed:
            return
        rnd.closed = True
        if rnd.timer is not None:
            rnd.timer.cancel()
        if self._open is rnd:
            self._open = None
        if rnd.readings:
            self._send(rnd.readings)

    def _send(self, readings: Readings) -> None:
        self.rounds_emitted += 1
        try:
            self._emit(readings)
        except Exception:
            # the outbox refusing a record must not kill the sampling of every sensor
            _LOGGER.exception("could not store a readings record")
