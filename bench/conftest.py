"""Fixtures shared by the benchmarks that run inside the HA test harness (*_legs.py, goals)."""

from __future__ import annotations

from collections.abc import Iterator
import logging

from homeassistant.core import HomeAssistant
import pytest

from tests.broker import Broker, running_broker


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let the harness load custom_components/edge_hub."""


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[Broker]:
    """A real mosquitto on a free loopback port."""
    with running_broker() as running:
        yield running


def production_like(hass: HomeAssistant) -> None:
    """HA as in production: the harness's asyncio debug mode alone doubles every cost."""
    hass.loop.set_debug(False)
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("homeassistant", "custom_components", "pytest_homeassistant_custom_component"):
        logging.getLogger(name).setLevel(logging.WARNING)
