"""The simulated board's control file: parts listed as unplugged are, the others are plugged."""

from __future__ import annotations

from pathlib import Path
import time

from edge_agent.features.reactor.config import parse
from edge_agent.sim.control import apply_control, watch_control
from edge_agent.sim.reactor_board import DS18B20_ID, board_config, build_board


def test_control_text_plugs_and_unplugs() -> None:
    board = build_board()
    apply_control(board, f'{{"unplugged": ["0x63", 118, "{DS18B20_ID}"]}}')
    assert not board.bus[0x63].present
    assert not board.bus[0x76].present
    assert not board.onewire[DS18B20_ID].present
    assert board.bus[0x61].present
    apply_control(board, '{"unplugged": ["0x76"]}')
    assert board.bus[0x63].present
    assert board.onewire[DS18B20_ID].present
    assert not board.bus[0x76].present


def test_the_board_watches_its_file(tmp_path: Path) -> None:
    control = tmp_path / "board.json"
    board = build_board()
    watch_control(board, str(control))  # no file yet: nothing changes
    control.write_text('{"unplugged": ["0x63"]}')
    deadline = time.monotonic() + 5
    while board.bus[0x63].present and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not board.bus[0x63].present


def test_config_takes_a_control_file() -> None:
    config = parse(board_config(sim={"control": "/tmp/board.json"}))
    assert config.sim.control == "/tmp/board.json"
