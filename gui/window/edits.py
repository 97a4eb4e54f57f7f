"""Undo and redo of a person's edits to what is open: one history for the whole project.

A shot split or merged, a colour mode picked, a pick given to the shots after, unlocked,
a shot kept black and white, tinted, toned or coloured from a picture, an album picture's
pick, every colour hint, a Restore panel setting (a strength, the crop, the output) and how
the film's values are read (as a negative, its levels stretched), how its fields are read
and the speed it is shown at: each is one entry of the window's one `QUndoStack`, so Edit ▸
Undo takes back whatever was done last, hint or not. Settings are recorded as they change
(`SettingsEdit`; a box stepped several times in a row is one entry), a reading as the film is
read again (`ReadingEdit`: undone by reading it again as it was). A reading that gives the
film another frame count (fields matched, repeats left out, a folder's gaps closed up) starts
the history again, this entry with it, since the entries before name frames of the film as it
was read (the shots, picks and hints themselves are moved onto the same pictures). The
hints' own commands (`gui.hints.AddHint`, `RemoveHints`) change the hint store; every other
edit is recorded as the window's shots and picks before and after it (`Snapshot`), which an
undo puts back whole. A snapshot holds references, not copies: a `Pick` is never changed in
place (a new pick replaces it), and neither is a shot's dict (splitting makes new ones), so a
snapshot costs a dict and a list however long the film. The picture of a one-colour or reference
pick is kept by the pick (`ColourPicks.pick_pictures`), so it comes back with it.

History starts again when a film, album or project is opened or the film is read with
another frame count (`HintEditor.reset` clears the stack), since its entries name frames
and shots of what was open.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoCommand, QUndoStack

if TYPE_CHECKING:
    from panchro.gui.restore import RestorePanel
    from panchro.gui.window.main_window import MainWindow

# What each Restore panel setting is called in the Edit menu ("Undo clean up 0.6").
SETTING_NAMES = {
    "colorize": "colorize", "degrain": "clean up", "scratches": "scratches", "dust": "dust",
    "stabilize": "stabilize", "deflicker": "deflicker", "upscale": "enlarge",
    "upscaler": "enlarge with", "codec": "output", "crop": "crop", "borders": "cut borders",
    "straighten": "straighten", "negative": "turn negatives", "levels": "stretch levels",
    "deliver_fps": "deliver at", "fit": "size", "fit_frame": "size",
    "soundtrack": "soundtrack", "soundtrack_offset": "soundtrack",
    "colour_strength": "colour strength",
}  # fmt: skip
# Panel settings that read the film again (fields, scan; a film's levels, a list) or follow
# from another: not restored by `RestorePanel.set_settings`, so not a `SettingsEdit`'s.
NOT_SET = ("deinterlace", "scan", "bit_depth")
MERGE_S = 1.5  # a box changed again within this is the same edit (held arrows, typing)


@dataclass(frozen=True)
class Snapshot:
    """The window's shots and picks at one moment (a film's, and an album's picks)."""

    shots: tuple[dict[str, Any], ...]
    picks: dict[int, Any]
    album_picks: dict[str, Any]

    def same_as(self, other: Snapshot) -> bool:
        """Nothing changed between the two (by identity: see the module's words)."""

        def same(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
            return a.keys() == b.keys() and all(a[k] is b[k] for k in a)

        return (
            len(self.shots) == len(other.shots)
            and all(a is b or a == b for a, b in zip(self.shots, other.shots, strict=True))
            and same(self.picks, other.picks)
            and same(self.album_picks, other.album_picks)
        )


class MadeEdit(QUndoCommand):
    """An edit pushed after it was made (so the stack's first call of `redo` has nothing to
    do): undo puts `before` back, redo `after`, each by `put(state, what the status says)`."""

    def __init__(self, text: str, before: Any, after: Any, put: Callable[[Any, str], None]) -> None:
        super().__init__(text)
        self.before, self.after, self.put = before, after, put
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.put(self.after, f"Redone: {self.text()}")

    def undo(self) -> None:
        self.put(self.before, f"Undone: {self.text()}")


class SnapshotEdit(MadeEdit):
    """One edit of shots or picks: the window's `Snapshot`s before and after it."""

    def __init__(self, edits: Edits, text: str, before: Snapshot, after: Snapshot) -> None:
        super().__init__(text, before, after, edits.put_back)


def setting_text(before: dict[str, Any], after: dict[str, Any]) -> str:
    """An edit of the Restore settings as the Edit menu names it: "clean up 0.6", "crop",
    "colorize off"; "restore settings" when more than one changed."""
    keys = [k for k in SETTING_NAMES if before.get(k) != after.get(k)]
    if keys and set(keys) <= {"fit", "fit_frame"}:  # one choice of the Size box
        box = after.get("fit")
        whole = ", whole frame" if after.get("fit_frame") else ""
        return f"size {box[0]} x {box[1]}{whole}" if box else "size as restored"
    if keys and set(keys) <= {"soundtrack", "soundtrack_offset"}:
        path = after.get("soundtrack")
        if not path:
            return "the film's own sound"
        name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
        return f"soundtrack {name}" if "soundtrack" in keys else "soundtrack's start"
    if len(keys) != 1:
        return "restore settings"
    key, value = keys[0], after.get(keys[0])
    if key == "colour_strength":  # absent: as drawn
        return f"colour strength {value if value is not None else 1.0:g}"
    if key == "deliver_fps":
        return f"deliver at {value:g} fps" if value else "deliver as shown"
    if key == "crop" or value is None:
        return SETTING_NAMES[key] if value else f"no {SETTING_NAMES[key]}"
    if isinstance(value, bool):
        said = "on" if value else "off"
    elif key == "upscale":
        said = f"×{value}"
    elif isinstance(value, float):
        said = f"{value:g}" if value else "off"
    else:
        said = str(value)
    return f"{SETTING_NAMES[key]} {said}"


class SettingsEdit(MadeEdit):
    """A change of the Restore panel's settings, pushed as it is made. The same setting
    changed again soon after (`MERGE_S`) joins it: one undo takes a box back to where it
    was before the arrows were held."""

    ID = 1

    def __init__(
        self, edits: Edits, before: dict[str, Any], after: dict[str, Any], when: float
    ) -> None:
        super().__init__(setting_text(before, after), before, after, edits.put_settings)
        self.when = when

    def id(self) -> int:
        return self.ID

    def _keys(self) -> set[str]:
        return {k for k in self.before.keys() | self.after.keys()
                if self.before.get(k) != self.after.get(k)}  # fmt: skip

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SettingsEdit) or other.when - self.when > MERGE_S:
            return False
        if other._keys() != self._keys():
            return False
        self.after, self.when = other.after, other.when
        self.setText(setting_text(self.before, self.after))
        self.setObsolete(self.after == self.before)  # back where it started: no edit
        return True


