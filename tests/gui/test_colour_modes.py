"""Colour modes in the window: sample K, see them large, pick, lock, keep them across a crash."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from panchro.engine.imaging.color import decode_bins

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 90_000


def _sample(qtbot, win, k: int) -> None:
    win.colour.k_spin.setValue(k)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS) as shown:
        qtbot.mouseClick(win.colour.sample_button, Qt.MouseButton.LeftButton)
    assert shown.args == [k]


def test_sample_pick_lock_and_survive_an_engine_crash(qtbot, coloured_window, film) -> None:
    win = coloured_window
    # Untrained weights are usable but said to be untrained, plainly.
    assert win.colour.model_status == "untrained"
    assert "UNTRAINED" in win.colour.status.text()
    assert win.colour.sample_button.isVisible()
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    win.player.seek(film.shot_starts[1] + 3)  # inside shot 2
    qtbot.waitUntil(lambda: win.player.displayed == film.shot_starts[1] + 3, timeout=WAIT_MS)

    win.colour.random_seed.setChecked(False)
    win.colour.seed.setValue(42)
    _sample(qtbot, win, 3)
    assert win.stage.currentWidget() is win.candidates
    assert len(win.candidates.tiles) == 3
    assert win.candidates.warning.isVisible() and "Untrained" in win.candidates.warning.text()
    key = int(win.shots[1]["key_frame"])
    assert f"key frame {key + 1}" in win.candidates.header.text()
    assert "seed 42" in win.candidates.header.text()
    assert all(not t.pixmap.isNull() for t in win.candidates.tiles)

    # A click picks and locks; the strip marks the shot; the panel says what was picked.
    qtbot.mouseClick(win.candidates.tiles[1], Qt.MouseButton.LeftButton)
    start = film.shot_starts[1]
    pick = win.picks[start]
    assert (pick.n, pick.seed, pick.k, pick.key_frame) == (1, 42, 3, key)
    assert decode_bins(pick.chroma, pick.chroma_size).shape[0] == 2
    assert win.candidates.tiles[1].picked and not win.candidates.tiles[0].picked
    assert win.strip.picked(1)
    assert "mode 2 of 3" in win.colour.pick_label.text()
    # Keys pick too.
    win.candidates.setFocus()
    qtbot.keyClick(win.candidates, Qt.Key.Key_3)
    assert win.picks[start].n == 2
    qtbot.keyClick(win.candidates, Qt.Key.Key_Escape)
    assert win.stage.currentWidget() is win.view

    # Give the pick to the following shots; the first shot stays without one.
    win.colour_picks.apply_pick_forward()
    assert set(win.picks) == {film.shot_starts[1], film.shot_starts[2]}
    assert win.strip.picked(2)

    # The same seed draws the same colours again.
    before = win.sampled[start].chroma
    _sample(qtbot, win, 3)
    assert win.sampled[start].chroma == before

    # The engine dies: the picks and the drawn modes are the window's, so nothing is lost.
    with qtbot.waitSignal(win.engine.engineDied, timeout=WAIT_MS):
        win.engine.process.kill()
    qtbot.waitUntil(lambda: win.engine.is_ready() and win.film is not None, timeout=WAIT_MS)
    assert win.picks[start].n == 2 and film.shot_starts[2] in win.picks
    win.colour_picks.show_candidates()
    assert win.stage.currentWidget() is win.candidates and win.candidates.tiles[2].picked

    # Unlock forgets the pick of the current shot only.
    win.player.show_film()
    win.colour_picks.unlock_pick()
    assert start not in win.picks and film.shot_starts[2] in win.picks
    assert not win.strip.picked(1)


def test_the_modes_bring_their_panel_into_sight_on_a_small_window(
    qtbot, coloured_window, film
) -> None:
    """At 1280 x 720 the Colour modes panel (K, Sample, the pick) sat below the film's facts,
    out of view, while its modes filled the stage."""
    win = coloured_window
    win.resize(1280, 720)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    win.side_scroll.verticalScrollBar().setValue(0)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    viewport = win.side_scroll.viewport()
    top = win.colour.mapTo(viewport, win.colour.rect().topLeft()).y()
    assert win.side_scroll.verticalScrollBar().maximum() > 0  # it does scroll at this size
    assert 0 <= top < viewport.height() // 2, top


def test_a_shot_kept_grey_from_its_modes_goes_back_to_the_film(
    qtbot, coloured_window, film
) -> None:
    """G over the modes kept the shot grey, and left its colour modes up, none marked,
    under "click one to pick it"."""
    win = coloured_window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    _sample(qtbot, win, 2)
    assert win.stage.currentWidget() is win.candidates
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        win.colour_picks.keep_black_and_white()
    assert win.stage.currentWidget() is win.view and win.picks[0].source == "grey"


def test_the_panel_says_how_the_colorizer_was_trained(qtbot) -> None:
    """A small network trained at reduced scale says so (the shipped one trained on a CPU and
    then a GPU for minutes, so the note names neither); a full-scale one needs no note."""
    from panchro.gui.colour_modes import ColourModesPanel

    panel = ColourModesPanel()
    qtbot.addWidget(panel)
    for scale, note in (("cpu-reduced", True), ("full", False)):
        card = {"trained": True, "scale": scale, "device": "cuda (NVIDIA H200)"}
        panel.set_models({"colorizer": {"status": "ready", "path": "/m/colorizer.safetensors",
                                        "meta": {"card": card}}})  # fmt: skip
        text = panel.status.text()
        assert text.startswith("Colorizer ready") and panel.usable
        assert ("small network, trained at reduced scale" in text) is note
        assert "CPU" not in text
        # the file's name, its folder in the tooltip
        assert panel.detail.text() == "colorizer.safetensors"
        assert panel.detail.toolTip() == "/m/colorizer.safetensors"
