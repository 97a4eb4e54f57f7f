"""A silent film shown at the speed it was shot at (Restore panel ▸ Fields, fps): the engine
reads it again at that rate, the facts say so and that its sound is left out, the shots and picks
stay, the project keeps it; a folder of frames keeps its rate through its project too."""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import make_frame_folder, make_video
from PySide6.QtWidgets import QInputDialog

from panchro.gui.speed import SpeedBox

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _choose(box: SpeedBox, fps: float) -> None:
    i = box.findData(fps)
    assert i >= 0, f"{fps} is not offered"
    box.setCurrentIndex(i)
    box.activated.emit(i)


def test_a_film_shown_slower_and_kept_in_the_project(qtbot, window, tmp_path: Path) -> None:
    win = window
    panel = win.restore_panel
    film = make_video(tmp_path / "silent.mp4", frames=48, cuts=(30,))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    assert panel.speed.isVisibleTo(panel) and panel.speed.shown() == 0.0
    assert panel.speed.currentText() == "24 fps (file)"
    assert win.strip.texts() == [
        "1 · 00:00:00:00",
        "2 · 00:00:01:06",
    ]
    sound = win.facts.values["audio"].text()
    assert sound != "none" and "left out" not in sound  # the test film's tone
    shots = [dict(s) for s in win.shots]

    _choose(panel.speed, 18.0)
    qtbot.waitUntil(lambda: abs(win.fps - 18.0) < 1e-6, timeout=WAIT_MS)
    assert win.facts.values["rate"].text() == "18 fps (the file's own: 24 fps)"
    assert "left out" in win.facts.values["audio"].text()
    assert win.shots == shots and win.dirty and win.frame_count == 48
    # the second shot starts at frame 30: 1.25 s at 24 fps, 1.667 s (1 s and 12 frames) at 18
    qtbot.waitUntil(lambda: win.strip.text(1) == "2 · 00:00:01:12", timeout=WAIT_MS)
    assert win.film_fps == 18.0
    # An edit: undone by showing it at its own speed again, the box with it.
    assert win.undo_action.text().replace("&", "") == "Undo show the film at 18 fps"
    win.undo_action.trigger()
    qtbot.waitUntil(lambda: abs(win.fps - 24.0) < 1e-6, timeout=WAIT_MS)
    assert win.film_fps is None and win.shots == shots
    qtbot.waitUntil(lambda: panel.speed.shown() == 0.0, timeout=WAIT_MS)
    win.redo_action.trigger()
    qtbot.waitUntil(lambda: abs(win.fps - 18.0) < 1e-6, timeout=WAIT_MS)
    assert win.film_fps == 18.0 and panel.speed.shown() == 18.0

    project = tmp_path / "silent.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    assert '"retimed_from": "24/1"' in project.read_text()
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(make_video(tmp_path / "other.mp4", frames=12, audio=False))
    assert panel.speed.shown() == 0.0 and abs(win.fps - 24.0) < 1e-6  # a new film, its own
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: abs(win.fps - 18.0) < 1e-6, timeout=WAIT_MS)
    assert panel.speed.shown() == 18.0 and panel.speed.currentText() == "18 fps"

    # Not while an export reads the film (reading it again would stop the job); nor in an album.
    panel.show_job("Exporting", 1, 48, 10.0, 1.0)
    assert not panel.speed.isEnabled() and not panel.fields.isEnabled()
    panel.end_job("")
    assert panel.speed.isEnabled()
    panel.set_album_mode("album")
    assert not panel.speed.isVisibleTo(panel)
    panel.set_album_mode("")
    panel.show_fields(True)

    # Back to the file's own speed: its sound again.
    _choose(panel.speed, 0.0)
    qtbot.waitUntil(lambda: abs(win.fps - 24.0) < 1e-6, timeout=WAIT_MS)
    assert "left out" not in win.facts.values["audio"].text() and win.film_fps is None


