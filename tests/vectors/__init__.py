"""Shared protocol vectors (see generate.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).parent


def load(name: str) -> Any:
    """The parsed tests/vectors/<name>.json."""
    return json.loads((VECTORS / f"{name}.json").read_text())
