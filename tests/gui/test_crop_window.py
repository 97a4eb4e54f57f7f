"""Restore panel ▸ Crop in the window: the borders the engine found said and offered, the crop drawn
over the frame, exported, and kept with the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import make_video, pattern_frame

from panchro.engine import media

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000
BARS = (20, 12, 20, 12)


@pytest.fixture(scope="module")
def barred(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 frames of a 120 x 96 picture in black bars (BARS), two shots, with sound."""
    left, top, right, bottom = BARS
    pictures = []
    for i in range(48):
        frame = np.zeros((96 + top + bottom, 120 + left + right, 3), np.uint8)
        frame[top:-bottom, left:-right] = pattern_frame(i, (120, 96), scene=int(i >= 24))
        pictures.append(frame)
    path = tmp_path_factory.mktemp("gui_crop") / "barred.mp4"
    return make_video(path, frames=48, size=(160, 120), cuts=(24,), pictures=pictures)


def test_the_borders_found_are_offered_drawn_exported_and_kept(
    qtbot, window, barred: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import QTimer

    win = window
    win.confirm_discard = False
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(barred)
    qtbot.waitUntil(lambda: win.restore_panel.borders is not None, timeout=WAIT_MS)
    panel = win.restore_panel
    assert panel.borders == BARS
    size = win.facts.values["size"]
    assert size.text() == "160 × 120; picture 120 × 96 inside borders"
    assert "left 20, top 12, right 20, bottom 12 px" in size.toolTip()
    button = panel.crop_button
    assert panel.crop is None and win.view.crop is None and not button.isChecked()
    assert "Now: None." in button.toolTip()

    seen: dict[str, object] = {}

    def use_found() -> None:  # in the dialog, as a person clicks
        dialog = win.crop_dialog
        dialog.found_button.click()
        seen["overlay"] = win.view.crop  # drawn while the dialog is open
        seen["left"] = dialog.left.text()
        dialog.accept()

    QTimer.singleShot(0, use_found)
    panel.crop_button.click()  # the dialog, modal until use_found accepts it
    assert seen["overlay"] == (20 / 160, 12 / 120, 20 / 160, 12 / 120)
    assert seen["left"] == "The picture kept: 120 × 96 of 160 × 120"
    assert panel.crop == BARS and panel.settings()["crop"] == list(BARS)
    assert (
        button.isChecked() and "Now: 20 left and right, 12 top and bottom px." in button.toolTip()
    )
    assert win.view.crop == seen["overlay"] and win.dirty

    def cancel_after_nothing() -> None:
        win.crop_dialog.none_button.click()
        assert win.view.crop is None  # cutting nothing, shown at once
        win.crop_dialog.reject()

    QTimer.singleShot(0, cancel_after_nothing)
    panel.crop_button.click()
    assert panel.crop == BARS and win.view.crop is not None  # cancelled: as it was
    assert button.isChecked()

    panel.colorize.setChecked(False)
    panel.codec.setCurrentIndex(panel.codec.findData("ffv1"))
    out = tmp_path / "cropped.mkv"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
    assert done.args[1]["width"] == 120 and done.args[1]["height"] == 96
    with media.open_source(out) as src:
        assert (src.info.width, src.info.height) == (120, 96)
        first = src.read_frame(30, fmt="gray").image
    with media.open_source(barred) as src:
        whole = src.read_frame(30, fmt="gray").image
    assert np.abs(first.astype(int) - whole[12:-12, 20:-20]).max() <= 2  # the picture, not moved

    proj = tmp_path / "barred.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(proj))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(barred)
    assert panel.crop is None and win.view.crop is None  # another opening: no crop
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(proj)
    assert panel.crop == BARS and win.view.crop is not None
    qtbot.waitUntil(lambda: panel.borders == BARS, timeout=WAIT_MS)  # the survey's, reopened


def test_colour_modes_are_drawn_for_the_picture_inside_the_crop(
    qtbot, coloured_window, barred: Path, tmp_path: Path
) -> None:
    """With a crop set, the modes are drawn for the picture alone (their previews are the
    picture's shape), the pick carries the crop into exports and the project, and a pick drawn
    for another part of the frame is said so in the Colour modes panel."""
    from dataclasses import replace

    from PySide6.QtCore import Qt

    win = coloured_window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(barred)
    panel = win.restore_panel
    qtbot.waitUntil(lambda: panel.borders == BARS, timeout=WAIT_MS)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):  # drawn on the whole frame
        qtbot.mouseClick(win.colour.sample_button, Qt.MouseButton.LeftButton)
    assert "set it with Restore panel ▸ Crop…" in win.colour.detail.text()
    panel.set_crop(BARS)
    assert win.picture_crop() == BARS
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        qtbot.mouseClick(win.colour.sample_button, Qt.MouseButton.LeftButton)
    start = int(win.shots[0]["start"])
    sampled = win.sampled[start]
    assert sampled.crop == BARS and "Restore panel ▸ Crop" not in win.colour.detail.text()
    shape = sampled.pixmaps[0].width() / sampled.pixmaps[0].height()
    assert abs(shape - 120 / 96) < 0.03  # the picture's shape, not the frame's (160 / 120)
    qtbot.mouseClick(win.candidates.tiles[1], Qt.MouseButton.LeftButton)
    pick = win.picks[start]
    assert pick.crop == BARS and win.exporter.engine_pick(start)["crop"] == list(BARS)
    assert "Drawn" not in win.colour.pick_label.text()
    panel.set_crop(None)  # the crop taken away: the pick keeps its colours, and says so
    assert "Drawn inside another crop" in win.colour.pick_label.text()
    sent = win.exporter.restoration()  # what an export asks: no crop, the pick's own kept
    assert "crop" not in sent and sent["picks"][0]["crop"] == list(BARS)
    panel.set_crop(BARS)
    win.picks[start] = replace(pick, crop=None)  # as if drawn before the crop was set
    win.colour_picks.show_pick()
    assert "Drawn on the whole frame" in win.colour.pick_label.text()
    win.picks[start] = pick

    proj = tmp_path / "picked.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(proj))
    win.picks.clear()
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(proj)
    assert win.picks[start].crop == BARS and win.picks[start].chroma == pick.chroma


def test_modes_drawn_with_the_border_in_say_so_over_them(
    qtbot, coloured_window, barred: Path
) -> None:
    """The advice to crop was in the Colour modes panel, scrolled out of sight at a usual
    window size; it is in the header over the modes too, where they are looked at."""
    win = coloured_window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(barred)
    qtbot.waitUntil(lambda: win.restore_panel.borders is not None, timeout=WAIT_MS)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    header = win.candidates.header.text()
    assert "A border was found round the picture: set it with Restore panel ▸ Crop…" in header
    win.restore_panel.set_crop(BARS)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    assert "A border was found" not in win.candidates.header.text()  # drawn inside it now
