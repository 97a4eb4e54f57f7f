"""The colour modes and the picks' pictures are shown at the colours' strength: drawn at it,
and drawn again (the same modes: their seed) when it changes, a film's and an album's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dropping import two_pictures_with_modes
from makemedia import scene_film
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _colour(picture: QPixmap | QImage) -> float:
    """How far a picture's pixels are from grey, on average (0..255)."""
    image = (picture.toImage() if isinstance(picture, QPixmap) else picture).convertToFormat(
        QImage.Format.Format_RGB888
    )
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    rgb = rows[:, : w * 3].reshape(h, w, 3).astype(np.float32)
    return float(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean())


def _grey(picture: QPixmap | QImage | None) -> bool:
    return picture is not None and _colour(picture) < 1.0


def test_a_films_modes_and_picks_follow_the_strength(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scene_film(tmp_path / "scene.mkv"))
    win.player.seek(15)
    qtbot.waitUntil(lambda: win.player.displayed == 15, timeout=WAIT_MS)
    win.colour.k_spin.setValue(2)
    panel = win.restore_panel
    panel.strength.setValue(0.5)  # drawn at it from the start
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    half = win.candidates.sampled
    assert half.strength == 0.5 and "colour strength 0.5" in win.colour.detail.text()
    assert "shown at colour strength 0.5" in win.candidates.header.text()
    qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    start = 12
    assert win.colour_picks.pick_preview(start) is half.pixmaps[1]
    half_colour = _colour(half.pixmaps[1])
    assert half_colour > 2.0  # an untrained model's colours, measurable at half strength

    # Stronger: the modes on show drawn again with their seed, so the same modes, stronger.
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        panel.strength.setValue(1.0)
    full = win.candidates.sampled
    assert (full.seed, full.chroma, full.strength) == (half.seed, half.chroma, 1.0)
    assert _colour(full.pixmaps[1]) > 1.6 * half_colour
    assert win.candidates.tiles[1].picked  # the pick is still that mode
    # the pick's picture, the mode's or the one the strip asked for: at the new strength
    assert _colour(win.colour_picks.pick_preview(start)) > 1.6 * half_colour
    assert _colour(win.strip.icon_image(1)) > 1.4 * half_colour

    # Away from the modes, a change is made by the strip's pictures: asked of the engine.
    qtbot.keyClick(win.candidates, Qt.Key.Key_Escape)
    panel.strength.setValue(0.0)
    qtbot.waitUntil(lambda: _grey(win.colour_picks.pick_preview(start)), timeout=WAIT_MS)
    assert _grey(win.strip.icon_image(1))
    assert win.sampled[start].strength == 1.0  # not drawn again until shown
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.show_candidates()
    assert win.candidates.sampled.strength == 0.0
    assert all(_colour(pm) < 1.0 for pm in win.candidates.sampled.pixmaps)


def test_an_albums_modes_and_picks_follow_the_strength(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    two_pictures_with_modes(qtbot, win, tmp_path / "box")
    album = win.album
    drawn = win.candidates.sampled
    assert drawn.strength == 1.0
    qtbot.keyClick(win.candidates, Qt.Key.Key_1)
    full_colour = _colour(album.pick_preview("b.png"))
    assert full_colour > 2.0
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        win.restore_panel.strength.setValue(0.5)
    again = win.candidates.sampled
    assert (again.seed, again.chroma, again.strength) == (drawn.seed, drawn.chroma, 0.5)
    assert "shown at colour strength 0.5" in win.candidates.header.text()
    assert abs(_colour(again.pixmaps[0]) / _colour(drawn.pixmaps[0]) - 0.5) < 0.15
    assert album.pick_preview("b.png") is again.pixmaps[0]  # its tile's colours
    qtbot.keyClick(win.candidates, Qt.Key.Key_Escape)
    win.restore_panel.strength.setValue(0.0)
    qtbot.waitUntil(lambda: _grey(album.pick_preview("b.png")), timeout=WAIT_MS)
