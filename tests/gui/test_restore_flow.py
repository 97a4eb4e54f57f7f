"""The whole job from the window: open, sample, pick, compare, export, save and reopen."""

from __future__ import annotations

from pathlib import Path

import pytest
from asking import answering
from makemedia import decoded_frames
from PySide6.QtCore import QPoint, Qt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_open_sample_pick_compare_export_save_reopen(
    qtbot, coloured_window, film, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = coloured_window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert win.restore_panel.export_button.isEnabled()

    # Sample K=2 in the first shot and pick the second mode; the temperature starts at the
    # engine's measured default (the engine's defaults are plain numbers, no torch)
    from panchro.engine.inference.defaults import TEMPERATURE

    assert win.colour.temperature.value() == pytest.approx(TEMPERATURE)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        qtbot.mouseClick(win.colour.sample_button, Qt.MouseButton.LeftButton)
    # the engine drew more and sent the most different: the header says so
    assert "the 2 most different of 4 colour modes" in win.candidates.header.text()
    qtbot.mouseClick(win.candidates.tiles[1], Qt.MouseButton.LeftButton)
    assert win.picks[0].n == 1 and win.dirty
    assert win.windowTitle().endswith("*")

    # Compare: before | after of this frame, and the film's luma untouched.
    win.player.show_film()
    win.player.seek(5)
    qtbot.waitUntil(lambda: win.player.displayed == 5, timeout=WAIT_MS)
    with qtbot.waitSignal(win.compareShown, timeout=WAIT_MS):
        win.exporter.compare_frame()
    assert win.stage.currentWidget() is win.compare
    assert win.compare.canvas.before is not None and win.compare.canvas.after is not None
    assert win.compare.data["luma_max_diff"] < 1e-6
    assert "luma untouched" in win.compare.header.text()
    assert win.compare.data["pick"]["index"] == 1  # the shot's own pick
    win.compare.setFocus()
    qtbot.keyClick(win.compare, Qt.Key.Key_D)
    assert win.compare.showing_diff
    qtbot.keyClick(win.compare, Qt.Key.Key_Escape)
    assert win.stage.currentWidget() is win.view

    # Export with progress; the output has every frame and the sound.
    out = tmp_path / "restored.mp4"
    progress: list[str] = []
    win.restore_panel.progress.valueChanged.connect(lambda v: progress.append(v))
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
        assert win.restore_panel.cancel_button.isVisible()
    kind, summary = done.args
    assert kind == "export" and summary["frames"] == film.frames
    assert summary["audio_streams"] == 1
    assert out.is_file() and decoded_frames(out) == film.frames
    assert "Exported" in win.restore_panel.progress_label.text()
    assert not win.restore_panel.cancel_button.isVisible()
    # Where it went, and the record of what was done to it, a click away.
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    bar = win.message_bar
    assert bar.action_button.text() == "Open folder"
    assert bar.other_button.text() == "Read the record"
    bar.other_button.click()
    assert opened == [f"{out}.restoration.md"] and Path(opened[0]).is_file()
    assert "mode 2 drawn with seed" in Path(opened[0]).read_text()  # the pick, as picked

    # Save the project; open it again: the shots and the pick come back, no re-detection.
    proj = tmp_path / "film.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(proj))
    assert proj.is_file() and not win.dirty
    picked_chroma = win.picks[0].chroma
    win.picks.clear()
    win.dirty = False
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(proj)
    assert win.project_path == str(proj)
    assert [int(s["start"]) for s in win.shots] == list(film.shot_starts)
    assert win.picks[0].chroma == picked_chroma and win.picks[0].n == 1
    assert win.strip.picked(0)
    # how many modes were drawn is not kept: mode 2 is not said to be "of 2"
    win.player.seek(0)
    qtbot.waitUntil(lambda: win.player.displayed == 0, timeout=WAIT_MS)
    assert "Picked: mode 2. Locked." in win.colour.pick_label.text()
    assert not win.dirty and win.windowTitle() == "Panchro — film.panchro"


def test_cancelled_export_is_offered_for_resume(
    qtbot, coloured_window, long_film: Path, tmp_path: Path
) -> None:
    win = coloured_window
    # Long enough (10 s, 4 chunks) that the cancel lands while frames are being written.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(long_film)
    win.restore_panel.codec.setCurrentIndex(win.restore_panel.codec.findData("ffv1"))
    win.resize(900, 560)  # the side panel scrolls; Restore stays below it, in sight
    out = tmp_path / "cut.mkv"
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as failed:
        win.exporter.export(str(out))
        # Past the first shot: its chunk is done and kept.
        qtbot.waitUntil(lambda: win.restore_panel.frames_shown() > 125, timeout=WAIT_MS)
        # The progress and its Cancel button are in sight.
        cancel = win.restore_panel.cancel_button
        column = win.side_column
        top = cancel.mapTo(column, QPoint(0, 0)).y()
        assert cancel.isVisible() and top >= 0 and top + cancel.height() <= column.height(), top
        win.exporter.cancel_job()
    assert failed.args == ["export", "cancelled"]
    said = win.restore_panel.progress_label.text()
    assert "frames are kept: export to the same file again to go on" in said, said
    kept = int(said.split(" frames are kept")[0].rsplit(" ", 1)[1])
    assert Path(f"{out}.panchro-job").is_dir() and not out.exists()
    proj = tmp_path / "f.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(proj))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(proj)
    assert "interrupted" in win.message_bar.text.text()
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.message_bar.action_button.click()
    assert done.args[1]["resumed_frames"] == kept > 0  # it went on from where it stopped
    assert out.is_file() and decoded_frames(out) == 240


def test_unsaved_picks_are_asked_about_before_they_are_lost(
    qtbot, coloured_window, film, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    win = coloured_window
    win.confirm_discard = True
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    asked: list[str] = []

    def answer(choice):
        return answering(choice, asked)

    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    win.colour_picks.pick_candidate(0)
    # Cancel keeps the film and its pick; Discard lets the new film replace them.
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    win.projects.open_film(film.path)
    assert asked and "not saved" in asked[0] and win.picks
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Discard))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert len(asked) == 2 and not win.picks and not win.dirty
    win.confirm_discard = False


