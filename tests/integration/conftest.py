"""Fixtures for the Home Assistant side (pytest-homeassistant-custom-component)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.broker import Broker, running_broker


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let the test instance load custom_components/edge_hub."""


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[Broker]:
    """A real mosquitto on a free loopback port (sockets enabled for the test)."""
    with running_broker() as running:
        yield running
