"""What goal sensors and tables tell each other (dispatcher signals, one pair per address).

A goal sensor entry and a table entry load in any order. The sensor announces its state
(`goal_update`) when it starts and whenever its count changes; a table asks for that state
and sends the sensor the game mode and new games (`table_command`).
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.util.signal_type import SignalType


@dataclass(frozen=True, slots=True)
class GoalUpdate:
    """A goal sensor's count, sent to the tables it belongs to."""

    address: str
    total: int
    game: int  # goals since the current game started: a table's score for that side
    added: int = 0  # goals counted by the beacon that caused this update
    goal_ts: float | None = None
    ready: bool = False  # the sensor (re)started: tables send it their game mode
    game_id: str | None = None  # the table game `game` counts for (None: the sensor's own)


@dataclass(frozen=True, slots=True)
class TableCommand:
    """What a table asks of one of its goal sensors."""

    game_mode: int | None = None  # forwarded to the sensor with its next ack
    new_game: str | None = None  # a game id: the sensor's game score goes back to 0 for it
    request_state: bool = False  # answer with a GoalUpdate (ready=True)


def goal_update_signal(address: str) -> SignalType[GoalUpdate]:
    return SignalType(f"edge_hub_goal_update_{address}")


def table_command_signal(address: str) -> SignalType[TableCommand]:
    return SignalType(f"edge_hub_goal_table_command_{address}")


@dataclass(frozen=True, slots=True)
class GoalEvent:
    """Goals counted from one beacon, for the sensor's event entity."""

    added: int
    total: int
    game: int
    goal_ts: float | None


def goal_event_signal(address: str) -> SignalType[GoalEvent]:
    return SignalType(f"edge_hub_goal_event_{address}")
