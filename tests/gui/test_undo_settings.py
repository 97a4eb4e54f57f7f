"""Edit ▸ Undo and Redo of the Restore panel's settings and of how the film's values are read:
a strength stepped several times is one entry, a crop and the output each their own, and the
film read as a negative or stretched is read again as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_levels_gui import _faded_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _plain(text: str) -> str:
    return text.replace("&", "")


def test_restore_settings_are_undone_a_box_at_a_time(qtbot, window, film) -> None:
    win = window
    panel, undo, redo = win.restore_panel, win.undo_action, win.redo_action
    panel.degrain.setValue(0.4)  # nothing open yet: what the film opens with, no edit
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    assert win.edits.stack.count() == 0
    now = [100.0]
    win.edits.clock = lambda: now[0]

    for value in (0.5, 0.6, 0.7):  # the arrow held: one edit
        panel.degrain.setValue(value)
        now[0] += 0.3
    assert win.edits.stack.count() == 1 and _plain(undo.text()) == "Undo clean up 0.7"
    now[0] += 5
    panel.degrain.setValue(0.8)  # later: an edit of its own
    now[0] += 0.2
    panel.set_crop((4, 2, 4, 2))  # soon after, but another setting
    panel.codec.setCurrentIndex(panel.codec.findData("ffv1"))
    panel.colorize.setChecked(False)
    assert win.edits.stack.count() == 5
    assert _plain(undo.text()) == "Undo colorize off"

    win.dirty = False
    undo.trigger()
    assert panel.colorize.isChecked() and win.dirty
    assert win.statusBar().currentMessage() == "Undone: colorize off"
    assert _plain(undo.text()) == "Undo output ffv1"
    undo.trigger()
    assert panel.settings()["codec"] == "h264"
    undo.trigger()
    assert panel.crop is None and not panel.crop_button.isChecked()
    undo.trigger()
    assert panel.degrain.value() == pytest.approx(0.7)
    undo.trigger()
    assert panel.degrain.value() == pytest.approx(0.4) and not undo.isEnabled()

    for _ in range(5):
        redo.trigger()
    s = panel.settings()
    assert s["degrain"] == 0.8 and s["crop"] == [4, 2, 4, 2] and s["codec"] == "ffv1"
    assert not s["colorize"] and not redo.isEnabled()
    assert win.edits.stack.count() == 5  # an undo's change is not recorded again

    # A box taken back to where it started within the moment is no edit at all.
    now[0] += 5
    panel.dust.setValue(0.3)
    now[0] += 0.2
    panel.dust.setValue(0.0)
    assert _plain(undo.text()) == "Undo colorize off"

    # Another film: the history goes, and its crop cleared on opening is no edit.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert win.edits.stack.count() == 0 and panel.crop is None


def test_a_film_read_otherwise_is_read_again_as_it_was(qtbot, window, tmp_path: Path) -> None:
    win = window
    undo, redo = win.undo_action, win.redo_action
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(_faded_folder(tmp_path / "faded"))
    qtbot.waitUntil(lambda: win.measured_levels is not None, timeout=WAIT_MS)
    measured = list(win.measured_levels)
    count = win.edits.stack.count()

    win.levels_action.trigger()
    qtbot.waitUntil(lambda: bool(win.info.get("levels")), timeout=WAIT_MS)
    assert win.edits.stack.count() == count + 1
    assert _plain(undo.text()) == "Undo stretch the film's levels"
    win.negative_action.trigger()  # drops the stretch: one edit, taken back whole
    qtbot.waitUntil(lambda: win.info.get("scan") == "a negative turned positive", timeout=WAIT_MS)
    assert win.film_levels is None
    assert _plain(undo.text()) == "Undo read the film as a negative"

    undo.trigger()
    qtbot.waitUntil(
        lambda: not win.info.get("scan") and bool(win.info.get("levels")), timeout=WAIT_MS
    )
    assert win.film_scan == "auto" and win.film_levels == measured
    assert not win.negative_action.isChecked() and win.levels_action.isChecked()
    assert win.statusBar().currentMessage() == "Undone: read the film as a negative"
    undo.trigger()
    qtbot.waitUntil(lambda: win.info.get("levels") is None, timeout=WAIT_MS)
    assert win.film_levels is None and not win.levels_action.isChecked()
    assert redo.isEnabled() and undo.isEnabled() == bool(count)

    # Redone twice at once: the second read asked while the first is on its way; the film
    # the first opened is closed in the engine when its answer comes.
    sent: list[tuple[str, dict]] = []
    request = win.engine.request
    win.engine.request = lambda t, *a, **k: sent.append((t, k)) or request(t, *a, **k)
    redo.trigger()
    redo.trigger()
    qtbot.waitUntil(lambda: win.info.get("scan") == "a negative turned positive", timeout=WAIT_MS)
    assert win.film_scan == "negative" and win.film_levels is None
    assert win.edits.stack.count() == count + 2 and not redo.isEnabled()
    opens = [k for t, k in sent if t == "open"]
    assert len(opens) == 2 and opens[1].get("scan") == "negative"
    qtbot.waitUntil(lambda: sum(t == "close" for t, _ in sent) >= 2, timeout=WAIT_MS)
    closed = [k["film"] for t, k in sent if t == "close"]
    assert win.film not in closed and len(set(closed)) == 2  # the one before, the superseded
