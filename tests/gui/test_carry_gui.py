"""Colour ▸ Colour its scene alike in the window: a shot's colours carried to the shots of its
scene that have no pick (another scene's shot left as it was), their strip marks and panel
words, one undoable edit, and kept by the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from makemedia import scene_film

from panchro.engine.service.protocol import TINTS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_a_shots_colours_are_carried_to_its_scene_and_undone(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    film = scene_film(tmp_path / "scene.mkv")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    assert [int(s["start"]) for s in win.shots] == [0, 12, 24, 36]
    picks = win.colour_picks

    def at(index: int) -> None:
        win.player.seek(index)
        qtbot.waitUntil(lambda: win.player.displayed == index, timeout=WAIT_MS)

    at(3)
    picks.carry_to_scene()  # nothing picked yet: said, nothing asked
    assert "pick a mode first" in win.statusBar().currentMessage()
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.tint(rgb=TINTS["Amber"])
    assert win.colour.carry_button.isVisible()
    with qtbot.waitSignal(win.colourCarried, timeout=WAIT_MS) as done:
        win.colour.carry_button.click()
    assert done.args == [2]
    assert {s: p.source for s, p in sorted(win.picks.items())} == {
        0: "tint",
        12: "carried",
        36: "carried",
    }  # the other scene's shot (24) keeps its automatic colours
    assert "carried to 2 shots of its scene (2, 4); 1 did not match" in (
        win.statusBar().currentMessage()
    )
    assert [win.strip.picked(n) for n in range(win.strip.count())] == [True, True, False, True]
    assert picks.pick_preview(12) is not None  # its key frame coloured, in the strip
    at(15)
    assert win.colour.pick_label.text() == "Colours carried from shot 1. Locked."

    # One edit: undone at once, and made again.
    assert win.undo_action.text().replace("&", "") == "Undo carry shot 1's colours to its scene"
    win.undo_action.trigger()
    assert set(win.picks) == {0}
    win.redo_action.trigger()
    assert set(win.picks) == {0, 12, 36}

    # A shot with a pick of its own keeps it: carried again, shot 4 is left alone.
    at(40)
    win.colour_picks.keep_black_and_white()
    del win.picks[12]
    at(3)
    with qtbot.waitSignal(win.colourCarried, timeout=WAIT_MS) as done:
        picks.carry_to_scene()
    assert done.args == [1] and win.picks[36].source == "grey"
    assert win.picks[12].source == "carried"

    # Kept by the project, said as carried, and from where, when it is opened again.
    target = tmp_path / "scene.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(target))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(target)
    assert win.picks[12].source == "carried"
    at(15)
    assert win.colour.pick_label.text() == "Colours carried from shot 1. Locked."
    assert json.loads(target.read_text())["shots"][1]["pick"]["name"] == "shot 1"


def test_an_album_pictures_colours_are_carried_to_its_others(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    import numpy as np
    from dropping import open_album
    from makephotos import png
    from PySide6.QtCore import Qt

    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    y, x = np.mgrid[0:120, 0:160]
    scene = np.where(x < 80, 200 - y * 0.3, 50 + 40 * (((x // 6) + (y // 6)) % 2))
    for name, grey in (("a.png", scene), ("b.png", scene[:, ::-1]), ("c.png", y * 2.0)):
        png(box / name, np.clip(grey, 0, 255).astype(np.uint8))
    open_album(qtbot, win, box)
    album = win.album
    album.carry.carry()  # nothing picked yet: said, nothing asked
    assert "Pick this picture's colours first" in win.statusBar().currentMessage()
    win.colour.k_spin.setValue(2)
    win.album_grid.select("a.png")
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        album.open_picture("a.png")
    qtbot.keyClick(win.candidates, Qt.Key.Key_1)
    assert win.colour.carry_button.isVisibleTo(win.colour)
    with qtbot.waitSignal(win.colourCarried, timeout=WAIT_MS) as done:
        win.colour.carry_button.click()
    assert done.args == [1] and album.picks["b.png"].source == "carried"
    assert "c.png" not in album.picks  # another scene: its automatic colours
    assert "colours carried from a.png" in album.grid.item_of("b.png").text()
    assert album.pick_preview("b.png") is not None  # its colours shown on its tile
    win.undo_action.trigger()
    assert set(album.picks) == {"a.png"}
    win.redo_action.trigger()
    assert album.picks["b.png"].source == "carried" and album.pick_preview("b.png") is not None
