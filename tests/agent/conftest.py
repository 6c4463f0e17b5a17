"""Fixtures for the edge-agent tests (plain pytest on Python 3.11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.broker import Broker, running_broker


@pytest.fixture
def broker() -> Iterator[Broker]:
    """A real mosquitto on a free loopback port."""
    with running_broker() as running:
        yield running
