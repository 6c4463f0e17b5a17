"""SunSpec discovery: base addresses in pysunspec2's order, the model chain, broken chains."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from edge_hub_core.modbus_poll import ModbusExceptionError, Poller
from edge_hub_core.sunspec import NotSunSpecError, SunSpecTemplate, discover

from .inverter_memory import MemoryInverter


@pytest.mark.parametrize("base", [40000, 0, 50000])
async def test_discovers_at_each_base(base: int) -> None:
    device = MemoryInverter("sunspec", sunspec_base=base)
    chain = await discover(device.read)
    assert chain.base == base
    assert [m.model_id for m in chain.models] == [1, 103, 160]
    assert chain.models[0].address == base + 2
    assert chain.models[1].address == base + 2 + 2 + 66


async def test_first_base_wins_and_probes_in_order() -> None:
    device = MemoryInverter("sunspec", sunspec_base=50000)
    await discover(device.read)
    assert [r[1] for r in device.requests[:3]] == [40000, 0, 50000]


async def test_not_sunspec() -> None:
    device = MemoryInverter("huawei")
    with pytest.raises(NotSunSpecError):
        await discover(device.read)


async def test_runaway_chain_is_refused() -> None:
    async def read(function: int, address: int, count: int) -> Sequence[int]:
        if address == 40000:
            return [0x5375, 0x6E53]
        return [7] * count  # model 7, length 7, forever

    with pytest.raises(NotSunSpecError, match="more than"):
        await discover(read)


async def test_chain_without_end_marker() -> None:
    async def read(function: int, address: int, count: int) -> Sequence[int]:
        image = {40000: 0x5375, 40001: 0x6E53, 40002: 1, 40003: 66}
        if address in image:
            return [image[address]]
        if address == 40000 and count == 2:
            return [0x5375, 0x6E53]
        raise ModbusExceptionError(2)

    async def read2(function: int, address: int, count: int) -> Sequence[int]:
        if count == 2:
            return [0x5375, 0x6E53] if address == 40000 else [0, 0]
        return await read(function, address, count)

    chain = await discover(read2)
    assert chain.as_list() == [[1, 40002, 66]]


@pytest.mark.parametrize(
    ("models", "phases", "mppts"),
    [((1, 101), 1, 0), ((1, 102, 160), 2, 2), ((1, 103, 160), 3, 2), ((1, 113, 160), 3, 2)],
)
async def test_resolved_points_decode_the_simulated_values(
    models: tuple[int, ...], phases: int, mppts: int
) -> None:
    device = MemoryInverter("sunspec", sunspec_models=models)
    chain = await discover(device.read)
    regmap = SunSpecTemplate().resolve(chain)
    voltages = [p.index for p in regmap.points if p.entity == "phase_voltage"]
    assert voltages == ["A", "B", "C"][:phases]
    assert len([p for p in regmap.points if p.entity == "mppt_power"]) == mppts
    values = await Poller(regmap, device.read).read(regmap.tier_keys(["fast", "medium", "slow"]))
    truth = device.sim.values()
    assert values["W"] == truth[("ac_power", None)]
    assert values["Hz"] == truth[("grid_frequency", None)]
    assert values["St"] == "producing"
    assert values["PhVphA"] == truth[("phase_voltage", "A")]
    assert values["WH"] == pytest.approx(truth[("energy_total", None)], abs=1)
