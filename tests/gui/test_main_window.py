"""The main window driving a real engine process on a tiny three-shot film."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from panchro.gui.engine_process import READY, RESTARTING

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def open_and_settle(qtbot, win, film) -> None:
    """Open the test film and wait until its frame, shots and thumbnails are shown."""
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)


def wait_frame(qtbot, win, index: int) -> None:
    qtbot.waitUntil(
        lambda: win.player.displayed == index and win.view.frame_index == index, timeout=WAIT_MS
    )


def test_open_shows_facts_frame_shots_and_model_state(qtbot, window, film) -> None:
    win = window
    assert win.engine_label.text() == "Engine: ready — CPU"
    assert "none ready" in win.models_label.text()
    assert win.colour.status.text() == "Colorizer model missing — not trained yet."
    assert not win.colour.sample_button.isVisible()

    open_and_settle(qtbot, win, film)

    assert win.windowTitle() == f"Panchro — {film.path.name}"
    facts = {k: v.text() for k, v in win.facts.values.items()}
    assert facts["frames"] == str(film.frames)
    assert facts["size"] == f"{film.size[0]} × {film.size[1]}"
    assert facts["rate"] == f"{film.fps} fps"
    assert facts["duration"] == "2.00 s"
    assert "h264" in facts["codec"]
    assert "aac" in facts["audio"]
    assert "mov_text" in facts["subtitles"]

    pixmap = win.view.pixmap()
    assert pixmap is not None and not pixmap.isNull()
    assert win.view.frame_index == 0
    assert pixmap.width() / pixmap.height() == pytest.approx(film.size[0] / film.size[1], abs=0.02)
    # Drawn in the view with the same aspect, letterboxed, not stretched.
    drawn = win.view.image_rect()
    assert drawn.width() / drawn.height() == pytest.approx(film.size[0] / film.size[1], abs=0.02)
    assert win.timeline.frame_label.text() == f"frame  1 / {film.frames}"
    assert win.timeline.timecode.text() == "00:00:00:00"

    starts = tuple(int(s["start"]) for s in win.shots)
    assert starts == film.shot_starts
    assert win.strip.count() == len(film.shot_starts)
    assert all(win.strip.thumbnail_frame(n) is not None for n in range(win.strip.count()))
    assert win.strip.current() == 0
    assert win.timeline.slider.marks == list(film.shot_starts[1:])
    assert win.shot_panel.text.text().startswith(f"Shot 1 of {len(film.shot_starts)}\nFrames 1–16")

    # A click on a shot jumps to its first frame.
    qtbot.mouseClick(
        win.strip.list.viewport(), Qt.MouseButton.LeftButton, pos=win.strip.item_rect(2).center()
    )
    wait_frame(qtbot, win, film.shot_starts[2])
    assert win.timeline.slider.value() == film.shot_starts[2]
    assert win.strip.current() == 2
    assert win.timeline.timecode.text() == "00:00:01:08"


def test_scrubbing_ends_on_the_last_requested_frame(qtbot, window, film) -> None:
    win = window
    open_and_settle(qtbot, win, film)
    shown: list[int] = []
    win.frameShown.connect(shown.append)
    positions = [(i * 7) % film.frames for i in range(1, 60)] + [37]
    for value in positions:
        win.timeline.slider.setValue(value)
    wait_frame(qtbot, win, 37)
    qtbot.wait(300)  # anything stale still on its way would land now
    # All 60 requests went out before any reply was read, so every reply but the
    # one to the last request was stale when it came (or was superseded in the
    # engine): only frame 37 ever reached the view.
    assert shown == [37]
    assert win.player.displayed == 37
    assert win.timeline.frame_label.text() == f"frame 38 / {film.frames}"
    assert win.strip.current() == 2


def test_keyboard_steps_and_jumps(qtbot, window, film) -> None:
    win = window
    open_and_settle(qtbot, win, film)
    win.activateWindow()
    win.view.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_Right)
    wait_frame(qtbot, win, 1)
    qtbot.keyClick(win, Qt.Key.Key_End)
    wait_frame(qtbot, win, film.frames - 1)
    qtbot.keyClick(win, Qt.Key.Key_Left)
    wait_frame(qtbot, win, film.frames - 2)
    qtbot.keyClick(win, Qt.Key.Key_PageUp)  # to the start of the current shot
    wait_frame(qtbot, win, film.shot_starts[2])
    qtbot.keyClick(win, Qt.Key.Key_PageUp)  # then the shot before
    wait_frame(qtbot, win, film.shot_starts[1])
    qtbot.keyClick(win, Qt.Key.Key_Home)
    wait_frame(qtbot, win, 0)
    qtbot.keyClick(win, Qt.Key.Key_Left)  # nothing before the first frame
    qtbot.wait(100)
    assert win.current == 0


def test_every_control_is_reachable_and_works_from_the_keyboard(qtbot, window, film) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QScrollBar,
        QWidget,
    )

    win = window
    open_and_settle(qtbot, win, film)
    win.activateWindow()
    # Tab reaches every control on screen (menus are reached with Alt and their letter).
    chain, w = set(), win
    for _ in range(500):
        w = w.nextInFocusChain()
        if w is win:
            break
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.add(w)
    controls = [
        w
        for w in win.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QAbstractSpinBox | QComboBox | QAbstractSlider)
        and w.isVisible()
        and w.isEnabled()
        and not isinstance(w, QScrollBar)
    ]
    assert len(controls) > 15
    unreachable = [f"{type(w).__name__} {w.toolTip() or w.objectName()}" for w in controls
                   if w not in chain]  # fmt: skip
    assert not unreachable
    assert all("&" in a.text() for a in win.menuBar().actions())

    # Space on a focused control works the control, not the Play shortcut.
    box = win.restore_panel.colorize
    box.setFocus()
    was = box.isChecked()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked() != was and not win.player.playing
    # Enter clicks a focused button.
    win.player.seek(0)
    wait_frame(qtbot, win, 0)
    button = win.shot_panel.key_button
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Return)
    wait_frame(qtbot, win, int(win.shots[0]["key_frame"]))
    # F1 lists the keys, read from the menus, and those of the colour modes and compare.
    qtbot.keyClick(win, Qt.Key.Key_F1)
    box = win.help._shortcuts
    assert box is not None and box.isVisible() and not box.isModal()
    text = box.text()
    for expected in ("Play / pause", "Space", "Ctrl+E", "Split shot", "Keyboard shortcuts",
                     "In the colour modes", "1 – 8", "In compare", "Luma difference"):  # fmt: skip
        assert expected in text, expected
    for a in win.findChildren(QAction):
        if a.shortcuts() and a.text():
            assert a.text().replace("&", "") in text, a.text()
    box.close()
    # Elsewhere, Space still plays.
    win.view.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.player.playing
    qtbot.keyClick(win, Qt.Key.Key_K)
    assert not win.player.playing


def test_engine_killed_is_restarted_and_the_film_reopened(qtbot, window, film) -> None:
    win = window
    open_and_settle(qtbot, win, film)
    win.player.seek(20)
    wait_frame(qtbot, win, 20)
    old_pid = win.engine.process.processId()
    states: list[str] = []
    win.engine.stateChanged.connect(lambda state, detail: states.append(state))

    with qtbot.waitSignal(win.engine.engineDied, timeout=WAIT_MS) as died:
        win.engine.process.kill()
    assert "killed" in died.args[0] or "exited" in died.args[0]  # SIGKILL, or Windows
    qtbot.waitUntil(lambda: "Restarting" in win.message_bar.text.text(), timeout=5_000)

    with qtbot.waitSignal(win.frameShown, timeout=WAIT_MS) as shown:
        pass
    assert shown.args == [20]
    assert RESTARTING in states and states[-1] == READY
    assert win.engine.process.processId() != old_pid
    assert win.film is not None and win.film_path == str(film.path)
    assert win.engine.restarts == 1
    assert win.view.frame_index == 20
    assert win.engine_label.text() == "Engine: ready — CPU"
    # The shots survived the restart, and scrubbing works on the new engine.
    assert win.strip.count() == len(film.shot_starts)
    win.player.seek(5)
    wait_frame(qtbot, win, 5)


def test_a_file_that_is_not_a_film_is_reported(qtbot, window, tmp_path: Path) -> None:
    win = window
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a film\n")
    with qtbot.waitSignal(win.openFailed, timeout=WAIT_MS) as failed:
        win.projects.open_film(bad)
    assert "notes.mp4" in failed.args[0]
    assert win.message_bar.isVisible()
    said = win.message_bar.text.text()
    # named once, in words a person reads (it said "notes.mp4: /tmp/…/notes.mp4: is not a
    # video file PyAV can read")
    assert said.count("notes.mp4") == 1 and "PyAV" not in said and "can read" in said, said
    assert win.message_bar.action_button.text() == "Open another…"
    assert win.windowTitle() == "Panchro"
    assert win.view.pixmap() is None
    assert win.engine.is_ready()  # a bad file never takes the engine down


def test_dropping_a_folder_of_frames_opens_it(qtbot, window, tmp_path: Path) -> None:
    from makemedia import make_frame_folder
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    folder = make_frame_folder(tmp_path / "scans", 12, (64, 48), bit_depth=16)
    win = window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    action, buttons = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    mods, at = Qt.KeyboardModifier.NoModifier, win.rect().center()
    text = QMimeData()
    text.setText("not a file")
    for data, wanted in ((text, False), (mime, True)):
        enter = QDragEnterEvent(at, action, data, buttons, mods)
        enter.ignore()
        win.dragEnterEvent(enter)
        assert enter.isAccepted() is wanted
    drop = QDropEvent(QPointF(at), action, mime, buttons, mods)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.dropEvent(drop)
    assert win.windowTitle() == "Panchro — scans"
    assert win.facts.values["kind"].text() == "frames"
    assert win.facts.values["frames"].text() == "12"
    assert "16 bit" in win.facts.values["codec"].text()
    assert win.view.pixmap().size().toTuple() == (64, 48)
    assert win.strip.count() >= 1


def test_screenshot_option_writes_the_window(film, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    cache = tmp_path / "cache"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PANCHRO_USER_DIR=str(cache))
    run = subprocess.run(
        [sys.executable, "-m", "panchro.gui.app", str(film.path), "--size", "900x600"]
        + ["--screenshot", str(shot), "--timeout", "90"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (900, 600)
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically, no leftovers
    # The engine's log went to the user's log folder, ending with a clean stop.
    log = (cache / "log" / "engine.log").read_text()
    assert "engine stopped" in log


def test_play_runs_forward_in_order_and_stops_at_the_end(qtbot, window, film) -> None:
    win = window
    open_and_settle(qtbot, win, film)
    win.player.seek(30)
    wait_frame(qtbot, win, 30)
    shown: list[int] = []
    win.frameShown.connect(shown.append)
    win.activateWindow()
    win.view.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.player.playing and win.player.rate == 1.0
    qtbot.waitUntil(lambda: not win.player.playing, timeout=WAIT_MS)
    wait_frame(qtbot, win, film.frames - 1)
    # Frames came in film order (some may be dropped on a slow machine, none repeated).
    assert shown == sorted(set(shown)) and shown[-1] == film.frames - 1 and len(shown) >= 2
    # L twice is double speed; K pauses; J plays backwards; scrubbing takes over.
    win.player.seek(10)
    wait_frame(qtbot, win, 10)
    qtbot.keyClick(win, Qt.Key.Key_L)
    qtbot.keyClick(win, Qt.Key.Key_L)
    assert win.player.rate == 2.0
    qtbot.keyClick(win, Qt.Key.Key_K)
    assert not win.player.playing
    qtbot.keyClick(win, Qt.Key.Key_J)
    assert win.player.rate == -1.0
    win.timeline.slider.setValue(40)
    assert not win.player.playing
    wait_frame(qtbot, win, 40)


def test_play_starts_from_the_first_frame_and_backwards_stops_there(qtbot, window, film) -> None:
    """Space on a film just opened (frame 0) paused on the first tick, and so did Space at
    the end, which goes back to frame 0 first: the player looked broken."""
    win = window
    open_and_settle(qtbot, win, film)
    assert win.current == 0
    win.player.toggle_play()
    qtbot.waitUntil(lambda: win.current >= 3, timeout=WAIT_MS)
    assert win.player.playing
    win.player.pause()
    win.player.seek(film.frames - 1)
    wait_frame(qtbot, win, film.frames - 1)
    win.player.toggle_play()  # at the end: from the start again, and on
    qtbot.waitUntil(lambda: 3 <= win.current < film.frames - 1, timeout=WAIT_MS)
    assert win.player.playing
    win.player.pause()
    win.player.seek(6)
    wait_frame(qtbot, win, 6)
    win.player.shuttle(-1)  # J: back to the first frame, where it stops
    qtbot.waitUntil(lambda: not win.player.playing, timeout=WAIT_MS)
    wait_frame(qtbot, win, 0)


def test_split_and_merge_shots(qtbot, window, film) -> None:
    win = window
    open_and_settle(qtbot, win, film)
    win.player.seek(8)
    wait_frame(qtbot, win, 8)
    win.activateWindow()
    win.view.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_S)  # a cut the detector missed, at frame 8
    assert [int(s["start"]) for s in win.shots] == [0, 8, 16, 32]
    assert [int(s["end"]) for s in win.shots] == [8, 16, 32, 48]
    assert all(int(s["start"]) <= int(s["key_frame"]) < int(s["end"]) for s in win.shots)
    assert win.strip.count() == 4 and win.timeline.slider.marks == [8, 16, 32]
    assert win.dirty
    win.shot_list.split_shot()  # a shot starts here already: nothing changes
    assert len(win.shots) == 4
    win.player.seek(20)
    wait_frame(qtbot, win, 20)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)  # merge 16.. into 8..
    assert [(int(s["start"]), int(s["end"])) for s in win.shots] == [(0, 8), (8, 32), (32, 48)]
    win.player.seek(10)
    wait_frame(qtbot, win, 10)
    win.shot_list.merge_shot()
    assert [(int(s["start"]), int(s["end"])) for s in win.shots] == [(0, 32), (32, 48)]
    win.player.seek(0)
    win.shot_list.merge_shot()  # the first shot has none before it
    assert len(win.shots) == 2
    win.dirty = False


def _strip_frames(win) -> list[int | None]:
    return [win.strip.thumbnail_frame(n) for n in range(win.strip.count())]


def _key_frames(win) -> list[int]:
    return [int(s["key_frame"]) for s in win.shots]


def _cut_past_key_frame(win, n: int) -> None:
    """Split shot `n` just after its key frame: the second part needs a key frame of its
    own, so a thumbnail is asked for."""
    key, end = int(win.shots[n]["key_frame"]), int(win.shots[n]["end"])
    assert key + 1 < end
    win.current = key + 1
    win.shot_list.split_shot()


def test_thumbnails_follow_their_frames_when_shots_change_under_a_request(
    qtbot, window, film
) -> None:
    """A thumbnail asked for before a split or merge lands on the shot that shows its
    frame, whatever the shot's new place; one for a frame no shot shows any more is dropped
    (a superseded one was once put back in the queue by its old place: an IndexError)."""
    from panchro.engine.service.protocol import Event, Message

    win, shots = window, window.shot_list
    open_and_settle(qtbot, win, film)
    assert _strip_frames(win) == _key_frames(win)
    before = set(_key_frames(win))

    _cut_past_key_frame(win, len(win.shots) - 1)
    assert shots._thumb_req is not None
    asked = shots._thumb_req[1]
    assert asked not in before and asked in _key_frames(win)
    # the shots that kept their key frame kept their thumbnails, and asked for none
    assert [f for f in _strip_frames(win) if f is not None] == sorted(before)
    # Cut the first shot while that request is on its way: every later shot moves one on.
    _cut_past_key_frame(win, 0)
    assert len(win.shots) == 5
    qtbot.waitUntil(lambda: not shots.thumbnails_pending(), timeout=WAIT_MS)
    assert _strip_frames(win) == _key_frames(win)

    # Cut again, then join everything after the first shot back while the request waits,
    # and let the engine say the request was superseded.
    _cut_past_key_frame(win, len(win.shots) - 1)
    assert shots._thumb_req is not None
    rid, asked = shots._thumb_req
    while len(win.shots) > 2:
        win.current = int(win.shots[-1]["start"])
        shots.merge_shot()
    assert asked not in _key_frames(win)
    shots._on_thumbnail(Message({"type": Event.SUPERSEDED, "id": rid}))
    qtbot.waitUntil(lambda: not shots.thumbnails_pending(), timeout=WAIT_MS)
    assert _strip_frames(win) == _key_frames(win)
    win.dirty = False


def test_recent_files_remember_what_was_opened(qtbot, window, film, tmp_path: Path) -> None:
    win = window
    open_and_settle(qtbot, win, film)
    assert win.projects.recent_files()[0] == str(film.path)
    win.projects.fill_recent_menu()
    actions = win.recent_menu.actions()
    assert actions and actions[0].toolTip() == str(film.path)
    assert film.path.name in actions[0].text()


def test_save_first_then_the_other_film_opens(
    qtbot, window, film, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unsaved hints, no project file yet, another film opened: Save asks where, the project
    is written with the hints, and the other film opens (it used to be abandoned)."""
    import json

    from makemedia import make_video
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from panchro.gui.hints import Hint

    win = window
    open_and_settle(qtbot, win, film)
    win.hint_editor._add(Hint(0, ((20.0, 30.0),), (200, 40, 40)))
    assert win.dirty and win.project_path is None
    other = make_video(tmp_path / "other.mp4", frames=12, size=(96, 64), audio=False)
    target = tmp_path / "first.panchro"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    win.confirm_discard = True
    with (
        qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS) as saved,
        qtbot.waitSignal(win.settled, timeout=WAIT_MS),
    ):
        win.projects.open_film(other)
    win.confirm_discard = False
    assert saved.args == [str(target)]
    assert win.film_path == str(other) and not win.dirty
    doc = json.loads(target.read_text())
    assert doc["hints"]["points"][0]["rgb"] == [200, 40, 40]
    assert doc["source"]["path"].endswith("three_shots.mp4")


def test_a_reopened_projects_faults_are_said_being_measured(qtbot, window, film, tmp_path) -> None:
    """Opened with its shots, a project's flicker and damage are measured around them after
    it opens: "measuring…" meanwhile, where a dash read as nothing to say."""
    win = window
    open_and_settle(qtbot, win, film)
    flicker, damage = win.facts.values["flicker"], win.facts.values["damage"]
    measured = flicker.text()
    assert measured not in ("–", "measuring…")
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(tmp_path / "f.panchro"))
    said: list[tuple[str, str]] = []
    win.projectLoaded.connect(lambda _p: said.append((flicker.text(), damage.text())))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(tmp_path / "f.panchro")
    assert said == [("measuring…", "measuring…")]
    qtbot.waitUntil(lambda: flicker.text() not in ("–", "measuring…"), timeout=WAIT_MS)
    assert damage.text() not in ("–", "measuring…")
