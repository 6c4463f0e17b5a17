"""A table game: score A-B, first to N goals wins, idempotent side scores."""

from __future__ import annotations

import pytest

from edge_hub_core.table_game import AWAY, HOME, GameState, TableGame


def test_first_to_n_wins_and_the_score_then_stays() -> None:
    game = TableGame(goals_to_win=3)
    assert not game.set_side_score(HOME, 1, 1.0)  # idle: not scored
    assert game.score == {HOME: 0, AWAY: 0}
    game.start(10.0)
    assert game.game_mode == 1
    assert not game.set_side_score(HOME, 2, 11.0)
    assert not game.set_side_score(HOME, 2, 11.5)  # the same state again: no change
    assert not game.set_side_score(AWAY, 1, 12.0)
    assert game.set_side_score(HOME, 3, 13.0)
    assert (game.state, game.winner, game.score_text, game.ended_ts) == (
        GameState.WON,
        HOME,
        "3-1",
        13.0,
    )
    assert game.game_mode == 0
    assert not game.set_side_score(AWAY, 5, 14.0)
    assert game.score == {HOME: 3, AWAY: 1}
    assert game.games_played == 1


def test_lowering_the_target_mid_game_can_decide_it() -> None:
    game = TableGame(goals_to_win=10)
    game.start(0.0)
    game.set_side_score(HOME, 4, 1.0)
    game.set_side_score(AWAY, 5, 2.0)
    assert game.set_goals_to_win(4, 3.0)
    assert game.winner == AWAY
    with pytest.raises(ValueError, match="goals to win"):
        game.set_goals_to_win(0, 4.0)


def test_reset_and_restore() -> None:
    game = TableGame(goals_to_win=2)
    game.start(0.0)
    game.set_side_score(AWAY, 2, 1.0)
    restored = TableGame.from_dict(game.as_dict())
    assert restored == game
    restored.reset()
    assert (restored.state, restored.score_text, restored.winner) == (GameState.IDLE, "0-0", None)
    assert TableGame.from_dict({"state": "bogus", "goals_to_win": 0, "score": {HOME: -1}}) == (
        TableGame()
    )
