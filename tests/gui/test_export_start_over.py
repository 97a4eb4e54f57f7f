"""An export that stopped, and another asked with other settings to the same file: the app
says what differs and offers to start over (the command line's --restart), never a message
in the command line's words; declined, the stopped job is kept to be resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
from asking import answering
from makemedia import decoded_frames

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _opened_for_ffv1(qtbot, win, film: Path):
    """`film` open in `win`, exported losslessly (FFV1): its Restore panel."""
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    panel = win.restore_panel
    panel.codec.setCurrentIndex(panel.codec.findData("ffv1"))
    return panel


def test_an_export_stopped_with_other_settings_is_offered_to_start_over(
    qtbot, coloured_window, long_film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    win = coloured_window
    panel = _opened_for_ffv1(qtbot, win, long_film)
    out = tmp_path / "film.mkv"
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS):
        win.exporter.export(str(out))
        qtbot.waitUntil(lambda: panel.frames_shown() > 60, timeout=WAIT_MS)
        win.exporter.cancel_job()
    assert Path(f"{out}.panchro-job").is_dir()
    panel.dust.setValue(0.5)  # another setting: the stopped job cannot be resumed by it

    asked: list[str] = []

    def answer(choice):
        return answering(choice, asked)

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS):
        win.exporter.export(str(out))
    assert "stopped before it ended, with other settings" in asked[0] and "dust" in asked[0]
    said = win.message_bar.text.text()
    assert said.startswith("Export not started") and "Edit ▸ Undo" in said
    assert "--restart" not in said and "command" not in said
    assert Path(f"{out}.panchro-job").is_dir() and not out.exists()  # kept to be resumed

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
        # the failure said before is not this export's
        qtbot.waitUntil(lambda: not win.message_bar.isVisible(), timeout=WAIT_MS)
    summary = done.args[1]
    assert len(asked) == 2 and summary["resumed_frames"] == 0 and summary["frames"] == 240
    assert decoded_frames(out) == 240 and not Path(f"{out}.panchro-job").exists()
    assert "made before it stopped" not in win.message_bar.text.text()


def test_a_stopped_export_over_a_file_there_before_resumes(
    qtbot, coloured_window, long_film: Path, tmp_path: Path
) -> None:
    """The save dialog asked to replace the file once; going on with the job (the same file
    again, or Resume) replaces it without asking, where the engine refused it as there."""
    win = coloured_window
    panel = _opened_for_ffv1(qtbot, win, long_film)
    out = tmp_path / "film.mkv"
    out.write_bytes(b"an export of last week")
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS):
        win.exporter.export(str(out))
        qtbot.waitUntil(lambda: panel.frames_shown() > 125, timeout=WAIT_MS)
        win.exporter.cancel_job()
    assert out.read_bytes() == b"an export of last week"  # untouched until the new one is made
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
    assert done.args[1]["resumed_frames"] > 0
    assert decoded_frames(out) == 240 and not Path(f"{out}.panchro-job").exists()


def test_an_export_the_engine_stopped_under_is_offered_to_resume(
    qtbot, coloured_window, long_film: Path, tmp_path: Path
) -> None:
    """Killed (as the system kills a process when memory runs out), the engine is restarted
    and the film opened again; the export it was making is offered to go on from its
    finished chunks, and the reason is the kill, not the last line the engine logged."""
    win = coloured_window
    panel = _opened_for_ffv1(qtbot, win, long_film)
    out = tmp_path / "film.mkv"
    win.exporter.export(str(out))
    qtbot.waitUntil(lambda: panel.frames_shown() > 125, timeout=WAIT_MS)
    with qtbot.waitSignal(win.engine.engineDied, timeout=WAIT_MS) as died:
        win.engine.process.kill()
    assert "killed" in died.args[0] and "INFO" not in died.args[0], died.args[0]
    bar = win.message_bar
    qtbot.waitUntil(lambda: "during the export to film.mkv" in bar.text.text(), timeout=WAIT_MS)
    assert "finished chunks are kept" in bar.text.text()
    assert bar.action_button.text() == "Resume" and bar.action_button.isVisible()
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        bar.action_button.click()
    assert done.args[1]["resumed_frames"] > 0
    assert decoded_frames(out) == 240 and not Path(f"{out}.panchro-job").exists()
