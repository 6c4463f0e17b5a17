"""Print bench/results/NAME.json files as one markdown table (figure, value, target)."""

from __future__ import annotations

import json
from pathlib import Path
import sys
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, item, out)
    else:
        out[prefix] = value


def main(names: list[str]) -> None:
    print("| benchmark | figure | value | target |")
    print("|---|---|---|---|")
    for name in names:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            print(f"| {name} | (no results) | | |")
            continue
        data = json.loads(path.read_text())
        targets = data.pop("_meta", {}).get("targets", {})
        flat: dict[str, Any] = {}
        _flatten("", data, flat)
        for key, value in flat.items():
            shown = f"{value:.3g}" if isinstance(value, float) else value
            print(f"| {name} | {key} | {shown} | {targets.get(key.split('.')[-1], '')} |")


if __name__ == "__main__":
    main(sys.argv[1:])
