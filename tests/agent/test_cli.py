"""The edge-agent command line."""

from __future__ import annotations

import subprocess
import sys

from edge_agent import __version__


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"edge-agent {__version__}"
