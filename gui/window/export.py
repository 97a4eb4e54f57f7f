"""Restoring: one frame before | after, a short preview render, and the whole film's
export, with its progress, Cancel (an export resumes), and what is said when it ends."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui import timecode as tc
from panchro.gui.delivery import codec_suffix
from panchro.gui.facts import cut_short_note
from panchro.gui.window import pixmaps_of

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow


class Exporter(QObject):
    """Owns the Restore panel and the compare view: what a restore is asked with (the
    panel's settings, the shots and their picks: `restoration`), the compare request, the
    one render job at a time (export or preview) with its progress and Cancel, one frame
    exported as a picture (`export_frame`), the file last exported to (`export_output`),
    and the end of a job: its summary and notes, the cut-short warnings, `jobFinished` /
    `jobFailed`."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.restore_panel = win.restore_panel
        self.compare = win.compare
        self.stage = win.stage
        self.message_bar = win.message_bar
        self.status = win.statusBar()
        self._compare_req: int | None = None
        self._job_req: int | None = None
        self._job_kind = ""
        self._job_output = ""
        self._job_warned = ""  # the job's progress warning, once shown
        self._job_extra: dict[str, Any] = {}  # the job's own parameters: asked again so
        self._job_failed = False  # the message bar shows the last job's failure
        self._frame_req: int | None = None  # File ▸ Export this frame, one at a time
        self._frame_out = ""
        self.export_output: str | None = None  # saved with a project, so it can resume
        # An export the engine stopped under (it crashed, or was killed): its output and
        # part, offered for resume once the film is open again.
        self.stopped_export: tuple[str, list[int] | None] | None = None
        # The part the last export was of, frames [first, stop) (None: the whole film): saved
        # with the project beside `export_output`, so an interrupted one resumes as a part.
        self.exported_part: tuple[int, int] | None = None
        # In and out marks (Go ▸ Mark in / Mark out): the part File ▸ Export marked part writes,
        # out inclusive; None where not marked (the film's start, its end).
        self.mark_from: int | None = None
        self.mark_to: int | None = None
        self._compare_luma_by = ""  # what the compare asked for changes luma (its header says)

    def forget_requests(self, *, cancel: bool) -> None:
        """The film is going: its compare and job replies are ignored; `cancel` also stops
        the job in the engine."""
        if self._job_req is not None and cancel:
            self.engine.cancel(self._job_req)
        for rid in (self._compare_req, self._job_req, self._frame_req):
            if rid is not None:
                self.engine.forget(rid)
        self._compare_req = self._frame_req = None
        if self._job_req is not None:
            if not cancel and self._job_kind == "export":  # the engine stopped under it
                self.stopped_export = (self._job_output, self._job_extra.get("span"))
            self._job_req = None
            self.restore_panel.end_job("")

    def restoration(self) -> dict[str, Any]:
        """Settings, shots, picks and colour hints as `preview` and `render` take them
        (docs/protocol.md)."""
        s = self.restore_panel.settings()
        params: dict[str, Any] = {
            "colorize": s["colorize"],
            "colour_strength": s.get("colour_strength", 1.0),
            "degrain": s["degrain"],
            "upscale": s["upscale"],
            "upscaler": s["upscaler"],
        } | {name: s[name] for name in (*self.restore_panel.film_rows, "dust")}
        if "crop" in s:
            params["crop"] = s["crop"]
        shots = self.win.shots
        if shots:
            params["shots"] = [
                {"start": int(x["start"]), "end": int(x["end"]),
                 "key_frame": int(x.get("key_frame", x["start"]))}
                | ({"off": list(x["off"])} if x.get("off") else {})
                for x in shots
            ]  # fmt: skip
            params["picks"] = [self.engine_pick(int(x["start"])) for x in shots]
        if (hints := self.win.hint_editor.hints_json()) is not None:
            params["hints"] = hints  # the engine uses them when it colours
        return params

    def engine_pick(self, start: int) -> dict[str, Any] | None:
        """The pick of the shot starting at `start`, as requests carry it (or None)."""
        pick = self.win.picks.get(start)
        return None if pick is None else pick.engine_dict()

    def compare_frame(self) -> None:
        """The frame under the playhead before | after, in place of the film."""
        win = self.win
        if win.film is None:
            return
        read_otherwise = bool(win.info.get("scan") or win.info.get("levels"))
        if not self.restore_panel.restores_something() and not read_otherwise:
            self.status.showMessage(
                "Nothing to compare: choose colorize, scratches, dust, stabilize, deflicker, clean"
                " or enlarge",
                6000,
            )
            return
        if self._compare_req is not None:
            self.engine.forget(self._compare_req)
        win.player.pause()
        s = self.restore_panel.settings()
        self._compare_luma_by = ", ".join(
            name
            for name, on in (
                ("scratches", s["scratches"] > 0),
                ("dust", s["dust"] > 0),
                ("stabilize", s["stabilize"] > 0),
                ("deflicker", s["deflicker"] > 0),
                ("cleanup/upscale", s["upscale"] > 1 or s["degrain"] > 0),
            )
            if on
        )
        self._compare_req = self.engine.request(
            Request.PREVIEW,
            self._on_compare,
            film=win.film,
            index=win.current,
            max_side=win.player.preview_side(),
            actual=True,  # pixel for pixel, to zoom into (what an upscaler added)
            **self.restoration(),
        )
        self.compare.show_result({}, {}, f"Frame {win.current + 1}")
        self.compare.header.setText(f"Restoring frame {win.current + 1}…")
        self.stage.setCurrentWidget(self.compare)
        self.compare.setFocus()

    def _on_compare(self, msg: Message) -> None:
        if msg.id != self._compare_req:
            return
        self._compare_req = None
        if msg.type == Event.ERROR:
            self.win.player.show_film()
            self.win.show_error("Could not restore this frame", msg)
            return
        if msg.type != Event.RESULT:
            return
        data = msg.body.get("data") or {}
        pixmaps = pixmaps_of(data, msg.blob)
        title = f"Frame {int(data.get('index', 0)) + 1}"
        self.compare.show_result(pixmaps, data, title, self._compare_luma_by)
        self.win.compareShown.emit()

    # ---------------------------------------------------------------- in and out

    def mark_in(self) -> None:
        """The frame under the playhead starts the marked part (an out before it is dropped)."""
        self._mark(self.win.current, self.mark_to)

    def mark_out(self) -> None:
        """The frame under the playhead ends the marked part (an in after it is dropped)."""
        self._mark(self.mark_from, self.win.current)

    def mark_shot(self) -> None:
        """The shot under the playhead, first frame to last, becomes the marked part."""
        win = self.win
        shot = win.shot_list.shot_at(win.current)
        if shot is None:
            self.status.showMessage("No shots yet: they are marked once they are found", 5000)
            return
        s = win.shots[shot]
        self._mark(int(s["start"]), int(s["end"]) - 1)

    def clear_marks(self, *, quiet: bool = False) -> None:
        self._mark(None, None, quiet=quiet)

    def _mark(self, first: int | None, last: int | None, *, quiet: bool = False) -> None:
        win = self.win
        if win.film is None and not quiet:
            return
        if first is not None and last is not None and last < first:
            first, last = (first, None) if first != self.mark_from else (None, last)
        self.mark_from, self.mark_to = first, last
        part = self.part()
        win.timeline.slider.set_part(part)
        self.restore_panel.set_part(part)
        if quiet:
            return
        if part is None:
            self.status.showMessage("In and out cleared: Export writes the whole film", 5000)
            return
        a, b = part
        fps, own = win.fps or 24.0, win.info.get("timecode")
        count = f"{b - a:,} frame{'s' if b - a != 1 else ''}"
        self.status.showMessage(
            f"Marked part: frames {a + 1} to {b} ({tc.timecode(a / fps, fps, own)} to "
            f"{tc.timecode((b - 1) / fps, fps, own)}, {count}); File ▸ Export marked part "
            "writes it",
            8000,
        )

    def part(self) -> tuple[int, int] | None:
        """The marked part as frames [first, stop), or None when nothing is marked."""
        if self.mark_from is None and self.mark_to is None:
            return None
        first = self.mark_from or 0
        stop = self.win.frame_count if self.mark_to is None else self.mark_to + 1
        return (first, stop) if stop > first else None

    # ---------------------------------------------------------------- exports

    def export(self, output: str | None = None) -> None:
        """Restore the whole film to `output` (asked for when None) with progress and cancel.
        An interrupted export of the same film and settings to the same file resumes."""
        self._export(output, None)

    def export_part(self, output: str | None = None) -> None:
        """Restore the marked part (Go ▸ Mark in / Mark out) to `output`, as `export`: a film
        that starts at 0 with that part's sound, its frames those of the whole film's export."""
        part = self.part()
        if self.win.film is None:
            return
        if part is None:
            self.status.showMessage(
                "Mark a part first: Go ▸ Mark in (Alt+I) and Mark out (Alt+O) at the playhead", 6000
            )
            return
        self._export(output, part)

    def resume(self, output: str, part: Sequence[int] | None) -> None:
        """Go on with a stopped export to `output` of `part` (frames [first, stop); None:
        the whole film), whatever part is marked now."""
        self._export(output, None if part is None else (int(part[0]), int(part[1])))

    def _export(self, output: str | None, part: tuple[int, int] | None) -> None:
        win = self.win
        if win.film is None or self._job_req is not None:
            return
        settings = self.restore_panel.settings()
        if output is None:
            suffix = codec_suffix(settings["codec"])
            tail = "restored" if part is None else f"restored_{part[0] + 1}-{part[1]}"
            title = "Export the restored film" if part is None else (
                f"Export the marked part (frames {part[0] + 1} to {part[1]})"
            )  # fmt: skip
            output, _ = QFileDialog.getSaveFileName(
                win, title, win.projects.suggest_output(suffix, tail),
                f"{settings['codec']} (*{suffix})" if suffix else "Folder (*)",
            )  # fmt: skip
            if not output:
                return
        # The dialog asked to replace a file there; a stopped job for it (the same file
        # again, or Resume) was started by such a choice, so it replaces it too.
        overwrite = Path(output).exists()
        extra: dict[str, Any] = {} if part is None else {"span": list(part)}
        self._start_job("export", output, overwrite=overwrite, **extra)
        self.exported_part = part
        if note := cut_short_note(win.info):
            # The engine restores what a cut-short file has (the protocol's render takes no
            # choice about it); the person is told again, in case the first warning was
            # dismissed. The CLI asks for --allow-truncated instead.
            self.message_bar.show_message(
                f"{note}: {Path(output).name} will have {win.frame_count:,} frames.", "warning"
            )
        self.export_output = output
        win.projects.mark_dirty()

    def export_frame(self, output: str | None = None) -> None:
        """The frame under the playhead restored into a picture file (asked for when None), as
        the film's export holds it: File ▸ Export this frame."""
        win = self.win
        if win.film is None:
            return
        if self._frame_req is not None:
            self.status.showMessage("A frame is being exported; wait for it", 4000)
            return
        index = win.current
        overwrite = False
        if output is None:
            output, _ = QFileDialog.getSaveFileName(
                win, f"Export frame {index + 1}, restored",
                win.projects.suggest_output(".png", f"frame{index + 1:06d}"),
                "PNG, 16 bits (*.png);;TIFF, 16 bits (*.tif *.tiff);;JPEG (*.jpg *.jpeg);;"
                "WebP (*.webp)",
            )  # fmt: skip
            if not output:
                return
            overwrite = Path(output).exists()  # the dialog asked already
        self._frame_out = output
        self._frame_req = self.engine.request(
            Request.EXPORT_FRAME, self._on_frame, film=win.film, index=index, output=output,
            overwrite=overwrite, **self.restoration(),
        )  # fmt: skip
        self.status.showMessage(f"Exporting frame {index + 1}…")

    def _on_frame(self, msg: Message) -> None:
        if msg.id != self._frame_req:
            return
        self._frame_req = None
        name = Path(self._frame_out).name
        if msg.type == Event.RESULT:
            summary = dict(msg.body.get("data") or {})
            text = (
                f"Frame exported: {name} — {summary.get('width')} × {summary.get('height')}, "
                f"{str(summary.get('codec', '')).upper()}"
            )
            self.status.showMessage(text, 8000)
            self.message_bar.show_message(text, "info")
            self.win.jobFinished.emit("frame", summary)
        elif msg.type == Event.ERROR:
            self.status.clearMessage()
            self.win.show_error("The frame could not be exported", msg)
            self.win.jobFailed.emit("frame", str(msg.body.get("message", "")))

    def render_preview(self, output: str | None = None, seconds: float = 5.0) -> None:
        """A few seconds, before | after side by side, to `output` (asked for when None): from
        the middle of the marked part, or of the film."""
        win = self.win
        if win.film is None or self._job_req is not None:
            return
        if output is None:
            output, _ = QFileDialog.getSaveFileName(
                win, "Write a preview (before | after)",
                win.projects.suggest_output(".mp4", "preview"), "MP4 (*.mp4)",
            )  # fmt: skip
            if not output:
                return
        part = self.part()
        extra: dict[str, Any] = {} if part is None else {"span": list(part)}
        self._start_job("preview", output, overwrite=True, preview_seconds=seconds, **extra)

    def _start_job(self, kind: str, output: str, **extra: Any) -> None:
        settings = self.restore_panel.settings()
        codec = settings["codec"] if kind == "export" else "h264"
        self._job_kind, self._job_output, self._job_extra = kind, output, dict(extra)
        self._job_warned = ""
        if self._job_failed:  # the failure said before is not this job's
            self._job_failed = False
            self.message_bar.hide()
        self._job_req = self.engine.request(
            Request.RENDER,
            self._on_job,
            on_progress=self._on_job_progress,
            film=self.win.film,
            output=output,
            codec=codec,
            bit_depth=settings["bit_depth"] if kind == "export" else 8,
            # a preview is heard with the export's sound, to place a soundtrack by it
            **(self.delivery(settings) if kind == "export" else self.sound(settings)),
            **self.restoration(),
            **extra,
        )
        what = "Exporting" if kind == "export" else "Preview"
        span = extra.get("span")
        total = self.win.frame_count if span is None else span[1] - span[0]
        if kind == "preview":  # the engine's first progress event gives the preview's length
            total = 0
        self.restore_panel.show_job(what, 0, total, None, None)

    @staticmethod
    def delivery(settings: dict[str, Any]) -> dict[str, Any]:
        """How an export is delivered (its rate, its size, its soundtrack): the rate and size
        the export's alone, not a preview's (side by side, as restored) nor Compare's. A
        folder of frames carries no sound."""
        keys = ["deliver_fps", "fit", "fit_frame"]
        sound = Exporter.sound(settings) if codec_suffix(str(settings.get("codec"))) else {}
        return {k: settings[k] for k in keys if k in settings} | sound

    @staticmethod
    def sound(settings: dict[str, Any]) -> dict[str, Any]:
        """The soundtrack the panel gives (none: the film's own sound)."""
        return {k: settings[k] for k in ("soundtrack", "soundtrack_offset") if k in settings}

    def _on_job_progress(self, event: dict[str, Any]) -> None:
        what = "Exporting" if self._job_kind == "export" else "Preview"
        warning = str(event.get("warning") or "")
        if warning and warning != self._job_warned:  # said once, however often it comes
            self._job_warned = warning
            self.message_bar.show_message(f"{Path(self._job_output).name}: {warning}", "warning")
        self.restore_panel.show_job(
            what,
            int(event.get("done") or 0),
            int(event.get("total") or 0),
            event.get("fps"),
            event.get("eta_s"),
            float(event.get("partial") or 0.0),
        )

    @staticmethod
    def open_path(path: Path) -> None:
        """A folder in the file manager, a file in the program the system has for it."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def cancel_job(self) -> None:
        if self._job_req is not None:
            self.engine.cancel(self._job_req)

    def _on_job(self, msg: Message) -> None:
        if msg.id != self._job_req:
            return
        self._job_req = None
        kind, output = self._job_kind, self._job_output
        name = Path(output).name
        if msg.type == Event.RESULT:
            summary = dict(msg.body.get("data") or {})
            frames = int(summary.get("frames") or 0)
            before = int(summary.get("resumed_frames") or 0)
            made = f"{frames} frames" if not before else (
                f"{frames} frames ({before} made before it stopped, {frames - before} now)"
            )  # fmt: skip
            text = (
                f"{'Exported' if kind == 'export' else 'Preview written'}: {name} — "
                f"{made} in {float(summary.get('seconds', 0)):.1f} s "
                f"({float(summary.get('fps', 0)):.1f} fps)"
            )
            if kind == "export" and (note := cut_short_note(self.win.info)):
                text += f" — the source is c{note[1:]}"
            notes = summary.get("notes") or []
            said = [f"Sound: {line}" for line in summary.get("sound") or []] + notes
            self.restore_panel.end_job(text)
            self.restore_panel.show_notes(said)
            # where it went, and the record of what was done to it (`restore.record`)
            record = next((n.split(": ", 1)[1] for n in notes
                           if n.startswith("restoration record: ")), None)  # fmt: skip
            folder = Path(output).parent if Path(output).suffix else Path(output)
            self.message_bar.show_message(
                text, "info", "Open folder", lambda: self.open_path(folder),
                "Read the record" if record else "",
                (lambda: self.open_path(Path(record))) if record else None,
            )  # fmt: skip
            self.win.jobFinished.emit(kind, summary)
        elif msg.type == Event.CANCELLED:
            text = f"{'Export' if kind == 'export' else 'Preview'} of {name} cancelled."
            kept = msg.body.get("kept_frames")
            if kind == "export" and kept:
                text += f" {kept} frames are kept: export to the same file again to go on."
            elif kind == "export":  # stopped inside its first chunk: nothing to go on from
                text += " It stopped before its first part was done, so nothing is kept."
            self.restore_panel.end_job(text)
            self.win.jobFailed.emit(kind, "cancelled")
        elif msg.type == Event.ERROR:
            message = str(msg.body.get("message", ""))
            unfinished = msg.body.get("unfinished_job")
            self._job_failed = True
            if kind == "export" and isinstance(unfinished, dict):
                stopped = self._stopped_words(name, unfinished)
                if self._start_over(stopped):
                    self._start_job("export", output, **(self._job_extra | {"restart": True}))
                    return
                # the engine's words are the command line's (--restart): the app's instead
                self.restore_panel.end_job(f"{name}: not started")
                self.message_bar.show_message(f"Export not started: {stopped}.", "error")
                self.win.jobFailed.emit(kind, message)
                return
            self.restore_panel.end_job(f"{name}: {message}")
            self.win.show_error(f"{'Export' if kind == 'export' else 'Preview'} failed", msg)
            self.win.jobFailed.emit(kind, message)

    @staticmethod
    def _stopped_words(name: str, unfinished: dict[str, Any]) -> str:
        """An export to `name` that stopped and that this one cannot resume, said: other
        settings, another film, or its job damaged (`unfinished_job`, docs/protocol.md)."""
        differs, why = str(unfinished.get("differs") or ""), str(unfinished.get("why"))
        if why == "settings":
            return (f"An export to {name} stopped before it ended, with other settings than "
                    f"now ({differs}); set them back (Edit ▸ Undo) to resume it")  # fmt: skip
        if why == "input":
            return f"An export to {name} of another film ({differs}) stopped before it ended"
        return f"An export to {name} stopped before it ended; its job is damaged ({differs})"

    def _start_over(self, stopped: str) -> bool:
        """Whether to start over an export that cannot be resumed: the frames it made are
        lost then, so it is asked (the command line's `--restart`)."""
        answer = QMessageBox.question(
            self.win,
            "Start the export over?",
            f"{stopped}.\n\nStart it over with the settings now? The frames it made are "
            "thrown away.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes
