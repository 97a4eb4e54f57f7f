"""Restore panel ▸ Borders in an album: each picture's own border (a print's paper, black round
another) cut off, the modes drawn for the picture inside it, exported, and kept with the
album's project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from dropping import open_album
from makephotos import photo_pixels, png
from PIL import Image
from PySide6.QtCore import Qt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _prints(folder: Path) -> Path:
    folder.mkdir()
    inner = photo_pixels((72, 56), seed=4).clip(60, 200)
    paper = np.full((74, 90), 245, np.uint8)
    paper[8:64, 8:80] = inner  # 8 px of paper round, 10 at the bottom and right
    png(folder / "print.png", paper)
    black = np.zeros((64, 80), np.uint8)
    black[4:60, 4:76] = inner
    png(folder / "neg.png", black)
    return folder


def test_each_pictures_border_is_cut_and_kept_with_the_project(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    folder = _prints(tmp_path / "prints")
    open_album(qtbot, win, folder, timeout=WAIT_MS)
    album, panel = win.album, win.restore_panel
    assert panel.cut_borders.isVisibleTo(win) and not panel.crop_button.isVisibleTo(win)
    panel.cut_borders.setChecked(True)
    assert album.settings()["crop"] == "auto"
    assert panel.straighten.isVisibleTo(win) and "straighten" not in album.settings()
    win.colour.k_spin.setValue(2)
    win.album_grid.select("print.png")
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        album.open_picture("print.png")
    assert album.sampled["print.png"].crop == (8, 8, 10, 10)
    qtbot.keyClick(win.candidates, Qt.Key.Key_1)
    assert album.picks["print.png"].crop == (8, 8, 10, 10)
    assert album.engine_pick("print.png")["crop"] == [8, 8, 10, 10]
    # the hint editor shows the picture whole (its marks line up), coloured as exported
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win, Qt.Key.Key_H)
    shown = win.compare.data
    assert shown["output_size"] == [90, 74] and "border cut: 8, 8, 10, 10 px" in shown["notes"][-1]
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    out = tmp_path / "out"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        album.exports.export_album(str(out))
    assert done.args[1]["picked"] == ["print.png"]
    for name in ("print.png", "neg.png"):
        assert Image.open(out / name).size == (72, 56), name

    project = tmp_path / "prints.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        album.projects.save_as(str(project))
    doc = json.loads(project.read_text())
    assert doc["settings"]["borders"] is True
    assert doc["pictures"]["print.png"]["pick"]["crop"] == [8, 8, 10, 10]
    assert album.close()
    panel.cut_borders.setChecked(False)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_any(str(project))
    qtbot.waitUntil(lambda: "print.png" in album.picks, timeout=WAIT_MS)
    assert panel.cut_borders.isChecked() and album.picks["print.png"].crop == (8, 8, 10, 10)
    panel.straighten.setChecked(True)  # Restore panel ▸ Scans: asked of every picture request
    assert album.settings()["straighten"] is True
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        album.open_picture("neg.png")
    assert album.sampled["neg.png"].crop == (4, 4, 4, 4)
