"""Atlas Scientific EZO-DO dissolved oxygen circuit (default I2C address 0x61).

Reading: "R" -> mg/L and/or % saturation as enabled ("O,?" -> "?O,MG,%"), e.g. "8.48,94.3";
600 ms. Temperature compensation: "T,n" (°C). Calibration (no reference value): "Cal" with
the probe in air (our `high`: 100 % saturation), "Cal,0" in zero-oxygen solution (our
`low`), "Cal,clear"; "Cal,?" -> "?CAL,0..2"; "Cal" takes 1.3 s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from edge_agent.backends.i2c import I2CDevice
from edge_agent.schema import ConfigError, get

from .base import Measurement, SensorDataError
from .ezo import EzoDriver, ezo_command, parse_query

PARAMETERS: Final = {
    "mg": (
        "MG",
        Measurement("dissolved_oxygen", "dissolved_oxygen", "Dissolved oxygen", "mg/L", None, 2),
    ),
    "percent": (
        "%",
        Measurement("saturation", "oxygen_saturation", "Oxygen saturation", "%", None, 1),
    ),
}
CALIBRATION_COMMANDS: Final = {"high": "Cal", "low": "Cal,0", "clear": "Cal,clear"}


class EzoDo(EzoDriver):
    name = "ezo_do"
    title = "Atlas Scientific EZO-DO"
    addresses = (0x61,)
    type_codes = ("DO",)
    read_seconds = 0.6
    cal_seconds = 1.3
    calibration = ("high", "low", "clear")
    uses_temperature = True
    option_keys = ("outputs",)

    @classmethod
    def parse_options(cls, section: Mapping[str, Any], path: str) -> dict[str, Any]:
        outputs = get(section, "outputs", list, path, ["mg"])
        if not outputs or any(name not in PARAMETERS for name in outputs):
            raise ConfigError(f"{path}.outputs", "must list mg and/or percent")
        return {"outputs": outputs}

    @property
    def _enabled(self) -> list[str]:
        wanted = self.options.get("outputs") or ["mg"]
        return [name for name in PARAMETERS if name in wanted]

    @property
    def measurements(self) -> tuple[Measurement, ...]:
        return tuple(PARAMETERS[name][1] for name in self._enabled)

    async def setup(self, dev: I2CDevice) -> None:
        await super().setup(dev)
        have = {code.upper() for code in parse_query(await ezo_command(dev, "O,?"), "O")}
        for name, (code, _) in PARAMETERS.items():
            want = name in self._enabled
            if want != (code in have):
                await ezo_command(dev, f"O,{code},{1 if want else 0}")

    def convert(self, values: Sequence[float]) -> dict[str, float]:
        names = self._enabled
        if len(values) != len(names):
            raise SensorDataError(f"expected {len(names)} DO values, got {len(values)}")
        out = {PARAMETERS[name][1].key: value for name, value in zip(names, values, strict=True)}
        if any(value < 0 for value in out.values()):
            raise SensorDataError(f"negative dissolved oxygen {values}")
        return out

    def _needs_value(self, action: str) -> bool:
        return False

    def calibration_command(self, action: str, value: float | None) -> str:
        return CALIBRATION_COMMANDS[action]


DRIVER = EzoDo
