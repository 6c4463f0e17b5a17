"""The deployment files: a systemd unit, a Dockerfile and an example config that is valid."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from edge_agent.config import load

DEPLOY = Path(__file__).parents[2] / "edge_agent" / "deploy"


def test_systemd_unit() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "edge-agent.service")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["User"] not in ("", "root")
    assert {"gpio", "i2c"} <= set(service["SupplementaryGroups"].split())
    assert service["StateDirectory"] == "edge-agent"
    assert " run --config " in service["ExecStart"]
    assert "check-config" in service["ExecStartPre"]
    assert service["RestartPreventExitStatus"] == "2"  # config errors are not retried
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_dockerfile_runs_unprivileged() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "\nUSER edge-agent\n" in text
    assert "STATE_DIRECTORY=/data" in text
    assert '"run", "--config"' in text


def test_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/edge-agent")
    config = load(DEPLOY / "config.example.yaml")
    assert config.mqtt.host == "homeassistant.local"
    assert config.outbox.path == Path("/var/lib/edge-agent/outbox.db")
    assert [f.section for f in config.features] == ["synthetic"]
