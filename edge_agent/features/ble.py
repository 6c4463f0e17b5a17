"""The `ble` feature: the agent's Bluetooth adapter as a remote scanner for Home Assistant.

It forwards raw advertisements on `edge_hub/<agent_id>/ble` (docs/protocol.md §1.9, live only:
QoS 0, never stored or replayed), and Home Assistant feeds them into its Bluetooth stack as a
remote scanner, where goal beacons are counted exactly like those of a local adapter.

Backends (config `ble.backend`):
- `bleak`: the Pi's adapter through bleak (imported only when used; `pip install
  edge-agent[ble]`). Passive scanning where BlueZ allows it.
- `simulated`: a table's two goal sensors scoring at random, with repeats and heartbeats, as
  the firmware sends them (the demo and the tests use it).

Config:

    ble:
      backend: bleak            # or simulated
      adapter: hci0
      source: "D8:3A:DD:00:00:01"   # the adapter's address, shown in HA (optional)
      forward: goal             # goal: only Edge Hub goal beacons; all: every advertisement
      batch_ms: 100             # adverts heard within this window go in one message
      simulate:                 # backend: simulated only
        sensors:
          - {address: "54:48:E6:8F:80:A5", key: "231d...b932"}   # key optional
          - {address: "54:48:E6:8F:80:B6"}
        goal_interval_s: 8.0    # mean time between goals (random, exponential)
        repeats: 6              # packets per goal, 100 ms apart
        heartbeat_s: 1800
        seed: 1                 # optional, for a reproducible game
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
import logging
import random
import time
from typing import Any, Protocol

from edge_hub_core import beacon, protocol

from .. import schema
from ..feature import Feature, FeatureContext, FeatureSpec

_LOGGER = logging.getLogger(__name__)

SECTION = "ble"
CAPABILITY = "ble_scanner"
BACKENDS = ("bleak", "simulated")
FORWARD = ("goal", "all")
MAX_RAW = 62  # advertising data + scan response (protocol.parse_ble's limit)
# 0x02 01 06: LE General Discoverable, BR/EDR not supported (what the firmware sends)
_FLAGS_AD = bytes.fromhex("020106")


@dataclass(frozen=True, slots=True)
class SimSensor:
    address: str
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class SimConfig:
    sensors: tuple[SimSensor, ...] = (
        SimSensor("54:48:E6:8F:80:A5"),
        SimSensor("54:48:E6:8F:80:B6"),
    )
    goal_interval_s: float = 8.0
    repeats: int = 6
    repeat_interval_s: float = 0.1
    heartbeat_s: float = 1800.0
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class BleConfig:
    backend: str = "bleak"
    adapter: str = "hci0"
    source: str | None = None
    forward: str = "goal"
    batch_ms: int = 100
    simulate: SimConfig = field(default_factory=SimConfig)


@dataclass(frozen=True, slots=True)
class Heard:
    """One advertisement as the adapter heard it."""

    address: str
    rssi: int
    raw: bytes
    connectable: bool
    ts: float

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "rssi": self.rssi,
            "connectable": self.connectable,
            "raw": self.raw.hex(),
            "ts": round(self.ts, 6),
        }


class Backend(Protocol):
    def adverts(self) -> AsyncIterator[Heard]:
        """Advertisements until cancelled."""
        ...


# --- config --------------------------------------------------------------------------------


def _mac(value: str, where: str) -> str:
    parts = value.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise schema.ConfigError(
            where, f"must be a MAC address like AA:BB:CC:DD:EE:FF, got {value!r}"
        )
    try:
        bytes.fromhex(value.replace(":", ""))
    except ValueError:
        raise schema.ConfigError(where, f"must be a MAC address, got {value!r}") from None
    return value.upper()


def _parse_sim(value: Any, path: str) -> SimConfig:
    section = schema.mapping(value, path)
    schema.only_keys(
        section, ("sensors", "goal_interval_s", "repeats", "heartbeat_s", "seed"), path
    )
    sensors = []
    for where, item in schema.items(section, "sensors", path):
        entry = schema.mapping(item, where)
        schema.only_keys(entry, ("address", "key"), where)
        address = _mac(schema.get(entry, "address", str, where), f"{where}.address")
        key_text = schema.get(entry, "key", str, where, None)
        key = None
        if key_text is not None:
            try:
                key = beacon.parse_key(key_text)
            except beacon.BeaconError as err:
                raise schema.ConfigError(f"{where}.key", str(err)) from None
        sensors.append(SimSensor(address, key))
    default = SimConfig()
    return SimConfig(
        sensors=tuple(sensors) or default.sensors,
        goal_interval_s=schema.get(
            section, "goal_interval_s", float, path, default.goal_interval_s, minimum=0.001
        ),
        repeats=schema.get(section, "repeats", int, path, default.repeats, minimum=1, maximum=50),
        heartbeat_s=schema.get(section, "heartbeat_s", float, path, default.heartbeat_s, minimum=1),
        seed=schema.get(section, "seed", int, path, None),
    )


def parse(value: Any, path: str) -> BleConfig:
    section = schema.mapping(value, path)
    schema.only_keys(
        section, ("backend", "adapter", "source", "forward", "batch_ms", "simulate"), path
    )
    source = schema.get(section, "source", str, path, None)
    return BleConfig(
        backend=schema.get(section, "backend", str, path, "bleak", choices=BACKENDS),
        adapter=schema.get(section, "adapter", str, path, "hci0"),
        source=None if source is None else _mac(source, f"{path}.source"),
        forward=schema.get(section, "forward", str, path, "goal", choices=FORWARD),
        batch_ms=schema.get(section, "batch_ms", int, path, 100, minimum=0, maximum=5000),
        simulate=_parse_sim(section.get("simulate"), f"{path}.simulate"),
    )


# --- advertisement bytes ---------------------------------------------------------------------


def build_raw(
    *,
    local_name: str | None = None,
    manufacturer_data: Mapping[int, bytes] | None = None,
    service_data: Mapping[str, bytes] | None = None,
    service_uuids: list[str] | None = None,
    tx_power: int | None = None,
) -> bytes:
    """AD structures from the parsed fields a host stack (bleak) reports.

    BlueZ hands out parsed advertisements only; HA's remote scanner parses raw AD bytes, so
    they are rebuilt here. Flags first, then manufacturer data (what goal beacons need),
    service data, UUIDs, TX power and the name, as long as they fit `MAX_RAW`.
    """
    parts: list[bytes] = [_FLAGS_AD]
    for company, data in (manufacturer_data or {}).items():
        parts.append(_ad(0xFF, company.to_bytes(2, "little") + bytes(data)))
    for uuid, data in (service_data or {}).items():
        short = _uuid16(uuid)
        if short is not None:
            parts.append(_ad(0x16, short + bytes(data)))
    uuid16s = b"".join(u for u in (_uuid16(x) for x in service_uuids or []) if u is not None)
    if uuid16s:
        parts.append(_ad(0x03, uuid16s))
    if tx_power is not None:
        parts.append(_ad(0x0A, (tx_power & 0xFF).to_bytes(1, "little")))
    if local_name:
        parts.append(_ad(0x09, local_name.encode()[:29]))
    raw = b""
    for part in parts:
        if len(raw) + len(part) > MAX_RAW:
            continue  # drop what does not fit rather than forward an invalid advert
        raw += part
    return raw


def _ad(ad_type: int, data: bytes) -> bytes:
    return bytes([len(data) + 1, ad_type]) + data


def _uuid16(uuid: str) -> bytes | None:
    """The 16-bit form of a Bluetooth base UUID, None for a vendor 128-bit one."""
    text = uuid.lower()
    if (
        len(text) == 36
        and text.startswith("0000")
        and text.endswith("-0000-1000-8000-00805f9b34fb")
    ):
        return int(text[4:8], 16).to_bytes(2, "little")
    return None


def is_goal_beacon_raw(raw: bytes) -> bool:
    """Whether the AD bytes carry manufacturer data 0xFFFF starting with "EH"."""
    index = 0
    while index + 1 < len(raw):
        length = raw[index]
        if length == 0:
            break
        ad_type = raw[index + 1]
        data = raw[index + 2 : index + 1 + length]
        if ad_type == 0xFF and data[:2] == b"\xff\xff" and beacon.is_goal_beacon(data[2:]):
            return True
        index += 1 + length
    return False


def goal_advert(payload: bytes) -> bytes:
    """The firmware's advertisement for a goal-beacon payload (docs/protocol.md §2.1)."""
    return _FLAGS_AD + _ad(0xFF, beacon.COMPANY_ID.to_bytes(2, "little") + payload)


