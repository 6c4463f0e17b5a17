"""A small strict schema checker for the agent's YAML config (no extra dependencies).

Every error names the key path (e.g. `reactor.sensors[2].address`) and says what is wrong;
the CLI adds the file name and, where known, the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

_T = TypeVar("_T")
_MISSING: Any = object()


class ConfigError(Exception):
    """One problem in the config file."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    """`value` as a mapping (an empty section counts as {})."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be a mapping, got {type(value).__name__}")
    return value


def only_keys(section: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    """Reject unknown keys (typos must not be silently ignored)."""
    allowed = set(allowed)
    for key in section:
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            raise ConfigError(_join(path, str(key)), f"unknown key (allowed: {hint})")


def get(
    section: Mapping[str, Any],
    key: str,
    kind: type[_T],
    path: str,
    default: Any = _MISSING,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: Iterable[Any] | None = None,
) -> _T:
    """section[key] checked for type, range and choices; `default` when absent."""
    where = _join(path, key)
    if key not in section or section[key] is None:
        if default is _MISSING:
            raise ConfigError(where, "is required")
        result: _T = default
        return result
    value = section[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(where, f"must be {_NAMES.get(kind, kind.__name__)}, got {value!r}")
    if minimum is not None and value < minimum:  # type: ignore[operator]
        raise ConfigError(where, f"must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:  # type: ignore[operator]
        raise ConfigError(where, f"must be at most {maximum}, got {value!r}")
    if choices is not None and value not in (options := list(choices)):
        raise ConfigError(where, f"must be one of {', '.join(map(str, options))}, got {value!r}")
    return value


def items(section: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
    """The entries of a list under `key` with their paths (`key[0]`, `key[1]`...)."""
    value = section.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(_join(path, key), f"must be a list, got {type(value).__name__}")
    return [(f"{_join(path, key)}[{index}]", item) for index, item in enumerate(value)]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
