"""A simulated bioreactor board: every supported sensor on one I2C bus and a DS18B20 on
1-Wire, with slowly drifting, realistic values (a 37 °C culture, pH 7, ...). Used by the
`sim` backend of the reactor feature, `edge-agent scan --sim`, the demo and the tests.

Each part can be made to fail from outside (`board.bus[0x63].unplug()`, `.fault = "nack"`,
`board.bus.stuck = True`, `.slow_s = 3`, `board.onewire[ID].fault = "crc"`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .i2c import SimBus
from .i2c_devices import SimAds1115, SimBme280, SimEzo, SimSht3x, SimSht4x
from .onewire import SimDs18b20, SimOneWire
from .outputs import SimPwm, SimSwitch
from .signals import Drift

DS18B20_ID = "28-0000000a1b2c"
HOUR = 3600.0
DAY = 86_400.0


@dataclass
class SimBoard:
    bus: SimBus
    onewire: SimOneWire
    switches: dict[str, SimSwitch] = field(default_factory=dict)
    pwms: dict[str, SimPwm] = field(default_factory=dict)

    def switch(self, output_id: str) -> SimSwitch:
        return self.switches.setdefault(output_id, SimSwitch())

    def pwm(self, output_id: str) -> SimPwm:
        return self.pwms.setdefault(output_id, SimPwm())


def build_board(time_scale: float = 1.0, seed: int = 0) -> SimBoard:
    """The board with every part at its default address."""

    def drift(base: float, *, seed_offset: int, **kwargs: Any) -> Drift:
        return Drift(base, seed=seed * 100 + seed_offset, **kwargs)

    liquid = drift(37.0, seed_offset=1, amplitude=0.15, period_s=6 * HOUR, wander=0.05, noise=0.01)
    ec = drift(1413.0, seed_offset=2, amplitude=15.0, period_s=DAY, wander=5.0, noise=1.0)
    bus = SimBus(
        [
            SimEzo(0x63, "pH", {"PH": drift(7.0, seed_offset=3, amplitude=0.05, period_s=8 * HOUR,
                                            wander=0.02, noise=0.003, minimum=0, maximum=14)}),
            SimEzo(0x61, "DO", {
                "MG": drift(6.4, seed_offset=4, amplitude=0.3, period_s=4 * HOUR, wander=0.1,
                            noise=0.02, minimum=0),
                "%": drift(88.0, seed_offset=5, amplitude=4.0, period_s=4 * HOUR, wander=1.0,
                           noise=0.2, minimum=0),
            }),
            SimEzo(0x62, "OR", {"OR": drift(215.0, seed_offset=6, amplitude=8.0,
                                            period_s=12 * HOUR, wander=3.0, noise=0.3)}),
            SimEzo(0x64, "EC", {
                "EC": ec,
                "TDS": lambda t: ec(t) * 0.54,
                "S": lambda t: ec(t) / 2000.0,
                "SG": lambda t: 1.0 + ec(t) / 2e6,
            }),
            SimEzo(0x66, "RTD", {"RTD": liquid}),
            SimBme280(
                0x76,
                temperature=drift(24.0, seed_offset=7, amplitude=1.0, period_s=DAY, wander=0.2,
                                  noise=0.01),
                humidity=drift(45.0, seed_offset=8, amplitude=5.0, period_s=DAY, wander=1.0,
                               noise=0.05, minimum=0, maximum=100),
                pressure_hpa=drift(1013.0, seed_offset=9, amplitude=2.0, period_s=DAY,
                                   wander=0.5, noise=0.02),
            ),
            SimSht3x(0x44, temperature=drift(23.5, seed_offset=10, amplitude=1.0, period_s=DAY,
                                             noise=0.01),
                     humidity=drift(47.0, seed_offset=11, amplitude=5.0, period_s=DAY,
                                    noise=0.05)),
            SimSht4x(0x45, temperature=drift(23.8, seed_offset=12, amplitude=1.0, period_s=DAY,
                                             noise=0.01),
                     humidity=drift(46.0, seed_offset=13, amplitude=5.0, period_s=DAY,
                                    noise=0.05)),
            SimAds1115(0x48, {
                0: drift(1.20, seed_offset=14, amplitude=0.05, period_s=2 * HOUR, noise=0.001),
                1: drift(0.55, seed_offset=15, amplitude=0.02, period_s=HOUR, noise=0.001),
            }),
        ],
        time_scale=time_scale,
    )  # fmt: skip
    onewire = SimOneWire([SimDs18b20(DS18B20_ID, liquid)], time_scale=time_scale)
    return SimBoard(bus=bus, onewire=onewire)


# the `reactor:` config section declaring the whole board (the demo's, and the docs' example)
BOARD_SENSORS: list[dict[str, Any]] = [
    {"id": "ph", "driver": "ezo_ph", "address": 0x63, "deadband": 0.01,
     "temperature_from": "liquid_temperature"},
    {"id": "do", "driver": "ezo_do", "address": 0x61, "outputs": ["mg", "percent"],
     "deadband": "1%", "temperature_from": "liquid_temperature"},
    {"id": "orp", "driver": "ezo_orp", "address": 0x62, "deadband": 1.0},
    {"id": "ec", "driver": "ezo_ec", "address": 0x64, "deadband": "0.5%",
     "outputs": ["conductivity", "tds", "salinity", "specific_gravity"],
     "temperature_from": "liquid_temperature"},
    {"id": "liquid_temperature", "driver": "ezo_rtd", "address": 0x66, "deadband": 0.05,
     "name": "Liquid temperature"},
    {"id": "air", "driver": "bme280", "address": 0x76, "name": "Air",
     "measurements": {"temperature": {"deadband": 0.1}, "humidity": {"deadband": 0.5},
                      "pressure": {"deadband": 0.2}}},
    {"id": "enclosure", "driver": "sht3x", "address": 0x44, "name": "Enclosure", "deadband": 0.2},
    {"id": "cabinet", "driver": "sht4x", "address": 0x45, "name": "Cabinet", "deadband": 0.2},
    {"id": "vessel_pressure", "driver": "ads1115", "address": 0x48, "channel": 0,
     "name": "Vessel pressure", "points": [[0.5, 0.0], [4.5, 2.0]], "unit": "bar",
     "device_class": "pressure", "kind": "pressure", "deadband": 0.005},
    {"id": "level", "driver": "ads1115", "address": 0x48, "channel": 1, "name": "Level",
     "points": [[0.0, 0.0], [2.0, 100.0]], "unit": "%", "kind": "level", "deadband": 0.5},
    {"id": "jacket_temperature", "driver": "ds18b20", "address": DS18B20_ID,
     "name": "Jacket temperature", "deadband": 0.1},
]  # fmt: skip
BOARD_OUTPUTS: list[dict[str, Any]] = [
    {"id": "heater", "kind": "switch", "pin": 17},
    {"id": "stirrer", "kind": "pwm", "pwm_channel": 0, "initial": 30},
    {"id": "temperature_setpoint", "kind": "setpoint", "min": 20, "max": 45, "step": 0.1,
     "unit": "°C", "device_class": "temperature", "initial": 37},
]  # fmt: skip


def board_config(time_scale: float = 1.0, seed: int = 0, **overrides: Any) -> dict[str, Any]:
    """A complete `reactor:` section for the simulated board."""
    return {
        "backend": "sim",
        "sim": {"time_scale": time_scale, "seed": seed},
        "sensors": [dict(s) for s in BOARD_SENSORS],
        "outputs": [dict(o) for o in BOARD_OUTPUTS],
        **overrides,
    }
