"""Home Assistant's own set-up, done through its APIs as a person would in the UI: onboarding
(or logging in), confirming its HTTP settings, dismissing notices that are not about the demo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import DemoError, say
from .ha import HomeAssistant
from .settings import HOST, PASSWORD, USER_NAME, USERNAME

# repair issues that say nothing about the demo, dismissed as a user would
EXPECTED_ISSUES = (
    # the notice that the first start took the http: YAML in (done with: see secure_http)
    ("http", "deprecated_yaml"),
    # hass run from a Python environment is the "Core" installation method, which HA has
    # deprecated for homes; it is exactly what a development demo is
    ("homeassistant", "deprecated_method"),
)


async def login(ha: HomeAssistant, ha_port: int, fresh: bool, elapsed: Callable[[], str]) -> None:
    """Until HA runs, onboarded, with the demo logged in as its owner."""
    await ha.wait_http(600 if fresh else 180)
    say(f"Home Assistant answers on {ha.url} ({elapsed()})")
    steps = await ha.onboarding_steps()
    if steps is not None and not steps.get("user", True):
        await ha.onboard_user(USER_NAME, USERNAME, PASSWORD)
        say(f"onboarding: created the owner account {USERNAME!r}")
    else:
        await ha.login(USERNAME, PASSWORD)
    if steps is not None:
        # core_config was marked done before the first start (see haconfig._seed_onboarding)
        for step in ("core_config", "analytics", "integration"):
            if not steps.get(step, True):
                await ha.onboard_step(step)
        say("onboarding: done")
    await secure_http(ha, ha_port)
    config = await ha.wait_running(300)
    await dismiss_expected_issues(ha)
    say(f"Home Assistant {config['version']} running ({elapsed()})")


async def secure_http(ha: HomeAssistant, ha_port: int) -> None:
    """Confirm the HTTP settings HA took from YAML on its first start (else it reverts to
    listening on every interface after 5 minutes), and check it listens on loopback only."""
    http = await ha.ws_call("http/config")
    pending = http.get("pending")
    if pending and pending.get("error") is None:
        await ha.ws_call("http/config/promote")
        http = await ha.ws_call("http/config")
        say(f"HTTP settings confirmed: listening on {HOST} only")
    stable = http["stable"]
    if stable.get("server_host") != [HOST] or stable.get("server_port") != ha_port:
        raise DemoError(
            f"HA's stored HTTP settings are {stable.get('server_host')}:"
            f"{stable.get('server_port')}, not {HOST}:{ha_port} "
            "(the port changed since the first start? ./scripts/demo --reset starts afresh)"
        )


async def dismiss_expected_issues(ha: HomeAssistant) -> None:
    for issue in await repair_issues(ha):
        key = (issue["domain"], issue["issue_id"])
        if key in EXPECTED_ISSUES:
            domain, issue_id = key
            await ha.ws_call("repairs/ignore_issue", domain=domain, issue_id=issue_id, ignore=True)


async def repair_issues(ha: HomeAssistant) -> list[dict[str, Any]]:
    """The repair issues HA shows (Settings → Repairs), ignored ones left out."""
    listed = await ha.ws_call("repairs/list_issues")
    return [i for i in listed.get("issues", []) if not i.get("ignored")]
