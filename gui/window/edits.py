"""Undo and redo of a person's edits to what is open: one history for the whole project.

A shot split or merged, a colour mode picked, a pick given to the shots after, unlocked,
a shot kept black and white, tinted, toned or coloured from a picture, an album picture's
pick, and every colour hint: each is one entry of the window's one `QUndoStack`, so
Edit ▸ Undo takes back whatever was done last, hint or not. The hints' own commands
(`gui.hints.AddHint`, `RemoveHints`) change the hint store; every other edit is recorded
as the window's shots and picks before and after it (`Snapshot`), which an undo puts back
whole. A snapshot holds references, not copies: a `Pick` is never changed in place (a new
pick replaces it), and neither is a shot's dict (splitting makes new ones), so a snapshot
costs a dict and a list however long the film. The picture of a one-colour or reference
pick is kept by the pick (`ColourPicks.pick_pictures`), so it comes back with it.

History starts again when a film, album or project is opened or the film is read with
another frame count (`HintEditor.reset` clears the stack), since its entries name frames
and shots of what was open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoCommand, QUndoStack

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow


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


class SnapshotEdit(QUndoCommand):
    """One edit of shots or picks: undo puts `before` back, redo `after`. Pushed after the
    edit is made, so the stack's first call of `redo` has nothing to do."""

    def __init__(self, edits: Edits, text: str, before: Snapshot, after: Snapshot) -> None:
        super().__init__(text)
        self.edits, self.before, self.after = edits, before, after
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.edits.put_back(self.after, f"Redone: {self.text()}")

    def undo(self) -> None:
        self.edits.put_back(self.before, f"Undone: {self.text()}")


class Edits(QObject):
    """The window's history (`stack`), the Edit menu's Undo and Redo, and `edit(text)`,
    which the controllers wrap each change of shots or picks in."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.stack = QUndoStack(self)

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
