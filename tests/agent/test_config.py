"""The agent's config file: defaults, and one test per class of error (file, line, key path)."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

from edge_agent import config as config_module
from edge_agent.config import ConfigFileError, default_agent_id, load
from edge_agent.features import FEATURE_MODULES


def write(tmp_path: Path, text: str, name: str = "agent.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> ConfigFileError:
    with pytest.raises(ConfigFileError) as info:
        load(write(tmp_path, text))
    return info.value


# --- defaults --------------------------------------------------------------------------------


def test_empty_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setattr(config_module.socket, "gethostname", lambda: "Track-Pi.local")
    config = load(write(tmp_path, ""))
    assert config.agent.id == "track-pi"
    assert config.agent.name == "track-pi"
    assert (config.mqtt.host, config.mqtt.port) == ("localhost", 1883)
    assert config.mqtt.client_id == "edge-agent-track-pi"
    assert config.mqtt.tls is None
    assert (config.mqtt.backoff.initial_ms, config.mqtt.backoff.max_s) == (5.0, 1.0)
    assert config.outbox.path == tmp_path.resolve() / "outbox.db"
    assert config.outbox.commit_interval_ms == 50
    assert config.features == []


def test_state_directory_holds_the_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/edge-agent")
    assert load(write(tmp_path, "")).outbox.path == Path("/var/lib/edge-agent/outbox.db")


@pytest.mark.parametrize(
    ("hostname", "agent_id"),
    [
        ("raspberrypi", "raspberrypi"),
        ("Lab Pi #2", "lab-pi--2"),
        ("reactor_7.lan", "reactor_7"),
        ("-weird-", "weird-"),
        ("", "edge-agent"),
        ("x" * 80, "x" * 64),
    ],
)
def test_default_agent_id_from_hostname(hostname: str, agent_id: str) -> None:
    assert default_agent_id(hostname) == agent_id


def test_full_config(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("ca")
    (tmp_path / "client.pem").write_text("cert")
    (tmp_path / "client.key").write_text("key")
    config = load(
        write(
            tmp_path,
            """
agent: {id: lab-pi, name: Lab Pi, log_level: debug}
mqtt:
  host: broker.lan
  username: lab-pi
  password: secret
  keepalive: 20
  tls: {ca: ca.pem, cert: client.pem, key: client.key}
  backoff: {initial_ms: 10, max_s: 30}
