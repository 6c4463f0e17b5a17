"""Coalescing reads: request limits, gap bridging, scale factors with their values."""

from __future__ import annotations

from hypothesis import given, strategies as st

from edge_hub_core.modbus_map import Identity, Point, RegisterMap, Sanity, load_map
from edge_hub_core.modbus_plan import plan_reads
from edge_hub_core.sunspec import SunSpecTemplate


def _map(points: list[Point], **kw: object) -> RegisterMap:
    return RegisterMap(
        profile="t",
        function=3,
        points=(*points, Point("sn", 0, "string", 2, tier="static")),
        identity=Identity(serial="sn"),
        sanity=Sanity("sn", 0, 1),
        **kw,  # type: ignore[arg-type]
    )


def _u16(key: str, address: int, **kw: object) -> Point:
    return Point(key, address, "u16", 1, tier="fast", **kw)  # type: ignore[arg-type]


def test_gap_bridging_and_split() -> None:
    regmap = _map([_u16("a", 100), _u16("b", 110), _u16("c", 200)], max_gap=16)
    plan = plan_reads(regmap, ["a", "b", "c"])
    assert [(r.address, r.count) for r in plan] == [(100, 11), (200, 1)]
    assert plan[0].keys == ("a", "b")


def test_request_limit() -> None:
    regmap = _map([_u16(f"p{i}", 1000 + 10 * i) for i in range(30)], max_gap=16)
    plan = plan_reads(regmap, [f"p{i}" for i in range(30)])
    assert all(r.count <= 125 for r in plan)
    assert len(plan) == 3


def test_ranges_are_never_bridged() -> None:
    regmap = _map([_u16("a", 100), _u16("b", 105)], ranges=((100, 102), (104, 110)))
    assert len(plan_reads(regmap, ["a", "b"])) == 2


def test_scale_factor_read_with_its_value() -> None:
    value = Point("W", 100, "s16", 1, scale_ref="W_SF", tier="fast")
    sf = Point("W_SF", 150, "sunssf", 1)
    other = _u16("x", 10)
    regmap = _map([value, sf, other], max_gap=0)
    plan = plan_reads(regmap, ["W", "x"])
    (request,) = (r for r in plan if "W" in r.keys)
    assert request.address <= 150 < request.end
    assert "W_SF" in request.keys


def test_isolated_groups_stand_alone() -> None:
    regmap = _map([_u16("a", 100), _u16("b", 101), _u16("c", 102)])
    plan = plan_reads(regmap, ["a", "b", "c"], isolated=frozenset({"b"}))
    assert [(r.address, r.count) for r in plan] == [(100, 1), (101, 1), (102, 1)]


def test_real_maps_plan_few_requests() -> None:
    template = SunSpecTemplate()
    sunspec = template.resolve(template.layout([1, 103, 160]))
    huawei, sungrow = load_map("huawei"), load_map("sungrow")
    polled = {"fast", "medium", "slow"}
    assert len(plan_reads(sunspec, sunspec.tier_keys(polled))) == 1
    assert len(plan_reads(huawei, huawei.tier_keys(polled))) == 3
    assert len(plan_reads(sungrow, sungrow.tier_keys(polled))) == 3
    for regmap in (sunspec, huawei, sungrow):
        for request in plan_reads(regmap, regmap.tier_keys(polled)):
            assert request.count <= regmap.max_registers


@given(
    st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=60, unique=True),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=2, max_value=125),
)
def test_plan_covers_every_point_within_limits(addresses: list[int], gap: int, limit: int) -> None:
    points = [_u16(f"p{a}", a) for a in addresses]
    regmap = _map(points, max_gap=gap, max_registers=limit)
    plan = plan_reads(regmap, [p.key for p in points])
    covered = {k for r in plan for k in r.keys}
    assert covered == {p.key for p in points}
    for request in plan:
        assert 1 <= request.count <= limit
        for key in request.keys:
            point = regmap.by_key[key]
            assert request.address <= point.address
            assert point.end <= request.end
