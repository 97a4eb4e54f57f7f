"""A colour snapshot among black-and-white pictures, in the window: the grid, the picture's
panel and compare say it keeps its own colours (the engine's `own` pick); a mode picked
colours it anew, and forgetting the pick gives its own colours back. Opened alone, the
picture's panel says so too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dropping import open_album
from makephotos import photo_pixels, png, snapshot_pixels
from PySide6.QtCore import Qt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _snapshot(path: Path) -> Path:
    return png(path, snapshot_pixels((96, 64)))


def test_a_colour_snapshot_in_an_album_keeps_its_own_colours(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    _snapshot(box / "snapshot.png")
    png(box / "grey.png", photo_pixels((96, 64), seed=1))
    open_album(qtbot, win, box)
    album, grid = win.album, win.album_grid
    qtbot.waitUntil(lambda: all(p.upright for p in album.pictures), timeout=WAIT_MS)
    assert album.by_name["snapshot.png"].in_colour and not album.by_name["grey.png"].in_colour
    assert "its own colours kept" in grid.item_of("snapshot.png").text()
    assert "automatic colours" in grid.item_of("grey.png").text()
    assert "1 keeps its own colours" in win.album_panel.summary.text()
    grid.select("grey.png")
    win.restore_panel.colorize.setChecked(False)  # no colours made: the words say so
    assert "not colorized" in grid.item_of("grey.png").text()
    assert "its own colours kept" in grid.item_of("snapshot.png").text()
    assert "Colorize is off" in win.album_panel.picture.text()
    assert "Colorize is off: no colours are made" in win.album_panel.summary.text()
    win.restore_panel.colorize.setChecked(True)
    assert "automatic colours" in grid.item_of("grey.png").text()
    assert "Colours: automatic" in win.album_panel.picture.text()
    said = win.album_panel.summary.text()
    assert "a picture without a pick gets automatic colours (or its hints')" in said
    grid.select("snapshot.png")
    assert "in colour already and keeps them" in win.album_panel.picture.text()
    assert "keeps its own colours" in win.colour.pick_label.text()
    with qtbot.waitSignal(album.compareShown, timeout=WAIT_MS):
        album.compare()
    assert win.compare.data["pick"]["source"] == "own"
    assert "its own colours (in colour already)" in win.compare.header.text()
    assert win.compare.data["luma_max_diff"] < 1e-3
    album.show_grid()
    # A mode picked colours it anew; forgetting the pick gives its own colours back.
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        album.open_picture("snapshot.png")
    album.pick_candidate(0)
    assert "mode 1 of 2 picked" in grid.item_of("snapshot.png").text()
    album.show_grid()
    album.unpick()
    assert "its own colours again" in win.statusBar().currentMessage()
    assert "its own colours kept" in grid.item_of("snapshot.png").text()


def test_a_colour_photo_opened_alone_says_it_keeps_its_colours(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    photo = _snapshot(tmp_path / "holiday.png")
    with qtbot.waitSignal(win.album.opened, timeout=WAIT_MS):
        win.projects.open_any(str(photo))
    qtbot.waitUntil(lambda: win.album.pictures[0].upright, timeout=WAIT_MS)
    assert win.album.single
    assert "in colour already, it keeps its own colours" in win.album_panel.summary.text()


def test_a_person_keeps_the_own_colours_of_a_picture_the_engine_was_unsure_of(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    """A picture with colours of one hue of its own (a yellowed half: as an old print's stains
    lie, or a colour photo of few colours) is colorized and its tile says it may hold colours
    of its own; Colour ▸ Keep its own colours keeps them, in the grid and in the export, and
    Undo takes it back. A grey picture has none to keep, and is said so."""
    from panchro.engine import media

    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    g = photo_pixels((96, 64)).astype(int)
    two = np.stack([g, g, g], axis=-1)
    two[:, 48:, 2] -= 60  # the right half yellowed
    two = np.clip(two, 0, 255).astype(np.uint8)
    png(box / "two.png", two)
    png(box / "grey.png", photo_pixels((96, 64), seed=2))
    open_album(qtbot, win, box)
    album, grid = win.album, win.album_grid
    qtbot.waitUntil(lambda: all(p.upright for p in album.pictures), timeout=WAIT_MS)
    two_pic = album.by_name["two.png"]
    assert not two_pic.in_colour and two_pic.maybe_colour
    assert "in colour? (O keeps it)" in grid.item_of("two.png").text()
    keep = next(a for a in win.colour_menu.actions() if a.text() == "Keep its &own colours")
    grid.select("grey.png")
    keep.trigger()
    assert "grey.png has no colours of its own to keep" in win.statusBar().currentMessage()
    assert not album.picks
    grid.select("two.png")
    assert "Keep its own colours (O) keeps them" in win.album_panel.picture.text()
    keep.trigger()
    assert album.picks["two.png"].source == "own" and album.dirty
    assert "its own colours kept" in grid.item_of("two.png").text()
    out = tmp_path / "out"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS):
        album.exports.export_album(str(out))
    assert (media.read_picture(out / "two.png").pixels == two).all()
    assert "1 keeps its own colours" in win.album_panel.summary.text()
    win.edits.undo()
    assert "two.png" not in album.picks


def _modes_of_first_shot(qtbot, win, film) -> None:
    """`film` opened, two colour modes of its first shot drawn."""
    win.confirm_discard = False
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    win.player.seek(3)
    qtbot.waitUntil(lambda: win.player.displayed == 3, timeout=WAIT_MS)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        qtbot.mouseClick(win.colour.sample_button, Qt.MouseButton.LeftButton)


def test_a_film_shot_in_colour_is_said_to_keep_its_colours_unless_picked(
    qtbot, coloured_window, colour_film
) -> None:
    """The test film is in colour: drawing a shot's modes says the export keeps its own
    colours while no mode is picked (`restore.own` in the engine), and says nothing once one
    is."""
    win = coloured_window
    _modes_of_first_shot(qtbot, win, colour_film)
    assert win.sampled[0].in_colour and not win.sampled[0].maybe_in_colour
    said = "This shot is in colour already: with no mode picked, the export keeps its own colours"
    assert said in win.candidates.header.text()
    win.colour_picks.pick_candidate(0)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        qtbot.mouseClick(win.colour.sample_button, Qt.MouseButton.LeftButton)
    assert said not in win.candidates.header.text()


def test_a_hint_on_a_film_shot_in_colour_lies_over_its_own_colours(
    qtbot, window, colour_film
) -> None:
    """A point on a colour shot nobody picked for: the preview is its own colours with the
    point's correction laid on (not the point alone over grey), and says so."""
    from test_hints_gui import _click, _open_and_edit

    win = window
    _open_and_edit(qtbot, win, colour_film)
    qtbot.keyClick(win, Qt.Key.Key_P)
    win.hint_editor.use_colour((30, 200, 30))
    _click(qtbot, win, 0.25, 0.5)
    data = win.compare.data
    assert data["hints"] == 1 and data["alone"] is False and data["pick"]["source"] == "own"
    assert "1 hint over its own colours" in win.compare.header.text()


