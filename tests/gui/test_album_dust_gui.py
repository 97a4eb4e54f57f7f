"""An album's Dust row: a picture's dust is found by its look (the speck finder), so the row
stays for albums where the rows of a film's frames judged together go; its words are a
picture's; its value goes into every album request, and an engine without the finder's
weights says so in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from dropping import open_album
from makephotos import photo_pixels, png

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_an_albums_dust_row_and_what_comes_of_it(qtbot, coloured_window, tmp_path: Path) -> None:
    win = coloured_window
    panel = win.restore_panel
    assert "frames either side" in panel.dust.toolTip()  # a film's words first
    box = tmp_path / "box"
    box.mkdir()
    png(box / "a.png", photo_pixels((96, 64), seed=1))
    open_album(qtbot, win, box)
    form = panel._form
    assert form.isRowVisible(panel.dust)
    assert not any(form.isRowVisible(b) for b in panel.film_rows.values())  # scratches, ...
    assert "by their look" in panel.dust.toolTip()
    panel.colorize.setChecked(False)
    assert not panel.restores_something()
    panel.dust.setValue(0.5)
    assert panel.restores_something()
    assert win.album.settings()["dust"] == 0.5 and "scratches" not in win.album.settings()
    # Compare asks the engine, which has no speck finder here: said, not a blank result.
    win.album_grid.select("a.png")
    panel.compare_button.click()
    qtbot.waitUntil(lambda: "speck_finder" in win.message_bar.text.text(), timeout=WAIT_MS)
    assert "Could not restore this picture" in win.message_bar.text.text()
    assert win.stage.currentWidget() is win.album_stage
