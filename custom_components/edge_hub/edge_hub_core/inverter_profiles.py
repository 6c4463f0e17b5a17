"""Which inverter answers at an address: resolving a profile's map and auto-detecting it.

Auto-detection tries SunSpec ("SunS" at 40000, 0, 50000), then Huawei, then Sungrow, and
accepts a profile only when its identity reads as a plausible serial number and a sanity
value (the grid frequency, 45-65 Hz) is inside its range: a device answering garbage, or
another vendor's registers that happen to exist, is not taken for an inverter. A profile
the user picks is accepted without the sanity check (an inverter set up at night reads no
grid frequency), but still needs a readable serial number: it is the entry's unique ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import re

from .modbus_map import PROFILES, RegisterMap, Value, load_map, repeats_of
from .modbus_poll import BadResponseError, ModbusExceptionError, Poller, ReadFn
from .sunspec import Chain, NotSunSpecError, SunSpecTemplate, discover

_SERIAL = re.compile(r"^[\x21-\x7e][\x20-\x7e]{2,62}[\x21-\x7e]$")


class NotDetectedError(Exception):
    """No profile matched the device."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who the inverter says it is."""

    profile: str
    serial: str
    manufacturer: str
    model: str
    sw_version: str | None


@dataclass(frozen=True)
class Detected:
    """A profile that matched, with the device's resolved map and identity."""

    regmap: RegisterMap
    identity: DeviceIdentity
    chain: Chain | None
    values: dict[str, Value]


async def resolve_map(profile: str, read: ReadFn) -> tuple[RegisterMap, Chain | None]:
    """The register map of `profile` for the device behind `read`.

    SunSpec: the device's model chain. A map with repeated groups (Huawei's PV strings):
    as many groups as the device's count registers say (their default if unreadable).
    """
    if profile == "sunspec":
        chain = await discover(read)
        return SunSpecTemplate().resolve(chain), chain
    regmap = load_map(profile)
    repeats = repeats_of(profile)
    if not repeats:
        return regmap, None
    counts = await Poller(regmap, read, busy_delay=0.2).read({r.count_key for r in repeats})
    return load_map(profile, counts), None


def identity_of(regmap: RegisterMap, values: dict[str, Value]) -> DeviceIdentity | None:
    """The identity read into `values`, or None if it is not plausible."""
    keys = regmap.identity
    serial = values.get(keys.serial)
    if not isinstance(serial, str) or not _SERIAL.match(serial):
        return None
    model = values.get(keys.model) if keys.model else None
    if keys.model_prefix is not None and not (
        isinstance(model, str) and model.startswith(keys.model_prefix)
    ):
        return None
    manufacturer = values.get(keys.manufacturer) if keys.manufacturer else None
    version = values.get(keys.sw_version) if keys.sw_version else None
    return DeviceIdentity(
        profile=regmap.profile,
        serial=serial,
        manufacturer=str(manufacturer or keys.manufacturer_name or regmap.profile),
        model=str(model or regmap.profile),
        sw_version=str(version) if version else None,
    )


async def identify(
    regmap: RegisterMap, read: ReadFn
) -> tuple[DeviceIdentity | None, dict[str, Value]]:
    """Read the identity, the sanity value and the static points of `regmap`."""
    keys = {*regmap.identity.keys(), regmap.sanity.key, *regmap.tier_keys(["static"])}
    values = await Poller(regmap, read, busy_delay=0.2).read(keys & set(regmap.by_key))
    return identity_of(regmap, values), values


async def detect(
    read: ReadFn,
    profiles: Sequence[str] = PROFILES,
    *,
    check_sanity: bool = True,
) -> Detected:
    """The first of `profiles` the device behind `read` matches (NotDetectedError if none).

    NoResponseError propagates (the device does not answer at all): that is not "unsupported".
    """
    for profile in profiles:
        try:
            regmap, chain = await resolve_map(profile, read)
            identity, values = await identify(regmap, read)
        except (NotSunSpecError, ModbusExceptionError, BadResponseError):
            continue
        if identity is None:
            continue
        if check_sanity and not regmap.sanity.passes(values.get(regmap.sanity.key)):
            continue
        return Detected(regmap, identity, chain, values)
    raise NotDetectedError(f"no profile of {', '.join(profiles)} matches")