def test_other_asks_for_a_rate(qtbot, monkeypatch) -> None:
    box = SpeedBox()
    qtbot.addWidget(box)
    box.set_film(25.0, None)
    assert box.findData(25.0) == -1  # the file's own rate is the first item, "25 fps (file)"
    got: list[float] = []
    box.speedChosen.connect(got.append)
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (17.5, True))
    _choose(box, -1.0)
    assert got == [17.5] and box.shown() == 17.5 and box.currentText() == "17.5 fps"
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (0.0, False))
    _choose(box, -1.0)  # cancelled: stays
    assert got == [17.5] and box.currentText() == "17.5 fps"
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (25.0, True))
    _choose(box, -1.0)  # its own rate, typed: as the file
    assert got == [17.5, 0.0] and box.shown() == 0.0


def test_a_folders_rate_comes_back_with_its_project(qtbot, window, tmp_path: Path) -> None:
    win = window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(make_frame_folder(tmp_path / "scans", 6), fps=16.0)
    assert abs(win.fps - 16.0) < 1e-6
    assert not win.restore_panel.speed.isVisibleTo(win.restore_panel)  # given when opened
    project = tmp_path / "scans.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(make_video(tmp_path / "other.mp4", frames=12, audio=False))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: abs(win.fps - 16.0) < 1e-6, timeout=WAIT_MS)


def test_a_film_shown_slowly_is_delivered_at_a_sound_speed(qtbot, window, tmp_path: Path) -> None:
    """Restore panel ▸ Deliver at: offered for a film shown at a silent speed, the export written
    at 24 fps with frames repeated, undone as a setting, kept by the project; gone for a film
    shown at a sound speed. Restore panel ▸ Size: the export fitted to HD, framed 16:9."""
    import av

    win = window
    panel = win.restore_panel
    folder = make_frame_folder(tmp_path / "scans", 9)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(folder, fps=18.0)
    box = panel.deliver
    assert box.isVisibleTo(panel)
    assert [box.itemText(i) for i in range(box.count())] == [
        "As shown (18 fps)", "23.976 fps, frames repeated", "24 fps, frames repeated",
        "25 fps, frames repeated", "29.97 fps, frames repeated", "30 fps, frames repeated",
    ]  # fmt: skip
    assert "deliver_fps" not in panel.settings()
    _choose(box, 24.0)
    assert panel.settings()["deliver_fps"] == 24.0 and win.dirty
    assert win.undo_action.text().replace("&", "") == "Undo deliver at 24 fps"
    win.undo_action.trigger()
    assert box.value() == 0.0
    win.redo_action.trigger()
    assert box.value() == 24.0

    # Size: HD, the whole 16:9 frame (the 4:3 picture in its middle): one edit.
    size = panel.size
    size.setCurrentIndex(size.findText("HD 1080, 16:9"))
    size.activated.emit(size.currentIndex())
    assert panel.settings()["fit"] == [1920, 1080] and panel.settings()["fit_frame"] is True
    assert win.undo_action.text().replace("&", "") == "Undo size 1920 x 1080, whole frame"

    panel.colorize.setChecked(False)  # no models here: the frames as read, delivered
    out = tmp_path / "at24.mkv"
    panel.codec.setCurrentIndex(panel.codec.findData("ffv1"))
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
    assert done.args[0] == "export"
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert v.average_rate == 24 and (v.codec_context.width, v.codec_context.height) == (
            1920, 1080,
        )  # fmt: skip
        assert sum(1 for _ in c.decode(video=0)) == 12  # 9 frames, one in 3 shown twice

    project = tmp_path / "scans.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(folder, fps=24.0)  # shown at a sound speed: nothing to offer
    assert not box.isVisibleTo(panel) and "deliver_fps" not in panel.settings()
    _choose(box, 0.0)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: abs(win.fps - 18.0) < 1e-6, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: box.isVisibleTo(panel), timeout=WAIT_MS)
    assert panel.settings()["deliver_fps"] == 24.0 and panel.settings()["fit_frame"] is True
