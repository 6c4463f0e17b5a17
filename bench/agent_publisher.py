"""The publishing side of 100 reactor agents, in one process: one MQTT client per agent.

Run as `python -m bench.agent_publisher --port P --boards B --sensors S --base T ...`.
Every message is what a real agent sends (docs/protocol.md): the announce and status built
like `edge_agent.agent.Agent`'s, and each sampling round one `readings` record whose body is
encoded exactly as `edge_agent.outbox.Outbox.emit` stores it and sent as
`edge_agent.sender.build_message` frames it, on `edge_hub/<id>/data` at QoS 1, with seq 1, 2, ...
per agent. The outbox's SQLite commit is the agent's own cost and not Home Assistant's, so it
is left out; the bytes on the wire are the same.

Each reading's value is its send time in seconds since `--base` (µs): every value
changes, and Home Assistant computes each reading's latency from the state itself.

`--announce` publishes the retained announce and `online` status of every agent and exits.
`--deadband-boards N --announce` announces N simulated boards (`deadband-NNN`) with their real
capability; `--deadband-boards N --hours H` then publishes the records their report-on-change
filters send over H hours (bench/deadband_stream.py), as fast as the broker takes them,
batched as the agent's sender batches a backlog; prints what was sampled, sent, and each
agent's last seq.
`--start T --stages R:S,R:S,...` streams: from wall time T, stage after stage, `R` readings/s
for `S` seconds (each board's rounds spread evenly over the period). Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import paho.mqtt.client as mqtt

from edge_agent.sender import build_message
from edge_hub_core import protocol
from edge_hub_core.reactor import STATUS_OK, ReactorCapability, SensorInfo, build_reading


def agent_id(board: int) -> str:
    return f"reactor-{board:03d}"


def epoch(board: int) -> str:
    return f"{0xBE00000000000000 + board:016x}"


def instance(board: int) -> str:
    return f"{0xA100000000000000 + board:016x}"


def capability(sensors: int) -> dict[str, Any]:
    return ReactorCapability(
        sensors=tuple(
            SensorInfo(id=f"t{j}", kind="temperature", name=f"Temperature {j}", unit="°C",
                       device_class="temperature", state_class="measurement", precision=2)
            for j in range(sensors)
        )
    ).to_json()  # fmt: skip


def deadband_id(board: int) -> str:
    return f"deadband-{board:03d}"


def announce(
    board: int, sensors: int, name: str | None = None, reactor: dict[str, Any] | None = None
) -> bytes:
    return protocol.encode_payload(
        {
            "v": protocol.SCHEMA_VERSION,
            "agent_id": name or agent_id(board),
            "epoch": epoch(board),
            "instance": instance(board),
            "name": f"Reactor {board:03d}",
            "sw_version": "0.1.0",
            "capabilities": {"reactor": reactor or capability(sensors)},
            "ts": time.time(),
        }
    )


def online(board: int) -> bytes:
    return protocol.encode_payload(
        {
            "v": protocol.SCHEMA_VERSION,
            "state": protocol.ONLINE,
            "instance": instance(board),
            "outbox": {"backlog": 0, "dropped": 0, "oldest_ts": None},
            "ts": time.time(),
        }
    )


def record_body(seq: int, readings: list[dict[str, Any]]) -> bytes:
    """As Outbox.emit encodes a record."""
    data_json = json.dumps({"readings": readings}, separators=(",", ":"), allow_nan=False)
    stamp = time.time()
    return f'{{"seq":{seq},"ts":{stamp!r},"type":"readings","data":{data_json}}}'.encode()


def connect(board: int, port: int, name: str | None = None) -> mqtt.Client:
    name = name or agent_id(board)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"edge-agent-{name}")
    client.max_queued_messages_set(0)
    offline = protocol.encode_payload(protocol.build_offline(instance(board)))
    client.will_set(protocol.topic(name, protocol.STATUS), offline, 1, True)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    return client


def deadband(port: int, boards: int, hours: float, announce_only: bool) -> dict[str, Any]:
    from bench.deadband_stream import DeadbandBoard

    start_ts = round(time.time() - hours * 3600, 3)
    summary: dict[str, Any] = {"sampled": 0, "sent": 0, "records": 0, "last_seq": {}}
    for board in range(boards):
        name = deadband_id(board)
        sim = DeadbandBoard(seed=board)
        client = connect(board, port, name)
        infos = []
        if announce_only:
            infos += [
                client.publish(protocol.topic(name, protocol.STATUS), online(board), 1, True),
                client.publish(
                    protocol.topic(name, protocol.ANNOUNCE),
                    announce(board, 0, name, sim.capability),
                    1,
                    True,
                ),
            ]
            for info in infos:
                info.wait_for_publish(30)
            client.disconnect()
            client.loop_stop()
            continue
        data_topic = protocol.topic(name, protocol.DATA)
        seq, bodies, size = 0, [], 0
        for readings in sim.rounds(hours, start_ts):
            seq += 1
            body = record_body(seq, readings)
            if bodies and size + len(body) > protocol.MAX_BATCH_BYTES - 256:
                infos.append(client.publish(data_topic, build_message(epoch(board), bodies), 1))
                bodies, size = [], 0
            bodies.append(body)
            size += len(body) + 1
        if bodies:
            infos.append(client.publish(data_topic, build_message(epoch(board), bodies), 1))
        for info in infos:
            info.wait_for_publish(120)
        client.disconnect()
        client.loop_stop()
        summary["sampled"] += sim.sampled
        summary["sent"] += sim.sent
        summary["records"] += seq
        summary["last_seq"][name] = seq
    return summary


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--boards", type=int, required=True)
    parser.add_argument("--sensors", type=int, required=True)
    parser.add_argument("--base", type=float, default=0.0)
    parser.add_argument("--announce", action="store_true")
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--stages", default="")
    parser.add_argument("--deadband-boards", type=int, default=0)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    if args.deadband_boards:
        summary = deadband(args.port, args.deadband_boards, args.hours, args.announce)
        print(json.dumps(summary))
        return 0

    clients = [connect(board, args.port) for board in range(args.boards)]
    infos: list[Any] = []
    if args.announce:
        for board, client in enumerate(clients):
            leaf = protocol.topic(agent_id(board), protocol.STATUS)
            infos.append(client.publish(leaf, online(board), 1, True))
            leaf = protocol.topic(agent_id(board), protocol.ANNOUNCE)
            infos.append(client.publish(leaf, announce(board, args.sensors), 1, True))
    stages: list[dict[str, float]] = []
    seqs = [0] * args.boards
    data_topics = [protocol.topic(agent_id(b), protocol.DATA) for b in range(args.boards)]
    start = args.start or time.time()
    for spec in filter(None, args.stages.split(",")):
        rate, seconds = (float(x) for x in spec.split(":"))
        period = args.boards * args.sensors / rate  # seconds between two rounds of a board
        gap = period / args.boards
        steps = int(seconds / gap)
        sent = 0
        first: float | None = None  # the first value sent in the stage (values only grow)
        for step in range(steps):
            delay = start + step * gap - time.time()
            if delay > 0:
                time.sleep(delay)
            board = step % args.boards
            now = time.time()
            value, ts = round(now - args.base, 6), round(now, 3)
            if first is None:
                first = value
            readings = [
                build_reading(f"t{j}", STATUS_OK, value, ts=ts) for j in range(args.sensors)
            ]
            seqs[board] += 1
            body = record_body(seqs[board], readings)
            info = clients[board].publish(
                data_topics[board], build_message(epoch(board), [body]), 1
            )
            if step >= steps - args.boards:
                infos.append(info)
            sent += args.sensors
        stages.append({"rate": rate, "first": first or 0.0, "sent": sent})
        start += steps * gap
    for info in infos:
        info.wait_for_publish(30)
    for client in clients:
        client.disconnect()  # clean: no last will, the retained status stays `online`
        client.loop_stop()
    print(json.dumps({"stages": stages, "sent": sum(s["sent"] for s in stages)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