def test_export_bar_moves_within_a_frame(qtbot, window, film) -> None:
    """A huge picture is one frame for minutes: the bar shows `done + partial` (the engine's
    frames' worth of work done inside the frames in hand, docs/protocol.md), not `done`."""
    win = window
    panel = win.restore_panel
    win.exporter._job_kind = "export"

    def fraction() -> float:
        return panel.progress.value() / panel.progress.maximum()

    event = {"done": 0, "total": 1, "stage": "render", "fps": None, "eta_s": None}
    win.exporter._on_job_progress({**event, "partial": 0.0})
    assert fraction() == 0.0
    win.exporter._on_job_progress({**event, "partial": 0.37})
    assert fraction() == pytest.approx(0.37, abs=1e-3)
    assert panel.frames_shown() == pytest.approx(0.37, abs=1e-3)
    assert panel.progress.text() == "37%"
    win.exporter._on_job_progress({**event, "done": 1, "partial": 0.0})
    assert fraction() == 1.0
    # Many frames: a batch's tiles move it too; an event without `partial` (an older engine)
    # is `done` alone.
    event["total"] = 48
    win.exporter._on_job_progress({**event, "done": 8, "partial": 4.5})
    assert fraction() == pytest.approx(12.5 / 48, abs=1e-3)
    assert panel.progress_label.text().startswith("Exporting: 8 / 48 frames")
    win.exporter._on_job_progress({**event, "done": 24})
    assert fraction() == 0.5
    # A film of millions of frames still fits the bar's int range.
    win.exporter._on_job_progress({**event, "done": 3_000_000, "total": 6_000_000, "partial": 0.5})
    assert fraction() == pytest.approx(0.5, abs=1e-6)
    panel.end_job("")


def test_the_enlarger_is_chosen_only_when_enlarging(qtbot) -> None:
    from panchro.gui.restore import RestorePanel

    panel = RestorePanel()
    qtbot.addWidget(panel)
    assert panel.settings()["upscaler"] == "film" and not panel.upscaler.isEnabled()
    panel.set_settings({"upscale": 2, "upscaler": "sharp"})
    assert panel.upscaler.isEnabled()
    assert panel.settings()["upscale"] == 2 and panel.settings()["upscaler"] == "sharp"
    panel.set_settings({"upscale": 1})  # a project from before the choice existed
    assert panel.settings()["upscaler"] == "film" and not panel.upscaler.isEnabled()
