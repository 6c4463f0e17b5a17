"""A separate process publishing sensor readings to a broker at a fixed rate (bench load).

Run as `python -m bench.mqtt_publisher --port P --sensors N --rate R --seconds S --base T`:
sensor i's state topic is `bench/s<i>/state`; the payload is the send time in seconds since
`--base` (4 decimals), so the receiver computes each reading's latency from the state itself,
and every reading is a new value. `--discovery` first publishes HA's MQTT discovery config
of every sensor (retained). Its CPU is its own, never counted as Home Assistant's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import paho.mqtt.client as mqtt

DISCOVERY = "homeassistant/sensor/bench_s{i}/config"
STATE = "bench/s{i}/state"


def discovery_config(i: int) -> dict[str, object]:
    # the same metadata as the reactor's entities: a fair per-entity cost
    return {
        "name": f"Bench {i}",
        "unique_id": f"bench_s{i}",
        "default_entity_id": f"sensor.bench_s{i}",
        "object_id": f"bench_s{i}",
        "state_topic": STATE.format(i=i),
        "device_class": "temperature",
        "unit_of_measurement": "°C",
        "state_class": "measurement",
        "suggested_display_precision": 2,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sensors", type=int, required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="readings per second")
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--base", type=float, default=0.0)
    parser.add_argument("--discovery", action="store_true")
    args = parser.parse_args()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{time.time()}")
    client.connect("127.0.0.1", args.port)
    client.loop_start()
    if args.discovery:
        for i in range(args.sensors):
            payload = json.dumps(discovery_config(i))
            client.publish(DISCOVERY.format(i=i), payload, qos=1, retain=True)
    sent = 0
    if args.rate and args.seconds:
        interval = 1.0 / args.rate
        start = time.monotonic()
        total = int(args.rate * args.seconds)
        while sent < total:
            due = start + sent * interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            i = sent % args.sensors
            value = f"{time.time() - args.base:.4f}"
            client.publish(STATE.format(i=i), value, qos=0)
            sent += 1
    # let the network thread flush, then leave cleanly
    time.sleep(0.5)
    client.loop_stop()
    client.disconnect()
    print(json.dumps({"sent": sent}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
