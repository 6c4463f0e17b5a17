"""The agent's YAML config: strict schema, sensible defaults, errors naming file and line.

Sections: `agent`, `mqtt`, `outbox`, and one per hardware feature named in
edge_agent/features/__init__.py: FEATURE_MODULES (a feature's module is imported only when
its section is present). Any problem raises ConfigFileError *before* anything starts, so
`edge-agent run` and `edge-agent check-config` can print one clear line and exit 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import importlib
import logging
import os
from pathlib import Path
import re
import socket
from typing import Any

import yaml

from edge_hub_core.protocol import AGENT_ID_RE

from . import schema
from .feature import FeatureSpec
from .features import FEATURE_MODULES
from .schema import ConfigError

CORE_SECTIONS = ("agent", "mqtt", "outbox")
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigFileError(Exception):
    """A config problem located in its file: `file:line: key.path: message`."""

    def __init__(self, file: Path, message: str, line: int | None = None, key: str = "") -> None:
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        where = f"{file}:{line}" if line is not None else str(file)
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


@dataclass(frozen=True, slots=True)
class AgentConfig:
    id: str
    name: str
    manufacturer: str | None
    model: str | None
    hw_version: str | None
    log_level: str


@dataclass(frozen=True, slots=True)
class TlsConfig:
    ca: Path | None
    cert: Path | None
    key: Path | None


@dataclass(frozen=True, slots=True)
class BackoffConfig:
    initial_ms: float
    max_s: float


@dataclass(frozen=True, slots=True)
class MqttConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: TlsConfig | None
    keepalive: int
    client_id: str
    backoff: BackoffConfig


@dataclass(frozen=True, slots=True)
class OutboxConfig:
    path: Path
    max_rows: int
    max_bytes: int
    commit_interval_ms: int


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    section: str
    spec: FeatureSpec
    config: Any


@dataclass(frozen=True, slots=True)
class Config:
    file: Path
    agent: AgentConfig
    mqtt: MqttConfig
    outbox: OutboxConfig
    features: list[FeatureConfig] = field(default_factory=list)


# --- defaults ----------------------------------------------------------------------------------


def default_agent_id(hostname: str | None = None) -> str:
    """The host name, lower-cased, other characters replaced by '-' (docs/protocol.md §1.1)."""
    name = (hostname if hostname is not None else socket.gethostname()).split(".")[0].lower()
    name = re.sub(r"[^a-z0-9_-]", "-", name).lstrip("-_")[:64]
    return name if AGENT_ID_RE.match(name) else "edge-agent"


def _device_model() -> str | None:
    """The board's model from the device tree (a Raspberry Pi says e.g. 'Raspberry Pi 5')."""
    try:
        return Path("/proc/device-tree/model").read_text().rstrip("\x00\n") or None
    except OSError:
        return None


# --- sections ----------------------------------------------------------------------------------


def _agent(section: Mapping[str, Any]) -> AgentConfig:
    schema.only_keys(
        section, ("id", "name", "manufacturer", "model", "hw_version", "log_level"), "agent"
    )
    agent_id = schema.get(section, "id", str, "agent", default_agent_id())
    if not AGENT_ID_RE.match(agent_id):
        raise ConfigError(
            "agent.id",
            f"{agent_id!r} is not a valid agent id (lower-case letters, digits, '-' and '_', "
            "at most 64, starting with a letter or digit)",
        )
    model = _device_model()
    return AgentConfig(
        id=agent_id,
        name=schema.get(section, "name", str, "agent", agent_id),
        manufacturer=schema.get(
            section,
            "manufacturer",
            str,
            "agent",
            "Raspberry Pi Foundation" if model and model.startswith("Raspberry Pi") else None,
        ),
        model=schema.get(section, "model", str, "agent", model),
        hw_version=schema.get(section, "hw_version", str, "agent", None),
        log_level=schema.get(section, "log_level", str, "agent", "info", choices=LOG_LEVELS),
    )


def _existing_file(section: Mapping[str, Any], key: str, path: str, base: Path) -> Path | None:
    value: str | None = schema.get(section, key, str, path, None)
    if value is None:
        return None
    file = (base / value).resolve()
    if not file.is_file():
        raise ConfigError(f"{path}.{key}", f"file not found: {file}")
    return file


