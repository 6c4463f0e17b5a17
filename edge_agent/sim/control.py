"""Drive a running simulated board from outside the agent process (tests, the demo).

`reactor: {backend: sim, sim: {control: FILE}}` makes the board watch FILE, a JSON object
`{"unplugged": ["0x63", "28-0000000a1b2c"]}`: the listed parts (I2C addresses, as hex text
or numbers, and 1-Wire ids) are unplugged, every other part is plugged in (a part that comes
back is reset, like a real replug). A missing or unreadable file changes nothing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
import threading
from typing import Any

_LOGGER = logging.getLogger(__name__)
POLL_S = 0.2


def _unplugged(text: str) -> set[int | str]:
    wanted: set[int | str] = set()
    for item in json.loads(text).get("unplugged", []):
        if isinstance(item, int):
            wanted.add(item)
        elif isinstance(item, str):
            wanted.add(int(item, 16) if item.lower().startswith("0x") else item)
    return wanted


def apply_control(board: Any, text: str) -> None:
    """Plug and unplug the board's parts as `text` (the control file's content) says."""
    unplugged = _unplugged(text)
    parts = [*board.bus.devices.items(), *board.onewire.parts.items()]
    for key, part in parts:
        if key in unplugged and part.present:
            part.unplug()
        elif key not in unplugged and not part.present:
            part.plug()


def watch_control(board: Any, path: str) -> threading.Thread:
    """Apply the control file now and whenever it changes (a daemon thread)."""

    def run() -> None:
        seen: float | None = None
        while True:
            try:
                mtime = Path(path).stat().st_mtime_ns
                if mtime != seen:
                    seen = mtime
                    apply_control(board, Path(path).read_text())
            except FileNotFoundError:
                pass
            except (OSError, ValueError, AttributeError) as err:
                _LOGGER.warning("sim control file %s not applied: %s", path, err)
            threading.Event().wait(POLL_S)

    thread = threading.Thread(target=run, name="sim-control", daemon=True)
    thread.start()
    return thread
