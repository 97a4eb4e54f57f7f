"""The main window, in parts: a shell that builds it and one controller a concern.

- `main_window`: `MainWindow`, the shell: menus, panels, status bar, the engine's state;
  it holds what is open (the film, its shots, the playhead, the picks) and wires the rest
- `player`: the film view, scrubbing and playback (J/K/L)
- `shots`: shot detection, splitting and merging, moving by shot, the strip's thumbnails
- `colour`: colour modes drawn for a shot, and the picks
- `edits`: Edit ▸ Undo and Redo, one history of the project's edits (hints, shots, picks)
- `recovery`: unsaved work kept against a crash, and offered back at the next start
- `export`: compare, preview renders and exports, with their progress and warnings
- `projects`: opening films, frame folders, images and projects; saving; recent files
- `album`: albums and single pictures in place of a film: the grid, a picture's colour
  modes and pick, compare; `album_export`: exporting the picture or the whole album;
  `album_project`: an album's picks and hints saved as a project and opened again
- `help`: the Help menu (keyboard shortcuts, self-test, log folder, About)

Each controller is a `QObject` child of the window that keeps the engine requests of its
concern; what is open lives in the window, where every controller reads it, and not in
the engine, so an engine restart loses none of it. Here: the app's name, the one way an
action is connected (`on_triggered`; `when_open` for what needs something open), and the
pictures of a preview answer (`pixmaps_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QPixmap

APP_NAME = "Panchro"
# An album request's part that says how its pictures are read (as the engine's
# `restore_picture` reads them), sent with a sample or a hint preview as with an export.
READ_AS = ("crop", "straighten", "negative", "levels")


def on_triggered(action: QAction, slot: Callable[[], object]) -> None:
    """Run `slot()` when `action` is triggered, without the signal's `checked` argument.

    PySide hands `checked` to any slot that can take an argument, so a slot with an
    optional parameter got it as data: Export… called `export(output=False)` and Save
    project as… sent `project_path=False` to the engine (issue 15). Every action of the
    window is connected through here.
    """
    action.triggered.connect(lambda *_: slot())


NOTHING_OPEN = "Open a film, a folder of frames or photos first (File ▸ Open…)"


def when_open(win: Any, action: QAction, slot: Callable[[], object]) -> Callable[[], object]:
    """`slot`, run only while a film, a picture or an album is open. With nothing open the
    film's actions did nothing, or answered as if about a film ("A shot starts here
    already"), or said so where it could not be seen; now the status bar says what to do
    first, and a checkable action is left unchecked (opening a film reset it unseen)."""

    def run() -> object:
        if win.film is None and not win.album.active:
            if action.isCheckable():
                action.setChecked(False)
            win.statusBar().showMessage(NOTHING_OPEN, 6000)
            return None
        return slot()

    return run


def pixmaps_of(data: dict[str, Any], blob: bytes) -> dict[str, QPixmap]:
    """The named pictures of an answer in `preview`'s form (`images`: name, offset and length
    of each JPEG in the blob), those Qt can read, by name."""
    pixmaps: dict[str, QPixmap] = {}
    for part in data.get("images") or []:
        pm = QPixmap()
        off, n = int(part["offset"]), int(part["length"])
        if pm.loadFromData(blob[off : off + n]):
            pixmaps[str(part["name"])] = pm
    return pixmaps
