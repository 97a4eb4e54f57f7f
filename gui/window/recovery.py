"""Unsaved work kept against a crash, and offered back at the next start.

Hours of picks and hints on a long film are too much to lose to a crash, a power cut or a
killed process. So a few seconds after an edit leaves the film or album unsaved, the engine
writes its project, as Save would, to a file of its own in the user's data folder
(`recovery/<id>.panchro`), beside a small note: what was open, the project file it came
from, when. One file a running Panchro, written again after later edits; never the
person's own project file, which only Save writes.

A clean end removes it: the project saved, the work discarded when the question asked,
another film opened, the window closed. A lock beside it (`QLockFile`, which knows a lock
whose process has died) says that a running Panchro owns it, so what a crash left behind
is told from what another window is working on. At the next start such a file is offered
in the message bar ("Open it" / "Discard"); opened, it comes back unsaved, under the
project file it came from (or none), and Save writes there. Offered and left alone, it is
offered again at the next start.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal

from panchro.engine.paths import user_data_dir
from panchro.engine.service.protocol import Event, Message, Request

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow

log = logging.getLogger(__name__)

DELAY_MS = 8_000  # after an edit; a run of edits is written once this long after the first


def recovery_dir() -> Path:
    folder = user_data_dir().absolute() / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _note_of(path: Path) -> Path:
    return path.with_suffix(".json")


def _lock_of(path: Path) -> QLockFile:
    lock = QLockFile(str(path.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
    return lock


def _remove(path: Path) -> None:
    for p in (path, _note_of(path)):
        p.unlink(missing_ok=True)


class Recovery(QObject):
    """Owns this window's recovery file (`path`, with its `lock`), writing it after edits
    (`changed`), removing it at a clean end (`discard`), and the offer of one a crash left
    (`offer`, `adopt`). `written(path)` fires each time the engine has written it."""

    written = Signal(str)

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.path: Path | None = None
        self.lock: QLockFile | None = None
        self.delay_ms = DELAY_MS
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.write)
        self._req: int | None = None
        self._offered: tuple[Path, QLockFile] | None = None

    # --- this window's file ------------------------------------------------------------

    def changed(self) -> None:
        """Something is unsaved now: written in a few seconds (once for a run of edits)."""
        if not self._timer.isActive():
            self._timer.start(self.delay_ms)

    def _unsaved(self) -> tuple[str, dict[str, Any]] | None:
        """What is open and unsaved ("film" or "album"), with the parts a project save
        request takes; None: nothing."""
        win = self.win
        album = win.album
        if album.active:
            if album.dirty and album.handle is not None:
                return "album", album.projects.request_params()
            return None
        if win.dirty and win.film is not None:
            return "film", win.projects.request_params()
        return None

    def write(self) -> None:
        """Have the engine write the unsaved project to this window's recovery file."""
        unsaved = self._unsaved()
        if unsaved is None or not self.engine.is_ready():
            return
        kind, params = unsaved
        if self._req is not None:  # one on its way (behind an export): ask again after it
            self.changed()
            return
        if self.path is None:
            path = recovery_dir() / f"{uuid.uuid4().hex[:12]}.panchro"
            lock = _lock_of(path)
            if not lock.tryLock(0):
                log.warning("recovery: %s is locked; not kept", path)
                return
            self.path, self.lock = path, lock
        win = self.win
        note = {
            "kind": kind,
            "name": self._name(),
            "project_path": (win.album.projects.path if win.album.active else win.project_path),
        }
        path = self.path
        self._req = self.engine.request(
            Request.SAVE_PROJECT,
            lambda msg: self._on_written(msg, path, note),
            project_path=str(path),
            **params,
        )

    def _name(self) -> str:
        win = self.win
        if win.album.active:
            inputs = win.album.inputs
            more = f" and {len(inputs) - 1} more" if len(inputs) > 1 else ""
            return f"{Path(inputs[0]).name}{more}" if inputs else "an album"
        return Path(win.film_path or "").name

    def _on_written(self, msg: Message, path: Path, note: dict[str, Any]) -> None:
        self._req = None
        if path != self.path:
            _remove(path)  # discarded while it was being written
            return
        if msg.type != Event.RESULT:
            if msg.type == Event.ERROR:  # said in the log, not to the person: Save still works
                log.warning("recovery not written: %s", msg.body.get("message"))
            return
        note["written"] = time.time()
        tmp = _note_of(path).with_suffix(".json.tmp")
        tmp.write_text(json.dumps(note), encoding="utf-8")
        os.replace(tmp, _note_of(path))
        self.written.emit(str(path))

    def discard(self) -> None:
        """A clean end of this work (saved, discarded, another opened, closed): its recovery
        file goes."""
        self._timer.stop()
        if self._req is not None:
            self.engine.cancel(self._req)
            self._req = None  # its answer, if the file was written still, removes it
        if self.path is not None:
            _remove(self.path)
            self.path = None
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None

    # --- what a crash left --------------------------------------------------------------

    def left_behind(self) -> list[tuple[Path, dict[str, Any]]]:
        """Recovery files no running Panchro owns, newest first, with their notes."""
        found: list[tuple[Path, dict[str, Any]]] = []
        for note_path in recovery_dir().glob("*.json"):
            path = note_path.with_suffix(".panchro")
            if path == self.path or not path.is_file():
                continue
            lock = _lock_of(path)
            if not lock.tryLock(0):
                continue  # another window's, at work
            lock.unlock()
            try:
                note = json.loads(note_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append((path, note))
        return sorted(found, key=lambda f: -float(f[1].get("written") or 0))

    def offer(self) -> None:
        """The newest file a crash left, offered in the message bar (at start)."""
        left = self.left_behind()
        if not left:
            return
        path, note = left[0]
        lock = _lock_of(path)
        if not lock.tryLock(0):
            return
        self._offered = (path, lock)  # held: a second window does not offer it too
        when = time.strftime("%H:%M on %d %b", time.localtime(float(note.get("written") or 0)))
        more = f" ({len(left) - 1} older kept too)" if len(left) > 1 else ""
        self.win.message_bar.show_message(
            f"Panchro stopped before this work was saved: {note.get('name') or path.name}, as "
            f"it was at {when}{more}.",
            "warning",
            "Open it",
            self._open_offered,
            "Discard",
            self._discard_offered,
        )

    def _open_offered(self) -> None:
        if self._offered is None:
            return
        path = self._offered[0]
        self.win.projects.open_project(path)

    def _discard_offered(self) -> None:
        if self._offered is None:
            return
        path, lock = self._offered
        self._offered = None
        _remove(path)
        lock.unlock()
        self.win.statusBar().showMessage("The unsaved work was discarded", 5000)
        self.offer()  # an older one, if any

    def recovered(self, data: dict[str, Any]) -> dict[str, Any]:
        """A loaded project's answer: when it is the recovery file offered, the same with
        the project file it came from in its place and `recovered` set."""
        if self._offered is None:
            return data
        path = self._offered[0]
        if Path(str(data.get("project_path") or "")) != path:
            return data
        try:
            note = json.loads(_note_of(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            note = {}
        return {**data, "project_path": note.get("project_path"), "recovered": str(path)}

    def adopt(self, path: str) -> None:
        """The recovered work is open: its file is this window's now (removed when it is
        saved or discarded, written again after edits)."""
        if self._offered is None or str(self._offered[0]) != path:
            return
        self.discard()
        self.path, self.lock = self._offered
        self._offered = None
        self.win.statusBar().showMessage("Unsaved work recovered: save it to keep it", 8000)
