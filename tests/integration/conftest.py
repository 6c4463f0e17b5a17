"""Fixtures for the Home Assistant side (pytest-homeassistant-custom-component)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# HA's loader finds custom integrations through the `custom_components` package already
# imported; importing ours here makes a test file that never imports it work on its own
import custom_components.edge_hub  # noqa: F401
from tests.broker import Broker, running_broker


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let the test instance load custom_components/edge_hub."""


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[Broker]:
    """A real mosquitto on a free loopback port (sockets enabled for the test)."""
    with running_broker() as running:
        yield running


@pytest.fixture(autouse=True)
def no_deprecated_usage_reports(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail when HA reports that edge_hub uses something deprecated (frame.report_usage).

    HA logs 'Detected that custom integration 'edge_hub' ...' when a custom integration calls
    an API that is deprecated or will stop working; we want to hear of it from CI, not users.
    """
    yield
    reports = [
        r.getMessage()
        for r in caplog.records
        if "custom integration 'edge_hub'" in r.getMessage() and "Detected" in r.getMessage()
    ]
    assert not reports, f"Home Assistant reported deprecated usage: {reports}"