# How a film is read: its scan mode, the levels stretched, its fields, the rate it is shown at
Reading = tuple[str, tuple[float, ...] | None, str, float | None]


class ReadingEdit(MadeEdit):
    """The film read otherwise (as a negative, its levels stretched, its fields read otherwise,
    shown at another speed): undone and redone by
    reading it again as it was, the shots, picks and hints kept as the edit itself keeps
    them (the frames are the same pictures)."""

    def __init__(self, edits: Edits, text: str, before: Reading, after: Reading) -> None:
        super().__init__(text, before, after, edits.put_reading)


class Edits(QObject):
    """The window's history (`stack`), the Edit menu's Undo and Redo, and `edit(text)`,
    which the controllers wrap each change of shots or picks in."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.stack = QUndoStack(self)
        self.panel: RestorePanel | None = None
        self._settings: dict[str, Any] = {}  # the panel's as last recorded
        self._putting_back = False  # what an undo changes is not a new edit
        self.clock = time.monotonic  # when a setting changed (tests give their own)

    def watch_settings(self, panel: RestorePanel) -> None:
        """Record each change of the Restore panel's settings as an edit."""
        self.panel = panel
        self._settings = self._panel_settings()
        panel.settingsChanged.connect(self._settings_changed)

    def restart(self) -> None:
        """Another film, album or project, or the film read with another frame count: nothing
        to undo; the settings as they are now are where the next edit starts from."""
        self.stack.clear()
        self._settings = self._panel_settings()

    def _panel_settings(self) -> dict[str, Any]:
        if self.panel is None:
            return {}
        s = self.panel.settings()
        return {k: v for k, v in s.items()
                if k not in NOT_SET and not (k == "levels" and v is not True)}  # fmt: skip

    def _settings_changed(self) -> None:
        before, after = self._settings, self._panel_settings()
        self._settings = after
        win = self.win
        if self._putting_back or after == before:
            return
        if win.film_path is None and not win.album.active:
            return  # nothing open: the settings the next film opens with
        self.stack.push(SettingsEdit(self, before, after, self.clock()))

    def put_settings(self, settings: dict[str, Any], said: str) -> None:
        """The Restore panel's settings as an undo or redo leaves them."""
        assert self.panel is not None
        self._putting_back = True
        try:
            # a setting absent from `settings` was off then (no crop, no border cut)
            rest = {k: v for k, v in self.panel.settings().items() if k not in SETTING_NAMES}
            self.panel.set_settings(rest | settings)
            # Some boxes are set without a signal (size, sound, delivery): said once for all,
            # so the project is marked unsaved and the views follow whichever setting it was.
            self.panel.settingsChanged.emit()
        finally:
            self._putting_back = False
        self._settings = self._panel_settings()
        self.win.statusBar().showMessage(said, 5000)

    def _reading(self) -> Reading:
        win = self.win
        levels = win.film_levels
        return win.film_scan, tuple(levels) if levels else None, win.film_deinterlace, win.film_fps

    @contextmanager
    def reading(self, text: str) -> Iterator[None]:
        """Record the block's change of how the film's values are read as one entry."""
        before = self._reading()
        yield
        after = self._reading()
        if after != before and not self._putting_back and self.win.film_path is not None:
            self.stack.push(ReadingEdit(self, text, before, after))

    def put_reading(self, reading: Reading, said: str) -> None:
        """The film read again as `reading` says (an undo or redo of a `ReadingEdit`)."""
        scan, levels, fields, fps = reading
        self._putting_back = True
        try:
            self.win.projects.read_as(scan, list(levels) if levels else None, fields, fps)
        finally:
            self._putting_back = False
        self.win.statusBar().showMessage(said, 5000)

    def snapshot(self) -> Snapshot:
        win = self.win
        return Snapshot(
            shots=tuple(win.shots),
            picks=dict(win.picks),
            album_picks=dict(win.album.picks),
        )

    @contextmanager
    def edit(self, text: str) -> Iterator[None]:
        """Record what the block changes as one entry named `text` ("split shot 3"); a block
        that changes nothing (a shot starts there already) records nothing."""
        before = self.snapshot()
        yield
        after = self.snapshot()
        if not after.same_as(before):
            self.stack.push(SnapshotEdit(self, text, before, after))

    def follow(self, undo: QAction, redo: QAction) -> None:
        """The Edit menu's Undo and Redo: enabled when there is something to take back or
        make again, and named for it ("Undo split shot 3")."""
        for a, text, can, changed in (
            (undo, "Undo", self.stack.canUndoChanged, self.stack.undoTextChanged),
            (redo, "Redo", self.stack.canRedoChanged, self.stack.redoTextChanged),
        ):
            a.setIconText(text)  # the hint panel's buttons
            a.setEnabled(False)
            can.connect(a.setEnabled)
            changed.connect(lambda t, a=a, text=text: self._name(a, text, t))

    @staticmethod
    def _name(action: QAction, verb: str, what: str) -> None:
        action.setText(f"&{verb} {what}" if what else f"&{verb}")
        action.setToolTip(f"{verb} {what}" if what else verb)

    def undo(self) -> None:
        self.stack.undo()

    def redo(self) -> None:
        self.stack.redo()

    def put_back(self, state: Snapshot, said: str) -> None:
        """Make `state` what is open again, and show it: the strip, the pick panel, the
        candidates' mark, an album's tiles."""
        win = self.win
        win.picks.clear()
        win.picks.update(state.picks)
        album = win.album
        if album.active:
            self._put_back_album(state.album_picks)
        else:
            win.shot_list.set_shots(list(state.shots))
            win.colour_picks.show_pick()
            win.colour_picks.mark_candidates()
            win.picksChanged.emit()
            win.pick_pictures.fill()  # a pick from before the project was opened
        win.statusBar().showMessage(said, 5000)

    def _put_back_album(self, picks: dict[str, Any]) -> None:
        """The album's picks as an undo or redo leaves them: every tile that changed, the
        panel, the candidates' mark."""
        album, win = self.win.album, self.win
        changed = {
            n for n in set(picks) | set(album.picks) if picks.get(n) is not album.picks.get(n)
        }
        album.picks.clear()
        album.picks.update(picks)
        album.projects.changed()
        for name in changed:
            if (pic := album.by_name.get(name)) is not None:
                album.show_tile(pic)
        sampled, name = win.candidates.sampled, album.current or ""
        pick = album.picks.get(name)
        if sampled is not None and album.sampled.get(name) is sampled:
            same = pick is not None and pick.seed == sampled.seed and pick.n < sampled.k
            win.candidates.set_picked(pick.n if same and pick is not None else None)
        if album.current is not None:
            album.select(album.current)
        album.show_album_text()
        album.pick_pictures.fill()  # a pick from before the project was opened
