"""A minimal stand-in for Home Assistant's side of docs/protocol.md, for agent tests and benches.

It subscribes to one agent's topics on a real broker, applies data records exactly once and in
order (by seq), acknowledges like HA does (retained, at most every `ack_interval`, or at once
after 1,000 records), and can publish HA's birth message and send commands.
"""

from __future__ import annotations

from collections.abc import Callable
import itertools
import json
import threading
import time
from typing import Any

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion

from edge_hub_core import protocol


class HaStub:
    def __init__(self, port: int, agent_id: str, *, ack_interval: float = 0.2) -> None:
        self.agent_id = agent_id
        self.ack_interval = ack_interval
        self.lock = threading.Condition()
        self.epoch: str | None = None
        self.applied = 0
        self.records: list[protocol.Record] = []
        self.duplicates = 0
        self.out_of_order = 0  # records that arrived after a gap (buffered until it filled)
        self._buffer: dict[int, protocol.Record] = {}
        self.birth_on_connect = False  # not on the first connect; on every reconnect
        self.messages = 0  # data messages received
        self.announces: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self.acked = 0
        self.first_data_at: float | None = None
        self.last_data_at: float | None = None
        self._last_ack_at = 0.0
        self._ack_timer: threading.Timer | None = None
        self._ids = itertools.count(1)
        self.client = Client(CallbackAPIVersion.VERSION2, client_id=f"ha-stub-{agent_id}")
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.wait_for(self.client.is_connected)
        self.birth_on_connect = True

    def _on_connect(self, client: Client, *_args: Any) -> None:
        client.subscribe(f"edge_hub/{self.agent_id}/#", 1)
        if self.birth_on_connect:  # like HA: agents re-announce and replay
            self.birth()

    def topic(self, leaf: str) -> str:
        return protocol.topic(self.agent_id, leaf)

    def close(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("condition not reached")
                self.lock.wait(min(remaining, 0.05))

    def birth(self) -> None:
        self.client.publish(protocol.HA_STATUS_TOPIC, b"online", qos=1)

    def command(self, cmd: str, args: dict[str, Any] | None = None, timeout: float = 5) -> Any:
        cid = f"c{next(self._ids)}"
        message = {"v": 1, "id": cid, "cmd": cmd, "args": args or {}}
        self.client.publish(self.topic(protocol.CMD), json.dumps(message), qos=1)
        self.wait_for(lambda: cid in self.replies, timeout)
        return self.replies[cid]

    # --- receiving -------------------------------------------------------------------------

    def _on_message(self, client: Client, userdata: Any, msg: MQTTMessage) -> None:
        leaf = msg.topic.rsplit("/", 1)[-1]
        if not msg.payload:
            return
        with self.lock:
            if leaf == protocol.ANNOUNCE:
                announce = json.loads(msg.payload)
                self.announces.append(announce)
                if announce["epoch"] != self.epoch:
                    self.epoch, self.applied = announce["epoch"], 0
            elif leaf == protocol.STATUS:
                self.statuses.append(json.loads(msg.payload))
            elif leaf == protocol.REPLY:
                reply = json.loads(msg.payload)
                self.replies[reply["id"]] = reply
            elif leaf == protocol.DATA:
                self._data(protocol.parse_data(protocol.decode_payload(msg.payload)))
            self.lock.notify_all()

    def _data(self, message: protocol.DataMessage) -> None:
        now = time.monotonic()
        self.messages += 1
        self.first_data_at = self.first_data_at or now
        self.last_data_at = now
        if message.epoch != self.epoch:
            return
        for record in message.records:
            if record.seq <= self.applied or record.seq in self._buffer:
                self.duplicates += 1
            elif record.seq > self.applied + 1:  # wait for the replay to fill the gap
                self.out_of_order += 1
                self._buffer[record.seq] = record
            else:
                self.applied = record.seq
                self.records.append(record)
                while (following := self._buffer.pop(self.applied + 1, None)) is not None:
                    self.applied = following.seq
                    self.records.append(following)
        if self.applied - self.acked >= 1000 or now - self._last_ack_at >= self.ack_interval:
            self._ack()
        elif self._ack_timer is None:
            self._ack_timer = threading.Timer(self.ack_interval, self._ack_later)
            self._ack_timer.start()

    def _ack_later(self) -> None:
        with self.lock:
            self._ack_timer = None
            self._ack()

    def _ack(self) -> None:
        if self.epoch is None or self.applied <= self.acked:
            return
        self.acked, self._last_ack_at = self.applied, time.monotonic()
        ack = protocol.build_ack(self.epoch, self.applied, time.time())
        self.client.publish(self.topic(protocol.ACK), json.dumps(ack), qos=1, retain=True)
