"""Where the demo keeps its files, which loopback ports it uses, and `$placeholder` rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import os
from pathlib import Path
import string
from typing import Any

HOST = "127.0.0.1"  # everything the demo runs listens on loopback only

# the printed demo login (the instance listens on 127.0.0.1 only)
USER_NAME = "Demo"
USERNAME = "demo"
PASSWORD = "edge-hub-demo"  # noqa: S105 - a documented demo login on a loopback-only instance


def _port(env: str, default: int) -> int:
    return int(os.environ.get(env, default))


@dataclass(frozen=True)
class Settings:
    repo: Path
    ha_port: int = 8123
    mqtt_port: int = 18883
    modbus_port: int = 15020
    #: what HA's MQTT client speaks: its default (5) to mosquitto, 3.1.1 to amqtt
    mqtt_protocol: str = "5"

    @classmethod
    def from_env(cls, repo: Path) -> Settings:
        return cls(
            repo=repo,
            ha_port=_port("EDGE_HUB_DEMO_HA_PORT", cls.ha_port),
            mqtt_port=_port("EDGE_HUB_DEMO_MQTT_PORT", cls.mqtt_port),
            modbus_port=_port("EDGE_HUB_DEMO_MODBUS_PORT", cls.modbus_port),
        )

    # --- the git-ignored working folder ---
    @property
    def demo(self) -> Path:
        return self.repo / ".demo"

    @property
    def config(self) -> Path:
        """Home Assistant's config folder."""
        return self.demo / "config"

    @property
    def run(self) -> Path:
        """Files of the current run (rendered configs, pids); rewritten every run."""
        return self.demo / "run"

    @property
    def logs(self) -> Path:
        return self.demo / "logs"

    @property
    def state(self) -> Path:
        """Files that outlive a run (agents' outboxes): a second run continues from them."""
        return self.demo / "state"

    @property
    def ha_url(self) -> str:
        return f"http://{HOST}:{self.ha_port}"

    @property
    def values(self) -> dict[str, Any]:
        """What `$placeholders` in families.py and the templates under demo/ stand for."""
        return {
            "host": HOST,
            "ha_port": self.ha_port,
            "mqtt_host": HOST,
            "mqtt_port": self.mqtt_port,
            "mqtt_protocol": self.mqtt_protocol,
            "modbus_port": self.modbus_port,
            "demo": str(self.demo),
            "run": str(self.run),
            "state": str(self.state),
            "logs": str(self.logs),
        }

    def render(self, text: str) -> str:
        """`text` with `$placeholders` substituted (`$$` is a `$`; an unknown one is an error)."""
        try:
            return string.Template(text).substitute(self.values)
        except KeyError as err:
            known = ", ".join(f"${k}" for k in self.values)
            raise ValueError(f"unknown placeholder ${err.args[0]} (known: {known})") from None

    def render_value(self, value: Any) -> Any:
        """A flow answer with placeholders filled in: "$port" alone keeps the value's type."""
        if isinstance(value, str):
            if value.startswith("$") and value[1:] in self.values:
                return self.values[value[1:]]
            return self.render(value)
        if isinstance(value, Mapping):
            return {k: self.render_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.render_value(v) for v in value]
        return value