outbox: {path: data/outbox.db, max_rows: 1000, max_bytes: 2000000, commit_interval_ms: 100}
synthetic: {rate_hz: 5, count: 10, sensors: 3}
""",
        )
    )
    assert config.agent.name == "Lab Pi"
    assert config.mqtt.port == 8883  # the TLS default
    assert config.mqtt.tls is not None
    assert config.mqtt.tls.ca == tmp_path.resolve() / "ca.pem"
    assert config.mqtt.backoff.max_s == 30.0
    assert config.outbox.path == tmp_path.resolve() / "data" / "outbox.db"
    [feature] = config.features
    assert feature.section == "synthetic"
    assert feature.config.sensors == 3


# --- one test per error class ----------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, "agent:\n  id: pi\nmqtt: [unclosed\n")
    assert err.line == 4
    assert "invalid YAML" in str(err)
    assert str(err).startswith(f"{tmp_path / 'agent.yaml'}:4: ")


def test_duplicate_key(tmp_path: Path) -> None:
    err = error_of(tmp_path, "mqtt:\n  port: 1883\n  port: 1884\n")
    assert err.line == 3
    assert "duplicate key 'port'" in str(err)


def test_not_a_mapping(tmp_path: Path) -> None:
    err = error_of(tmp_path, "- just\n- a list\n")
    assert "must be a mapping" in str(err)


def test_unknown_section(tmp_path: Path) -> None:
    err = error_of(tmp_path, "agent: {id: pi}\nmqqt: {host: x}\n")
    assert (err.key, err.line) == ("mqqt", 2)
    assert "unknown section" in err.message


def test_unknown_key_names_its_path_and_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, "mqtt:\n  host: x\n  tls:\n    ca_cert: ca.pem\n")
    assert (err.key, err.line) == ("mqtt.tls.ca_cert", 4)
    assert "unknown key" in err.message
    assert "allowed: ca, cert, key" in err.message


def test_wrong_type(tmp_path: Path) -> None:
    err = error_of(tmp_path, "mqtt:\n  port: eighteen\n")
    assert (err.key, err.line) == ("mqtt.port", 2)
    assert err.message == "must be an integer, got 'eighteen'"


def test_section_of_the_wrong_type(tmp_path: Path) -> None:
    err = error_of(tmp_path, "outbox: 12\n")
    assert (err.key, err.line) == ("outbox", 1)
    assert "must be a mapping" in err.message


def test_out_of_range(tmp_path: Path) -> None:
    err = error_of(tmp_path, "outbox:\n  commit_interval_ms: 0\n")
    assert err.key == "outbox.commit_interval_ms"
    assert "at least 1" in err.message


def test_invalid_choice(tmp_path: Path) -> None:
    err = error_of(tmp_path, "agent: {log_level: verbose}\n")
    assert err.key == "agent.log_level"
    assert "must be one of debug, info, warning, error" in err.message


def test_invalid_agent_id(tmp_path: Path) -> None:
    err = error_of(tmp_path, "agent:\n  id: Track Pi\n")
    assert (err.key, err.line) == ("agent.id", 2)
    assert "not a valid agent id" in err.message


def test_missing_tls_file(tmp_path: Path) -> None:
    err = error_of(tmp_path, "mqtt:\n  tls:\n    ca: nowhere.pem\n")
    assert (err.key, err.line) == ("mqtt.tls.ca", 3)
    assert "file not found" in err.message


def test_inconsistent_options(tmp_path: Path) -> None:
    err = error_of(tmp_path, "mqtt: {password: secret}\n")
    assert err.key == "mqtt.password"
    err = error_of(tmp_path, "mqtt: {backoff: {initial_ms: 5000, max_s: 1}}\n")
    assert err.key == "mqtt.backoff.max_s"


def test_feature_section_error(tmp_path: Path) -> None:
    err = error_of(tmp_path, "synthetic:\n  rate_hz: fast\n")
    assert (err.key, err.line) == ("synthetic.rate_hz", 2)


def test_feature_missing_from_this_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FEATURE_MODULES, "teleport", "edge_agent.features.teleport")
    err = error_of(tmp_path, "teleport: {}\n")
    assert err.key == "teleport"
    assert "does not include this feature" in err.message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read the file"):
        load(tmp_path / "missing.yaml")


# --- the command line ------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_cli_reports_errors_without_traceback(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, "mqtt:\n  port: 99999\n")
    out = _cli(command, "--config", str(path))
    assert out.returncode == 2
    assert (
        out.stderr.strip() == f"edge-agent: {path}:2: mqtt.port: must be at most 65535, got 99999"
    )
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "outbox.db").exists()  # nothing started


def test_check_config_ok(tmp_path: Path) -> None:
    path = write(tmp_path, "agent: {id: lab-pi}\nmqtt: {host: broker.lan}\nsynthetic: {}\n")
    out = _cli("check-config", "--config", str(path))
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout
    assert "broker.lan:1883" in out.stdout
    assert "features: synthetic" in out.stdout


def test_run_reports_an_unusable_outbox(tmp_path: Path) -> None:
    path = write(tmp_path, "mqtt: {port: 1}\noutbox: {path: /proc/nope/outbox.db}\n")
    out = _cli("run", "--config", str(path))
    assert out.returncode == 1
    assert "cannot open the outbox" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_feature_that_cannot_start(tmp_path: Path) -> None:
    from edge_agent.agent import Agent, FeatureStartError
    from edge_agent.config import FeatureConfig
    from edge_agent.feature import FeatureSpec

    def build(_config: object) -> Any:
        raise OSError("/dev/gpiochip0: no such device")

    config = load(write(tmp_path, ""))
    spec = FeatureSpec(section="laps", parse=lambda section, path: section, build=build)
    config.features.append(FeatureConfig("laps", spec, {}))
    with pytest.raises(FeatureStartError, match="feature laps could not start: /dev/gpiochip0"):
        Agent(config)


def test_laps_shorten_the_default_commit_interval(tmp_path: Path) -> None:
    """A lap must reach HA within ~50 ms: with a laps section the outbox commits every 10 ms,
    unless the file says otherwise."""
    laps = "laps:\n  backend: sim\n  lanes: [{lane: 1}]\n"
    plain = tmp_path / "plain.yaml"
    plain.write_text("agent: {id: a}\n")
    with_laps = tmp_path / "laps.yaml"
    with_laps.write_text("agent: {id: a}\n" + laps)
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text("agent: {id: a}\noutbox: {commit_interval_ms: 40}\n" + laps)
    assert load(plain).outbox.commit_interval_ms == 50
    assert load(with_laps).outbox.commit_interval_ms == 10
    assert load(explicit).outbox.commit_interval_ms == 40
