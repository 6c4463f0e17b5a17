"""The reactor capability of an agent entry: records in, entity states out.

Applying a `readings` record is the hot path (900 readings/s into one Home Assistant at the
seed's scale): per reading one dict lookup, a comparison, and - only when the value or the
availability changed - one direct state write. No dispatcher signal, no per-reading task,
no lookup by entity id.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import Context, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..agent.feature import AgentContext, AgentFeature
from ..const import DOMAIN, LOGGER
from ..edge_hub_core.protocol import ProtocolError, Record
from ..edge_hub_core.reactor import (
    OUTPUT_SWITCH,
    STATUS_OK,
    OutputInfo,
    ReactorCapability,
    SensorInfo,
    parse_capability,
)
from .entities import EntityContext, LastSeenSensor, ReactorSensor
from .model import OutputState, SensorState
from .outputs import OutputNumber, OutputSwitch

# readings for sensors the capability does not (yet) list are kept, up to this many, so the
# entity shows them at once when the announce naming them arrives
MAX_UNKNOWN_SENSORS = 1000


class ReactorFeature(AgentFeature):
    record_types = frozenset({"readings", "output"})
    platforms = frozenset({Platform.SENSOR, Platform.SWITCH, Platform.NUMBER})

    def __init__(self, ctx: AgentContext, capability: Mapping[str, Any]) -> None:
        super().__init__(ctx, capability)
        self._prefix = f"{ctx.agent_id}_reactor"
        self._sensors: dict[str, SensorState] = {}
        self._infos: dict[str, SensorInfo] = {}
        self._outputs: dict[str, OutputState] = {}
        self._output_infos: dict[str, OutputInfo] = {}
        self._last_seen: dict[str, LastSeenSensor] = {}  # physical sensor -> entity
        self._device_of: dict[str, str] = {}  # measurement -> physical sensor
        self._add: dict[Platform, AddConfigEntryEntitiesCallback] = {}
        self._online = ctx.is_online()
        self._unknown: set[str] = set()
        self._problems: list[str] = []
        self.applied = {"readings": 0, "output": 0, "writes": 0, "unchanged": 0, "failed": 0}
        self._apply_failed = False  # logged once
        self._cap = self._parse(capability)

    # --- capability ---------------------------------------------------------------------------

    def _parse(self, capability: Mapping[str, Any]) -> ReactorCapability:
        try:
            cap, problems = parse_capability(capability)
        except ProtocolError as err:
            cap, problems = ReactorCapability(), [str(err)]
        if problems and problems != self._problems:
            LOGGER.warning(
                "agent %s announced reactor entries it cannot use: %s",
                self.ctx.agent_id,
                "; ".join(problems),
            )
        self._problems = problems
        return cap

    async def async_setup_platform(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        self._add[platform] = async_add_entities
        if platform is Platform.SENSOR:
            # restored states of sensors the agent no longer announces are not kept forever
            announced = {info.id for info in self._cap.sensors}
            for sensor_id in [s for s in self._sensors if s not in announced]:
                del self._sensors[sensor_id]
        self._add_entities(platform, self._cap.sensors, self._cap.outputs)

    def update_capability(self, capability: Mapping[str, Any]) -> None:
        super().update_capability(capability)
        cap = self._parse(capability)
        new_sensors = [s for s in cap.sensors if s.id not in self._infos]
        new_outputs = [o for o in cap.outputs if o.id not in self._output_infos]
        gone = set(self._infos) - {s.id for s in cap.sensors}
        gone_outputs = set(self._output_infos) - {o.id for o in cap.outputs}
        self._cap = cap
        for platform in self._add:
            self._add_entities(platform, new_sensors, new_outputs)
        self._remove_gone(gone, gone_outputs)

    def _add_entities(
        self, platform: Platform, sensors: tuple[SensorInfo, ...] | list[SensorInfo],
        outputs: tuple[OutputInfo, ...] | list[OutputInfo],
    ) -> None:  # fmt: skip
        add = self._add.get(platform)
        if add is None:
            return
        ectx = EntityContext(self._prefix, self.ctx.device_info, self._is_online)
        entities: list[Any] = []
        new_last_seen: list[LastSeenSensor] = []
        if platform is Platform.SENSOR:
            for info in sensors:
                state = self._sensors.setdefault(info.id, SensorState())
                self._unknown.discard(info.id)
                self._infos[info.id] = info
                state.entity = entity = ReactorSensor(ectx, info, state, self.async_calibrate)
                entities.append(entity)
                device_id = info.device_id
                self._device_of[info.id] = device_id
                if device_id not in self._last_seen:
                    label = info.device_name or info.name
                    last_seen = LastSeenSensor(
                        ectx, device_id, label, partial(self._last_seen_source, device_id)
                    )
                    self._last_seen[device_id] = last_seen
                    new_last_seen.append(last_seen)
            for last_seen in new_last_seen:  # once all its measurements are known
                last_seen.refresh()
                entities.append(last_seen)
        else:
            kinds = {Platform.SWITCH: True, Platform.NUMBER: False}
            for output in outputs:
                if (output.kind == OUTPUT_SWITCH) is not kinds.get(platform):
                    continue
                out_state = self._outputs.setdefault(output.id, OutputState())
                self._output_infos[output.id] = output
                cls = OutputSwitch if platform is Platform.SWITCH else OutputNumber
                control = cls(ectx, output, out_state, self._async_set_output)
                control.refresh()
                out_state.entity = control
                entities.append(control)
        if entities:
            add(entities)

    def _remove_gone(self, sensors: set[str], outputs: set[str]) -> None:
        """Entities of sensors no longer announced leave the state machine; their registry
        entries stay, marked as no longer provided, so the user can delete them."""
        for sensor_id in sensors:
            self._infos.pop(sensor_id, None)
            state = self._sensors.pop(sensor_id, None)
            if state is not None and state.entity is not None and state.entity.hass is not None:
                self.ctx.hass.async_create_task(state.entity.async_remove())
            device_id = self._device_of.pop(sensor_id, None)
            if device_id is not None and device_id not in self._device_of.values():
                last_seen = self._last_seen.pop(device_id, None)
                if last_seen is not None and last_seen.hass is not None:
                    self.ctx.hass.async_create_task(last_seen.async_remove())
        for output_id in outputs:
            self._output_infos.pop(output_id, None)
            out_state = self._outputs.pop(output_id, None)
            entity = out_state.entity if out_state is not None else None
            if entity is not None and entity.hass is not None:
                self.ctx.hass.async_create_task(entity.async_remove())
        if sensors or outputs:
            self.ctx.schedule_save()

    # --- records ------------------------------------------------------------------------------

    @callback
    def apply(self, record: Record) -> None:
        try:
            if record.type == "readings":
                self._apply_readings(record.data["readings"])
            elif record.type == "output":
                self._apply_output(record.data)
            else:
                return
        except Exception as err:
            # records were validated upstream: this is a bug, and one record must not stop
            # every later one (the runtime's contract: apply never raises)
            if not self._apply_failed:
                self._apply_failed = True
                LOGGER.warning("agent %s: reactor record %s not applied: %r",
                               self.ctx.agent_id, record.seq, err)  # fmt: skip
            self.applied["failed"] += 1
            return
        self.applied[record.type] += 1
        self.ctx.schedule_save()

    def _apply_readings(self, readings: list[dict[str, Any]]) -> None:
        sensors = self._sensors
        online = self._online
        # One record, one cause: every state it changes is written under one context. Besides
        # telling the logbook the changes belong together, this spares Home Assistant a new
        # context per write - and with it a reference cycle (context <-> its first event) per
        # write that only CPython's garbage collector can free: at 900 readings/s those
        # cycles alone triggered a full collection of HA's heap (0.3-0.5 s, the event loop
        # stopped) about every 30 s, the latency tail the reactor benchmark measured.
        context: Context | None = None
        touched_devices: set[str] | None = None
        writes = unchanged = 0
        for item in readings:
            sensor_id = item["sensor"]
            state = sensors.get(sensor_id)
            if state is None:
                state = self._unknown_sensor(sensor_id)
                if state is None:
                    continue
            status = item["status"]
            error = item.get("error")
            if status == STATUS_OK:
                value = item["value"]
                last_seen = item.get("ts")
            else:
                value = None
                last_seen = item.get("last_seen")
            if last_seen is not None and (state.last_seen is None or last_seen > state.last_seen):
                state.last_seen = last_seen
                if self._last_seen:
                    if touched_devices is None:
                        touched_devices = set()
                    touched_devices.add(self._device_of.get(sensor_id, sensor_id))
            if value == state.value and status == state.status and error == state.error:
                unchanged += 1
                continue
            if status != state.status and STATUS_OK in (status, state.status):
                self._log_transition(sensor_id, status, error)
            state.value, state.status, state.error = value, status, error
            entity = state.entity
            if entity is not None and entity.live:
                if context is None:
                    context = Context()
                entity.show(online, context)
                writes += 1
        if touched_devices:
            for device_id in touched_devices:
                entity = self._last_seen.get(device_id)
                if entity is not None and entity.live:
                    if context is None:
                        context = Context()
                    entity.show(self._device_state(device_id), online, context)
        self.applied["writes"] += writes
        self.applied["unchanged"] += unchanged

    def _unknown_sensor(self, sensor_id: str) -> SensorState | None:
        if sensor_id not in self._unknown:
            if len(self._unknown) >= MAX_UNKNOWN_SENSORS:
                return None
            LOGGER.debug("agent %s: reading for unannounced sensor %s kept",
                         self.ctx.agent_id, sensor_id)  # fmt: skip
            self._unknown.add(sensor_id)
        return self._sensors.setdefault(sensor_id, SensorState())

    def _is_online(self) -> bool:
        return self._online

    def _last_seen_source(self, device_id: str) -> tuple[SensorState, bool]:
        return self._device_state(device_id), self._online

    def _device_state(self, device_id: str) -> SensorState:
        """The freshest state among the measurements of one physical sensor."""
        best: SensorState | None = None
        for sensor_id, owner in self._device_of.items():
            if owner == device_id:
                state = self._sensors[sensor_id]
                if best is None or (state.last_seen or 0) > (best.last_seen or 0):
                    best = state
        return best or SensorState()

    def _log_transition(self, sensor_id: str, status: str, error: str | None) -> None:
        # HA's rule: log once when a device becomes unavailable and once when it is back
        if status == STATUS_OK:
            LOGGER.info("agent %s: sensor %s is back", self.ctx.agent_id, sensor_id)
        else:
            LOGGER.info("agent %s: sensor %s is %s: %s",
                        self.ctx.agent_id, sensor_id, status, error)  # fmt: skip

    def _apply_output(self, data: Mapping[str, Any]) -> None:
        out_state = self._outputs.get(data["output"])
        if out_state is None:
            return
        self._show_output(out_state, data.get("state"), data.get("value"))

    def _show_output(self, out_state: OutputState, state: Any, value: Any) -> None:
        if not (state is None or isinstance(state, bool)):
            state = None
        if isinstance(value, bool) or not isinstance(value, int | float):
            value = None
        if (state, value) == (out_state.state, out_state.value):
            return
        out_state.state, out_state.value = state, value
        entity = out_state.entity
        if entity is not None and entity.live:
            entity.show(self._online)

    # --- availability -------------------------------------------------------------------------

    def availability_changed(self) -> None:
        online = self._online = self.ctx.is_online()
        context = Context()  # one cause for every entity of the board (see _apply_readings)
        for state in self._sensors.values():
            entity = state.entity
            if entity is not None and entity.live and not entity.displays(online):
                entity.show(online, context)
        for device_id, last_seen in self._last_seen.items():
            if last_seen.live:
                last_seen.show(self._device_state(device_id), online, context)
        for out_state in self._outputs.values():
            if out_state.entity is not None and out_state.entity.live:
                out_state.entity.show(online)

    # --- commands -----------------------------------------------------------------------------

    async def _async_set_output(self, info: OutputInfo, args: dict[str, Any]) -> None:
        """Ask the agent; show what it confirms (its reply), not what was asked for."""
        try:
            result = await self.ctx.send_command("set_output", {"output": info.id, **args})
        except HomeAssistantError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="output_failed",
                translation_placeholders={"output": info.name, "error": str(err)},
            ) from err
        out_state = self._outputs.get(info.id)
        if out_state is not None and result.get("output") == info.id:
            self._show_output(out_state, result.get("state"), result.get("value"))
            self.ctx.schedule_save()

    async def async_calibrate(
        self, info: SensorInfo, step: str, value: float | None
    ) -> dict[str, Any]:
        """Run an EZO calibration step on the agent; its answer."""
        if step not in info.calibration:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="calibration_not_supported",
                translation_placeholders={
                    "sensor": info.name,
                    "step": step,
                    "steps": ", ".join(info.calibration) or "-",
                },
            )
        args: dict[str, Any] = {"sensor": info.id, "action": step}
        if value is not None:
            args["value"] = value
        try:
            result = await self.ctx.send_command("calibrate", args)
        except HomeAssistantError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="calibration_failed",
                translation_placeholders={"sensor": info.name, "error": str(err)},
            ) from err
        LOGGER.info("agent %s: %s calibration %s: %s", self.ctx.agent_id, info.id, step, result)
        return result

    # --- persistence and diagnostics ----------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "sensors": {sensor_id: state.dump() for sensor_id, state in self._sensors.items()},
            "outputs": {output_id: state.dump() for output_id, state in self._outputs.items()},
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        sensors = state.get("sensors")
        if isinstance(sensors, Mapping):
            for sensor_id, raw in sensors.items():
                loaded = SensorState.load(raw)
                if loaded is not None and isinstance(sensor_id, str):
                    self._sensors[sensor_id] = loaded
        outputs = state.get("outputs")
        if isinstance(outputs, Mapping):
            for output_id, raw in outputs.items():
                loaded_output = OutputState.load(raw)
                if loaded_output is not None and isinstance(output_id, str):
                    self._outputs[output_id] = loaded_output

    def sensor_info(self, sensor_id: str) -> SensorInfo | None:
        return self._infos.get(sensor_id)

    def diagnostics(self) -> dict[str, Any]:
        statuses: dict[str, int] = {}
        for state in self._sensors.values():
            statuses[state.status or "unknown"] = statuses.get(state.status or "unknown", 0) + 1
        return {
            "sensors": len(self._infos),
            "outputs": len(self._output_infos),
            "statuses": statuses,
            "not_ok": {
                sensor_id: {"status": s.status, "error": s.error, "last_seen": s.last_seen}
                for sensor_id, s in self._sensors.items()
                if s.status not in (None, STATUS_OK)
            },
            "unannounced_sensors": sorted(self._unknown),
            "capability_problems": self._problems,
            "applied": dict(self.applied),
        }
