"""How Home Assistant shows each kind of inverter value (the register map's `entity` keys).

The register map says which value feeds which entity and in which unit; this table says
how it looks. Enabled by default are the values an Energy dashboard and a status card
need - power, energy, battery charge, grid exchange, alarms, state; the rest (what
huawei_solar and the Sungrow YAML also offer: line voltages, efficiency, insulation, battery
voltage...) is there, disabled until a user wants it. Translation keys carry the
`inverter_` prefix: entity.sensor.* in strings.json is shared with the other device kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy

#: normalised operating states (every map's "states" table maps onto these)
OPERATING_STATES = [
    "off",
    "sleeping",
    "starting",
    "producing",
    "throttled",
    "shutting_down",
    "fault",
    "standby",
]
#: states of a battery pack (Huawei LUNA2000 running status)
BATTERY_STATES = ["offline", "standby", "running", "fault", "sleeping"]


@dataclass(frozen=True, kw_only=True)
class InverterSensorDescription(SensorEntityDescription):
    """How one kind of inverter value is shown."""

    #: name of the translation placeholder filled with the value's index (MPPT 1, phase A)
    placeholder: str | None = None
    #: an energy counter: restored with its guard across restarts
    counter: bool = False
    #: a count of active flags (alarms): their names are the state attribute "active"
    flags: bool = False


def translation_key(key: str) -> str:
    """Inverter translation keys carry the kind's prefix (a reactor's "temperature" is not
    an inverter's)."""
    return key if key.startswith("inverter_") else f"inverter_{key}"


def _sensor(key: str, **kw: Any) -> InverterSensorDescription:
    return InverterSensorDescription(key=key, translation_key=translation_key(key), **kw)


def _measurement(
    key: str, device_class: SensorDeviceClass | None, precision: int, **kw: Any
) -> InverterSensorDescription:
    return _sensor(
        key,
        device_class=device_class,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=precision,
        **kw,
    )


def _power(key: str, **kw: Any) -> InverterSensorDescription:
    return _measurement(key, SensorDeviceClass.POWER, 0, **kw)


def _energy(key: str) -> InverterSensorDescription:
    # the Energy dashboard's counters: total_increasing, and guarded so that a zero or a
    # drop never reaches HA's statistics
    return _sensor(
        key,
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        counter=True,
    )


_OFF: Any = {"entity_registry_enabled_default": False}
_DIAGNOSTIC: Any = {"entity_category": EntityCategory.DIAGNOSTIC}
_VOLTAGE, _CURRENT = SensorDeviceClass.VOLTAGE, SensorDeviceClass.CURRENT

DESCRIPTIONS: Mapping[str, InverterSensorDescription] = {
    d.key: d
    for d in (
        # production
        _power("ac_power"),
        _power("dc_power"),
        _power("mppt_power", placeholder="mppt"),
        _measurement("pv_voltage", _VOLTAGE, 1, placeholder="mppt", **_DIAGNOSTIC),
        _measurement("pv_current", _CURRENT, 2, placeholder="mppt", **_DIAGNOSTIC),
        _power("peak_power_today", **_OFF),
        _measurement("efficiency", None, 1, native_unit_of_measurement=PERCENTAGE, **_OFF),
        _energy("energy_total"),
        _energy("energy_today"),
        # grid side
        _measurement("grid_frequency", SensorDeviceClass.FREQUENCY, 2),
        _measurement("phase_voltage", _VOLTAGE, 1, placeholder="phase"),
        _measurement("phase_current", _CURRENT, 2, placeholder="phase"),
        _measurement("line_voltage", _VOLTAGE, 1, placeholder="line", **_OFF),
        _measurement("reactive_power", SensorDeviceClass.REACTIVE_POWER, 0, **_DIAGNOSTIC),
        _measurement("power_factor", SensorDeviceClass.POWER_FACTOR, 2, **_DIAGNOSTIC),
        _power("grid_export_power"),
        _power("load_power"),
        _energy("grid_imported_total"),
        _energy("grid_exported_total"),
        _energy("grid_imported_today"),
        _energy("grid_exported_today"),
        # the inverter itself
        _measurement("inverter_temperature", SensorDeviceClass.TEMPERATURE, 1),
        _sensor("operating_state", device_class=SensorDeviceClass.ENUM, options=OPERATING_STATES),
        _sensor("alarms", flags=True, **_DIAGNOSTIC),
        _sensor("fault_code", **_DIAGNOSTIC, **_OFF),
        _measurement("insulation_resistance", None, 3, **_DIAGNOSTIC, **_OFF),
        _sensor("startup_time", device_class=SensorDeviceClass.TIMESTAMP, **_DIAGNOSTIC, **_OFF),
        _sensor("shutdown_time", device_class=SensorDeviceClass.TIMESTAMP, **_DIAGNOSTIC, **_OFF),
        # battery
        _measurement(
            "battery_soc", SensorDeviceClass.BATTERY, 0, native_unit_of_measurement=PERCENTAGE
        ),
        _power("battery_power"),
        _energy("battery_charged_total"),
        _energy("battery_discharged_total"),
        _energy("battery_charged_today"),
        _energy("battery_discharged_today"),
        _sensor(
            "battery_status",
            device_class=SensorDeviceClass.ENUM,
            options=BATTERY_STATES,
            **_DIAGNOSTIC,
            **_OFF,
        ),
        _measurement("battery_voltage", _VOLTAGE, 1, **_OFF),
        _measurement("battery_current", _CURRENT, 1, **_OFF),
        _measurement("battery_temperature", SensorDeviceClass.TEMPERATURE, 1, **_OFF),
        _measurement(
            "battery_health", None, 0, native_unit_of_measurement=PERCENTAGE, **_DIAGNOSTIC, **_OFF
        ),
        _measurement(
            "battery_capacity",
            SensorDeviceClass.ENERGY_STORAGE,
            1,
            suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            **_DIAGNOSTIC,
            **_OFF,
        ),
    )
}
