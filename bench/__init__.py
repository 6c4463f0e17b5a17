"""Benchmarks: `./scripts/bench [NAME...]` runs bench/bench_NAME.py and writes results/NAME.json."""