def _mqtt(section: Mapping[str, Any], agent_id: str, base: Path) -> MqttConfig:
    allowed = ("host", "port", "username", "password", "tls", "keepalive", "client_id", "backoff")
    schema.only_keys(section, allowed, "mqtt")
    tls = None
    if "tls" in section:
        tls_section = schema.mapping(section["tls"], "mqtt.tls")
        schema.only_keys(tls_section, ("ca", "cert", "key"), "mqtt.tls")
        tls = TlsConfig(
            ca=_existing_file(tls_section, "ca", "mqtt.tls", base),
            cert=_existing_file(tls_section, "cert", "mqtt.tls", base),
            key=_existing_file(tls_section, "key", "mqtt.tls", base),
        )
        if tls.key is not None and tls.cert is None:
            raise ConfigError("mqtt.tls.key", "a client key needs its certificate (mqtt.tls.cert)")
    backoff_section = schema.mapping(section.get("backoff"), "mqtt.backoff")
    schema.only_keys(backoff_section, ("initial_ms", "max_s"), "mqtt.backoff")
    backoff = BackoffConfig(
        initial_ms=schema.get(
            backoff_section, "initial_ms", float, "mqtt.backoff", 5.0, minimum=1, maximum=60_000
        ),
        max_s=schema.get(
            backoff_section, "max_s", float, "mqtt.backoff", 1.0, minimum=0.01, maximum=3600
        ),
    )
    if backoff.max_s * 1000 < backoff.initial_ms:
        raise ConfigError("mqtt.backoff.max_s", "must not be below mqtt.backoff.initial_ms")
    username: str | None = schema.get(section, "username", str, "mqtt", None)
    password: str | None = schema.get(section, "password", str, "mqtt", None)
    if password is not None and username is None:
        raise ConfigError("mqtt.password", "a password needs a username (mqtt.username)")
    return MqttConfig(
        host=schema.get(section, "host", str, "mqtt", "localhost"),
        port=schema.get(
            section, "port", int, "mqtt", 8883 if tls else 1883, minimum=1, maximum=65535
        ),
        username=username,
        password=password,
        tls=tls,
        keepalive=schema.get(section, "keepalive", int, "mqtt", 30, minimum=5, maximum=3600),
        client_id=schema.get(section, "client_id", str, "mqtt", f"edge-agent-{agent_id}"),
        backoff=backoff,
    )


# Lap counters want a lap in HA within 50 ms of its edge (docs/laps.md), and a record is sent
# only once committed: with a `laps` section the default commit interval is shorter (still
# batched: at most 100 fsyncs a second under load, none when idle). An explicit value wins.
DEFAULT_COMMIT_INTERVAL_MS = 50
LAPS_COMMIT_INTERVAL_MS = 10


def _outbox(section: Mapping[str, Any], base: Path, *, laps: bool = False) -> OutboxConfig:
    allowed = ("path", "max_rows", "max_bytes", "commit_interval_ms")
    schema.only_keys(section, allowed, "outbox")
    # systemd's StateDirectory= sets STATE_DIRECTORY; otherwise beside the config file
    state_dir = Path(os.environ.get("STATE_DIRECTORY", "").split(":")[0] or base)
    path: str | None = schema.get(section, "path", str, "outbox", None)
    return OutboxConfig(
        path=(base / path).resolve() if path is not None else state_dir / "outbox.db",
        max_rows=schema.get(
            section, "max_rows", int, "outbox", 1_000_000, minimum=100, maximum=100_000_000
        ),
        max_bytes=schema.get(
            section, "max_bytes", int, "outbox", 256 * 1024 * 1024, minimum=1 << 20
        ),
        commit_interval_ms=schema.get(
            section,
            "commit_interval_ms",
            int,
            "outbox",
            LAPS_COMMIT_INTERVAL_MS if laps else DEFAULT_COMMIT_INTERVAL_MS,
            minimum=1,
            maximum=10_000,
        ),
    )


def _feature(section_name: str, section: Any) -> FeatureConfig:
    module_name = FEATURE_MODULES[section_name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name is not None and module_name.startswith(err.name):
            raise ConfigError(
                section_name, "this build of the agent does not include this feature"
            ) from None
        raise
    spec: FeatureSpec = module.SPEC
    return FeatureConfig(section_name, spec, spec.parse(section, section_name))


def parse(raw: Any, file: Path) -> Config:
    """The typed config of an already-loaded YAML document; raises schema.ConfigError."""
    root = schema.mapping(raw, "")
    allowed = (*CORE_SECTIONS, *FEATURE_MODULES)
    for key in root:
        if key not in allowed:
            raise ConfigError(str(key), f"unknown section (allowed: {', '.join(allowed)})")
    base = file.parent.resolve()
    agent = _agent(schema.mapping(root.get("agent"), "agent"))
    return Config(
        file=file,
        agent=agent,
        mqtt=_mqtt(schema.mapping(root.get("mqtt"), "mqtt"), agent.id, base),
        outbox=_outbox(schema.mapping(root.get("outbox"), "outbox"), base, laps="laps" in root),
        features=[_feature(name, root[name]) for name in FEATURE_MODULES if name in root],
    )


# --- the file --------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (the second one would silently win)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=True))


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _line_of(root: yaml.Node | None, key_path: str) -> int | None:
    """The 1-based line of the deepest node of `key_path` (e.g. `mqtt.tls.ca`) in the file."""
    node, line = root, None
    for name, index in _PATH_PART.findall(key_path):
        if isinstance(node, yaml.MappingNode) and name:
            for key_node, value_node in node.value:
                if key_node.value == name:
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and index:
            position = int(index)
            if position >= len(node.value):
                return line
            node = node.value[position]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load(file: str | os.PathLike[str]) -> Config:
    """Read and check the config file; ConfigFileError names the file, line and key."""
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigFileError(path, f"cannot read the file: {err}") from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        line = mark.line + 1 if mark is not None else None
        raise ConfigFileError(path, f"invalid YAML: {problem}", line) from None
    try:
        return parse(raw, path)
    except ConfigError as err:
        try:
            line = _line_of(yaml.compose(text, Loader=yaml.SafeLoader), err.path)
        except yaml.YAMLError:  # pragma: no cover - it loaded above
            line = None
        raise ConfigFileError(path, err.message, line, err.path) from None


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
