"""Edit ▸ Undo and Redo: one history for the project's edits. Shots split and merged, picks
made, given to the shots after, unlocked, one-colour picks, hints and an album's picks are
each taken back and made again, in the order they were made; a new edit ends the redo; a
film opened starts the history again."""

from __future__ import annotations

from pathlib import Path

import pytest
from dropping import two_pictures_with_modes
from PySide6.QtCore import Qt

from panchro.engine.service.protocol import TINTS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _plain(text: str) -> str:
    return text.replace("&", "")


def _starts(win) -> list[int]:
    return [int(s["start"]) for s in win.shots]


def _sources(win) -> dict[int, str]:
    return {start: pick.source for start, pick in sorted(win.picks.items())}


def _apart(a, b, at: tuple[int, int]) -> int:
    """How far two pictures' colours are at one place (summed over R, G, B)."""
    return sum(abs(x - y) for x, y in zip(a.pixelColor(*at).getRgb(), b.pixelColor(*at).getRgb(),
                                          strict=True))  # fmt: skip


def test_shots_and_picks_are_undone_and_redone_in_order(qtbot, window, film) -> None:
    from panchro.gui.hints import AddHint, Hint

    win = window
    undo, redo = win.undo_action, win.redo_action
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert not undo.isEnabled() and not redo.isEnabled() and _plain(undo.text()) == "Undo"

    def at(index: int) -> None:
        win.player.seek(index)
        qtbot.waitUntil(lambda: win.player.displayed == index, timeout=WAIT_MS)

    picks = win.colour_picks
    at(8)
    win.shot_list.split_shot()
    assert _starts(win) == [0, 8, 16, 32] and _plain(undo.text()) == "Undo split shot 1"
    at(20)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.tint(rgb=TINTS["Amber"])
    tinted = win.picks[16]
    at(3)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        picks.keep_black_and_white()
    picks.apply_pick_forward()  # to shots 2 and 4; shot 3 keeps its tint
    made = {0: "grey", 8: "grey", 16: "tint", 32: "grey"}
    assert _sources(win) == made
    assert _plain(undo.text()) == "Undo give shot 1's pick to the shots after"

    win.dirty = False
    undo.trigger()
    assert _sources(win) == {0: "grey", 16: "tint"} and win.dirty
    assert win.statusBar().currentMessage() == "Undone: give shot 1's pick to the shots after"
    assert _plain(undo.text()) == "Undo keep shot 1 black and white"
    assert not win.strip.picked(1)  # its mark gone with the pick
    undo.trigger()
    assert _sources(win) == {16: "tint"}
    assert "Locked" not in win.colour.pick_label.text()  # the panel: shot 1 has no pick now
    assert _plain(undo.text()) == "Undo tint shot 3 amber"
    undo.trigger()
    assert win.picks == {}
    undo.trigger()
    assert _starts(win) == [0, 16, 32] and not undo.isEnabled()
    assert _plain(redo.text()) == "Redo split shot 1"

    for _ in range(4):
        redo.trigger()
    assert _starts(win) == [0, 8, 16, 32] and _sources(win) == made and not redo.isEnabled()
    assert win.picks[16] is tinted  # the same pick, with its picture of the key frame
    assert picks.pick_preview(16) is not None and picks.pick_preview(0) is not None
    # a pick given to the shots after shows each one's own key frame, made by the engine
    qtbot.waitUntil(lambda: None not in map(picks.pick_preview, (8, 32)), timeout=WAIT_MS)
    assert [win.strip.picked(n) for n in range(win.strip.count())] == [True] * 4
    for n, start in enumerate((0, 8, 16, 32)):  # each shot's icon: its pick, not the film's
        icon = win.strip.icon_image(n)
        pick = picks.pick_preview(start).scaled(icon.size()).toImage()
        film_frame = win.shot_list.thumbnail(n).scaled(icon.size()).toImage()
        at_ = (icon.width() // 2, icon.height() // 3)
        near_pick, near_film = (_apart(icon, other, at_) for other in (pick, film_frame))
        # (kept grey, a black-and-white film's shot looks as its frame: only the tint differs)
        assert near_pick < (12 if made[start] == "grey" else min(12, near_film)), (n, near_pick)
    assert win.colour.pick_label.text() == "Kept black and white. Locked."  # at frame 3

    # Every shot has colours now: nothing is left to go to.
    at(10)
    win.shot_list.step_unpicked(1)
    assert "every shot has its colours" in win.statusBar().currentMessage()

    # A merge takes the later shot's pick away; undone, it is back on its own shot.
    at(10)
    win.shot_list.merge_shot()
    assert _starts(win) == [0, 16, 32] and 8 not in win.picks
    undo.trigger()
    assert _starts(win) == [0, 8, 16, 32] and win.picks[8].source == "grey"

    # Hints share the history: the last edit is taken back first, whatever it was.
    at(20)
    picks.unlock_pick()
    assert 16 not in win.picks and _plain(undo.text()) == "Undo unlock shot 3"
    at(3)
    win.shot_list.step_unpicked(1)  # to the one shot without colours now, past those with
    qtbot.waitUntil(lambda: win.player.displayed == 16, timeout=WAIT_MS)
    assert "Shot 3: no colours chosen (1 of 4 shots without)" in win.statusBar().currentMessage()
    win.shot_list.step_unpicked(1)
    assert "No shot after this one is without colours" in win.statusBar().currentMessage()
    at(20)
    editor = win.hint_editor
    editor.undo.push(AddHint(editor.store, Hint(20, ((5.0, 5.0),), (9, 9, 9))))
    assert _plain(undo.text()) == "Undo add point"
    undo.trigger()
    assert len(editor.store) == 0 and 16 not in win.picks
    undo.trigger()
    assert len(editor.store) == 0 and win.picks[16] is tinted

    # A new edit after an undo: what was undone cannot be made again.
    assert redo.isEnabled()
    at(40)
    win.shot_list.split_shot()
    assert _starts(win) == [0, 8, 16, 32, 40] and not redo.isEnabled()
    assert win.picks[40] is win.picks[32]  # the new part keeps the shot's pick

    # An edit that changes nothing is no entry: a shot starts at 40 already.
    count = win.edits.stack.count()
    win.shot_list.split_shot()
    assert win.edits.stack.count() == count

    # Another film: a history of the one before would name shots it does not have.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert not undo.isEnabled() and win.edits.stack.count() == 0


def test_a_picked_colour_mode_is_undone_in_the_grid_too(qtbot, coloured_window, film) -> None:
    win = coloured_window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    tiles = win.candidates.tiles
    qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    qtbot.keyClick(win.candidates, Qt.Key.Key_1)
    assert win.picks[0].n == 0 and [t.picked for t in tiles] == [True, False]
    assert _plain(win.undo_action.text()) == "Undo pick colour mode 1 for shot 1"
    win.undo_action.trigger()
    assert win.picks[0].n == 1 and [t.picked for t in tiles] == [False, True]
    win.undo_action.trigger()
    assert 0 not in win.picks and [t.picked for t in tiles] == [False, False]
    assert not win.strip.picked(0)
    win.redo_action.trigger()
    assert win.picks[0].n == 1 and [t.picked for t in tiles] == [False, True]
    assert win.strip.picked(0)


def test_an_album_pictures_pick_is_undone(qtbot, coloured_window, tmp_path: Path) -> None:
    win = coloured_window
    two_pictures_with_modes(qtbot, win, tmp_path / "box")
    album, grid = win.album, win.album_grid
    qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    assert album.picks["b.png"].n == 1 and "mode 2 of 2 picked" in grid.item_of("b.png").text()
    assert win.undo_action.isEnabled()  # the Edit menu works in an album
    win.undo_action.trigger()
    assert "b.png" not in album.picks and "picked" not in grid.item_of("b.png").text()
    assert [t.picked for t in win.candidates.tiles] == [False, False]
    assert "None picked yet" in win.album_panel.summary.text()
    win.redo_action.trigger()
    assert album.picks["b.png"].n == 1 and "mode 2 of 2 picked" in grid.item_of("b.png").text()
    album.unpick()
    assert "b.png" not in album.picks
    win.undo_action.trigger()
    assert album.picks["b.png"].n == 1
