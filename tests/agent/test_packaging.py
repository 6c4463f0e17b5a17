"""The edge-agent distribution ships every package of the agent and of the shared core."""

from __future__ import annotations

from pathlib import Path
import tomllib

ROOT = Path(__file__).parents[2]


def test_every_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for name, base in config["package-dir"].items():
        root = ROOT / base
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            found.add(".".join([name, *rel.parts]))
    assert found == listed, f"missing: {found - listed}, stale: {listed - found}"
