"""Small helpers of the lap-counter tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition()` holds (for state changed by other tasks or file descriptors)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the condition has no event to await
            await asyncio.sleep(0.001)
