"""Exporting an album or one of its pictures: the file or folder asked for, the request, its
progress and Cancel, and what the grid and the message bar say when it ends.

`export_picture` writes the selected picture (or the one picture opened) into a picture file
whose extension decides the format, as `panchro restore IN OUT`; `export_album` restores
every picture into a folder with the same names, the picks made and the automatic colours
for the others, as `panchro restore FOLDER OUT --stills` (docs/protocol.md, `export_album`).
A cancelled album export keeps the pictures done, and the same export later resumes. Nothing
is replaced that the album did not write unless the person says so (the message bar's
"Replace them").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.album import PICTURE_FILTERS, AlbumPicture

if TYPE_CHECKING:
    from panchro.gui.window.album import Albums


class AlbumExports(QObject):
    """Owns the one export job of an album at a time (a picture or the album), its progress
    in the Restore panel, Cancel, and its end: pictures marked exported or failed in the
    grid, the window's `jobFinished(kind, summary)` / `jobFailed(kind, why)`."""

    def __init__(self, albums: Albums) -> None:
        super().__init__(albums)
        self.albums = albums
        self.win = albums.win
        self.engine = albums.engine
        self._job_req: int | None = None
        self._job_kind = ""
        self._job_output = ""

    @property
    def busy(self) -> bool:
        return self._job_req is not None

    def engine_died(self) -> None:
        """The engine stopped during an export: said, and the export can be asked again (an
        album's resumes where it stopped)."""
        if self._job_req is None:
            return
        kind = self._job_kind
        self.forget(cancel=False)
        again = "export to the same folder again to resume" if kind == "album" else (
            "export it again")  # fmt: skip
        self.win.restore_panel.end_job(f"The engine stopped during the export; {again}.")
        self.win.jobFailed.emit(kind, "engine stopped")

    def forget(self, *, cancel: bool) -> None:
        """The album is going: its job's reply is ignored (`cancel`: the job stopped too)."""
        if self._job_req is None:
            return
        if cancel:
            self.engine.cancel(self._job_req)
        self.engine.forget(self._job_req)
        self._job_req = None
        self.win.restore_panel.end_job("")

    def export(self) -> None:
        """Ctrl+E, Export…: the album into a folder, or the one picture into a file."""
        if self.albums.single:
            self.export_picture()
        else:
            self.export_album()

    def _suggest_picture_output(self, pic: AlbumPicture) -> str:
        src = Path(pic.path)
        ext = src.suffix.lower()
        ext = ".png" if ext == ".bmp" else ext  # Panchro writes no BMP; PNG keeps every sample
        name = f"{src.stem}_restored{ext}"
        # Out of an album's folder: a copy saved in the box was one more picture of it when
        # the box was opened again (coloured anew, and exported as a photo of the family).
        folders = [Path(p) for p in self.albums.inputs if Path(p).is_dir()]
        box = next((f for f in folders if f in src.parents), None)
        return str((box.parent if box is not None else src.parent) / name)

    def export_picture(self, output: str | None = None) -> None:
        """The selected picture into a picture file (asked for when None); the extension
        decides the format, as `panchro restore IN OUT`."""
        win = self.win
        if not self.albums.active:  # a film is open: its frame is what a picture is made of
            win.statusBar().showMessage(
                "Export selected picture is for an album's pictures; File ▸ Export this frame…"
                " writes the film's frame under the playhead",
                6000,
            )
            return
        pic = self.albums.selected("export it")
        if pic is None or self.albums.handle is None or self._job_req is not None:
            return
        if output is None:
            filters = ";;".join(f for f, _ in PICTURE_FILTERS)
            output, chosen = QFileDialog.getSaveFileName(
                win, "Export the restored picture", self._suggest_picture_output(pic), filters
            )
            if not output:
                return
            if not Path(output).suffix:
                output += dict(PICTURE_FILTERS).get(chosen, ".jpg")
        # The save dialog asked before a file is replaced; the input itself never is.
        overwrite = Path(output).exists()
        self._start_job(
            "picture",
            output,
            Request.EXPORT_PICTURE,
            picture=pic.name,
            pick=self.albums.engine_pick(pic.name),
            overwrite=overwrite,
            **self.albums.hints_param(pic.name),
        )
        win.restore_panel.show_job(f"Exporting {pic.short}", 0, 1, None, None, unit="picture")

    def export_album(self, output: str | None = None, *, overwrite: bool = False) -> None:
        """Every picture into the folder `output` (asked for when None), with the picks and
        hints made and automatic colours for the others; progress, Cancel, and a rerun
        resumes."""
        win, albums = self.win, self.albums
        if albums.handle is None or self._job_req is not None:
            return
        if output is None:
            output = QFileDialog.getExistingDirectory(
                win,
                "Export the album into a folder",
                self.albums.last_output or self.albums.start_dir(),
            )
            if not output:
                return
        fmt = win.restore_panel.album_format.currentData() or None
        picks = {name: self.albums.engine_pick(name) for name in self.albums.picks}
        hints = {}
        for pic in self.albums.pictures:
            given = self.albums.hints_param(pic.name)
            if given:
                hints[pic.name] = given["hints"]
        self._start_job(
            "album", output, Request.EXPORT_ALBUM, picks=picks, hints=hints, format=fmt,
            overwrite=overwrite,
        )  # fmt: skip
        usable = sum(1 for p in self.albums.pictures if not p.error)
        win.restore_panel.show_job("Exporting the album", 0, usable, None, None, unit="pictures")

    def _start_job(self, kind: str, output: str, request: str, **params: Any) -> None:
        self._job_kind, self._job_output = kind, output
        self._job_req = self.engine.request(
            request,
            self._on_job,
            on_progress=self._on_job_progress,
            album=self.albums.handle,
            output=output,
            **self.albums.settings(),
            **params,
        )
        self.win.message_bar.hide()

    def _on_job_progress(self, event: dict[str, Any]) -> None:
        album = self._job_kind == "album"
        stage = str(event.get("stage") or "")
        named = album and stage not in ("", "album", "picture")  # the picture under way
        what = f"Exporting {Path(stage).name}" if named else (
            "Exporting the album" if album else "Exporting")  # fmt: skip
        self.win.restore_panel.show_job(
            what,
            int(event.get("done") or 0),
            int(event.get("total") or 0),
            event.get("fps"),
            event.get("eta_s"),
            float(event.get("partial") or 0.0),
            unit="pictures" if album else "picture",
            rate="pictures/s",
        )

    def cancel_job(self) -> None:
        if self._job_req is not None:
            self.engine.cancel(self._job_req)

    def _on_job(self, msg: Message) -> None:
        if msg.id != self._job_req:
            return
        self._job_req = None
        win = self.win
        kind, output = self._job_kind, self._job_output
        panel = win.restore_panel
        if msg.type == Event.RESULT:
            summary = dict(msg.body.get("data") or {})
            text = self._finished(kind, output, summary)
            notes = [str(n) for n in summary.get("notes") or []]
            panel.end_job(self._short(kind, output, summary))
            panel.show_notes(notes)
            failed = bool(summary.get("failed"))
            win.message_bar.show_message(text, "warning" if failed else "info")
            win.jobFinished.emit(kind, summary)
        elif msg.type == Event.CANCELLED:
            text = (
                f"Export of the album to {Path(output).name} cancelled: the pictures finished "
                "are kept; export to the same folder again to restore the rest."
                if kind == "album"
                else f"Export of {Path(output).name} cancelled; nothing was written."
            )
            panel.end_job(text)
            win.jobFailed.emit(kind, "cancelled")
        elif msg.type == Event.ERROR:
            message = str(msg.body.get("message", ""))
            what = "Album export failed" if kind == "album" else "Export failed"
            replaceable = msg.body.get("replaceable")
            if kind == "album" and isinstance(replaceable, dict):
                # Files this album did not write, or another album's settings: replaced only
                # when the person says so here, with the button (the engine's message holds
                # the command line's flag, no word of the app's).
                message = (
                    f"{Path(output).name} already holds {replaceable.get('holds')}. Replace"
                    " them restores the pictures with these settings; or export to another"
                    " folder."
                )
                panel.end_job(f"{Path(output).name}: {message}")
                win.message_bar.show_message(
                    f"{what}: {message}", "error", "Replace them",
                    lambda: self.export_album(output, overwrite=True),
                )  # fmt: skip
            else:
                panel.end_job(f"{Path(output).name}: {message}")
                win.show_error(what, msg)
            win.jobFailed.emit(kind, message)
        if self.albums.current:
            self.albums.select(self.albums.current)

    @staticmethod
    def _short(kind: str, output: str, summary: dict[str, Any]) -> str:
        """The end of an export in a line, for the Restore panel (the message bar says all)."""
        if kind == "picture":
            return f"Exported: {Path(output).name}"
        done = len(summary.get("restored") or []) + len(summary.get("skipped") or [])
        failed = len(summary.get("failed") or [])
        return f"Album exported to {Path(output).name}: {done} pictures" + (
            f", {failed} failed" if failed else "")  # fmt: skip

    def _finished(self, kind: str, output: str, summary: dict[str, Any]) -> str:
        """Mark what an export did in the grid, and say it in a sentence."""
        if kind == "picture":
            name = str(summary.get("picture", ""))
            pic = self.albums.by_name.get(name)
            if pic is not None:
                pic.exported = str(summary.get("output", output))
                self.albums.show_tile(pic)
            seconds = float(summary.get("seconds", 0))
            return f"Exported {name} to {Path(output).name} in {seconds:.1f} s"
        restored = [str(n) for n in summary.get("restored") or []]
        skipped = [str(n) for n in summary.get("skipped") or []]
        failed = summary.get("failed") or []
        folder = Path(str(summary.get("output", output)))
        for name in restored + skipped:
            pic = self.albums.by_name.get(name)
            if pic is not None:
                pic.exported = str(folder)
        for f in failed:
            pic = self.albums.by_name.get(str(f.get("name")))
            if pic is not None:
                pic.error = str(f.get("reason", "failed"))
        for pic in self.albums.pictures:
            self.albums.show_tile(pic)
        self.albums.last_output = str(folder)  # an export is not a save: still unsaved
        self.albums.show_album_text()
        text = (
            f"Album exported to {folder.name}: {len(restored)} restored in "
            f"{float(summary.get('seconds', 0)):.1f} s"
        )
        if skipped:
            text += f", {len(skipped)} done before (kept)"
        if failed:
            shown = "; ".join(f"{f.get('name')}: {f.get('reason')}" for f in failed[:3])
            more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
            text += f". {len(failed)} failed ({shown}{more}); the others are done"
        return text
