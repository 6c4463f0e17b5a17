"""Turn tests/vectors/beacons.json into a C++ header for the firmware's host tests.

The C++ tests thus read the very vectors the Python decoder is tested with (no JSON parser
on the C++ side). Usage: python3 gen_vectors.py beacons.json > vectors.inc
"""

from __future__ import annotations

import json
import sys


def c_str(value: object) -> str:
    return "nullptr" if value is None else json.dumps(str(value))


def main(path: str) -> None:
    data = json.load(open(path, encoding="utf-8"))
    out = ["// generated from tests/vectors/beacons.json by test/gen_vectors.py: do not edit"]
    out.append("static const BeaconVector kValidBeacons[] = {")
    for v in data["valid"]:
        f = v["fields"]
        fw = ", ".join(str(x) for x in f["firmware"])
        counter = f["counter"] if f["counter"] is not None else 0
        out.append(
            f"  {{{c_str(v['name'])}, {c_str(v['address'])}, {c_str(v['key'])}, "
            f"{f['goals']}u, {f['since_goal_ds']}, {f['battery_mv']}, {{{fw}}}, "
            f"{f['packet_id']}, {f['flags']}, {counter}u, "
            f"{c_str(v['payload_hex'])}, {c_str(v['advert_hex'])}}},"
        )
    out.append("};")
    out.append("static const InvalidVector kInvalidBeacons[] = {")
    for v in data["invalid"]:
        out.append(
            f"  {{{c_str(v['name'])}, {c_str(v['address'])}, {c_str(v['key'])}, "
            f"{c_str(v['payload_hex'])}, {c_str(v['error'])}}},"
        )
    out.append("};")
    acks = data["acks"]
    out.append("static const AckVector kValidAcks[] = {")
    for v in acks["valid"]:
        f = v["fields"]
        counter = f["counter"] if f["counter"] is not None else 0
        out.append(
            f"  {{{c_str(v['name'])}, {c_str(v['address'])}, {c_str(v['key'])}, "
            f"{f['acked_goals']}u, {f['unix_time']}u, {f['game_mode']}, {f['heartbeat_min']}, "
            f"{counter}u, {c_str(v['hex'])}}},"
        )
    out.append("};")
    out.append("static const InvalidVector kInvalidAcks[] = {")
    for v in acks["invalid"]:
        out.append(
            f"  {{{c_str(v['name'])}, {c_str(v['address'])}, {c_str(v['key'])}, "
            f"{c_str(v['hex'])}, {c_str(v['error'])}}},"
        )
    out.append("};")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
