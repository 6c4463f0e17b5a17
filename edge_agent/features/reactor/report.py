"""Report on change: which readings are worth sending (pure, clock passed in).

A reactor's values drift slowly; sending every sample of 45 sensors every few seconds floods
Home Assistant's recorder with near-duplicates. Per measurement, a reading is sent when:
- it is the first one, or its status or error changed (never hide a failure or recovery);
- it is ok and there is no deadband (every reading counts), or it moved by more than the
  deadband since the last *sent* value (so a slow creep is reported once it adds up);
- `max_interval` has passed since the last one sent (a heartbeat proving it is alive).
A failure that persists is repeated only at `max_interval`.
"""

from __future__ import annotations

from collections import deque
import statistics

from edge_hub_core.reactor import STATUS_OK

from .config import Report


class ChangeFilter:
    __slots__ = ("_report", "_sent_at", "_sent_error", "_sent_status", "_sent_value")

    def __init__(self, report: Report) -> None:
        self._report = report
        self._sent_status: str | None = None
        self._sent_value: float | None = None
        self._sent_error: str | None = None
        self._sent_at = 0.0

    def offer(self, status: str, value: float | None, error: str | None, now: float) -> bool:
        """Whether to send this reading; if so, it becomes the reference for the next."""
        if self._should_send(status, value, error, now):
            self._sent_status, self._sent_value, self._sent_error = status, value, error
            self._sent_at = now
            return True
        return False

    def _should_send(self, status: str, value: float | None, error: str | None, now: float) -> bool:
        if self._sent_status is None or status != self._sent_status or error != self._sent_error:
            return True
        report = self._report
        if status == STATUS_OK:
            if report.deadband is None:
                return True
            assert value is not None
            assert self._sent_value is not None
            if report.deadband.exceeded(self._sent_value, value):
                return True
        return report.max_interval is not None and now - self._sent_at >= report.max_interval


class Median:
    """The median of the last `size` values (size 1: the value itself)."""

    __slots__ = ("_window",)

    def __init__(self, size: int) -> None:
        self._window: deque[float] = deque(maxlen=size)

    def add(self, value: float) -> float:
        self._window.append(value)
        return statistics.median(self._window) if len(self._window) > 1 else value

    def clear(self) -> None:
        self._window.clear()
