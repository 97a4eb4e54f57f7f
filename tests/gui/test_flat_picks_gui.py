"""Colour ▸ Keep this shot black and white, Tint, Tone in the window: the pick set, the key
frame so coloured in the strip, exported, and kept with the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.service.protocol import TINTS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_a_shot_kept_grey_and_one_tinted_are_exported_and_kept(
    qtbot, window, film, tmp_path: Path
) -> None:
    win = window
    win.confirm_discard = False
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    picks = win.colour_picks
    win.player.seek(3)  # shot 1 (0..15)
    qtbot.waitUntil(lambda: win.player.displayed == 3, timeout=WAIT_MS)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.keep_black_and_white()
    assert win.picks[0].source == "grey"
    assert win.colour.pick_label.text() == "Kept black and white. Locked."
    win.player.seek(20)  # shot 2 (16..31)
    qtbot.waitUntil(lambda: win.player.displayed == 20, timeout=WAIT_MS)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.tint(rgb=TINTS["Amber"])
    assert win.colour.pick_label.text() == "Tinted amber. Locked."
    shown = picks.pick_preview(16).toImage()  # the key frame, amber in its light parts
    c = shown.pixelColor(shown.width() // 2, shown.height() // 2)
    assert c.red() > c.blue() + 20, (c.red(), c.green(), c.blue())

    win.player.seek(40)  # shot 3 (32..47), toned: every shot picked, no model needed
    qtbot.waitUntil(lambda: win.player.displayed == 40, timeout=WAIT_MS)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.tint(tone=True, rgb=(160, 112, 64))
    assert win.colour.pick_label.text() == "Toned sepia. Locked."

    panel = win.restore_panel
    panel.codec.setCurrentIndex(panel.codec.findData("ffv1"))
    out = tmp_path / "flat.mkv"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS):
        win.exporter.export(str(out))
    with media.open_source(out) as src:
        coded = np.stack([f.image for f in src.frames(0, 48, fmt="yuv444p")]).astype(int)
    assert np.abs(coded[:16, ..., 1:] - 128).max() <= 1  # shot 1: no colour at all
    assert coded[16:32, ..., 2].mean() > 134 and coded[16:32, ..., 1].mean() < 122  # amber
    y, cr = coded[32:, ..., 0], coded[32:, ..., 2] - 128
    assert cr[(y > 90) & (y < 160)].mean() > 2 * abs(cr[y > 225].mean())  # sepia in the greys

    proj = tmp_path / "flat.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(proj))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert not win.picks
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(proj)
    assert [win.picks[s].source for s in (0, 16, 32)] == ["grey", "tint", "tone"]
    win.player.seek(20)
    qtbot.waitUntil(lambda: win.player.displayed == 20, timeout=WAIT_MS)
    assert win.colour.pick_label.text() == "Tinted amber. Locked."  # named by its colour


def test_shots_tinted_one_after_another_each_get_their_picture_and_tick(
    qtbot, window, film
) -> None:
    """Three shots kept grey, tinted and toned without waiting between: each is ticked in
    the strip at once and gets its own coloured key frame (the engine answers the latest
    preview asked only, so the window asks them one at a time). The last shot offers no
    "Use for the following shots": none follow it."""
    win = window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    picks, strip = win.colour_picks, win.strip
    shown: list[int] = []
    win.flatPreviewShown.connect(shown.append)
    for frame, act in ((3, picks.keep_black_and_white),
                       (20, lambda: picks.tint(rgb=TINTS["Amber"])),
                       (40, lambda: picks.tint(tone=True, rgb=(160, 112, 64)))):  # fmt: skip
        win.player.seek(frame)
        qtbot.waitUntil(lambda frame=frame: win.player.displayed == frame, timeout=WAIT_MS)
        act()
        assert strip.list.item(frame // 16).text().endswith("✓")  # at once
        assert win.colour.apply_button.isHidden() == (frame == 40)  # none follow the last
    qtbot.waitUntil(lambda: sorted(shown) == [0, 16, 32], timeout=WAIT_MS)
    for start in (0, 16, 32):
        assert not picks.pick_preview(start).isNull()
        assert strip.list.item(start // 16).text().endswith("✓")
