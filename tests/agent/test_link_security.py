"""The agent's MQTT link with TLS (CA + client certificate) and a username/password."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import datetime as dt
import ipaddress
import logging
import os
from pathlib import Path
import socket
import subprocess
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from edge_agent import config as config_module
from edge_agent.agent import Agent
from tests.broker import free_port, mosquitto_path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    ip: str | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[int]:
    """mosquitto on a TLS listener that wants a client certificate and a password."""
    ca_key, server_key, client_key = _key(), _key(), _key()
    ca = _cert("Test CA", ca_key)
    files = {
        "ca.pem": ca,
        "server.pem": _cert("127.0.0.1", server_key, ("Test CA", ca_key), ip="127.0.0.1"),
        "client.pem": _cert("lab-pi", client_key, ("Test CA", ca_key)),
    }
    for name, cert in files.items():
        (tmp_path / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(server_key, tmp_path / "server.key")
    _write_key(client_key, tmp_path / "client.key")
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(tmp_path / "passwords"), "lab-pi", "s3cret"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    # run as root (CI containers), mosquitto would drop to its own user and not read tmp_path
    keep_user = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{keep_user}listener {port} 127.0.0.1\n"
        f"cafile {tmp_path / 'ca.pem'}\ncertfile {tmp_path / 'server.pem'}\n"
        f"keyfile {tmp_path / 'server.key'}\nrequire_certificate true\n"
        f"allow_anonymous false\npassword_file {tmp_path / 'passwords'}\npersistence false\n"
    )
    log = tmp_path / "mosquitto.log"
    process = subprocess.Popen(
        [mosquitto_path(), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=log.open("wb")
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None:
                raise RuntimeError(f"mosquitto did not start: {log.read_text()}")
            time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(5)


def _config(tmp_path: Path, port: int, password: str) -> config_module.Config:
    raw = {
        "agent": {"id": "lab-pi"},
        "mqtt": {
            "host": "127.0.0.1",
            "port": port,
            "username": "lab-pi",
            "password": password,
            "tls": {"ca": "ca.pem", "cert": "client.pem", "key": "client.key"},
        },
        "outbox": {"path": str(tmp_path / "outbox.db")},
        "synthetic": {"rate_hz": 50, "count": 20},
    }
    return config_module.parse(raw, tmp_path / "agent.yaml")


async def _run_for(agent: Agent, seconds: float, until_connected: bool) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if until_connected and agent.link.connects and agent.outbox.acked_seq == 0:
            break
    stop.set()
    assert await asyncio.wait_for(task, 6) == 0


async def test_tls_with_client_certificate_and_password(tmp_path: Path, secure_broker: int) -> None:
    agent = Agent(_config(tmp_path, secure_broker, "s3cret"))
    await _run_for(agent, 10, until_connected=True)
    assert agent.link.connects == 1


async def test_wrong_password_is_retried_and_logged_once(
    tmp_path: Path, secure_broker: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "edge_agent")
    agent = Agent(_config(tmp_path, secure_broker, "wrong"))
    await _run_for(agent, 2.5, until_connected=False)  # several attempts (1 s cap)
    assert agent.link.connects == 0
    refused = [r for r in caplog.records if "cannot reach the MQTT broker" in r.getMessage()]
    assert len(refused) == 1
    assert "refused" in refused[0].getMessage()
