"""The colours' strength beside Colorize: a setting (undone as one), sent with every request
that colours frames as a render does, a photo album's too."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def test_the_colour_strength_box(qtbot, window, film) -> None:
    win = window
    panel = win.restore_panel
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert panel.strength.isVisibleTo(panel) and panel.strength.value() == 1.0
    assert "colour_strength" not in panel.settings()
    panel.strength.setValue(0.6)
    assert panel.settings()["colour_strength"] == 0.6
    assert win.exporter.restoration()["colour_strength"] == 0.6
    assert win.colouring()["colour_strength"] == 0.6  # hint previews, the strip's pictures
    assert win.undo_action.text().replace("&", "") == "Undo colour strength 0.6"
    win.undo_action.trigger()
    assert panel.strength.value() == 1.0 and "colour_strength" not in win.colouring()
    win.redo_action.trigger()
    assert panel.strength.value() == 0.6
    panel.colorize.setChecked(False)
    assert not panel.strength.isEnabled()  # nothing to make stronger
    panel.colorize.setChecked(True)
    panel.set_album_mode("album")  # a photo's colours too (an album's settings keep it)
    assert panel.strength.isVisibleTo(panel) and panel.settings()["colour_strength"] == 0.6
    assert win.album.settings()["colour_strength"] == 0.6  # what the album's requests take
    panel.set_album_mode("")
