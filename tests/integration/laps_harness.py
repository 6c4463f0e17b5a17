"""A stand-in for the agent runtime, to test the lap counter feature in a real HA instance.

It builds the feature with a test AgentContext for a real config entry of kind edge_agent,
forwards the platforms to it, and, like the real runtime, stores `state()` when asked to
save (JSON round trip) and restores it when the entry is set up again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import json
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.edge_hub import agent
from custom_components.edge_hub.agent.feature import AgentContext
from custom_components.edge_hub.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.edge_hub.edge_hub_core.protocol import Record
from custom_components.edge_hub.laps import FEATURE, LapsFeature
from custom_components.edge_hub.laps.feature import find_device
from custom_components.edge_hub.models import EdgeHubConfigEntry, KindModule, KindRuntime

AGENT = "track-pi"
S = 1_000_000_000

CAPABILITY = {
    "lanes": [{"lane": 1, "name": "Lane 1"}, {"lane": 2, "name": "Lane 2"}],
    "cars": [{"car": "1", "name": "Car 1"}, {"car": "2", "name": "Car 2"}],
    "min_lap_ms": 1500,
}


class _Runtime(KindRuntime):
    platforms = (
        Platform.BUTTON,
        Platform.EVENT,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
    )

    def __init__(self, harness: Harness, entry_id: str, feature: LapsFeature) -> None:
        self.harness = harness
        self.entry_id = entry_id
        self.feature = feature

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        if platform in self.feature.platforms:
            await self.feature.async_setup_platform(platform, async_add_entities)

    async def async_unload(self) -> None:
        self.harness.save(self.entry_id, self.feature)
        await self.feature.async_unload()


@dataclass
class Harness:
    hass: HomeAssistant
    capability: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(CAPABILITY)))
    online: bool = True
    saved: dict[str, Any] = field(default_factory=dict)
    saves: int = 0
    seq: int = 0
    feature: LapsFeature | None = None
    entry: MockConfigEntry | None = None

    def kind(self) -> KindModule:
        harness = self

        class _Kind(KindModule):
            async def async_setup_entry(
                self, hass: HomeAssistant, entry: EdgeHubConfigEntry
            ) -> KindRuntime:
                ctx = AgentContext(
                    hass=hass,
                    entry=entry,
                    agent_id=AGENT,
                    device_info=DeviceInfo(
                        identifiers={(DOMAIN, AGENT)},
                        name="Track Pi",
                        manufacturer="Raspberry Pi Foundation",
                        model="Raspberry Pi 5 Model B",
                    ),
                    send_command=harness.send_command,
                    is_online=lambda: harness.online,
                    schedule_save=lambda: harness.save(entry.entry_id, harness.feature),
                )
                feature = FEATURE(ctx, harness.capability)
                assert isinstance(feature, LapsFeature)
                # as the agent runtime does: always restore, with {} when nothing was saved
                feature.restore(harness.saved.get(entry.entry_id, {}))
                harness.feature = feature
                return _Runtime(harness, entry.entry_id, feature)

        return _Kind()

    async def send_command(self, cmd: str, args: Mapping[str, Any]) -> dict[str, Any]:
        raise AssertionError(f"the lap counter sends no commands ({cmd})")

    def save(self, entry_id: str, feature: LapsFeature | None) -> None:
        assert feature is not None
        self.saves += 1
        self.saved[entry_id] = json.loads(json.dumps(feature.state()))

    async def setup(self, options: dict[str, Any] | None = None) -> MockConfigEntry:
        self.entry = MockConfigEntry(
            domain=DOMAIN,
            title="Track Pi",
            unique_id=AGENT,
            data={CONF_KIND: EntryKind.EDGE_AGENT, "agent_id": AGENT},
            options=options or {},
        )
        self.entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        return self.entry

    @property
    def laps(self) -> LapsFeature:
        assert self.feature is not None
        return self.feature

    def record(self, kind: str, data: dict[str, Any]) -> None:
        """The runtime applying the agent's next record."""
        self.seq += 1
        self.laps.apply(Record(seq=self.seq, ts=0.0, type=kind, data=data))

    def lap(self, car: str, crossed_ns: int, lap_time_us: int | None, lane: int = 0) -> None:
        self.record(
            "lap",
            {
                "lane": lane or int(car),
                "car": car,
                "lap": 0,
                "lap_time_us": lap_time_us,
                "crossed_ns": crossed_ns,
            },
        )


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity {unique_id}"
    return found


def race_id(hass: HomeAssistant, platform: str, key: str) -> str:
    return entity_id(hass, platform, f"{AGENT}_race_{key}")


def car_id(hass: HomeAssistant, platform: str, car: str, key: str) -> str:
    return entity_id(hass, platform, f"{AGENT}_car_{car}_{key}")


@pytest.fixture
def laps_harness(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """The lap counter feature behind the stand-in agent runtime (import it into a test
    module to use it)."""
    harness = Harness(hass)
    monkeypatch.setattr(agent, "KIND", harness.kind())
    return harness


def device(hass: HomeAssistant, harness: Harness, key: str) -> dr.DeviceEntry | None:
    """The agent's device (key "") or a car's ("car_N")."""
    assert harness.entry is not None
    identifier = (DOMAIN, f"{AGENT}_{key}" if key else AGENT)
    return find_device(dr.async_get(hass), identifier, harness.entry.entry_id)
