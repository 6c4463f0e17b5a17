"""The reactor capability and readings helpers shared by the agent and Home Assistant."""

from __future__ import annotations

import pytest

from edge_hub_core import protocol, reactor
from tests.vectors import load


def test_capability_round_trips() -> None:
    cap = reactor.ReactorCapability(
        sensors=(
            reactor.SensorInfo(
                id="ph",
                kind="ph",
                name="pH",
                unit="pH",
                device_class="ph",
                precision=2,
                driver="ezo_ph",
                address="0x63",
                calibration=("mid", "low", "high", "clear"),
            ),
            reactor.SensorInfo(
                id="air_temperature",
                kind="temperature",
                name="Air temperature",
                device="air",
                device_name="Air",
            ),
        ),
        outputs=(
            reactor.OutputInfo(id="heater", kind="switch", name="Heater"),
            reactor.OutputInfo(
                id="stirrer", kind="pwm", name="Stirrer", unit="%", minimum=0, maximum=100, step=1
            ),
        ),
    )
    parsed, problems = reactor.parse_capability(cap.to_json())
    assert problems == []
    assert parsed == cap
    assert parsed.sensors[1].device_id == "air"
    assert parsed.sensors[0].device_id == "ph"


def test_the_protocol_example_parses() -> None:
    example = {
        "sensors": [
            {
                "id": "ph",
                "kind": "ph",
                "name": "pH",
                "unit": "pH",
                "device_class": "ph",
                "precision": 2,
            }
        ],
        "outputs": [{"id": "heater", "kind": "switch", "name": "Heater"}],
    }
    cap, problems = reactor.parse_capability(example)
    assert not problems
    assert cap.sensors[0].state_class == "measurement"
    assert cap.outputs[0].kind == "switch"


def test_a_bad_entry_is_skipped_and_the_rest_kept() -> None:
    cap, problems = reactor.parse_capability(
        {
            "sensors": [
                {"id": "ok"},
                {"id": "Bad Id"},
                {"id": "p", "precision": -1},
                {"id": "ok"},
                "nope",
                {"id": "c", "calibration": ["mid", "future_action"], "future": 1},
            ],
            "outputs": [{"id": "o", "kind": "valve"}, {"id": "s", "kind": "setpoint", "min": 5}],
        }
    )
    assert [s.id for s in cap.sensors] == ["ok", "c"]
    assert cap.sensors[1].calibration == ("mid",)
    assert [o.id for o in cap.outputs] == ["s"]
    assert len(problems) == 5
    with pytest.raises(protocol.ProtocolError):
        reactor.parse_capability([])


def test_build_reading_nulls_the_value_unless_ok() -> None:
    assert reactor.build_reading("ph", "ok", 7.0, ts=1.0) == {
        "sensor": "ph",
        "value": 7.0,
        "status": "ok",
        "ts": 1.0,
    }
    offline = reactor.build_reading("ph", "offline", 7.0, error="no answer", last_seen=0.5)
    assert offline["value"] is None
    assert offline["last_seen"] == 0.5
    # what the builder makes, the validator accepts
    protocol.RECORD_VALIDATORS["readings"]({"readings": [offline]})


def test_last_seen_must_be_a_number() -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.RECORD_VALIDATORS["readings"](
            {"readings": [{"sensor": "x", "status": "offline", "last_seen": "yesterday"}]}
        )
    vector = next(v for v in load("mqtt")["valid"] if v["name"] == "batch of readings")
    offline = vector["payload"]["records"][0]["data"]["readings"][1]
    assert offline["last_seen"] == 1763798390.0


def test_unique_reports_duplicates_once() -> None:
    assert reactor.unique(["a", "b", "a", "a", "c", "b"]) == ["a", "b"]
