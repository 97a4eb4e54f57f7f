"""Unsaved work kept against a crash: written a few seconds after an edit, removed at a clean
end (saved, another film opened, the window closed), never offered while its window lives;
after a real crash (a Panchro process that dies without a word) offered at the next start,
opened back unsaved under its own project path, or discarded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user folder of the test's own: no other test's recovery files, none left behind."""
    folder = tmp_path / "user"
    monkeypatch.setenv("PANCHRO_USER_DIR", str(folder))
    return folder


def _files(user_dir: Path) -> list[str]:
    folder = user_dir / "data" / "recovery"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _new_window(qtbot, tmp_path: Path, name: str):
    from panchro.gui.engine_process import EngineProcess
    from panchro.gui.window.main_window import MainWindow

    engine = EngineProcess(log_path=tmp_path / f"{name}.log")
    win = MainWindow(engine)
    win.confirm_discard = False
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(engine.is_ready, timeout=60_000)
    return win


@pytest.fixture
def windows(qtbot, tmp_path: Path, user_dir: Path) -> Iterator[list]:
    made: list = []
    yield made
    for win in made:
        win.engine.shutdown()


def test_recovery_is_written_after_edits_and_removed_at_a_clean_end(
    qtbot, windows, film, tmp_path: Path, user_dir: Path
) -> None:
    win = _new_window(qtbot, tmp_path, "one")
    windows.append(win)
    win.recovery.delay_ms = 50
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert _files(user_dir) == []  # nothing unsaved, nothing kept
    win.player.seek(8)
    qtbot.waitUntil(lambda: win.player.displayed == 8, timeout=WAIT_MS)
    with qtbot.waitSignal(win.recovery.written, timeout=WAIT_MS) as written:
        win.shot_list.split_shot()
    path = Path(written.args[0])
    assert path.parent == user_dir / "data" / "recovery" and path.is_file()
    note = json.loads(path.with_suffix(".json").read_text())
    assert note["kind"] == "film" and note["name"] == "three_shots.mp4"
    assert note["project_path"] is None and note["written"] > 0
    assert win.project_path is None and win.dirty  # the person's project is not this file

    # A second window does not offer the first one's work: it is at work, not left behind.
    other = _new_window(qtbot, tmp_path, "two")
    windows.append(other)
    assert other.recovery.left_behind() == [] and not other.message_bar.isVisible()

    # Saved: the recovery goes. Edited again: a new one; another film opened: gone too.
    target = tmp_path / "kept.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(target))
    assert not path.exists() and not path.with_suffix(".json").exists()
    with qtbot.waitSignal(win.recovery.written, timeout=WAIT_MS) as written:
        win.colour_picks.keep_black_and_white()
    again = Path(written.args[0])
    note = json.loads(again.with_suffix(".json").read_text())
    assert note["project_path"] == str(target)  # Save writes there, not here
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert not again.exists()
    with qtbot.waitSignal(win.recovery.written, timeout=WAIT_MS) as written:
        win.colour_picks.keep_black_and_white()
    assert Path(written.args[0]).is_file()
    win.close()  # confirm_discard is off: the work was let go
    assert not [name for name in _files(user_dir) if not name.endswith(".lock")]


CRASH = """
import os, sys
from PySide6.QtWidgets import QApplication
from panchro.gui.engine_process import EngineProcess
from panchro.gui.window.main_window import MainWindow

app = QApplication(sys.argv)
engine = EngineProcess()
win = MainWindow(engine)
win.recovery.delay_ms = 50
win.confirm_discard = False
step = iter(range(10**6))

def go() -> None:
    win.player.seek(20)
    win.colour_picks.tint(rgb=(200, 150, 60))

def crash(_path: str) -> None:
    engine.shutdown()  # the engine would die with its pipe; the test needs no stray process
    os._exit(3)  # no close, no clean-up: as a crash or a power cut leaves it

win.settled.connect(go)
win.recovery.written.connect(crash)
win.projects.open_film(sys.argv[1])
app.exec()
"""


def _crash(film_path: Path, tmp_path: Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(CRASH))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, str(script), str(film_path)], env=env, timeout=120, capture_output=True
    )
    assert done.returncode == 3, done.stderr.decode()[-2000:]


def test_work_a_crash_left_is_offered_opened_unsaved_or_discarded(
    qtbot, windows, film, tmp_path: Path, user_dir: Path
) -> None:
    _crash(film.path, tmp_path)
    left = [name for name in _files(user_dir) if name.endswith(".panchro")]
    assert len(left) == 1
    win = _new_window(qtbot, tmp_path, "after")
    windows.append(win)
    bar = win.message_bar
    assert bar.isVisible() and "before this work was saved: three_shots.mp4" in bar.text.text()
    assert bar.action_button.text() == "Open it" and bar.other_button.text() == "Discard"
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        bar.action_button.click()
    assert {s: p.source for s, p in win.picks.items()} == {16: "tint"}
    assert win.dirty and win.project_path is None and win.windowTitle().endswith("*")
    assert win.film_path == str(film.path)
    assert win.recovery.path is not None and win.recovery.path.name == left[0]  # its own now
    target = tmp_path / "recovered.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(target))
    assert not win.dirty and not [n for n in _files(user_dir) if n.endswith(".panchro")]

    # Another crash; this time the work is let go.
    _crash(film.path, tmp_path)
    later = _new_window(qtbot, tmp_path, "later")
    windows.append(later)
    assert later.message_bar.isVisible()
    later.message_bar.other_button.click()
    assert not [n for n in _files(user_dir) if n.endswith((".panchro", ".json"))]
    assert "discarded" in later.statusBar().currentMessage()


def test_an_albums_unsaved_picks_come_back_after_a_crash(
    qtbot, coloured_window, tmp_path: Path, user_dir: Path
) -> None:
    from dropping import open_album
    from makephotos import photo_pixels, png
    from PySide6.QtCore import Qt

    win = coloured_window
    win.recovery.delay_ms = 50
    box = tmp_path / "box"
    box.mkdir()
    png(box / "a.png", photo_pixels((96, 64), seed=1))
    png(box / "b.png", photo_pixels((80, 80), seed=2))
    open_album(qtbot, win, box)
    win.colour.k_spin.setValue(2)
    win.album_grid.select("b.png")
    with qtbot.waitSignal(win.album.modesShown, timeout=WAIT_MS):
        win.album.open_picture("b.png")
    with qtbot.waitSignal(win.recovery.written, timeout=WAIT_MS) as written:
        qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    path = Path(written.args[0])
    note = json.loads(path.with_suffix(".json").read_text())
    assert note["kind"] == "album" and note["name"] == "box"
    # As a crash leaves it: the owner gone without a clean end (its lock let go by the
    # system; in this process, by hand).
    win.recovery.lock.unlock()
    win.recovery.path = win.recovery.lock = None

    after = _new_window(qtbot, tmp_path, "after")
    try:
        assert "before this work was saved: box" in after.message_bar.text.text()
        with qtbot.waitSignal(after.projectLoaded, timeout=WAIT_MS):
            after.message_bar.action_button.click()
        album = after.album
        assert album.active and album.picks["b.png"].n == 1 and album.dirty
        assert album.projects.path is None and after.windowTitle().endswith("*")
        assert after.recovery.path == path
    finally:
        after.engine.shutdown()
