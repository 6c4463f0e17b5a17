"""A table game between two goal sensors: score A-B, first to N goals wins.

Pure and HA-free. The score of a side is taken from its goal sensor's own game count (goals
since the game started) rather than incremented per event, so hearing a goal twice or
replaying the sensor's state after a restart can never count a goal twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

HOME: Final = "home"
AWAY: Final = "away"
SIDES: Final = (HOME, AWAY)
DEFAULT_GOALS_TO_WIN: Final = 10
GOALS_TO_WIN_RANGE: Final = (1, 99)


class GameState(StrEnum):
    IDLE = "idle"  # no game running: goals are not scored for the table
    PLAYING = "playing"
    WON = "won"  # a side reached the target; the score stays until start or reset


@dataclass(slots=True)
class TableGame:
    """The persisted state of one table."""

    goals_to_win: int = DEFAULT_GOALS_TO_WIN
    state: GameState = GameState.IDLE
    score: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIDES, 0))
    winner: str | None = None
    started_ts: float | None = None
    ended_ts: float | None = None
    games_played: int = 0

    @property
    def game_mode(self) -> int:
        """What the sensors are told with their next ack (docs/protocol.md §2.5)."""
        return 1 if self.state is GameState.PLAYING else 0

    @property
    def score_text(self) -> str:
        return f"{self.score[HOME]}-{self.score[AWAY]}"

    def start(self, ts: float) -> None:
        """A new game from 0-0 (the caller also starts a new game on both sensors)."""
        self.state = GameState.PLAYING
        self.score = dict.fromkeys(SIDES, 0)
        self.winner = None
        self.started_ts = ts
        self.ended_ts = None

    def reset(self) -> None:
        """Back to idle at 0-0."""
        self.state = GameState.IDLE
        self.score = dict.fromkeys(SIDES, 0)
        self.winner = None
        self.started_ts = None
        self.ended_ts = None

    def set_side_score(self, side: str, game_goals: int, ts: float) -> bool:
        """The goal sensor of `side` now has `game_goals` in this game; True if it won now."""
        if side not in SIDES:
            raise ValueError(f"unknown side {side!r}")
        if self.state is not GameState.PLAYING:
            return False
        self.score[side] = max(0, game_goals)
        return self._check_winner(ts)

    def set_goals_to_win(self, goals: int, ts: float) -> bool:
        """Change the target (also mid-game); True if that decides the game now."""
        low, high = GOALS_TO_WIN_RANGE
        if not low <= goals <= high:
            raise ValueError(f"goals to win must be {low}-{high}, got {goals}")
        self.goals_to_win = goals
        return self.state is GameState.PLAYING and self._check_winner(ts)

    def _check_winner(self, ts: float) -> bool:
        leaders = [side for side in SIDES if self.score[side] >= self.goals_to_win]
        if not leaders:
            return False
        # both over the target at once (a lowered target): the higher score wins, home on a tie
        self.winner = max(leaders, key=lambda side: self.score[side])
        self.state = GameState.WON
        self.ended_ts = ts
        self.games_played += 1
        return True

    def as_dict(self) -> dict[str, Any]:
        return {
            "goals_to_win": self.goals_to_win,
            "state": self.state.value,
            "score": dict(self.score),
            "winner": self.winner,
            "started_ts": self.started_ts,
            "ended_ts": self.ended_ts,
            "games_played": self.games_played,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TableGame:
        """Tolerant restore: anything malformed keeps its default."""
        game = cls()
        if not isinstance(data, dict):
            return game
        goals = data.get("goals_to_win")
        low, high = GOALS_TO_WIN_RANGE
        if isinstance(goals, int) and not isinstance(goals, bool) and low <= goals <= high:
            game.goals_to_win = goals
        state = data.get("state")
        if state in set(GameState):
            game.state = GameState(state)
        score = data.get("score")
        if isinstance(score, dict):
            for side in SIDES:
                value = score.get(side)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    game.score[side] = value
        if data.get("winner") in SIDES:
            game.winner = data["winner"]
        for name in ("started_ts", "ended_ts"):
            value = data.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                setattr(game, name, float(value))
        played = data.get("games_played")
        if isinstance(played, int) and not isinstance(played, bool) and played >= 0:
            game.games_played = played
        return game
