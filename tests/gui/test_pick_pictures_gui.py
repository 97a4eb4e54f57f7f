"""A project opened again shows its picked shots in their colours: each pick's key frame is
coloured by the engine (`pick_pictures`), a few at a time, into the strip and the Colour modes
panel; read again otherwise (as a negative), they are made again from the frames as read."""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import scene_film
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from panchro.engine.service.protocol import TINTS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _mean_rgb(image: QImage) -> tuple[float, float, float]:
    total, n = [0.0, 0.0, 0.0], 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            c = image.pixelColor(x, y)
            total[0], total[1], total[2] = (
                total[0] + c.red(),
                total[1] + c.green(),
                total[2] + c.blue(),
            )
            n += 1
    return (total[0] / n, total[1] / n, total[2] / n)


def _apart(a: QImage, b: QImage) -> float:
    """The mean difference of two pictures' lightness, over a grid of their pixels."""
    points = [(x, y) for y in range(0, a.height(), 3) for x in range(0, a.width(), 3)]
    return sum(abs(a.pixelColor(*p).lightness() - b.pixelColor(*p).lightness())
               for p in points) / len(points)  # fmt: skip


def test_a_reopened_projects_picks_are_shown_in_their_colours(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    film = scene_film(tmp_path / "scene.mkv")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)

    def at(index: int) -> None:
        win.player.seek(index)
        qtbot.waitUntil(lambda: win.player.displayed == index, timeout=WAIT_MS)

    picks = win.colour_picks
    at(3)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.tint(rgb=TINTS["Amber"])
    at(15)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        picks.sample_colour_modes()
    qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    at(40)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.keep_black_and_white()
    assert set(win.picks) == {0, 12, 36}
    # a red stroke on the shot at 24, which has no pick: its hints alone colour it
    from panchro.gui.hints import Hint

    key = win.shot_list.key_frame(2)
    h, w = int(win.info["height"]), int(win.info["width"])
    win.hint_editor.store.insert(0, Hint(key, ((0.0, h / 2), (w, h / 2)), (230, 20, 20), h / 2))
    target = tmp_path / "scene.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(target))

    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(target)
    assert win.strip.picked(0) and win.strip.picked(1) and win.strip.picked(3)
    qtbot.waitUntil(
        lambda: all(picks.pick_preview(s) is not None for s in (0, 12, 36)), timeout=WAIT_MS
    )
    assert picks.pick_preview(24) is None  # no pick, no picture of a pick...

    # ...but coloured by its hints alone, shown so in the strip (it was grey when reopened)
    def reddened() -> bool:
        r, _, b = _mean_rgb(win.strip.icon_image(2))
        return r > b + 20

    qtbot.waitUntil(reddened, timeout=WAIT_MS)
    tinted, drawn, grey = (win.strip.icon_image(n) for n in (0, 1, 3))
    r, g, b = _mean_rgb(tinted)
    assert r > b + 20  # amber
    r, g, b = _mean_rgb(grey)
    assert max(r, g, b) - min(r, g, b) < 4
    assert drawn.size() == tinted.size()
    at(15)
    assert not win.colour.pick_preview.pixmap().isNull()  # the panel shows the pick too
    assert not win.dirty  # made to be seen: nothing changed in the project

    # Read as a negative, the pictures made before show the frames as they were: made again.
    before = win.strip.icon_image(0)
    win.negative_action.trigger()
    qtbot.waitUntil(lambda: win.info.get("scan") == "a negative turned positive", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: picks.pick_preview(0) is not None, timeout=WAIT_MS)
    assert _apart(win.strip.icon_image(0), before) > 40  # its light and dark turned
