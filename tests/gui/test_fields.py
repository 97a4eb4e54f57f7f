"""An interlaced film in the app: said in the facts, shown deinterlaced, and read as a person
chooses (Restore panel ▸ Fields), which its project keeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import combing, make_interlaced_video, make_video
from PySide6.QtGui import QImage

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _shown_luma(win) -> np.ndarray:
    """The frame in the view, as grey values (the test films are grey)."""
    image = win.view.pixmap().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, :width].copy()


def _comb_below_the_band(win) -> float:
    luma = _shown_luma(win)
    return combing(luma[luma.shape[0] // 2 :])


def test_fields_read_as_chosen_and_kept_in_the_project(qtbot, window, tmp_path: Path) -> None:
    win = window
    panel = win.restore_panel
    tape = make_interlaced_video(tmp_path / "tape.mp4")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(tape)
    assert "interlaced, top field first — deinterlaced as it is read" in (
        win.facts.values["codec"].text()
    )
    assert panel.fields.isVisibleTo(panel) and panel.fields_mode() == "auto"
    win.player.seek(9)
    qtbot.waitUntil(lambda: win.view.frame_index == 9, timeout=WAIT_MS)
    deinterlaced = _comb_below_the_band(win)

    # As they are: the engine reads the film again; shots stay, the frame shows its comb.
    shots = [dict(s) for s in win.shots]
    panel.fields.setCurrentIndex(panel.fields.findData("off"))
    qtbot.waitUntil(lambda: "not deinterlaced" in win.facts.values["codec"].text(), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: win.view.frame_index == 9 and _comb_below_the_band(win) > 4 * deinterlaced,
        timeout=WAIT_MS,
    )
    assert win.shots == shots and win.dirty
    assert panel.settings()["deinterlace"] == "off"
    # An edit: undone by reading the fields as before, redone the same way.
    assert win.undo_action.text().replace("&", "") == "Undo read the fields as they are"
    win.undo_action.trigger()
    qtbot.waitUntil(lambda: "deinterlaced as it is read" in win.facts.values["codec"].text(),
                    timeout=WAIT_MS)  # fmt: skip
    assert win.film_deinterlace == "auto" and panel.fields_mode() == "auto"
    assert win.shots == shots and win.edits.stack.count() == 1  # (the redo kept)
    win.redo_action.trigger()
    qtbot.waitUntil(lambda: "not deinterlaced" in win.facts.values["codec"].text(), timeout=WAIT_MS)
    assert win.film_deinterlace == "off" and panel.fields_mode() == "off"

    # Saved and opened again: read as chosen.
    project = tmp_path / "tape.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(make_video(tmp_path / "other.mp4", frames=12, audio=False))
    assert panel.fields_mode() == "auto" and panel.fields.isVisibleTo(panel)  # a new film
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    assert win.film_deinterlace == "off" and panel.fields_mode() == "off"
    qtbot.waitUntil(lambda: "not deinterlaced" in win.facts.values["codec"].text(), timeout=WAIT_MS)


def test_frames_and_photos_have_no_fields_row(qtbot, window, tmp_path: Path) -> None:
    from makemedia import make_frame_folder

    win = window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(make_frame_folder(tmp_path / "scans", 4))
    assert not win.restore_panel.fields.isVisibleTo(win.restore_panel)


def test_the_panels_choices_are_the_engines_modes() -> None:
    from panchro.engine.project import DEINTERLACE_MODES
    from panchro.gui.restore import FIELD_CHOICES

    assert tuple(mode for _, mode in FIELD_CHOICES) == DEINTERLACE_MODES
