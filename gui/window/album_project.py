"""An album's project: File > Save project (Ctrl+S) and Save project as… while an album is
open, File > Open project… of an album's `.panchro`, the window title with its unsaved mark,
and the question before unsaved picks and hints are lost.

The engine writes and reads the file (`save_project` with `album`, `load_project` answering
`kind: "album"`, docs/protocol.md); this module sends the album's parts and puts them back:
the picks kept by picture name, each picture's hints from the hint editor's one store (a
hint's `frame` is the picture's place in the album there, frame 0 in the file), and the
Restore panel's settings with the album's format and the folder of the last export. A loaded
project's album is opened (`open_album` with its inputs and `stills`) and its picks and hints
are put back once the album's pictures are listed, without undo history; pictures that
changed or left the album since the save are named, and theirs are not put back.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.colour_modes import Pick, crop_of
from panchro.gui.hints import Hint, hints_from_json
from panchro.gui.window import APP_NAME

if TYPE_CHECKING:
    from panchro.gui.window.album import Albums


def gui_pick(p: dict[str, Any]) -> Pick:
    """A pick as the engine gives it back from a project -> the window's. How many modes were
    drawn is not kept (`k` 0: unknown), nor are their previews."""
    return Pick(
        key_frame=0,
        seed=int(p["seed"]),
        temperature=float(p["temperature"]),
        k=0,
        n=int(p["index"]),
        chroma=str(p["chroma"]),
        chroma_size=28,
        trained=True,
        locked=bool(p.get("locked", True)),
        source=str(p.get("source", "user")),
        reference=str(p.get("name") or ""),
        crop=crop_of(p.get("crop")),
    )


class AlbumProjects(QObject):
    """Owns the album's project: where it is saved (`path`), saving it, putting a loaded one
    back (`pending` until the album's pictures are listed), the window title, and asking
    before unsaved changes are lost. The album's `dirty` says what is unsaved."""

    def __init__(self, albums: Albums) -> None:
        super().__init__(albums)
        self.albums = albums
        self.win = albums.win
        self.engine = albums.engine
        self.path: str | None = None
        self.pending: dict[str, Any] | None = None  # loaded, waiting for the album's pictures
        self.opened = 0  # counts albums opened: a save's answer for one closed since is not its

    def forget(self) -> None:
        """The album is closed: no project of it, none waiting."""
        self.path = None
        self.pending = None

    # --- the title and the unsaved mark ---------------------------------------------------

    def inputs_name(self) -> str:
        """The album's inputs as a title or a message names them: "a.jpg and 3 more"."""
        inputs = self.albums.inputs
        if not inputs:
            return ""
        more = len(inputs) - 1
        return Path(inputs[0]).name + (f" and {more} more" if more else "")

    def show_title(self) -> None:
        albums = self.albums
        name = Path(self.path).name if self.path else self.inputs_name()
        mark = " *" if albums.dirty else ""
        self.win.setWindowTitle(f"{APP_NAME} — {name}{mark}" if name else APP_NAME)

    def changed(self) -> None:
        """A pick, a hint or a setting changed: unsaved now."""
        if self.albums.active:
            self.albums.dirty = True
            self.show_title()
            self.win.recovery.changed()  # kept against a crash in a few seconds

    def maybe_keep(self) -> bool:
        """Ask before unsaved edits are lost (a setting too, not only picks and hints);
        False when the person chose to stay."""
        albums, win = self.albums, self.win
        if not (albums.active and albums.dirty and win.confirm_discard):
            return True
        answer = QMessageBox.question(
            win,
            "Unsaved changes",
            "Your edits of this album are not saved in a project. Save them first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save()  # sent before the album closes: the engine keeps its pictures
        return True

    # --- saving ---------------------------------------------------------------------------

    def save(self) -> bool:
        """File > Save project: where it was saved or loaded from, else asked. False when
        nothing was sent (no album, or the person gave no file)."""
        return self.save_as(self.path)

    def save_as(self, path: str | None = None) -> bool:
        """File > Save project as…: the album's picks, hints and settings into `path` (asked
        for when None)."""
        albums, win = self.albums, self.win
        if albums.handle is None:
            return False
        if path is None:
            first = Path(albums.inputs[0]) if albums.inputs else Path.home() / "album"
            where = first.parent / f"{first.stem if first.is_file() else first.name}.panchro"
            path, _ = QFileDialog.getSaveFileName(
                win, "Save the album's project", str(where), "Panchro projects (*.panchro)"
            )
            if not path:
                return False
            if not path.endswith(".panchro"):
                path += ".panchro"
        opened = self.opened
        self.engine.request(
            Request.SAVE_PROJECT,
            lambda msg: self._on_saved(msg, path, opened),
            project_path=path,
            **self.request_params(),
        )
        return True

    def request_params(self) -> dict[str, Any]:
        """The album's project as `save_project` takes it (all but `project_path`)."""
        albums = self.albums
        hints = {}
        for pic in albums.pictures:
            given = albums.hints_param(pic.name, always=True)  # kept whatever colorize says
            if given:
                hints[pic.name] = given["hints"]
        return {
            "album": albums.handle,
            "picks": {name: albums.engine_pick(name) for name in albums.picks},
            "hints": hints,
            "settings": self.settings(),
        }

    def settings(self) -> dict[str, Any]:
        """The Restore panel's settings as an album's project keeps them."""
        s = self.albums.settings()
        s["borders"] = s.pop("crop", None) == "auto"
        s["format"] = self.win.restore_panel.album_format.currentData() or None
        s["output"] = self.albums.last_output or None
        return s

    def _on_saved(self, msg: Message, path: str, opened: int) -> None:
        win = self.win
        if msg.type == Event.ERROR:
            win.show_error("Could not save the album's project", msg)
            return
        if msg.type != Event.RESULT:
            return
        if opened == self.opened and self.albums.active:
            self.path = path
            self.albums.dirty = False
            win.recovery.discard()  # saved where the person keeps it
            self.show_title()
        win.projects.remember(path)
        win.statusBar().showMessage(f"Project saved: {path}", 5000)
        win.projectSaved.emit(path)

    # --- opening --------------------------------------------------------------------------

    def open(self, data: dict[str, Any]) -> None:
        """A loaded album's project (`load_project`'s answer): its album opened, its picks and
        hints put back once the pictures are listed (`apply`)."""
        inputs = [str(p) for p in data.get("inputs") or []]
        missing = [str(p) for p in data.get("inputs_missing") or []]
        if missing:  # moved or renamed: nothing is opened until found, as a film's project
            gone = Path(missing[0])
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            self.win.message_bar.show_message(
                f"The pictures of this album's project are not where they were saved: {gone}"
                f"{more}. Moved or renamed? Find them, and the project's picks and hints go "
                "with them.",
                "warning",
                "Locate it…",
                lambda: self.locate(data, missing),
            )
            return
        if inputs and self.albums.open(inputs, stills=bool(data.get("stills")), project=data):
            self.pending = data
            self.path = str(data.get("project_path") or "") or None
            self.show_title()

    def locate(self, data: dict[str, Any], missing: list[str]) -> None:
        """The album's moved inputs, found by the person: a folder for a folder; for pictures
        given one by one, the folder they are in now (each found there by its name). The
        project is read again with them (the engine checks each picture's fingerprint)."""
        project_path = str(data.get("project_path") or "")
        start = str(Path(project_path).parent) if project_path else str(Path.home())
        one = Path(missing[0])
        title = f"Where is {one.name}?" if not one.suffix else f"Which folder holds {one.name}?"
        folder = QFileDialog.getExistingDirectory(self.win, title, start)
        if not folder:
            return
        moved = {p: folder if not Path(p).suffix else str(Path(folder) / Path(p).name)
                 for p in missing}  # fmt: skip
        inputs = [moved.get(str(p), str(p)) for p in data.get("inputs") or []]
        self.win.engine.request(
            Request.LOAD_PROJECT, self.win.projects.on_project_loaded,
            project_path=project_path, inputs=inputs,
        )  # fmt: skip

    def apply(self) -> None:
        """The pending project's picks, hints and settings, now that the pictures are listed."""
        data, self.pending = self.pending, None
        if data is None:
            return
        albums, win = self.albums, self.win
        settings = dict(data.get("settings") or {})
        # over the panel's own: a film's codec, which an album's project has not, stays
        win.restore_panel.set_settings({**win.restore_panel.settings(), **settings})
        box = win.restore_panel.album_format
        box.setCurrentIndex(max(0, box.findData(settings.get("format") or "")))
        albums.last_output = str(settings.get("output") or "")
        albums.picks = {
            name: gui_pick(p)
            for name, p in (data.get("picks") or {}).items()
            if name in albums.by_name
        }
        hints: list[Hint] = []
        for name, given in (data.get("hints") or {}).items():
            index = albums.index_of(name)
            if index is None:
                continue
            try:
                hints += [replace(h, frame=index) for h in hints_from_json(given)]
            except ValueError as err:  # the engine checked them: a bug, said rather than hidden
                win.message_bar.show_message(f"The hints of {name} were not read: {err}", "warning")
        win.hint_editor.reset(hints)
        changes = str(data.get("changes") or "")
        if changes:
            win.message_bar.show_message(
                f"{changes[0].upper()}{changes[1:]}; saving the project again forgets them.",
                "warning",
            )
        if data.get("stills"):  # rather than the "--stills given" it was opened with
            albums.reason = (f"kept as one by its project, {Path(self.path).name}" if self.path
                             else "kept as one by the work brought back after a crash")  # fmt: skip
        # a crash's work, or pictures found elsewhere: unsaved until saved
        albums.dirty = bool(data.get("recovered") or data.get("relocated"))
        if data.get("relocated") and not changes:
            to = ", ".join(str(p) for p in data["relocated"].get("to") or [])
            where = "beside the project" if data["relocated"].get("how") == "beside the project" \
                else "there"  # fmt: skip
            win.message_bar.show_message(
                f"The album's pictures were found {where}: {to}. Save the project to keep the "
                "new place.",
                "info",
            )
        if data.get("recovered"):
            win.recovery.adopt(str(data["recovered"]))
        self.show_title()
        if self.path:
            win.projects.remember(self.path)
            win.statusBar().showMessage(f"Project opened: {self.path}", 5000)
        win.projectLoaded.emit(self.path or "")
