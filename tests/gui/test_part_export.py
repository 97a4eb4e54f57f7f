"""A part of the film marked (Go ▸ Mark in / Mark out) and exported from the window: the
part's frames with its sound, the marks shown on the timeline, kept with the project, and an
interrupted part export resumed as a part."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from makemedia import decoded_frames

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_a_marked_part_exports_with_its_sound_and_resumes_after_reopening(
    qtbot, coloured_window, long_film: Path, tmp_path: Path
) -> None:
    win = coloured_window
    # 10 s in two shots; the part (frames 101 to 220) crosses the cut, several chunks long.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(long_film)
    win.restore_panel.codec.setCurrentIndex(win.restore_panel.codec.findData("ffv1"))
    slider = win.timeline.slider
    win.player.seek(100)
    win.exporter.mark_in()
    assert win.exporter.part() == (100, 240) and slider.part == (100, 240)
    win.player.seek(219)
    win.exporter.mark_out()
    assert win.exporter.part() == (100, 220) and slider.part == (100, 220)
    assert "frames 101 to 220" in win.statusBar().currentMessage()
    # Restore's panel offers it beside Export.
    button = win.restore_panel.export_part_button
    assert button.isVisible() and "frames 101 to 220" in button.toolTip()
    assert "120 frames" in win.statusBar().currentMessage()

    out = tmp_path / "part.mkv"
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as failed:
        win.exporter.export_part(str(out))
        # The progress counts the part's frames; past its first chunk (frames 101 to 120)
        # by far, so that chunk is done and kept.
        assert win.restore_panel.progress_label.text() == "Exporting: 0 / 120 frames"
        qtbot.waitUntil(lambda: win.restore_panel.frames_shown() > 60, timeout=WAIT_MS)
        win.exporter.cancel_job()
    assert failed.args == ["export", "cancelled"]
    assert Path(f"{out}.panchro-job").is_dir() and not out.exists()
    proj = tmp_path / "f.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(proj))

    # Another film clears the marks; the project brings them back with the resume.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(long_film)
    assert win.exporter.part() is None and slider.part is None
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(proj)
    assert win.exporter.part() == (100, 220) and slider.part == (100, 220)
    assert button.isVisible()
    said = win.message_bar.text.text()
    assert "frames 101 to 220" in said and "interrupted" in said
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.message_bar.action_button.click()
    summary = done.args[1]
    assert summary["resumed_frames"] > 0 and summary["frames"] == 120, summary
    assert summary["audio_streams"] == 1
    assert out.is_file() and decoded_frames(out) == 120
    with av.open(str(out)) as c:
        first = next(c.demux(c.streams.video[0]))
        assert first.pts == 0  # the part starts at 0

    # Clearing the marks: the whole film again, and the timeline unshaded.
    win.exporter.clear_marks()
    assert win.exporter.part() is None and slider.part is None and not button.isVisible()
    assert "whole film" in win.statusBar().currentMessage()
    win.statusBar().clearMessage()
    win.exporter.export_part(str(tmp_path / "none.mkv"))
    assert "Mark a part first" in win.statusBar().currentMessage()
    assert win.exporter._job_req is None


def test_preview_comes_from_the_marked_part_or_the_films_middle(
    qtbot, window, film, tmp_path: Path
) -> None:
    win = window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    win.restore_panel.colorize.setChecked(False)  # no models here
    win.restore_panel.deflicker.setValue(1.0)  # something to restore
    out = tmp_path / "preview.mp4"
    # The button, as a person clicks it; where to write is asked.
    from PySide6.QtWidgets import QFileDialog

    asked: list[str] = []

    def save_to(parent, caption, suggested="", filters="", *rest):
        asked.append(caption)
        return str(out), filters

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(QFileDialog, "getSaveFileName", save_to)
        with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
            win.restore_panel.preview_button.click()
    assert asked == ["Write a preview (before | after)"]
    assert done.args[0] == "preview"
    # 48 frames at 24 fps: 5 s is more than the film, so all of it.
    assert any(n.startswith("preview of 48 frames from 0.000 s") for n in done.args[1]["notes"])
    win.player.seek(30)
    win.exporter.mark_in()
    win.player.seek(41)
    win.exporter.mark_out()
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.render_preview(str(out), seconds=0.25)
    assert any(n.startswith("preview of 6 frames from 1.375 s") for n in done.args[1]["notes"])
    assert decoded_frames(out) == 6
    # The panel's Export part button writes the part (where to is asked).
    part = tmp_path / "part.mp4"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(part), ""))
        with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
            win.restore_panel.export_part_button.click()
    assert done.args[0] == "export" and done.args[1]["frames"] == 12
    assert decoded_frames(part) == 12
