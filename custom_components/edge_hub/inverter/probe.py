"""Probing a Modbus TCP address for a supported inverter (config and reconfigure flows).

A bare-socket ping first tells "nothing listens" (cannot_connect) from "nothing answers"
(timeout) from "something that is not a Modbus device" (unsupported_device); then the
profiles are tried through pymodbus (edge_hub_core.inverter_profiles.detect): SunSpec,
Huawei, Sungrow, each accepted only with a plausible serial number and, when detected
rather than chosen, a grid frequency of 45-65 Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..edge_hub_core.inverter_profiles import NotDetectedError, detect
from ..edge_hub_core.modbus_map import PROFILES
from ..edge_hub_core.modbus_poll import NoResponseError
from .const import PROBE_TIMEOUT
from .link import ModbusLink


class ProbeError(Exception):
    """Probing failed; `reason` is the config flow's error key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ProbeResult:
    profile: str
    serial: str
    model: str
    manufacturer: str
    sw_version: str | None = None


async def async_probe(
    host: str,
    port: int,
    unit_id: int,
    profile: str | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> ProbeResult:
    """Identify the inverter at host:port; ProbeError(cannot_connect|timeout|unsupported_device).

    `profile` None auto-detects (with the sanity check); a profile name only checks that one.
    """
    profiles = PROFILES if profile is None else (profile,)
    link = ModbusLink(host, port, unit_id, timeout=timeout)
    try:
        try:
            # SunSpec's marker address is as good a question as any: any answer will do
            await link.async_ping(3, 40000)
        except NoResponseError as err:
            raise ProbeError(
                "unsupported_device" if err.reason == "no_answer" else err.reason
            ) from err
        try:
            found = await detect(link.async_read, profiles, check_sanity=profile is None)
        except NoResponseError as err:
            raise ProbeError("timeout") from err
        except NotDetectedError as err:
            raise ProbeError("unsupported_device") from err
    finally:
        link.close()
    identity = found.identity
    return ProbeResult(
        profile=identity.profile,
        serial=identity.serial,
        model=identity.model,
        manufacturer=identity.manufacturer,
        sw_version=identity.sw_version,
    )
