"""A project whose film moved, opened in the window: found beside the project when both moved,
else said, with *Locate it…*; the film found there opens with the project's shots and
colours, unsaved until the project records the new place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from panchro.engine.service.protocol import TINTS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_a_moved_film_is_found_or_located(
    qtbot, window, film, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    win = window
    work = tmp_path / "work"
    work.mkdir()
    copy = work / "reel.mp4"
    shutil.copy(film.path, copy)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(copy)
    win.player.seek(20)
    qtbot.waitUntil(lambda: win.player.displayed == 20, timeout=WAIT_MS)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        win.colour_picks.tint(rgb=TINTS["Amber"])
    project = work / "reel.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))

    # The film and its project moved together: found beside it, said, a change to save.
    moved = tmp_path / "archive"
    work.rename(moved)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(moved / "reel.panchro")
    assert win.film_path == str(moved / "reel.mp4") and win.picks[16].source == "tint"
    assert "found beside the project" in win.message_bar.text.text() and win.dirty

    # The film alone moved: nothing opens until it is found.
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(moved / "reel.mp4", elsewhere / "reel_2024.mp4")
    win.projects.open_project(moved / "reel.panchro")
    qtbot.waitUntil(lambda: "not where it was saved" in win.message_bar.text.text(),
                    timeout=WAIT_MS)  # fmt: skip
    bar = win.message_bar
    assert bar.action_button.text() == "Locate it…" and str(moved / "reel.mp4") in bar.text.text()
    asked: list[str] = []

    def where(parent, caption, start="", filters="", *rest):
        asked.append(caption)
        return str(elsewhere / "reel_2024.mp4"), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", where)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        bar.action_button.click()
    assert asked == ["Where is reel.mp4?"]
    assert win.film_path == str(elsewhere / "reel_2024.mp4") and win.picks[16].source == "tint"
    assert win.dirty and "Save the project to keep the new place" in bar.text.text()
