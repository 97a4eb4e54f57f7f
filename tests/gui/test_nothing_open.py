"""The window before anything is opened: what its menus say, rather than doing nothing."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMessageBox

from panchro.gui.window import NOTHING_OPEN

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _action(win, text: str) -> QAction:
    found = [a for a in win.actions() if a.text().replace("&", "") == text]
    assert len(found) == 1, text
    return found[0]


def test_film_actions_with_nothing_open_say_what_to_open(qtbot, window, film) -> None:
    """Save, Export…, Play, Mark in, Tint…, Compare and more did nothing with nothing open;
    Split said "A shot starts here already"; Sample colour modes wrote its answer into a
    panel scrolled out of sight; the negative toggle was left checked, and opening a film
    reset it unseen."""
    win = window
    status = win.statusBar()
    for text in ("Save project", "Export…", "Play / pause", "Mark in",
                 "Split shot at this frame", "Sample colour modes", "Tint this shot…",
                 "Compare before | after", "Export this frame…"):  # fmt: skip
        status.clearMessage()
        _action(win, text).trigger()
        assert status.currentMessage() == NOTHING_OPEN, text
    negative = _action(win, "Read the film as a negative")
    negative.trigger()
    assert not negative.isChecked() and status.currentMessage() == NOTHING_OPEN
    assert not win.player.playing and win.film is None
    # Help needs nothing open
    status.clearMessage()
    _action(win, "Keyboard shortcuts").trigger()
    assert status.currentMessage() != NOTHING_OPEN
    # with a film open, the album's own export says which one a film has
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    _action(win, "Export selected picture…").trigger()
    assert "Export this frame" in status.currentMessage()
    _action(win, "Split shot at this frame").trigger()
    assert status.currentMessage() != NOTHING_OPEN


def test_the_log_folder_is_named_where_no_file_manager_opens_it(
    qtbot, window, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Help ▸ Open log folder did nothing at all where no file manager could open it."""
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    _action(window, "Open log folder").trigger()
    qtbot.waitUntil(
        lambda: any(w.isVisible() for w in window.findChildren(QMessageBox)), timeout=5000
    )
    box = next(w for w in window.findChildren(QMessageBox) if w.isVisible())
    assert str(window.engine.log_path.parent) in box.text()
    box.close()


def test_every_menu_has_its_own_letters_and_the_hints_keys_are_listed(window) -> None:
    """File and Colour had letters twice (Alt then the letter cycled instead of choosing),
    most of Go had none; the hints, now in Colour ▸ Hints, keep their keys in F1's list."""
    menus = [(m.title(), m) for m in (a.menu() for a in window.menuBar().actions()) if m]
    for title, menu in menus:
        letters = []
        for a in menu.actions():
            if a.menu():
                menus.append((f"{title} ▸ {a.text()}", a.menu()))
            if "&" in a.text():
                letters.append(a.text().split("&", 1)[1][0].lower())
        assert len(letters) == len(set(letters)), (title, sorted(letters))
    listed = window.help.shortcuts_html()
    assert "Colour ▸ Hints" in listed and "Point tool" in listed and "Shift+H" in listed


def test_icon_buttons_and_views_have_names_a_screen_reader_says(window) -> None:
    """The transport's five icon buttons, the frame and the shot strip had no name."""
    t = window.timeline
    names = [b.accessibleName() for b in (t.prev_shot, t.prev_frame, t.play, t.next_frame,
                                         t.next_shot)]  # fmt: skip
    assert names == ["Previous shot", "Previous frame", "Play", "Next frame", "Next shot"]
    assert window.view.accessibleName() and window.strip.list.accessibleName() == "Shots"
    assert window.restore_panel.codec.toolTip()
