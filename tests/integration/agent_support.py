"""Helpers for the edge-agent tests: a real MQTT entry, a hand-driven agent, a test feature."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import json
import threading
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.components.sensor import SensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.agent.feature import AgentContext, AgentFeature
from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core import protocol
from custom_components.edge_hub.edge_hub_core.protocol import Record


def agent_device(hass: HomeAssistant, entry_id: str, agent_id: str) -> dr.DeviceEntry | None:
    """The agent's device (without async_get_device, deprecated in HA 2026.10)."""
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        if (DOMAIN, agent_id) in device.identifiers:
            return device
    return None


async def until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "",
    show: Callable[[], Any] | None = None,
) -> None:
    """Let the event loop run (real time) until `predicate` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            state = f" (now: {show()!r})" if show is not None else ""
            raise AssertionError(f"timed out waiting for {what or predicate}{state}")
        await asyncio.sleep(0.02)


async def setup_mqtt(hass: HomeAssistant, port: int) -> MockConfigEntry:
    """HA's own MQTT integration, connected to the test's mosquitto."""
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": "127.0.0.1", "port": port},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    await start_mqtt(hass, entry)
    return entry


async def start_mqtt(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    # HA's MQTT set-up reads configuration.yaml, which a test instance does not have
    with patch("homeassistant.config.async_hass_config_yaml", return_value={}):
        assert await hass.config_entries.async_setup(entry.entry_id)
    await until(lambda: mqtt.is_connected(hass), what="HA's MQTT client to connect")


def agent_entry(hass: HomeAssistant, agent_id: str, title: str = "Test Pi") -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=agent_id,
        data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": agent_id},
    )
    entry.add_to_hass(hass)
    return entry


# --- a test-only agent feature ----------------------------------------------------------------


class StreamFeature(AgentFeature):
    """Records every applied record (seq, type, values) and shows the last wave0 value."""

    record_types = frozenset({"readings", "event"})
    platforms = frozenset({Platform.SENSOR})

    def __init__(self, ctx: AgentContext, capability: Mapping[str, Any]) -> None:
        super().__init__(ctx, capability)
        self.applied: list[list[Any]] = []
        self.entity: WaveSensor | None = None
        self.availability_changes = 0

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        self.entity = WaveSensor(self)
        async_add_entities([self.entity])

    def apply(self, record: Record) -> None:
        if record.type == "readings":
            values = [reading["value"] for reading in record.data["readings"]]
            self.applied.append([record.seq, record.type, values])
        else:
            self.applied.append([record.seq, record.type, record.data.get("name")])
        if self.entity is not None and self.entity.hass is not None:
            self.entity.async_write_ha_state()

    def state(self) -> dict[str, Any]:
        return {"applied": self.applied}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.applied = [list(item) for item in state.get("applied", [])]

    def availability_changed(self) -> None:
        self.availability_changes += 1
        if self.entity is not None and self.entity.hass is not None:
            self.entity.async_write_ha_state()

    @property
    def last_wave0(self) -> float | None:
        for item in reversed(self.applied):
            if item[1] == "readings":
                value: float = item[2][0]
                return value
        return None


class WaveSensor(SensorEntity):
    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_name = "Wave 0"

    def __init__(self, feature: StreamFeature) -> None:
        self.feature = feature
        self._attr_unique_id = f"{feature.ctx.agent_id}_wave0"
        self._attr_device_info = feature.ctx.device_info

    @property
    def available(self) -> bool:
        return self.feature.ctx.is_online()

    @property
    def native_value(self) -> float | None:
        return self.feature.last_wave0


FEATURES: dict[str, list[StreamFeature]] = {}


def stream_factory(ctx: AgentContext, capability: Mapping[str, Any]) -> StreamFeature:
    feature = StreamFeature(ctx, capability)
    FEATURES.setdefault(ctx.agent_id, []).append(feature)
    return feature


async def fake_factory(hass: HomeAssistant, capability: str) -> Any:
    """async_get_feature_factory for the tests: `synthetic` is the stream feature."""
    return stream_factory if capability == "synthetic" else None


def patch_features() -> Any:
    return patch(
        "custom_components.edge_hub.agent.feature_set.async_get_feature_factory", fake_factory
    )


# --- an agent driven by hand (for hostile input) ---------------------------------------------


class FakeAgent:
    """Publishes what an agent would - or anything else - from a plain paho client."""

    def __init__(
        self,
        port: int,
        agent_id: str,
        epoch: str = "5f0c2a9e1b7d4c30",
        instance: str = "a1b2c3d4e5f60718",
    ) -> None:
        self.agent_id = agent_id
        self.epoch = epoch
        self.instance = instance
        self.commands: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], dict[str, Any] | None] = lambda cmd: {
            "ok": True,
            "result": {"echo": cmd["cmd"]},
        }
        self._lock = threading.Lock()
        self.client = Client(CallbackAPIVersion.VERSION2, client_id=f"fake-{agent_id}-{instance}")
        self.client.will_set(
            protocol.topic(agent_id, "status"),
            json.dumps(protocol.build_offline(instance)),
            qos=1,
            retain=True,
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(
            [(protocol.topic(agent_id, "cmd"), 1), (protocol.topic(agent_id, "ack"), 1)]
        )
        self.client.loop_start()

    def _on_message(self, client: Client, userdata: Any, msg: MQTTMessage) -> None:
        if not msg.payload:
            return
        body = json.loads(msg.payload)
        with self._lock:
            if msg.topic.endswith("/ack"):
                self.acks.append(body)
                return
            self.commands.append(body)
        reply = self.answer(body)
        if reply is not None:  # from paho's thread: never wait for our own PUBACK here
            payload = json.dumps({"v": 1, "id": body["id"], **reply})
            self.client.publish(protocol.topic(self.agent_id, "reply"), payload, 1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def raw(self, leaf: str, payload: bytes, retain: bool = False) -> None:
        info = self.client.publish(protocol.topic(self.agent_id, leaf), payload, 1, retain)
        info.wait_for_publish(5)

    def publish(self, leaf: str, message: Mapping[str, Any], retain: bool = False) -> None:
        self.raw(leaf, json.dumps(message).encode(), retain)

    def announce(self, capabilities: Mapping[str, Any] | None = None, **extra: Any) -> None:
        message = {
            "v": 1,
            "agent_id": self.agent_id,
            "epoch": self.epoch,
            "instance": self.instance,
            "name": "Test Pi",
            "manufacturer": "Raspberry Pi Foundation",
            "model": "Raspberry Pi 5 Model B",
            "sw_version": "0.1.0",
            "hw_version": "rev 1.0",
            "capabilities": {"synthetic": {"sensors": []}}
            if capabilities is None
            else capabilities,
            **extra,
        }
        self.publish("announce", message, retain=True)

    def online(self, backlog: int = 0, dropped: int = 0) -> None:
        self.publish(
            "status",
            {
                "v": 1,
                "state": "online",
                "instance": self.instance,
                "outbox": {"backlog": backlog, "dropped": dropped, "oldest_ts": None},
                "ts": time.time(),
            },
            retain=True,
        )

    def offline(self) -> None:
        self.publish("status", protocol.build_offline(self.instance), retain=True)

    def readings(self, *seqs: int, value: float | None = None, epoch: str | None = None) -> None:
        records = [
            {
                "seq": seq,
                "ts": time.time(),
                "type": "readings",
                "data": {
                    "readings": [
                        {
                            "sensor": "wave0",
                            "value": seq if value is None else value,
                            "status": "ok",
                        }
                    ]
                },
            }
            for seq in seqs
        ]
        message = protocol.build_data(epoch or self.epoch, records)
        self.publish("data", message)
