"""Fixtures shared by the benchmarks that run inside the HA test harness (*_legs.py, goals)."""

from __future__ import annotations

from collections.abc import Iterator
import logging
import os
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import json as json_helper
from homeassistant.helpers.storage import Store
from homeassistant.util.file import write_utf8_file, write_utf8_file_atomic
import pytest

from tests.broker import Broker, running_broker


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let the harness load custom_components/edge_hub."""


@pytest.fixture(autouse=True)
def _real_storage(hass_storage: dict[str, Any], tmp_path: Path) -> Iterator[None]:
    """Stores write files as in production (JSON encoded in an executor thread, atomic
    write), into a temporary directory. The harness's in-memory storage is not what users
    run: it walks every saved object looking for mocks and records every call in its mock,
    which made one state save cost about 1 ms. (Depends on `hass_storage` so that its
    patch is in place first and this one replaces it.)"""
    storage = tmp_path / "storage"

    def write(store: Store[Any], data: dict[str, Any]) -> None:
        if "data_func" in data:
            data["data"] = data.pop("data_func")()
        mode, json_data = json_helper.prepare_save_json(data, encoder=store._encoder)
        os.makedirs(storage, exist_ok=True)
        method = write_utf8_file_atomic if store._atomic_writes else write_utf8_file
        method(str(storage / store.key), json_data, store._private, mode=mode)

    async def async_write(store: Store[Any], data: dict[str, Any]) -> None:
        await store.hass.async_add_executor_job(write, store, data)

    with patch.object(Store, "_async_write_data", async_write):
        yield


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
