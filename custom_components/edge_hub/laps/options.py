"""Options flow steps of the lap counter: the driver and car name of each car."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from ..compat import vol
from .const import CONF_CAR_NAME, CONF_DRIVER, LAPS_FEATURES, OPT_CARS

CONF_CAR = "car"


class LapsOptionsSteps(OptionsFlow):
    """Mixin of the edge-agent options flow: menu entry `car_names`."""

    _car: str | None = None

    def _laps_menu(self) -> list[str]:
        """This feature's menu entries (the agent's menu lists them when they apply)."""
        return ["car_names"] if self._known_cars() else []

    def _known_cars(self) -> list[tuple[str, str]]:
        """(car, shown name) of every car: from the running lap counter, else the options."""
        feature = self.hass.data.get(LAPS_FEATURES, {}).get(self.config_entry.entry_id)
        if feature is not None:
            return [(car, feature.car_name(car) or car) for car in feature.car_ids()]
        return [(car, car) for car in self.config_entry.options.get(OPT_CARS, {})]

    async def async_step_car_names(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the car to name."""
        cars = self._known_cars()
        if user_input is not None:
            self._car = user_input[CONF_CAR]
            return await self.async_step_car_name()
        options = [SelectOptionDict(value=car, label=f"{car}: {name}") for car, name in cars]
        return self.async_show_form(
            step_id="car_names",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_CAR): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

    async def async_step_car_name(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The driver and the car of one car ID."""
        assert self._car is not None
        cars: dict[str, dict[str, str]] = dict(self.config_entry.options.get(OPT_CARS, {}))
        if user_input is not None:
            names = {
                key: user_input[key].strip()
                for key in (CONF_DRIVER, CONF_CAR_NAME)
                if user_input.get(key, "").strip()
            }
            if names:
                cars[self._car] = names
            else:
                cars.pop(self._car, None)  # both cleared: back to the agent's name
            return self.async_create_entry(data={**self.config_entry.options, OPT_CARS: cars})
        current = cars.get(self._car, {})
        return self.async_show_form(
            step_id="car_name",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Optional(CONF_DRIVER): TextSelector(),
                        vol.Optional(CONF_CAR_NAME): TextSelector(),
                    }
                ),
                current,
            ),
            description_placeholders={"car": self._car},
        )
