"""Restore panel ▸ Negatives and Levels in an album: each picture turned positive and its own
faded levels stretched, in the colour modes drawn, the export and the album's project; Scans
and Borders: the grid shows a crooked print turned square and cut from its border."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from dropping import open_album
from makephotos import png
from PIL import Image

from tests.makemedia import pattern_frame

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _negatives(folder: Path) -> Path:
    """Two scanned negatives of faded prints: tones within 30..80 % once turned positive."""
    folder.mkdir()
    for name, (w, h) in (("beach.png", (80, 60)), ("garden.png", (64, 48))):
        x = np.linspace(0.3, 0.8, w)[None, :].repeat(h, 0)
        png(folder / name, np.round((1 - x) * 255).astype(np.uint8))
    return folder


def test_negatives_turned_and_levels_stretched_in_an_album(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    folder = _negatives(tmp_path / "negs")
    open_album(qtbot, win, folder, timeout=WAIT_MS)
    album, panel = win.album, win.restore_panel
    assert panel.turn_negative.isVisibleTo(win) and panel.stretch_levels.isVisibleTo(win)
    before = album.grid.thumbnail("beach.png").toImage().pixelColor(2, 20).value()
    panel.turn_negative.setChecked(True)
    panel.stretch_levels.setChecked(True)
    assert album.settings()["negative"] is True and album.settings()["levels"] is True
    # each an edit of its own, undone and made again (the pictures read again each time)
    assert win.undo_action.text().replace("&", "") == "Undo stretch levels on"
    win.undo_action.trigger()
    assert not panel.stretch_levels.isChecked() and album.settings()["negative"] is True
    win.redo_action.trigger()
    assert album.settings()["levels"] is True and not win.redo_action.isEnabled()
    # the grid shows the pictures as now read: the negative's light left turned dark
    qtbot.waitUntil(lambda: album.grid.thumbnail("beach.png") is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: album.grid.thumbnail("garden.png") is not None, timeout=WAIT_MS)
    after = album.grid.thumbnail("beach.png").toImage().pixelColor(2, 20).value()
    assert before > 160 and after < 20
    win.colour.k_spin.setValue(2)
    win.album_grid.select("beach.png")
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        album.open_picture("beach.png")  # the modes drawn for the positive, stretched
    # Compare: before as the file holds it (the negative), after as read and restored.
    with qtbot.waitSignal(album.compareShown, timeout=WAIT_MS):
        album.compare()
    header = win.compare.header.text()
    assert "before as its file holds it, after with a negative turned positive; levels" in header
    shown = {k: getattr(win.compare.canvas, k).toImage() for k in ("before", "after")}
    row = shown["before"].height() // 2
    assert shown["before"].pixelColor(3, row).value() > 150  # the negative's light left
    assert shown["after"].pixelColor(3, row).value() < 40  # turned dark, stretched
    album.show_grid()
    out = tmp_path / "out"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS):
        album.exports.export_album(str(out))
    for name in ("beach.png", "garden.png"):
        grey = np.asarray(Image.open(out / name).convert("L")).astype(int)
        assert grey[:, :4].mean() < 12 and grey[:, -4:].mean() > 243, name  # dark left
    project = tmp_path / "negs.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        album.projects.save_as(str(project))
    doc = json.loads(project.read_text())
    assert doc["settings"]["negative"] is True and doc["settings"]["levels"] is True
    assert album.close()
    panel.turn_negative.setChecked(False)
    panel.stretch_levels.setChecked(False)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_any(str(project))
    qtbot.waitUntil(lambda: panel.turn_negative.isChecked(), timeout=WAIT_MS)
    assert panel.stretch_levels.isChecked()


def test_the_grid_shows_a_crooked_print_square_and_cut_once_asked(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    folder = tmp_path / "prints"
    folder.mkdir()
    pic = np.asarray(Image.fromarray(pattern_frame(5, (240, 180))).convert("L")).clip(50, 200)
    paper = np.full((180 + 48, 240 + 48), 240, np.uint8)
    paper[24:-24, 24:-24] = pic
    lid = np.full((paper.shape[0] + 60, paper.shape[1] + 60), 25, np.uint8)
    lid[30:-30, 30:-30] = paper
    Image.fromarray(lid).rotate(3.0, Image.Resampling.BICUBIC, fillcolor=25).save(
        folder / "crooked.png"
    )
    png(folder / "other.png", np.full((40, 50), 128, np.uint8))
    open_album(qtbot, win, folder, timeout=WAIT_MS)
    album, panel = win.album, win.restore_panel
    album.grid.select("crooked.png")
    assert "Read:" not in win.album_panel.picture.text()
    as_scanned = album.grid.thumbnail("crooked.png").toImage()
    assert as_scanned.pixelColor(1, 1).value() < 40  # the scanner's lid in the corner
    with qtbot.waitSignal(album.settled, timeout=WAIT_MS):
        panel.straighten.setChecked(True)
    with qtbot.waitSignal(album.settled, timeout=WAIT_MS):
        panel.cut_borders.setChecked(True)
    shown = album.grid.thumbnail("crooked.png").toImage()
    corners = [(1, 1), (shown.width() - 2, 1), (1, shown.height() - 2)]
    assert all(shown.pixelColor(x, y).value() > 40 for x, y in corners)  # lid and paper cut
    assert shown.width() / shown.height() == pytest.approx(240 / 180, rel=0.06)
    text = win.album_panel.picture.text()
    assert "Read: straightened (-3." in text and "border cut" in text
