"""File ▸ Sound… and the Restore panel's sound button: a silent scan given a score, the file
checked by the engine before OK takes it, undone as a setting, kept by the project, and
heard in the export where it was placed."""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import click_times, make_frame_folder, make_sound, make_video
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialogButtonBox

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _ok(dialog) -> bool:  # noqa: ANN001
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_a_silent_scan_gets_a_score(qtbot, window, tmp_path: Path) -> None:
    import av

    win = window
    panel = win.restore_panel
    folder = make_frame_folder(tmp_path / "scans", 36)  # 1.5 s at 24 fps
    score = make_sound(tmp_path / "score.flac", 4.0, codec="flac", clicks=[0.5])
    not_sound = make_video(tmp_path / "pictures.mp4", frames=6, audio=False)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(folder, fps=24.0)
    button = panel.sound
    assert button.label == "Silent" and button.isVisibleTo(panel)
    assert "soundtrack" not in panel.settings()

    seen: dict[str, object] = {}

    def fill_in() -> None:  # the dialog as a person fills it in
        dialog = win.soundtrack_dialog
        assert dialog is not None and dialog.own.text() == "None (the film is silent)"
        dialog.choose_file(str(not_sound))
        qtbot.waitUntil(lambda: "Cannot be used" in dialog.facts.text(), timeout=WAIT_MS)
        seen["refused"] = dialog.facts.text()
        assert not _ok(dialog)
        dialog.choose_file(str(score))
        qtbot.waitUntil(lambda: "FLAC" in dialog.facts.text(), timeout=WAIT_MS)
        seen["facts"] = dialog.facts.text()
        dialog.offset.setValue(2.0)  # after the film's end
        assert not _ok(dialog) and "after the film's end" in dialog.facts.text()
        dialog.offset.setValue(0.25)
        assert _ok(dialog)
        dialog.accept()

    QTimer.singleShot(0, fill_in)
    button.click()
    assert "holds no sound" in str(seen["refused"])
    assert seen["facts"] == "FLAC, stereo, 48 kHz, 4.00 s"
    assert panel.settings()["soundtrack"] == str(score)
    assert panel.settings()["soundtrack_offset"] == 0.25
    assert button.label == "score.flac" and win.dirty
    assert win.undo_action.text().replace("&", "") == "Undo soundtrack score.flac"
    win.undo_action.trigger()
    assert "soundtrack" not in panel.settings() and button.label == "Silent"
    win.redo_action.trigger()
    assert panel.settings()["soundtrack"] == str(score)

    panel.colorize.setChecked(False)  # no models here
    panel.codec.setCurrentIndex(panel.codec.findData("prores"))
    out = tmp_path / "scored.mov"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
    assert done.args[0] == "export" and done.args[1]["audio_streams"] == 1
    said = panel.note.text()
    assert "Sound: soundtrack score.flac (flac, 2 ch), from 0.250 s of the film" in said
    assert "Sound: the soundtrack (flac) re-encoded as ALAC (lossless)" in said
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "alac"  # FLAC kept lossless in MOV
    assert click_times(out) == pytest.approx([0.75], abs=0.002)

    # A preview is heard with it, to place it by: 1 s from the middle, frames 6..29 (from
    # 0.25 s), so the click at 0.75 s of the film comes at 0.5 s.
    preview = tmp_path / "preview.mp4"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.render_preview(str(preview), seconds=1.0)
    assert done.args[0] == "preview" and done.args[1]["audio_streams"] == 1
    assert click_times(preview) == pytest.approx([0.5], abs=0.03)

    # A folder of frames out carries no sound: the button is off, nothing is sent.
    panel.codec.setCurrentIndex(panel.codec.findData("png16"))
    assert not button.isEnabled()
    assert "soundtrack" not in win.exporter.delivery(panel.settings())
    panel.codec.setCurrentIndex(panel.codec.findData("h264"))

    project = tmp_path / "scans.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(folder, fps=24.0)
    assert "soundtrack" not in panel.settings()
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: panel.settings().get("soundtrack") == str(score), timeout=WAIT_MS)
    assert panel.settings()["soundtrack_offset"] == 0.25

    # The project and its score moved together: found beside the project, said, and the
    # project is to be saved with where it is now.
    moved_dir = tmp_path / "moved"
    moved_dir.mkdir()
    (tmp_path / "scans.panchro").rename(moved_dir / "scans.panchro")
    score = score.rename(moved_dir / "score.flac")
    project = moved_dir / "scans.panchro"
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: "found beside the project" in win.message_bar.text.text(),
                    timeout=WAIT_MS)  # fmt: skip
    assert panel.settings()["soundtrack"] == str(score)
    qtbot.waitUntil(lambda: win.dirty, timeout=WAIT_MS)

    # The score moved away: said on opening the project, and the dialog says why it cannot
    # be used until another file is chosen.
    moved = score.rename(tmp_path / "score_moved.flac")
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: "soundtrack" in win.message_bar.text.text(), timeout=WAIT_MS)
    assert "is not there: File ▸ Sound…" in win.message_bar.text.text()

    def find_it() -> None:
        dialog = win.soundtrack_dialog
        qtbot.waitUntil(lambda: "does not exist" in dialog.facts.text(), timeout=WAIT_MS)
        assert not _ok(dialog)
        dialog.choose_file(str(moved))
        qtbot.waitUntil(lambda: _ok(dialog), timeout=WAIT_MS)
        dialog.accept()

    QTimer.singleShot(0, find_it)
    win.sound_action.trigger()
    assert panel.settings()["soundtrack"] == str(moved)

    def back_to_own() -> None:
        dialog = win.soundtrack_dialog
        qtbot.waitUntil(lambda: "FLAC" in dialog.facts.text(), timeout=WAIT_MS)  # checked again
        dialog.own.setChecked(True)
        dialog.accept()

    QTimer.singleShot(0, back_to_own)
    win.sound_action.trigger()
    assert "soundtrack" not in panel.settings()
    assert win.undo_action.text().replace("&", "") == "Undo the film's own sound"
