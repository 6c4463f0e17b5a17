"""What every part of the orchestrator shares: the repository, the console, the error."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class DemoError(Exception):
    """Something the demo needs did not happen; the message says what and where to look."""


def say(msg: str) -> None:
    print(f"\033[1m[demo]\033[0m {msg}", flush=True)
