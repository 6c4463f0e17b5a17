"""The contract between an edge agent's entry and the features its agent announces.

An agent announces capabilities (docs/protocol.md §1.4): `laps`, `reactor`, `ble_scanner`.
For each, the agent entry's runtime creates one AgentFeature through FEATURE_FACTORIES.
The runtime owns the MQTT link, the exactly-once sequence logic, acknowledgements and
persistence; a feature only turns applied records into entity state.

Exactly-once across HA restarts: the runtime stores, in one Store, the applied sequence
*together with* every feature's `state()`, and acknowledges only what it has stored. A
feature therefore keeps all state derived from records in what `state()` returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
import importlib
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..edge_hub_core.protocol import Record
from ..models import EdgeHubConfigEntry


@dataclass(slots=True)
class AgentContext:
    """What the agent runtime lends its features."""

    hass: HomeAssistant
    entry: EdgeHubConfigEntry
    agent_id: str
    device_info: DeviceInfo  # the agent's own device; features may add child devices
    # send a command to the agent and wait for its reply's result (raises HomeAssistantError)
    send_command: Callable[[str, Mapping[str, Any]], Awaitable[dict[str, Any]]]
    # whether the agent is online (entities are unavailable while it is not)
    is_online: Callable[[], bool]
    # ask the runtime to persist soon (after records changed the feature's state)
    schedule_save: Callable[[], None]


class AgentFeature(ABC):
    """One announced capability of an agent, turned into HA devices and entities."""

    #: record types (docs/protocol.md §1.6) this feature applies
    record_types: frozenset[str] = frozenset()
    #: platforms this feature adds entities to
    platforms: frozenset[Platform] = frozenset()

    def __init__(self, ctx: AgentContext, capability: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.capability = capability

    @abstractmethod
    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the entities of `platform` (called once per platform at entry setup)."""

    def apply(self, record: Record) -> None:
        """Apply one record, exactly once and in sequence order. Never raises: a record
        this feature cannot use is logged once and ignored."""

    def update_capability(self, capability: Mapping[str, Any]) -> None:
        """The agent re-announced with a changed capability: add what is new."""
        self.capability = capability

    def availability_changed(self) -> None:
        """The agent went online or offline: entities re-evaluate `available`."""

    def state(self) -> dict[str, Any]:
        """JSON-serialisable state derived from applied records (persisted with the seq)."""
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Restore what `state()` returned before a restart (called before setup)."""

    async def async_unload(self) -> None:
        """Release anything the feature started."""

    def diagnostics(self) -> dict[str, Any]:
        return {}


FeatureFactory = Callable[[AgentContext, Mapping[str, Any]], AgentFeature]

# capability name (docs/protocol.md §1.4) -> module (relative to the integration package)
# exposing `FEATURE: FeatureFactory`; imported only when an agent announces that capability
FEATURE_MODULES: dict[str, str] = {
    "laps": "laps",
    "reactor": "reactor",
    "ble_scanner": "goal.scanner",
}


async def async_get_feature_factory(hass: HomeAssistant, capability: str) -> FeatureFactory | None:
    """The factory for `capability`, or None for a capability this version does not know."""
    module_name = FEATURE_MODULES.get(capability)
    if module_name is None:
        return None
    package = __package__.rsplit(".", 1)[0]  # custom_components.edge_hub
    module = await hass.async_add_import_executor_job(
        importlib.import_module, f"{package}.{module_name}"
    )
    factory: FeatureFactory = module.FEATURE
    return factory
