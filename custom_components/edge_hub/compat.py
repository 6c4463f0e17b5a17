"""What differs between the Home Assistant versions Edge Hub supports (2026.2 → newest)."""

from __future__ import annotations

try:
    # Home Assistant moved its schemas from voluptuous to probatio (same API) in 2026;
    # data_entry_flow catches probatio.Invalid there, so flows must build probatio schemas
    import probatio as vol
except ImportError:  # pragma: no cover - Home Assistant 2026.2 and older
    import voluptuous as vol  # type: ignore[no-redef]

try:
    # Home Assistant 2026.10 moved the binary sensor device classes into their const module
    from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
except ImportError:  # pragma: no cover - Home Assistant 2026.2
    from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
        BinarySensorDeviceClass,
    )

__all__ = ["BinarySensorDeviceClass", "vol"]
