"""What simulated reactor boards send over a day with their report-on-change settings.

Each board is the simulator's board (edge_agent.sim.reactor_board, one seed each) with its
shipped deadbands and maximum intervals. Every measurement is sampled at its sensor's interval
from the board's own drifting signals, rounded as the agent's sampler rounds it, and offered
to the agent's own `ChangeFilter`; the readings it lets through in one sampling round form one
`readings` record, as the agent's round collector groups them.

Used by bench_reactor: the deadband leg publishes these records through mosquitto into a
running Home Assistant, which counts its own state writes (`writes_per_reading_deadband`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
import heapq
from typing import Any

from edge_agent.drivers.ads1115 import Linear
from edge_agent.features.reactor.config import parse
from edge_agent.features.reactor.feature import ReactorFeature
from edge_agent.features.reactor.report import ChangeFilter
from edge_agent.sim.reactor_board import DS18B20_ID, board_config, build_board
from edge_hub_core.reactor import STATUS_OK, build_reading


@dataclass
class DeadbandBoard:
    """One simulated board: its announced capability and its day of records."""

    seed: int
    sampled: int = 0
    sent: int = 0
    capability: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self._config = parse(board_config(seed=self.seed))
        self.capability = ReactorFeature(self._config).capability()

    def rounds(self, hours: float, start_ts: float) -> Iterator[list[dict[str, Any]]]:
        """The readings of every round that sent something, in time order."""
        board = build_board(seed=self.seed)
        signals = _board_signals(board.bus.devices, board.onewire)
        end = hours * 3600
        # (time, order, interval, measurements of one sensor) - one entry per sensor
        due: list[tuple[float, int, float, list[tuple[str, int, ChangeFilter]]]] = []
        for order, sensor in enumerate(self._config.sensors):
            filters = [
                (m.id, m.precision or 0, ChangeFilter(m.report)) for m in sensor.measurements
            ]
            heapq.heappush(due, (0.0, order, sensor.interval, filters))
        while due and due[0][0] < end:
            t = due[0][0]
            readings: list[dict[str, Any]] = []
            while due and due[0][0] == t:  # every sensor due now: one round
                _, order, interval, filters = heapq.heappop(due)
                for measurement, precision, change in filters:
                    value = round(signals[measurement](t), precision + 2)
                    self.sampled += 1
                    if change.offer(STATUS_OK, value, None, t):
                        readings.append(
                            build_reading(measurement, STATUS_OK, value, ts=round(start_ts + t, 3))
                        )
                heapq.heappush(due, (t + interval, order, interval, filters))
            if readings:
                self.sent += len(readings)
                yield readings


def _board_signals(bus: dict[int, Any], onewire: Any) -> dict[str, Callable[[float], float]]:
    """Each measurement's true value over time, from the simulated devices' own signals."""
    ezo = {address: bus[address].signals for address in (0x61, 0x62, 0x63, 0x64, 0x66)}
    pressure = Linear.through((0.5, 0.0), (4.5, 2.0))
    level = Linear.through((0.0, 0.0), (2.0, 100.0))
    jacket = onewire[DS18B20_ID].temperature
    return {
        "ph": ezo[0x63]["PH"],
        "do_dissolved_oxygen": ezo[0x61]["MG"],
        "do_saturation": ezo[0x61]["%"],
        "orp": ezo[0x62]["OR"],
        "ec_conductivity": ezo[0x64]["EC"],
        "ec_tds": ezo[0x64]["TDS"],
        "ec_salinity": ezo[0x64]["S"],
        "ec_specific_gravity": ezo[0x64]["SG"],
        "liquid_temperature": ezo[0x66]["RTD"],
        "air_temperature": bus[0x76].temperature,
        "air_humidity": bus[0x76].humidity,
        "air_pressure": bus[0x76].pressure_hpa,
        "enclosure_temperature": bus[0x44].temperature,
        "enclosure_humidity": bus[0x44].humidity,
        "cabinet_temperature": bus[0x45].temperature,
        "cabinet_humidity": bus[0x45].humidity,
        "vessel_pressure": lambda t: pressure(bus[0x48].volts[0](t)),
        "level": lambda t: level(bus[0x48].volts[1](t)),
        # a DS18B20 reports 1/16 °C steps
        "jacket_temperature": lambda t: round(jacket(t) * 16) / 16,
    }
