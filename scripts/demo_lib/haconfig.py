"""Home Assistant's config folder for the demo (.demo/config, git-ignored).

configuration.yaml is rendered from demo/configuration.yaml on every run (so a change in the
repo takes effect at the next start); the integration and the dashboard are symbolic links
into the repo (relative, so they resolve on the host and inside the private Debian root alike),
so editing them needs no copy: the dashboard is re-read when the browser reloads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .settings import Settings

# Since 2026.11 HA keeps its HTTP settings in its own storage: YAML is read once, on the first
# start, and applied as a "pending" config that HA reverts after 5 minutes (to its default:
# every interface) unless it is confirmed; the demo confirms it over the WebSocket API
# (__main__.Demo.secure_http). On later starts YAML is ignored, so it is written only once.
HTTP_YAML = """
http:
  server_host: $host
  server_port: $ha_port
"""


def _stored_http(config: Path) -> dict[str, Any]:
    try:
        stored: dict[str, Any] = json.loads((config / ".storage" / "http").read_text())
    except (OSError, ValueError):
        return {}
    data: dict[str, Any] = stored.get("data") or {}
    return data


def http_migrated(config: Path) -> bool:
    """Whether HA has already taken the HTTP settings into its storage."""
    return bool(_stored_http(config).get("yaml_migration_done"))


def stored_http_address(config: Path) -> tuple[list[str] | None, int | None] | None:
    """(hosts, port) HA will listen on at its next start, once it has taken them in."""
    data = _stored_http(config)
    if not data.get("yaml_migration_done"):
        return None
    pending = data.get("pending")
    active = pending if pending and pending.get("error") is None else data.get("stable") or {}
    return active.get("server_host"), active.get("server_port")


def _link(link: Path, target: Path) -> None:
    rel = os.path.relpath(target, link.parent)
    if link.is_symlink() and os.readlink(link) == rel:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(rel)


def write(settings: Settings) -> bool:
    """Write the config folder; returns whether this is a fresh one (never started)."""
    config = settings.config
    fresh = not (config / ".storage").exists()
    config.mkdir(parents=True, exist_ok=True)
    template = (settings.repo / "demo" / "configuration.yaml").read_text()
    rendered = settings.render(template)
    if not http_migrated(config):
        rendered += settings.render(HTTP_YAML)
    (config / "configuration.yaml").write_text(rendered)
    _link(
        config / "custom_components" / "edge_hub", settings.repo / "custom_components" / "edge_hub"
    )
    _link(config / "dashboard.yaml", settings.repo / "demo" / "dashboard.yaml")
    if fresh:
        _seed_onboarding(config)
    return fresh


def _seed_onboarding(config: Path) -> None:
    """Mark onboarding's core_config step done before the first start; the demo completes
    the other steps (user, analytics, integration) over HTTP.

    Why: besides marking itself done, that step's only effect is to start config flows for
    met, google_translate, radio_browser and shopping_list. Their entries reach out to the
    internet (radio_browser at once), which a loopback-only demo must not do, and their
    requirements are not installed (hass runs with --skip-pip), so they would only put
    errors in the log. Location, units and time zone come from configuration.yaml.
    """
    from homeassistant.components import onboarding  # noqa: PLC0415 - only on a fresh config
    from homeassistant.components.onboarding.const import STEP_CORE_CONFIG  # noqa: PLC0415

    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / onboarding.STORAGE_KEY).write_text(
        json.dumps(
            {
                "version": onboarding.STORAGE_VERSION,
                "minor_version": 1,
                "key": onboarding.STORAGE_KEY,
                "data": {"done": [STEP_CORE_CONFIG]},
            },
            indent=2,
        )
    )
