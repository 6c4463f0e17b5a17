"""Atlas Scientific EZO-EC conductivity circuit (default I2C address 0x64).

Reading: "R" -> the enabled parameters in this order: EC (μS/cm, with the Greek mu Home
Assistant uses), TDS (ppm), S (salinity, PSU), SG (specific gravity), e.g.
"1413,763,0.71,1.000"; 600 ms. "O,?" -> "?O,EC,TDS,S,SG"
lists the enabled ones, "O,TDS,1" enables one. Temperature compensation: "T,n" (°C).
Calibration: "Cal,dry" first, then one point "Cal,n" (our `mid`) or two points
"Cal,low,n" + "Cal,high,n"; "Cal,clear"; "Cal,?" -> "?CAL,0..2".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from edge_agent.backends.i2c import I2CDevice
from edge_agent.schema import ConfigError, get

from .base import Measurement, SensorDataError
from .ezo import EzoDriver, ezo_command, format_value, parse_query

# config name -> (EZO parameter code, measurement) in the order the EZO sends them
PARAMETERS: Final = {
    "conductivity": (
        "EC",
        Measurement(
            "conductivity", "conductivity", "Conductivity", "\u03bcS/cm", "conductivity", 0
        ),
    ),
    "tds": ("TDS", Measurement("tds", "tds", "Total dissolved solids", "ppm", None, 0)),
    "salinity": ("S", Measurement("salinity", "salinity", "Salinity", "PSU", None, 2)),
    "specific_gravity": (
        "SG",
        Measurement("specific_gravity", "specific_gravity", "Specific gravity", None, None, 3),
    ),
}
EC_RANGE = (0.07, 500_000.0)


def enabled_codes(answer: str) -> list[str]:
    """The parameter codes of an "O,?" answer ("?O,EC,TDS" -> ["EC", "TDS"])."""
    return [code.upper() for code in parse_query(answer, "O") if code.upper() != "NO OUTPUT"]


class EzoEc(EzoDriver):
    name = "ezo_ec"
    title = "Atlas Scientific EZO-EC"
    addresses = (0x64,)
    type_codes = ("EC",)
    read_seconds = 0.6
    cal_seconds = 0.6
    cal_range = EC_RANGE
    calibration = ("dry", "mid", "low", "high", "clear")
    uses_temperature = True
    option_keys = ("outputs",)

    @classmethod
    def parse_options(cls, section: Mapping[str, Any], path: str) -> dict[str, Any]:
        outputs = get(section, "outputs", list, path, ["conductivity"])
        for name in outputs:
            if name not in PARAMETERS:
                raise ConfigError(
                    f"{path}.outputs", f"unknown {name!r} (one of {', '.join(PARAMETERS)})"
                )
        if not outputs:
            raise ConfigError(f"{path}.outputs", "needs at least one parameter")
        return {"outputs": outputs}

    @property
    def _enabled(self) -> list[str]:
        wanted = self.options.get("outputs") or ["conductivity"]
        return [name for name in PARAMETERS if name in wanted]

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return tuple(PARAMETERS[name][1] for name in self._enabled)

    async def setup(self, dev: I2CDevice) -> None:
        await super().setup(dev)
        have = set(enabled_codes(await ezo_command(dev, "O,?")))
        want = {PARAMETERS[name][0] for name in self._enabled}
        # only what differs: each "O" command is a write to the circuit's EEPROM
        for code, _ in PARAMETERS.values():
            if (code in want) != (code in have):
                await ezo_command(dev, f"O,{code},{1 if code in want else 0}")

    def convert(self, values: Sequence[float]) -> dict[str, float]:
        names = self._enabled
        if len(values) != len(names):
            raise SensorDataError(f"expected {len(names)} EC values, got {len(values)}")
        out = dict(zip(names, values, strict=True))
        if "conductivity" in out and out["conductivity"] < 0:
            raise SensorDataError(f"negative conductivity {out['conductivity']}")
        return out

    def _needs_value(self, action: str) -> bool:
        return action != "dry"

    def calibration_command(self, action: str, value: float | None) -> str:
        if action in ("clear", "dry"):
            return f"Cal,{action}"
        assert value is not None
        if action == "mid":
            return f"Cal,{format_value(value)}"
        return f"Cal,{action},{format_value(value)}"


DRIVER = EzoEc
