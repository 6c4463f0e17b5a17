"""What demo/dashboard.yaml shows: its markdown templates (checked by HA itself in --check, so
a template error never hides in a card) and the entities its cards name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# card keys naming one entity, or a list of entities (strings or {entity: ...})
_ONE = ("entity",)
_MANY = ("entities",)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def cards(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every card of every view and section, nested stacks included."""

    def walk(items: list[Any]) -> Iterator[dict[str, Any]]:
        for card in items or []:
            if isinstance(card, dict):
                yield card
                yield from walk(card.get("cards", []))
                if isinstance(card.get("card"), dict):
                    yield from walk([card["card"]])

    for view in dashboard.get("views", []):
        yield from walk(view.get("cards", []))
        for section in view.get("sections", []):
            yield from walk(section.get("cards", []))


def templates(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(a name for the card, its template) of every markdown card."""
    found = []
    for card in cards(dashboard):
        if card.get("type") == "markdown" and "content" in card:
            name = card.get("title") or card["content"].strip().splitlines()[0][:60]
            found.append((name, card["content"]))
    return found


def entities(dashboard: dict[str, Any]) -> set[str]:
    """The entity ids the dashboard's cards name (markdown templates aside)."""
    found: set[str] = set()
    for card in cards(dashboard):
        for key in _ONE:
            if isinstance(card.get(key), str):
                found.add(card[key])
        for key in _MANY:
            for item in card.get(key) or []:
                if isinstance(item, str):
                    found.add(item)
                elif isinstance(item, dict) and isinstance(item.get("entity"), str):
                    found.add(item["entity"])
    return found