def test_a_black_and_white_film_shot_has_no_colours_of_its_own_to_keep(
    qtbot, coloured_window, film
) -> None:
    """Once its modes are drawn and say the shot is grey, Keep its own colours is refused (a
    locked "own" pick would only keep it grey, unsaid); the shot keeps no pick."""
    win = coloured_window
    _modes_of_first_shot(qtbot, win, film)
    assert not win.sampled[0].in_colour
    win.colour_picks.keep_own_colours()
    assert "has no colours of its own to keep" in win.statusBar().currentMessage()
    assert 0 not in win.picks


def test_the_strip_knows_the_shots_in_colour_before_their_modes_are_drawn(
    qtbot, window, colour_film, film
) -> None:
    """The thumbnails come judged: Go ▸ Next shot without colours passes shots in colour
    already (each keeps its own), and their tooltips say so; a black-and-white film's
    shots are all still to do."""
    win = window
    win.confirm_discard = False
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(colour_film.path)
    qtbot.waitUntil(lambda: not win.shot_list.thumbnails_pending(), timeout=WAIT_MS)
    assert all(win.shot_list.judged.values()) and len(win.shot_list.judged) == 3
    assert "in colour already" in win.strip.list.item(1).toolTip()
    win.shot_list.step_unpicked(+1)
    assert "every shot has its colours" in win.statusBar().currentMessage()
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    qtbot.waitUntil(lambda: not win.shot_list.thumbnails_pending(), timeout=WAIT_MS)
    assert "in colour already" not in win.strip.list.item(1).toolTip()
    win.shot_list.step_unpicked(+1)
    assert "no colours chosen (3 of 3 shots without)" in win.statusBar().currentMessage()


def test_the_strip_judges_its_shots_again_inside_a_new_crop(
    qtbot, window, colour_film, monkeypatch
) -> None:
    """A crop set after the thumbnails came: each key frame is asked for again inside it, and
    judged there (the colours are made for the picture inside the crop)."""
    win = window
    win.confirm_discard = False
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(colour_film.path)
    qtbot.waitUntil(lambda: not win.shot_list.thumbnails_pending(), timeout=WAIT_MS)
    asked: list[dict] = []
    request = win.engine.request

    def noting(kind, handler, **body):
        if body.get("judge"):
            asked.append(body)
        return request(kind, handler, **body)

    monkeypatch.setattr(win.engine, "request", noting)
    win.restore_panel.set_crop((4, 2, 4, 2))
    qtbot.waitUntil(lambda: not win.shot_list.thumbnails_pending(), timeout=WAIT_MS)
    keys = {win.shot_list.key_frame(n) for n in range(len(win.shots))}
    assert {b["index"] for b in asked} == keys and all(b["crop"] == [4, 2, 4, 2] for b in asked)
    assert len(win.shot_list.judged) == 3
    asked.clear()
    win.restore_panel.degrain.setValue(0.5)  # another setting: nothing asked again
    assert asked == []
