"""A film with its own timecode (a MOV's timecode track): the player, the shot strip and the
Film panel show its labels, not a count from zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import make_video

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def test_the_player_and_shot_strip_show_the_films_own_timecode(qtbot, window, tmp_path) -> None:
    win = window
    film = make_video(
        Path(tmp_path) / "reel.mov", frames=48, fps=24, cuts=[24], audio=False,
        timecode="10:00:00:00",
    )  # fmt: skip
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    assert win.timeline.timecode.text() == "10:00:00:00"
    assert win.facts.values["duration"].text() == "2.00 s, timecode from 10:00:00:00"
    qtbot.waitUntil(lambda: win.strip.count() == 2, timeout=WAIT_MS)
    assert win.strip.texts() == [
        "1 · 10:00:00:00",
        "2 · 10:00:01:00",
    ]
    win.player.seek(30)
    qtbot.waitUntil(lambda: win.player.displayed == 30, timeout=WAIT_MS)
    assert win.timeline.timecode.text() == "10:00:01:06"
