"""The MQTT connection of the agent: paho-mqtt 2.x in its own thread, our own reconnects.

One thread owns the socket: it connects (blocking connect and TLS handshake are fine there),
runs paho's network loop and, when the connection drops, waits a jittered backoff delay and
connects again with a *fresh* paho client. A fresh client per connection matters: paho would
otherwise re-send the QoS 1 messages it still holds in memory, while the outbox already
replays what HA has not acknowledged, in order.

Everything paho reports (connected, disconnected, messages, PUBACKs) is handed to the
agent's event loop with `call_soon_threadsafe`; the agent never runs code in this thread.
`publish` may be called from the event loop: paho only queues the packet and wakes its loop
through its socket pair (a no-op `on_socket_register_write` keeps paho from writing to the
socket from the caller's thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import logging
import ssl
import threading
from typing import Any, Protocol

from paho.mqtt.client import Client, MQTTMessage, MQTTMessageInfo
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from edge_hub_core import protocol

from .backoff import Backoff
from .config import MqttConfig

_LOGGER = logging.getLogger(__name__)

# paho's own in-flight limit: the sender's data window plus status, announce and replies
MAX_INFLIGHT = 32


class LinkHandler(Protocol):
    """What the link reports, always in the event loop's thread."""

    def link_connected(self) -> None: ...
    def link_disconnected(self) -> None: ...
    def link_message(self, topic: str, payload: bytes, retain: bool) -> None: ...
    def link_published(self, mid: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes


class MqttLink:
    def __init__(
        self,
        config: MqttConfig,
        agent_id: str,
        will: Will,
        handler: LinkHandler,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.config = config
        self.agent_id = agent_id
        self.will = will
        self._handler = handler
        self._loop = loop
        self._backoff = Backoff(config.backoff.initial_ms / 1000, config.backoff.max_s)
        self._stopping = threading.Event()
        self._client: Client | None = None
        self._connected = False
        self._thread: threading.Thread | None = None
        self._failures = 0
        self.connects = 0  # successful connections (diagnostics, tests)

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> int | None:
        """Queue a message; its mid (for `link_published`), or None when not connected."""
        client = self._client
        if client is None or not self._connected:
            return None
        info: MQTTMessageInfo = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return None
        return info.mid

    async def stop(self, final: Will | None, timeout: float = 2.0) -> None:
        """Publish `final` (the offline status: a clean DISCONNECT does not fire the will),
        wait up to `timeout` for the broker to take it, disconnect and end the thread."""
        self._stopping.set()
        client = self._client
        if client is not None and self._connected and final is not None:
            info = client.publish(final.topic, final.payload, qos=1, retain=True)
            try:
                await asyncio.to_thread(info.wait_for_publish, timeout)
            except (RuntimeError, ValueError) as err:
                _LOGGER.debug("offline status not confirmed: %s", err)
            if not info.is_published():
                _LOGGER.warning("the broker did not confirm the offline status in time")
        if client is not None:
            client.disconnect()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, timeout)
            self._thread = None

    # --- the network thread ----------------------------------------------------------------

    def _new_client(self) -> Client:
        cfg = self.config
        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
            reconnect_on_failure=False,
        )
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls is not None:
            client.tls_set(
                ca_certs=str(cfg.tls.ca) if cfg.tls.ca else None,
                certfile=str(cfg.tls.cert) if cfg.tls.cert else None,
                keyfile=str(cfg.tls.key) if cfg.tls.key else None,
            )
        client.will_set(self.will.topic, self.will.payload, qos=1, retain=True)
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        # all socket writes stay in this thread (see the module doc)
        client.on_socket_register_write = _ignore
        client.on_socket_unregister_write = _ignore
        return client

    def _run(self) -> None:
        cfg = self.config
        while not self._stopping.is_set():
            client = self._new_client()
            try:
                client.connect(cfg.host, cfg.port, keepalive=cfg.keepalive)
            except (OSError, ssl.SSLError, ValueError) as err:
                self._connect_failed(f"{type(err).__name__}: {err}")
                self._stopping.wait(self._backoff.next())
                continue
            self._client = client
            rc = MQTTErrorCode.MQTT_ERR_SUCCESS
            # publishes wake the loop through paho's socket pair; the timeout only paces the
            # keepalive pings, which may be that late and still beat the broker's 1.5 x
            wake = max(1.0, cfg.keepalive / 4)
            while rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                rc = client.loop(timeout=wake)
            self._client = None
            if self._connected:
                self._connected = False
                self._call(self._handler.link_disconnected)
                if not self._stopping.is_set():
                    _LOGGER.warning("lost the MQTT broker %s:%d (%s)", cfg.host, cfg.port, rc.name)
            if not self._stopping.is_set():
                self._stopping.wait(self._backoff.next())

    def _connect_failed(self, reason: str) -> None:
        self._failures += 1
        if self._failures == 1:  # once per outage, not once per attempt
            _LOGGER.warning(
                "cannot reach the MQTT broker %s:%d (%s); retrying",
                self.config.host,
                self.config.port,
                reason,
            )
        else:
            _LOGGER.debug("MQTT connect attempt %d failed: %s", self._failures, reason)

    def _on_connect(
        self, client: Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._connect_failed(f"refused: {reason_code}")
            client.disconnect()
            return
        client.subscribe(
            [
                (protocol.topic(self.agent_id, protocol.ACK), 1),
                (protocol.topic(self.agent_id, protocol.CMD), 1),
                (protocol.HA_STATUS_TOPIC, 1),
            ]
        )
        self._backoff.reset()
        if self._failures or self.connects:
            _LOGGER.info("connected to the MQTT broker %s:%d", self.config.host, self.config.port)
        self._failures = 0
        self.connects += 1
        self._connected = True
        self._call(self._handler.link_connected)

    def _on_disconnect(
        self, client: Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        _LOGGER.debug("disconnected: %s", reason_code)

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        self._call(self._handler.link_message, message.topic, message.payload, message.retain)

    def _on_publish(
        self, client: Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        self._call(self._handler.link_published, mid)

    def _call(self, func: Callable[..., None], *args: Any) -> None:
        if not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
                self._loop.call_soon_threadsafe(func, *args)


def _ignore(*_args: Any) -> None:
    """A registered write hook, so that paho writes only from the network thread."""
