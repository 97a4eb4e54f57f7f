"""A film cut short (a copy interrupted part way) opened in the window: the person is told.

The engine opens such a file and says so (`info.truncated`, `info.expected_frames`);
restoring it would quietly make a shorter film, so the window says, in sight and
without a dialog, how many of the frames the file promised can be read, and again
when it is exported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import cut_short, decoded_frames, faststart_mp4

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000
FRAMES = 132


def _cut_mp4(folder: Path) -> Path:
    """An MP4 with its index in front, cut at 30%: it opens, and plays to the cut."""
    return cut_short(faststart_mp4(folder / "whole.mp4", frames=FRAMES), 0.3, "reel.mp4")


def test_a_film_cut_short_is_said_in_the_window_and_exports_what_is_there(
    qtbot, window, film, tmp_path: Path
) -> None:
    win = window
    cut = _cut_mp4(tmp_path)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(cut)
    assert win.info["truncated"] is True and win.info["expected_frames"] == FRAMES
    n = win.frame_count
    assert 0 < n < FRAMES

    # In sight above the picture, not a dialog: both counts, and what it means.
    bar = win.message_bar
    assert bar.isVisible()
    text = bar.text.text()
    assert text.startswith(f"This file is cut short: {n} of {FRAMES} frames can be read")
    assert "reel.mp4" in text and "shorter" in text
    assert win.facts.values["frames"].text() == f"{n} of {FRAMES} (the file is cut short)"
    # And in the status bar while the film is open (the bar above can be dismissed).
    assert win.cut_short_label.isVisible()
    assert win.cut_short_label.text() == f"Cut short: {n} of {FRAMES} frames can be read"

    # Exporting says it again (the bar may have been dismissed) and writes the frames there are.
    bar.close_button.click()
    win.restore_panel.colorize.setChecked(False)  # no models here: decode -> encode
    out = tmp_path / "reel_restored.mp4"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
        assert bar.isVisible() and f"{n} of {FRAMES}" in bar.text.text()
    assert done.args[1]["frames"] == n and decoded_frames(out) == n
    assert f"{n} of {FRAMES}" in win.restore_panel.progress_label.text()

    # A whole film after it: no warning left over.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert not win.message_bar.isVisible() and not win.cut_short_label.isVisible()
    assert win.facts.values["frames"].text() == str(film.frames)
