"""Run one benchmark module and write its figures to bench/results/NAME.json.

A benchmark module bench/bench_NAME.py defines `run() -> dict` (or `async def run()`)
returning its named figures (nested dicts allowed), plus `TARGETS` describing them.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
from pathlib import Path
import platform
import sys
import time

RESULTS = Path(__file__).parent / "results"


def main(name: str) -> None:
    module = importlib.import_module(f"bench.bench_{name}")
    started = time.time()
    result = module.run()
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    RESULTS.mkdir(exist_ok=True)
    out = {
        **result,
        "_meta": {
            "benchmark": name,
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
            "seconds": round(time.time() - started, 1),
            "targets": getattr(module, "TARGETS", {}),
        },
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
