"""The demo's MQTT broker: mosquitto when it is installed (it is in the private Debian root
the demo's HA runs in, and usually on the host), otherwise amqtt, a pure-Python broker that
needs no system service, installed into the demo's environment on first use."""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys

from .settings import HOST, Settings


def mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found is None and os.access("/usr/sbin/mosquitto", os.X_OK):
        found = "/usr/sbin/mosquitto"
    return found


def command(settings: Settings) -> tuple[str, list[str], str]:
    """(a name for the console, argv, the MQTT protocol version HA should speak to it) of the
    broker to run, its config written under run/."""
    forced = os.environ.get("EDGE_HUB_DEMO_BROKER", "")
    binary = mosquitto()
    if binary and forced != "amqtt":
        conf = settings.run / "mosquitto.conf"
        store = settings.state / "mosquitto"
        store.mkdir(parents=True, exist_ok=True)
        conf.write_text(
            f"listener {settings.mqtt_port} {HOST}\n"
            "allow_anonymous true\n"
            # retained announces and acks survive a restart of the demo, as on a real broker
            f"persistence true\npersistence_location {store}/\n"
            # run as the demo's user (as root, mosquitto would switch to its own account)
            f"user {_user()}\n"
            "log_dest stdout\nlog_type error\nlog_type warning\nlog_type notice\n"
        )
        return "mosquitto", [binary, "-c", str(conf)], "5"
    _ensure_amqtt()
    conf = settings.run / "amqtt.yaml"
    conf.write_text(
        "listeners:\n"
        "  default:\n"
        "    type: tcp\n"
        f"    bind: {HOST}:{settings.mqtt_port}\n"
        "plugins:\n"
        "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
        "    allow_anonymous: true\n"
        "  amqtt.plugins.sys.broker.BrokerSysPlugin:\n"
        "    sys_interval: 0\n"
    )
    amqtt = Path(sys.executable).with_name("amqtt")
    # amqtt speaks MQTT 3.1.1 only
    return "amqtt", [str(amqtt), "-c", str(conf)], "3.1.1"


def _user() -> str:
    import pwd  # noqa: PLC0415 - POSIX only, like the rest of the demo

    return pwd.getpwuid(os.getuid()).pw_name


def _ensure_amqtt() -> None:
    if Path(sys.executable).with_name("amqtt").exists():
        return
    print("[demo] mosquitto is not installed: installing amqtt (a pure-Python MQTT broker)")
    import homeassistant  # noqa: PLC0415

    # under HA's own constraints, so nothing HA runs with is upgraded behind its back
    constraints = Path(homeassistant.__file__).with_name("package_constraints.txt")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "-c", str(constraints), "amqtt>=0.11"],
        check=True,
    )
