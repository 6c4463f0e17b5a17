"""What differs between the Home Assistant versions Edge Hub supports (2026.2 → newest)."""

from __future__ import annotations

try:
    # Home Assistant moved its schemas from voluptuous to probatio (same API) in 2026;
    # data_entry_flow catches probatio.Invalid there, so flows must build probatio schemas
    import probatio as vol
except ImportError:  # pragma: no cover - Home Assistant 2026.2 and older
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]