# --- backends --------------------------------------------------------------------------------


class BleakBackend:
    """The real adapter, through bleak (imported here only)."""

    def __init__(self, adapter: str) -> None:
        self.adapter = adapter

    async def adverts(self) -> AsyncIterator[Heard]:
        try:
            from bleak import BleakScanner  # noqa: PLC0415
        except ImportError as err:
            raise RuntimeError(
                "the ble feature's bleak backend needs bleak: pip install 'edge-agent[ble]'"
            ) from err
        queue: asyncio.Queue[Heard] = asyncio.Queue(maxsize=10_000)

        def _detected(device: Any, data: Any) -> None:
            raw = build_raw(
                local_name=data.local_name,
                manufacturer_data=data.manufacturer_data,
                service_data=data.service_data,
                service_uuids=list(data.service_uuids),
                tx_power=data.tx_power,
            )
            heard = Heard(device.address.upper(), int(data.rssi), raw, True, time.time())
            if not queue.full():  # live data: drop rather than queue without bound
                queue.put_nowait(heard)

        scanner = BleakScanner(detection_callback=_detected, adapter=self.adapter)
        await scanner.start()
        try:
            while True:
                yield await queue.get()
        finally:
            await scanner.stop()


class SimulatedBackend:
    """A table's goal sensors: random goals, each sent `repeats` times, and heartbeats."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.goals = {sensor.address: 0 for sensor in config.sensors}
        self.packet_ids = {sensor.address: 0 for sensor in config.sensors}
        self.counters = {sensor.address: int(time.time()) for sensor in config.sensors}

    def beacon_payload(self, sensor: SimSensor, *, heartbeat: bool) -> bytes:
        """The next packet of `sensor`: a new packet id and replay counter, like the firmware."""
        self.packet_ids[sensor.address] = (self.packet_ids[sensor.address] + 1) & 0xFF
        self.counters[sensor.address] += 1
        flags = beacon.FLAG_WANTS_ACK | (beacon.FLAG_HEARTBEAT if heartbeat else 0)
        value = beacon.GoalBeacon(
            goals=self.goals[sensor.address],
            since_goal_ds=beacon.SINCE_GOAL_UNKNOWN if heartbeat else 3,
            battery_mv=self.rng.randint(2700, 3100),
            firmware=(1, 0, 0),
            packet_id=self.packet_ids[sensor.address],
            flags=flags,
            counter=self.counters[sensor.address],
        )
        return beacon.encode(value, key=sensor.key, address=sensor.address)

    async def adverts(self) -> AsyncIterator[Heard]:
        config = self.config
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time()
        while True:
            now = loop.time()
            if now >= next_heartbeat:
                next_heartbeat = now + config.heartbeat_s
                for sensor in config.sensors:
                    payload = self.beacon_payload(sensor, heartbeat=True)
                    for heard in self._burst(sensor, payload):
                        yield heard
                        await asyncio.sleep(config.repeat_interval_s)
            await asyncio.sleep(
                min(self.rng.expovariate(1 / config.goal_interval_s), config.heartbeat_s)
            )
            sensor = self.rng.choice(config.sensors)
            self.goals[sensor.address] += 1
            payload = self.beacon_payload(sensor, heartbeat=False)
            for heard in self._burst(sensor, payload):
                yield heard
                await asyncio.sleep(config.repeat_interval_s)

    def _burst(self, sensor: SimSensor, payload: bytes) -> list[Heard]:
        raw = goal_advert(payload)
        return [
            Heard(sensor.address, self.rng.randint(-85, -45), raw, True, time.time())
            for _ in range(self.config.repeats)
        ]


# --- the feature -------------------------------------------------------------------------------


class BleFeature(Feature):
    name = CAPABILITY

    def __init__(self, config: BleConfig, backend: Backend | None = None) -> None:
        self.config = config
        if backend is None:
            backend = (
                SimulatedBackend(config.simulate)
                if config.backend == "simulated"
                else BleakBackend(config.adapter)
            )
        self.backend = backend
        self.forwarded = 0
        self.dropped = 0

    def capability(self) -> dict[str, Any]:
        capability: dict[str, Any] = {"adapter": self.config.adapter}
        if self.config.source:
            capability["source"] = self.config.source
        return capability

    async def run(self, ctx: FeatureContext) -> None:
        """Forward what the backend hears, batched over `batch_ms` (flushed on time, not
        only when the next advert arrives: a goal is sent within `batch_ms`)."""
        queue: asyncio.Queue[Heard | BaseException] = asyncio.Queue(maxsize=10_000)
        pump = asyncio.create_task(self._pump(queue), name="edge_agent ble backend")
        loop = asyncio.get_running_loop()
        window = self.config.batch_ms / 1000
        try:
            while True:
                item = await queue.get()
                batch: list[Heard] = []
                deadline = loop.time() + window
                while True:
                    if isinstance(item, BaseException):
                        if batch:
                            self._flush(ctx, batch)
                        raise item
                    batch.append(item)
                    remaining = deadline - loop.time()
                    if remaining <= 0 or len(batch) >= 50:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                self._flush(ctx, batch)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _pump(self, queue: asyncio.Queue[Heard | BaseException]) -> None:
        try:
            async for heard in self.backend.adverts():
                if self.config.forward == "goal" and not is_goal_beacon_raw(heard.raw):
                    continue
                if len(heard.raw) > MAX_RAW or queue.full():
                    self.dropped += 1  # live data: dropped rather than queued without bound
                    continue
                queue.put_nowait(heard)
        except Exception as err:  # the backend failed (no adapter, no bleak): stop run()
            await queue.put(err)

    def _flush(self, ctx: FeatureContext, batch: list[Heard]) -> None:
        payload = {"v": protocol.SCHEMA_VERSION, "adverts": [heard.as_json() for heard in batch]}
        try:
            ctx.publish_live(protocol.BLE, payload)
        except Exception:  # live data: a failed publish must never stop the scanner
            self.dropped += len(batch)
            _LOGGER.debug("publishing %d adverts failed", len(batch), exc_info=True)
            return
        self.forwarded += len(batch)


SPEC = FeatureSpec(section=SECTION, parse=parse, build=BleFeature)
