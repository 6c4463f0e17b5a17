"""Property tests: the goal-beacon and ack parsers never fail with anything but BeaconError."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from edge_hub_core import beacon

KEY = bytes.fromhex("231d39c1d7cc1ab1aee224cd096db932")
ADDRESS = "54:48:E6:8F:80:A5"

# random bytes, and random bytes behind a valid header, so the body parsers are reached too
_payloads = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda flags, rest: b"EH" + bytes([0x10 | flags]) + rest,
        st.integers(0, 15),
        st.binary(min_size=0, max_size=24),
    ),
)


@settings(max_examples=400, deadline=None)
@given(payload=_payloads, keyed=st.booleans())
def test_any_bytes_decode_or_raise_beacon_error(payload: bytes, keyed: bool) -> None:
    key = KEY if keyed else None
    try:
        decoded = beacon.decode(payload, key=key, address=ADDRESS)
    except beacon.BeaconError as err:
        reason = err.reason
        assert reason
    else:
        assert 0 <= decoded.goals <= 0xFFFFFFFF
        # whatever decodes encodes back to the same bytes (plain) or verifies (encrypted)
        if not decoded.encrypted:
            assert beacon.encode(decoded) == payload


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=32), keyed=st.booleans())
def test_any_bytes_decode_as_ack_or_raise_beacon_error(data: bytes, keyed: bool) -> None:
    try:
        ack = beacon.decode_ack(data, key=KEY if keyed else None, address=ADDRESS)
    except beacon.BeaconError as err:
        reason = err.reason
        assert reason
    else:
        assert 1 <= ack.heartbeat_min <= 1440


@settings(max_examples=200, deadline=None)
@given(
    goals=st.integers(0, 0xFFFFFFFF),
    since=st.integers(0, 0xFFFF),
    battery=st.integers(0, 0xFFFF),
    packet_id=st.integers(0, 255),
    flags=st.integers(0, 15),
    counter=st.integers(0, 0xFFFFFFFF),
)
def test_encrypted_round_trip(
    goals: int, since: int, battery: int, packet_id: int, flags: int, counter: int
) -> None:
    value = beacon.GoalBeacon(
        goals=goals,
        since_goal_ds=since,
        battery_mv=battery,
        firmware=(1, 2, 3),
        packet_id=packet_id,
        flags=flags | beacon.FLAG_ENCRYPTED,
        counter=counter,
    )
    payload = beacon.encode(value, key=KEY, address=ADDRESS)
    assert beacon.decode(payload, key=KEY, address=ADDRESS) == value
