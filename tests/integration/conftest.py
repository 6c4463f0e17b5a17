"""Fixtures for the Home Assistant side (pytest-homeassistant-custom-component)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let the test instance load custom_components/edge_hub."""
