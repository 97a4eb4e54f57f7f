"""The film's tools an album has no use for, put away while one is open.

The Go and Colour menus' actions without an album version (an action marked with the
`album` property has one) and the Colour modes panel's *Colour from a picture* are disabled,
each telling why in its tooltip, and given back as they were when the album closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction

from panchro.gui.album import REFERENCE_NOT_FOR_ALBUMS

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow


class FilmTools:
    """`put_away` the film-only tools, `give_back` each as it was."""

    def __init__(self, win: MainWindow) -> None:
        self.win = win
        self._saved: dict[Any, tuple[bool, str, str]] = {}  # enabled, tooltip, status tip

    def put_away(self) -> None:
        win = self.win
        self._saved = {}
        for w in (win.colour.reference_button,):
            self._saved[w] = (w.isEnabled(), w.toolTip(), "")
            w.setEnabled(False)
            w.setToolTip(REFERENCE_NOT_FOR_ALBUMS)
        colour = self._colour_actions()
        for a in self._film_only_actions():
            self._saved[a] = (a.isEnabled(), a.toolTip(), a.statusTip())
            a.setEnabled(False)
            if "from a &picture" in a.text():
                why = REFERENCE_NOT_FOR_ALBUMS
            elif a in colour:  # the negative and the levels: an album's are its own, there
                why = "For films; an album's pictures are read so from the Restore panel"
                why += " (Negatives, Levels)"
            else:
                why = "For films; an album's pictures are chosen in the grid"
            a.setToolTip(why)
            a.setStatusTip(why)

    def give_back(self) -> None:
        for a, (enabled, tip, status) in self._saved.items():
            a.setEnabled(enabled)
            a.setToolTip(tip)
            if isinstance(a, QAction):
                a.setStatusTip(status)
        self._saved = {}

    def _film_only_actions(self) -> list[QAction]:
        """The Go and Colour menus' actions that have no album version."""
        found: list[QAction] = []

        def walk(menu: Any) -> None:
            for a in menu.actions():
                if a.isSeparator() or a.property("album"):
                    continue
                found.append(a)
                if a.menu() is not None:
                    walk(a.menu())

        walk(self.win.go_menu)
        walk(self.win.colour_menu)
        return found

    def _colour_actions(self) -> list[QAction]:
        """The Colour menu's film-only actions: colour from a picture."""
        go = set(self.win.go_menu.actions())
        return [a for a in self._film_only_actions() if a not in go]
