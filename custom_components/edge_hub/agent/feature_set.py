"""The features of one agent entry: built from the announced capabilities, fed its records.

A feature never takes the entry down: whatever it raises is logged (once for `apply`, which
runs per record) and the other features go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import LOGGER
from ..edge_hub_core.protocol import Record
from .feature import AgentContext, AgentFeature, async_get_feature_factory


class FeatureSet:
    def __init__(self, hass: HomeAssistant, context: AgentContext) -> None:
        self._hass = hass
        self._context = context
        self.features: dict[str, AgentFeature] = {}
        self._by_type: dict[str, list[AgentFeature]] = {}
        self._states: dict[str, Any] = {}  # restored states not yet claimed by a feature
        self._adders: dict[Platform, AddConfigEntryEntitiesCallback] = {}
        self._apply_failed: set[int] = set()
        self._unknown: set[str] = set()

    def restore(self, states: Mapping[str, Any]) -> None:
        self._states = dict(states)

    def states(self) -> dict[str, Any]:
        """Every feature's state() (and restored ones of features not announced again)."""
        states = dict(self._states)
        for name, feature in self.features.items():
            states[name] = feature.state()
        return states

    async def async_add(self, capabilities: Mapping[str, Any], *, setup: bool) -> None:
        """Build the features of capabilities not seen before (adding their entities to the
        platforms already set up when `setup`); hand changed capabilities to the others."""
        for name, capability in capabilities.items():
            if not isinstance(capability, Mapping):
                self._log_unknown(name, "is not an object")
                continue
            feature = self.features.get(name)
            if feature is not None:
                if feature.capability != capability:
                    self._call(feature, "update_capability", feature.update_capability, capability)
                continue
            feature = await self._async_build(name, capability)
            if feature is None:
                continue
            self.features[name] = feature
            for record_type in feature.record_types:
                self._by_type.setdefault(record_type, []).append(feature)
            if setup:
                for platform in feature.platforms:
                    if (add := self._adders.get(platform)) is not None:
                        await self._async_setup_platform(feature, platform, add)

    async def _async_build(self, name: str, capability: Mapping[str, Any]) -> AgentFeature | None:
        try:
            factory = await async_get_feature_factory(self._hass, name)
        except ImportError:
            factory = None
        if factory is None:  # a capability this version does not know: ignored
            self._log_unknown(name, "is not known to this version")
            return None
        try:
            feature = factory(self._context, capability)
            feature.restore(self._states.pop(name, {}))
        except Exception:
            LOGGER.exception("Edge agent %s: could not set up feature %s", self._agent, name)
            return None
        return feature

    async def async_setup_platform(
        self, platform: Platform, add: AddConfigEntryEntitiesCallback, *, entities: bool
    ) -> None:
        """A platform is set up: remember it for later features; add the current ones'
        entities unless `entities` is False (the device was deleted)."""
        self._adders[platform] = add
        if not entities:
            return
        for feature in list(self.features.values()):
            if platform in feature.platforms:
                await self._async_setup_platform(feature, platform, add)

    async def _async_setup_platform(
        self, feature: AgentFeature, platform: Platform, add: AddConfigEntryEntitiesCallback
    ) -> None:
        try:
            await feature.async_setup_platform(platform, add)
        except Exception:
            self._failed(feature, f"async_setup_platform({platform})")

    def apply(self, record: Record) -> None:
        for feature in self._by_type.get(record.type, ()):
            try:
                feature.apply(record)
            except Exception:
                if id(feature) not in self._apply_failed:  # once, not once per record
                    self._apply_failed.add(id(feature))
                    self._failed(feature, f"apply({record.type})")

    def availability_changed(self) -> None:
        for feature in self.features.values():
            self._call(feature, "availability_changed", feature.availability_changed)

    async def async_unload(self) -> None:
        for feature in self.features.values():
            try:
                await feature.async_unload()
            except Exception:
                self._failed(feature, "async_unload")

    def diagnostics(self) -> dict[str, Any]:
        return {name: feature.diagnostics() for name, feature in self.features.items()}

    @property
    def _agent(self) -> str:
        return self._context.agent_id

    def _call(self, feature: AgentFeature, what: str, func: Any, *args: Any) -> None:
        try:
            func(*args)
        except Exception:
            self._failed(feature, what)

    def _failed(self, feature: AgentFeature, what: str) -> None:
        LOGGER.exception(
            "Edge agent %s: feature %s failed in %s", self._agent, type(feature).__name__, what
        )

    def _log_unknown(self, name: str, why: str) -> None:
        if name not in self._unknown:
            self._unknown.add(name)
            LOGGER.debug("Edge agent %s: capability %s ignored (%s)", self._agent, name, why)
