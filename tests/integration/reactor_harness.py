"""Hosts the reactor AgentFeature in a real config entry, as the agent runtime will.

The agent runtime (MQTT, exactly-once sequencing, persistence, acks) is another module's
job; here a stand-in runtime hands the feature an AgentContext whose `send_command` is a
fake agent, and the tests feed it records directly, in order, as the runtime would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub.agent.feature import AgentContext, async_get_feature_factory
from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core.protocol import Record
from custom_components.edge_hub.models import EdgeHubConfigEntry, KindModule, KindRuntime
from custom_components.edge_hub.reactor.feature import ReactorFeature

AGENT_ID = "reactor-1"

CAPABILITY: dict[str, Any] = {
    "sensors": [
        {"id": "ph", "kind": "ph", "name": "pH", "device_class": "ph", "precision": 2,
         "driver": "ezo_ph", "address": "0x63", "calibration": ["mid", "low", "high", "clear"]},
        {"id": "air_temperature", "kind": "temperature", "name": "Air temperature", "unit": "°C",
         "device_class": "temperature", "precision": 1, "device": "air", "device_name": "Air",
         "driver": "bme280"},
        {"id": "air_humidity", "kind": "humidity", "name": "Air humidity", "unit": "%",
         "device_class": "humidity", "precision": 1, "device": "air", "device_name": "Air",
         "driver": "bme280"},
        {"id": "ec", "kind": "conductivity", "name": "Conductivity", "unit": "\u00b5S/cm",
         "device_class": "conductivity", "precision": 0, "driver": "ezo_ec",
         "calibration": ["dry", "mid", "low", "high", "clear"]},
        {"id": "do", "kind": "dissolved_oxygen", "name": "Dissolved oxygen", "unit": "mg/L",
         "precision": 2, "driver": "ezo_do", "calibration": ["high", "low", "clear"]},
        {"id": "level", "kind": "level", "name": "Level", "unit": "%", "device_class": "pressure",
         "precision": 1, "driver": "ads1115"},
    ],
    "outputs": [
        {"id": "heater", "kind": "switch", "name": "Heater"},
        {"id": "stirrer", "kind": "pwm", "name": "Stirrer", "unit": "%", "min": 0, "max": 100,
         "step": 1},
        {"id": "setpoint", "kind": "setpoint", "name": "Temperature setpoint", "unit": "°C",
         "min": 20, "max": 45, "step": 0.1, "device_class": "temperature"},
    ],
}  # fmt: skip

ENTITY = {
    "ph": "sensor.reactor_1_ph",
    "air_temperature": "sensor.reactor_1_air_temperature",
    "air_humidity": "sensor.reactor_1_air_humidity",
    "ec": "sensor.reactor_1_conductivity",
    "do": "sensor.reactor_1_dissolved_oxygen",
    "level": "sensor.reactor_1_level",
    "heater": "switch.reactor_1_heater",
    "stirrer": "number.reactor_1_stirrer",
    "setpoint": "number.reactor_1_temperature_setpoint",
    "air_last_seen": "sensor.reactor_1_air_last_seen",
    "ph_last_seen": "sensor.reactor_1_ph_last_seen",
}

Handler = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass
class FakeAgent:
    """The agent at the other end of send_command: records commands, answers as told."""

    online: bool = True
    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    handlers: dict[str, Handler] = field(default_factory=dict)
    saves: int = 0
    feature: ReactorFeature | None = None
    seq: int = 0

    async def send_command(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if not self.online:  # as the runtime's command channel: nothing is sent
            raise HomeAssistantError(f"Edge agent {AGENT_ID} is offline: {cmd} was not sent.")
        self.commands.append((cmd, dict(args)))
        handler = self.handlers.get(cmd)
        if handler is None:
            raise HomeAssistantError(f"unknown_command: no {cmd}")
        return handler(args)

    def is_online(self) -> bool:
        return self.online

    def schedule_save(self) -> None:
        self.saves += 1

    def set_online(self, online: bool) -> None:
        self.online = online
        assert self.feature is not None
        self.feature.availability_changed()

    def apply(self, kind: str, data: dict[str, Any], ts: float = 1763798400.0) -> None:
        """One record, in sequence, as the runtime applies it."""
        assert self.feature is not None
        self.seq += 1
        self.feature.apply(Record(seq=self.seq, ts=ts, type=kind, data=data))

    def readings(self, *readings: dict[str, Any]) -> None:
        self.apply("readings", {"readings": list(readings)})


def ok(sensor: str, value: float, ts: float = 1763798400.0) -> dict[str, Any]:
    return {"sensor": sensor, "value": value, "status": "ok", "ts": ts}


def offline(
    sensor: str, error: str = "no answer at 0x63 (NACK)", last_seen: float | None = None
) -> dict[str, Any]:
    reading: dict[str, Any] = {"sensor": sensor, "value": None, "status": "offline", "error": error}
    if last_seen is not None:
        reading["last_seen"] = last_seen
    return reading


class _Runtime(KindRuntime):
    platforms = (Platform.NUMBER, Platform.SENSOR, Platform.SWITCH)

    def __init__(self, feature: ReactorFeature) -> None:
        self.feature = feature

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        if platform in self.feature.platforms:
            await self.feature.async_setup_platform(platform, async_add_entities)

    async def async_unload(self) -> None:
        await self.feature.async_unload()

    def diagnostics(self) -> dict[str, Any]:
        return {"reactor": self.feature.diagnostics()}


class _Kind(KindModule):
    def __init__(
        self, agent: FakeAgent, capability: Mapping[str, Any], state: Mapping[str, Any] | None
    ) -> None:
        self.agent = agent
        self.capability = capability
        self.state = state

    async def async_setup_entry(
        self, hass: HomeAssistant, entry: EdgeHubConfigEntry
    ) -> KindRuntime:
        ctx = AgentContext(
            hass=hass,
            entry=entry,
            agent_id=AGENT_ID,
            device_info=DeviceInfo(
                identifiers={(DOMAIN, AGENT_ID)}, name="Reactor 1", manufacturer="Raspberry Pi"
            ),
            send_command=self.agent.send_command,
            is_online=self.agent.is_online,
            schedule_save=self.agent.schedule_save,
        )
        factory = await async_get_feature_factory(hass, "reactor")
        assert factory is not None
        feature = factory(ctx, self.capability)
        assert isinstance(feature, ReactorFeature)
        if self.state is not None:
            feature.restore(self.state)
        self.agent.feature = feature
        return _Runtime(feature)


async def setup_reactor(
    hass: HomeAssistant,
    capability: Mapping[str, Any] | None = None,
    *,
    state: Mapping[str, Any] | None = None,
    online: bool = True,
) -> tuple[MockConfigEntry, FakeAgent]:
    """A loaded edge-agent entry whose agent announces `capability` as its reactor."""
    agent = FakeAgent(online=online)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Reactor 1",
        unique_id=AGENT_ID,
        data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": AGENT_ID},
    )
    entry.add_to_hass(hass)
    kind = _Kind(agent, CAPABILITY if capability is None else capability, state)

    async def _get_kind(hass: HomeAssistant, kind_name: EntryKind) -> KindModule:
        return kind

    with patch("custom_components.edge_hub.async_get_kind", _get_kind):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry, agent
