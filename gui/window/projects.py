"""Opening and saving: films, folders of frames, images and .panchro projects (an album's
project is handed to `album_project`), the recent files, and the question before unsaved
picks are lost."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from panchro.engine import paths
from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui import timecode as tc
from panchro.gui.colour_modes import Pick, crop_of
from panchro.gui.facts import (
    cut_short_note,
    log_warning,
    numbering_warning,
    reason_after,
    truncation_warning,
)
from panchro.gui.hints import hints_from_json
from panchro.gui.refit import frame_map, refit_picks, refit_shots
from panchro.gui.window import APP_NAME, on_triggered

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow

VIDEO_SUFFIXES = ("mp4", "mkv", "mov", "avi", "webm", "m4v", "mpg", "mpeg", "mts", "m2ts", "ts")
VIDEO_SUFFIXES += ("wmv", "flv", "ogv", "mxf", "dv", "3gp")
IMAGE_SUFFIXES = ("png", "tif", "tiff", "jpg", "jpeg", "dpx", "exr", "bmp", "webp")
# How the Edit menu names a change of the Scan row (Colour ▸ Read the film as a negative).
# How the Edit menu names a way of reading the fields ("Undo match the fields"), a folder's gaps.
FIELD_WORDS = {
    "auto": "read the fields automatically", "off": "read the fields as they are",
    "tff": "read top field first", "bff": "read bottom field first",
    "telecine": "match the fields", "keep": "keep every frame",
}  # fmt: skip
GAP_WORDS = {"auto": "hold the frame before a gap", "keep": "close up the gaps"}
SCAN_EDITS = {
    "negative": "read the film as a negative",
    "coded": "read the scan as coded",
    "auto": "read the film's values automatically",
}


def _file_filter() -> str:
    films = " ".join(f"*.{s}" for s in VIDEO_SUFFIXES)
    images = " ".join(f"*.{s}" for s in IMAGE_SUFFIXES)
    return (
        f"Films, pictures and projects ({films} {images} *.panchro);;Video files ({films});;"
        f"Pictures and frames ({images});;Panchro projects (*.panchro);;All files (*)"
    )


class Projects(QObject):
    """Owns what is open: the Open dialogs and File > Open recent, opening a film in the
    engine (the facts panel, the timeline's range, the cut-short warnings) and forgetting
    the one before with every request about it, reopening it after an engine restart,
    saving and loading projects (their shots, picks, colour hints and settings, an export
    to resume),
    and the window title with its unsaved mark (`dirty`)."""

    RECENT_MAX = 10

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.view = win.view
        self.strip = win.strip
        self.timeline = win.timeline
        self.facts = win.facts
        self.shot_panel = win.shot_panel
        self.restore_panel = win.restore_panel
        self.message_bar = win.message_bar
        self.cut_short_label = win.cut_short_label
        self.status = win.statusBar()
        self._open_req: int | None = None
        self.restart_reason = ""  # why the engine stopped, said once the film is open again
        self._pending_project: dict[str, Any] | None = None  # loaded, waiting for its film
        self._project_later: str | None = None  # asked for before the engine was ready
        self._resurvey = False  # the film read with other values: its survey asked again

    # --- recent files -------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        """Recently opened films and projects, newest first, those still on disk."""
        import json

        from panchro.engine.paths import recent_files_file

        try:
            items = json.loads(recent_files_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(items, list):
            return []
        return [p for p in items if isinstance(p, str) and Path(p).exists()][: self.RECENT_MAX]

    def remember(self, path: str) -> None:
        """`path` first in File > Open recent (an album's folder or picture too)."""
        self._remember(path)

    def _remember(self, path: str) -> None:
        import json
        import os

        from panchro.engine.paths import recent_files_file

        items = [path] + [p for p in self.recent_files() if p != path]
        target = recent_files_file()
        tmp = target.with_name(target.name + ".tmp")
        try:
            tmp.write_text(json.dumps(items[: self.RECENT_MAX], indent=1), encoding="utf-8")
            os.replace(tmp, target)  # never a half-written list
        except OSError:
            pass  # a read-only home loses the list, not the film

    def fill_recent_menu(self) -> None:
        menu = self.win.recent_menu
        menu.clear()
        items = self.recent_files()
        if not items:
            none = menu.addAction("(none yet)")
            none.setEnabled(False)
            return
        for n, path in enumerate(items):
            label = f"&{n + 1} {Path(path).name}" if n < 9 else Path(path).name
            act = menu.addAction(label)
            act.setToolTip(path)
            on_triggered(act, lambda p=path: self.open_any(p))

    # --- opening ----------------------------------------------------------------------

    def choose_film(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.win, "Open a film, an image or a project", self._start_dir(), _file_filter()
        )
        if path:
            self.open_any(path)

    def open_any(self, path: str | Path) -> None:
        """A .panchro project, a picture or a folder (an album: the engine says whether a folder
        is an album or a film's frames), or else a film or an image (DPX, EXR)."""
        if str(path).endswith(".panchro"):
            self.open_project(path)
        elif self.win.album.wants([str(path)]):
            self.win.album.open([str(path)])
        else:
            self.open_film(path)

    def open_dropped(self, paths: list[str]) -> None:
        """What was dropped on the window or chosen by File ▸ Open pictures: one thing as it
        is; several pictures (or folders of them) as an album, what cannot be in one named;
        else the first, the rest said."""
        if len(paths) > 1 and self.win.album.open_several(paths):
            return
        self.open_any(paths[0])
        if len(paths) > 1:
            self.message_bar.show_message(
                f"Opened {Path(paths[0]).name} alone, not "
                + ", ".join(Path(p).name for p in paths[1:])
                + ": a film opens on its own; several pictures make an album",
                "info",
            )

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.win, "Open a folder of scanned frames", self._start_dir()
        )
        if not folder:
            return
        # 0 leaves it to the files: a DPX scan says the rate it was shot at, others 24.
        fps, ok = QInputDialog.getDouble(
            self.win,
            "Frame rate",
            "Frames per second of this sequence\n(0: the rate its files say, as DPX scans do;"
            " else 24):",
            0.0,
            0.0,
            300.0,
            3,
        )
        if ok:
            self.open_film(folder, fps=fps or None)

    def _start_dir(self) -> str:
        film_path = self.win.film_path
        return str(Path(film_path).parent) if film_path else str(Path.home())

    def suggest_output(self, suffix: str, tail: str) -> str:
        """Where a file made from the film goes unless a person says otherwise: beside the
        project, or else beside the film, named after the film."""
        src = Path(self.win.film_path or "film")
        project_path = self.win.project_path
        folder = Path(project_path).parent if project_path else src.parent
        return str(folder / f"{src.stem}_{tail}{suffix}")

    def open_film(
        self, path: str | Path, fps: float | None = None, *, project: dict | None = None
    ) -> None:
        """Open `path` (a film, a folder of frames or an image); replaces what was open.
        `project`: a loaded project whose shots and picks apply once the film is open."""
        win = self.win
        if project is None and not self.maybe_keep_changes():
            return
        if not win.album.close():
            return
        win.player.pause()
        self.forget_film(close_in_engine=True)
        win.recovery.discard()  # what was open was saved, discarded, or had no changes
        self._pending_project = project
        win.project_path = project.get("project_path") if project else None
        win.film_path = str(Path(path).expanduser().absolute())
        win.film_fps = fps
        settings = (project or {}).get("settings") or {}
        win.film_deinterlace = str(settings.get("deinterlace", "auto"))
        self.restore_panel.set_fields_mode(win.film_deinterlace)
        win.film_scan = str(settings.get("scan", "auto"))
        self.restore_panel.set_scan_mode(win.film_scan)
        win.negative_action.setChecked(win.film_scan == "negative")
        levels = settings.get("levels")
        win.film_levels = [float(v) for v in levels] if levels else None
        self.restore_panel.levels = win.film_levels
        win.levels_action.setChecked(bool(win.film_levels))
        win.measured_levels, win.measured_faded = None, False
        win.levels_action.setEnabled(bool(win.film_levels))
        self.restore_panel.show_fields(False)  # until the engine says it is a video file
        win.current = 0
        win.player.displayed = None
        win.info = {}  # empty until opened; a reopen after a restart keeps it
        win.shots, win.shots_done = [], False
        win.shot_list.thumbs.clear()
        win.sampled.clear()
        win.picks.clear()
        # Pixels of this film: another film's crop or borders say nothing of it.
        self.restore_panel.set_crop(None)
        self.restore_panel.sound.set_value(settings)  # a score belongs to its film
        self.restore_panel.note.hide()  # the last export's notes, of another film
        win.found_borders(None)
        win.hint_editor.reset([])  # after the crop: its change is no edit to undo
        win.dirty = False
        win.player.show_film()
        win.colour_picks.show_pick()
        win.settled_sent = False
        self.facts.clear()
        self.shot_panel.show_shot(None, 0, None, 0.0)
        self.strip.show_note("Opening…")
        self.timeline.clear()
        win.exporter.clear_marks(quiet=True)
        win.exporter.exported_part = None
        self.view.clear(f"Opening {Path(win.film_path).name}…")
        win.setWindowTitle(f"{APP_NAME} — {Path(win.film_path).name}")
        self.message_bar.hide()
        self.cut_short_label.hide()
        if self.engine.is_ready():
            self._send_open()
        # Otherwise `engine_ready` sends it.

    def _send_open(self) -> None:
        assert self.win.film_path is not None
        params: dict[str, Any] = {"path": self.win.film_path}
        if self.win.film_fps:
            params["fps"] = self.win.film_fps
        if self.win.film_deinterlace != "auto":
            params["deinterlace"] = self.win.film_deinterlace
        if self.win.film_scan != "auto":
            params["scan"] = self.win.film_scan
        if self.win.film_levels:
            params["levels"] = self.win.film_levels
        self._open_req = self.engine.request(Request.OPEN, self._on_opened, **params)

    def read_fields(self, mode: str) -> None:
        """Read the open film's fields as `mode` says (Restore panel ▸ Fields): the engine opens it
        again so, and the frame, thumbnails and facts follow; shots, picks and hints stay."""
        win = self.win
        self.restore_panel.set_fields_mode(mode)  # as asked, or as an undo leaves it
        if mode == win.film_deinterlace:
            return
        words = (GAP_WORDS if win.info.get("kind") == "frames" else FIELD_WORDS).get(mode, mode)
        with win.edits.reading(words):
            win.film_deinterlace = mode
            self._read_again("Reading the film's fields again…")

    def read_scan(self, mode: str, levels: list[float] | None = None) -> None:
        """Read the open film's values as `mode` says (Restore panel ▸ Scan): the engine opens it
        again so; shots, picks and hints stay (the frames are the same pictures). Levels
        set on the values before are dropped, or `levels` taken (an undo's)."""
        win = self.win
        win.negative_action.setChecked(mode == "negative")
        self.restore_panel.set_scan_mode(mode)
        if mode == win.film_scan:
            return
        with win.edits.reading(SCAN_EDITS.get(mode, "read the scan otherwise")):
            win.film_scan = mode
            # Its tones are others now: levels measured or set on them say nothing of these,
            # and are measured again once the film is open (`shot_list.survey_again`).
            self._resurvey = True
            win.found_levels(None, False)
            self.set_levels(levels, quiet=True)
            self._read_again("Reading the film's values again…")

    def read_as(
        self, scan: str, levels: list[float] | None, fields: str, fps: float | None
    ) -> None:
        """The film read again with `scan`, `levels`, `fields` and shown at `fps` (Edit ▸
        Undo of any: an edit changes one of them)."""
        win = self.win
        if fields != win.film_deinterlace:
            self.read_fields(fields)
        elif fps != win.film_fps:
            self.show_at(fps or 0.0)
        elif scan != win.film_scan:
            self.read_scan(scan, levels)
        else:
            self.set_levels(levels)

    def toggle_negative(self) -> None:
        """Colour ▸ Read the film as a negative: turned positive, or back as it is read."""
        self.read_scan("auto" if self.win.film_scan == "negative" else "negative")

    def toggle_levels(self) -> None:
        """Colour ▸ Stretch the film's faded levels: its measured black and white points
        stretched as it is read, or its values as they are."""
        self.set_levels(None if self.win.film_levels else self.win.measured_levels)

    def set_levels(self, want: list[float] | None, *, quiet: bool = False) -> None:
        """The film read with `want` (black, white) stretched, or as it is (None; Colour ▸ Set
        the film's levels…): the engine opens it again so (`quiet`: the caller does)."""
        win = self.win
        win.levels_action.setChecked(bool(want))
        if want == win.film_levels:
            return
        if quiet:
            self._take_levels(want)
            return
        what = "stretch the film's levels" if want else "read the film's levels as they are"
        with win.edits.reading(what):
            self._take_levels(want)
            # A faded film's black borders are grey as it is: found once it is stretched.
            self._resurvey = True
            said = "Stretching the film's levels…" if want else "Reading its levels as they are…"
            self._read_again(said)

    def _take_levels(self, want: list[float] | None) -> None:
        win = self.win
        win.film_levels = want
        self.restore_panel.levels = want
        win.facts.set_levels(win.measured_levels, win.measured_faded, stretched=want)

    def show_at(self, fps: float) -> None:
        """Show the open video's frames at `fps` a second, 0 for its own rate (the speed box
        of Restore panel ▸ Fields, fps: a silent film at the speed it was shot at): the engine opens
        it again so; shots, picks and hints stay (the frames are the same, only their times)."""
        win = self.win
        want = fps or None
        if want == win.film_fps:
            return
        said = f"at {tc.frame_rate(want)}" if want else "at its own speed"
        with win.edits.reading(f"show the film {said}"):
            win.film_fps = want
            self._read_again(f"Showing the film {said}…", same_pictures=True)

    def _read_again(self, message: str, *, same_pictures: bool = False) -> None:
        win = self.win
        if win.film_path is None or (win.film is None and self._open_req is None):
            return  # nothing open: the next film opens as it says
        # (an open on its way is read again: it reads the film as it was asked before)
        win.player.pause()
        if not same_pictures:
            # The modes drawn show the frames as read before (a positive, where the film is
            # now read as a negative); a pick among them is shown anew by `PickPictures`.
            win.sampled.clear()
            if win.stage.currentWidget() is win.candidates:
                win.player.show_film()
        self.forget_film(close_in_engine=True)
        win.shot_list.thumbs.clear()  # made from the frames as read before
        win.exporter.clear_marks(quiet=True)  # frame numbers may read otherwise now
        self.status.showMessage(message, 4000)
        if self.engine.is_ready():
            self._send_open()
        self.mark_dirty()

    def engine_ready(self) -> None:
        """The engine is (again) ready: open what was asked for meanwhile, or the film that
        was open when it stopped."""
        later = self._project_later
        if later:
            self._project_later = None
            self.open_project(later)
        elif self.win.film_path is not None:
            self._send_open()

    def forget_film(self, *, close_in_engine: bool) -> None:
        """Drop every request about the current film; its replies will be ignored."""
        win = self.win
        if close_in_engine and win.film is not None and self.engine.is_ready():
            win.shot_list.cancel_detection()
            self.engine.request(Request.CLOSE, film=win.film)
        # An open on its way is not forgotten but answered by `_on_opened`, which closes what
        # it opened: read again twice in a row (an undo and a redo) leaves nothing open twice.
        self._open_req = None
        win.player.forget_requests()
        win.colour_picks.forget_requests()
        win.pick_pictures.forget()
        win.hint_editor.forget_requests()
        win.exporter.forget_requests(cancel=close_in_engine)
        win.shot_list.forget_requests()
        win.film = None

    def _on_opened(self, msg: Message) -> None:
        if msg.id != self._open_req:
            opened = (msg.body.get("data") or {}).get("film") if msg.type == Event.RESULT else None
            if opened is not None and self.engine.is_ready():
                self.engine.request(Request.CLOSE, film=int(opened))
            return
        self._open_req = None
        win = self.win
        if msg.type == Event.ERROR:
            name = Path(win.film_path or "").name
            text = reason_after(str(msg.body.get("message", "unknown error")), name)
            self.view.clear(f"{name} could not be opened.")
            self.strip.show_note("No film open.")
            win.setWindowTitle(APP_NAME)
            self.message_bar.show_message(
                f"Could not open {name}: {text}", "error", "Open another…", self.choose_film
            )
            self.status.showMessage(f"Could not open {name}", 10000)
            win.film_path = None
            win.openFailed.emit(f"{name}: {text}")
            return
        if msg.type != Event.RESULT:
            return
        data = msg.body.get("data") or {}
        reopened = bool(win.info)
        win.film = int(data["film"])
        if not reopened:
            self._remember(win.project_path or win.film_path or "")
        before, win.info = win.info, dict(data.get("info") or {})
        if reopened and win.shots_done and before.get("frame_count") != win.frame_count:
            self._refit(before)  # read with another count: gaps held, repeats left out
        self.facts.set_info(win.info)
        video = win.info.get("kind") == "video"
        gaps = win.info.get("kind") == "frames" and bool(win.info.get("missing_numbers"))
        # the Scan row where it matters: a log scan, or a film not read as it is coded
        scan = bool(win.info.get("log_scan")) or win.film_scan != "auto"
        self.restore_panel.show_fields(video, gaps=gaps, scan=scan)
        self.restore_panel.set_shown_rate(float(win.fps or 24.0))
        self.restore_panel.sound.set_film_sound(bool(win.info.get("audio")))
        if video:
            own = tc.to_float(win.info.get("retimed_from_float")) or win.fps
            self.restore_panel.speed.set_film(own, win.fps if own != win.fps else None)
        count = win.frame_count
        win.current = min(win.current, max(count - 1, 0))
        slider = self.timeline.slider
        slider.blockSignals(True)
        slider.setRange(0, max(count - 1, 0))
        slider.setValue(win.current)
        slider.setPageStep(max(1, round(win.fps)))
        slider.blockSignals(False)
        self.timeline.set_enabled(count > 1)
        self.restore_panel.set_film_open(True)
        win.player.show_position()
        self.view.clear("")
        win.player.request_frame()
        if reopened and self.restart_reason:
            self._say_restarted()
        elif not reopened and (warning := truncation_warning(win.info)):
            # Said in sight, without a dialog: the film can still be looked at and exported.
            self.message_bar.show_message(warning, "warning")
        elif not reopened and (warning := numbering_warning(win.info)):
            self.message_bar.show_message(warning, "warning")
        elif not reopened and (said := log_warning(win.info)):  # read at video levels, or not
            self.message_bar.show_message(said, "info" if win.info.get("scan") else "warning")
        self.cut_short_label.setText(cut_short_note(win.info))
        self.cut_short_label.setVisible(bool(cut_short_note(win.info)))
        self.restart_reason = ""
        if reopened and win.shots_done:
            win.shot_list.show_again()  # at another speed, the shots start at other times
            win.pick_pictures.fill()  # those made before show the frames as read then
            if self._resurvey:  # its values read otherwise: faults, borders, levels too
                self._resurvey = False
                win.shot_list.survey_again()
        elif self._pending_project is not None:
            self._apply_project(self._pending_project)
        else:
            win.shot_list.request_shots()

    def _say_restarted(self) -> None:
        """The engine stopped and the film is open again: said, with an export it stopped
        offered for resume (its finished chunks are kept)."""
        win, said = self.win, f"The engine stopped ({self.restart_reason}) and was restarted"
        stopped, win.exporter.stopped_export = win.exporter.stopped_export, None
        if stopped is None or not paths.job_folder(stopped[0]).is_dir():
            self.message_bar.show_message(f"{said}; the film is open again.", "info")
            return
        output, span = stopped
        self.message_bar.show_message(
            f"{said} during the export to {Path(output).name}; the film is open again, and the"
            " export's finished chunks are kept.",
            "warning",
            "Resume",
            lambda: win.exporter.resume(output, span),
        )

    def _refit(self, before: dict[str, Any]) -> None:
        """The shots, picks and hints of the film as `before` read it, moved onto the same
        pictures as it is read now (`refit`); the colour modes drawn are drawn again."""
        win = self.win
        to_now = frame_map(before, win.info)
        win.shots = refit_shots(win.shots, to_now, win.frame_count)
        picks = refit_picks(win.picks, to_now, {int(s["start"]) for s in win.shots})
        win.picks = {
            start: replace(pick, key_frame=to_now(pick.key_frame)) for start, pick in picks.items()
        }
        win.sampled.clear()
        hints = win.hint_editor.store.hints
        win.hint_editor.reset([replace(h, frame=to_now(h.frame)) for h in hints])

    # --- projects -----------------------------------------------------------------------

    def mark_dirty(self) -> None:
        if self.win.film_path is not None:
            self.win.dirty = True
            self.show_title()
            self.win.recovery.changed()  # kept against a crash in a few seconds

    def show_title(self) -> None:
        win = self.win
        name = Path(win.project_path).name if win.project_path else (
            Path(win.film_path).name if win.film_path else "")  # fmt: skip
        mark = " *" if win.dirty and win.film_path else ""
        win.setWindowTitle(f"{APP_NAME} — {name}{mark}" if name else APP_NAME)

    def maybe_keep_changes(self) -> bool:
        """Ask before unsaved edits are lost; False when the person chose to stay.

        Any edit the title marks with a star counts: a split shot, a stage left out of a
        shot or a Restore setting is work too, not only picks and hints."""
        win = self.win
        if not win.dirty or win.film_path is None or not win.confirm_discard:
            return True
        answer = QMessageBox.question(
            win,
            "Unsaved changes",
            "Your edits of this film are not saved in a project. Save them first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            # Sent is enough to go on: the engine takes the film's state when the request
            # arrives, before whatever is opened next closes it.
            return self.save_project()
        return True

    def save_project(self) -> bool:
        """Save to the project's file (asked for when it has none); False when the person
        cancelled the file dialog."""
        if self.win.project_path:
            return self.save_project_as(self.win.project_path)
        return self.save_project_as()

    def save_project_as(self, path: str | None = None) -> bool:
        """Save to `path` (asked for when None); False when nothing was sent."""
        win = self.win
        if win.film is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                win, "Save the project", self.suggest_output(".panchro", "project")
                .replace("_project.panchro", ".panchro"), "Panchro projects (*.panchro)",
            )  # fmt: skip
            if not path:
                return False
            if not path.endswith(".panchro"):
                path += ".panchro"
        self.engine.request(
            Request.SAVE_PROJECT,
            lambda msg, p=path: self._on_project_saved(msg, p),
            project_path=path,
            **self.request_params(),
        )
        return True

    def request_params(self) -> dict[str, Any]:
        """The open film's project as `save_project` takes it (all but `project_path`)."""
        win = self.win
        settings = self.restore_panel.settings()
        settings["output"] = win.exporter.export_output
        if win.exporter.exported_part is not None:
            settings["part"] = list(win.exporter.exported_part)
        params = win.exporter.restoration()
        return {
            "film": win.film,
            "shots": params.get("shots", []),
            "picks": params.get("picks", []),
            "settings": settings,
            "hints": params.get("hints"),
        }

    def _on_project_saved(self, msg: Message, path: str) -> None:
        if msg.type == Event.RESULT:
            self.win.project_path = path
            self.win.dirty = False
            self.win.recovery.discard()  # saved where the person keeps it
            self.show_title()
            self.status.showMessage(f"Project saved: {path}", 5000)
            self.win.projectSaved.emit(path)
        elif msg.type == Event.ERROR:
            self.win.show_error("Could not save the project", msg)

    def open_project(self, path: str | Path) -> None:
        """A `.panchro` of either kind: the engine reads it and says which (a film's opens
        here, an album's in `album.projects`)."""
        if not self.maybe_keep_changes():
            return
        if not self.engine.is_ready():
            self._project_later = str(path)  # `engine_ready` opens it
            return
        self.engine.request(
            Request.LOAD_PROJECT, self.on_project_loaded, project_path=str(Path(path).absolute())
        )

    def on_project_loaded(self, msg: Message) -> None:
        if msg.type == Event.ERROR:
            self.win.show_error("Could not open the project", msg)
            return
        if msg.type != Event.RESULT:
            return
        read = str((msg.body.get("data") or {}).get("project_path") or "")  # the file read
        # the file a crash left: opened under the project it came from, unsaved
        data = self.win.recovery.recovered(dict(msg.body.get("data") or {}))
        if data.get("kind") == "album":  # an album's project: its album, picks and hints
            self.win.album.projects.open(data)
            return
        source = data.get("source") or {}
        changes = data.get("source_changes") or []
        film = str(source.get("path", ""))
        if data.get("source_missing"):  # moved or renamed: nothing is opened until found
            self.message_bar.show_message(
                f"The film of this project is not where it was saved: {film}. Moved or "
                f"renamed? Find {Path(film).name}, and the project's shots and colours go "
                "with it.",
                "warning",
                "Locate it…",
                lambda: self.locate_film(read, film),
            )
            return
        self.win.dirty = False  # what is about to be replaced was asked about already
        # a folder's rate, or the speed a video was shown at; None: the video's own
        self.open_film(film, tc.to_float(data.get("shown_at")), project=data)
        moved = data.get("relinked") or {}
        if moved and not changes:
            where = "beside the project" if moved.get("how") == "beside the project" else "there"
            self.message_bar.show_message(
                f"The film was found {where}: {moved.get('to')} (the project had "
                f"{moved.get('from')}). Save the project to keep the new place.",
                "info",
            )
        elif changes:
            self.message_bar.show_message(
                f"The film of this project has changed since it was saved: {'; '.join(changes)}."
                " Picks may no longer fit its shots.",
                "warning",
            )
        elif data.get("reading"):
            self.message_bar.show_message(f"The film is {data['reading']}.", "info")

    def locate_film(self, project_path: str, was: str) -> None:
        """The film of a project that moved, found by the person: the project is read again
        with it (the engine checks it is the same film, and says what differs if not)."""
        old = Path(was)
        start = str(Path(project_path).parent)
        if old.suffix:
            path, _ = QFileDialog.getOpenFileName(
                self.win, f"Where is {old.name}?", start, _file_filter()
            )
        else:  # a folder of frames
            path = QFileDialog.getExistingDirectory(self.win, f"Where is {old.name}?", start)
        if path:
            self.engine.request(
                Request.LOAD_PROJECT, self.on_project_loaded,
                project_path=project_path, source_path=path,
            )  # fmt: skip

    def _recovered(self, data: dict[str, Any]) -> None:
        """A crash's work (`Recovery.recovered`) is open: unsaved until saved, its recovery
        file this window's. A film or soundtrack found elsewhere (`relinked`,
        `soundtrack_relinked`) is a change to save too."""
        if data.get("relinked") or data.get("soundtrack_relinked"):
            self.win.dirty = True
            self.show_title()
        if data.get("recovered"):
            self.win.dirty = True
            self.win.recovery.adopt(str(data["recovered"]))
            self.show_title()

    def _apply_project(self, data: dict[str, Any]) -> None:
        """Shots, picks and settings of a loaded project, now that its film is open."""
        win = self.win
        self._pending_project = None
        shots = [
            {"start": int(x["start"]), "end": int(x["end"]), "key_frame": int(x["key"])}
            | ({"off": list(x["off"])} if x.get("off") else {})
            for x in data.get("shots") or []
        ]
        settings = data.get("settings") or {}
        self.restore_panel.set_settings(settings)
        track = settings.get("soundtrack")
        moved = data.get("soundtrack_relinked")
        if moved:  # the engine found it beside the project: a save records where
            self.message_bar.show_message(
                f"The project's soundtrack was not at {moved['from']}; found beside the "
                f"project: {moved['to']}",
                "info",
            )
        elif track and not Path(str(track)).is_file():
            self.message_bar.show_message(
                f"The project's soundtrack {track} is not there: File ▸ Sound… to find it, or "
                "to export with the film's own sound.",
                "warning",
            )
        try:
            hints = hints_from_json(data["hints"]) if data.get("hints") else []
        except ValueError as err:  # the engine checked them; this is a bug, said not hidden
            hints = []
            self.message_bar.show_message(f"The project's colour hints were not read: {err}")
        win.hint_editor.reset(hints)
        if not shots:
            win.shot_list.request_shots()
            self._recovered(data)
            return
        win.picks.clear()
        for x in data.get("shots") or []:
            p = x.get("pick")
            if p:
                win.picks[int(x["start"])] = Pick(
                    key_frame=int(x["key"]), seed=int(p["seed"]),
                    temperature=float(p["temperature"]), k=0,  # how many were drawn: not kept
                    n=int(p["index"]), chroma=str(p["chroma"]), chroma_size=28, trained=True,
                    locked=bool(p.get("locked", True)), source=str(p.get("source", "user")),
                    reference=str(p.get("name") or ""), crop=crop_of(p.get("crop")),
                )  # fmt: skip
        win.shot_list.use_shots(shots)
        for n, shot in enumerate(win.shots):
            if int(shot["start"]) in win.picks:
                self.strip.set_picked(n, QPixmap())  # marked; its picture comes next
        win.pick_pictures.fill()  # each pick's key frame in its colours, a few at a time
        win.dirty = False
        self._recovered(data)
        self.show_title()
        output = settings.get("output")
        part = settings.get("part")
        if part:  # the last export was of a part: marked again, so it can be again
            win.exporter.exported_part = (int(part[0]), int(part[1]))
            win.exporter.mark_from, win.exporter.mark_to = int(part[0]), int(part[1]) - 1
            win.timeline.slider.set_part(win.exporter.part())
            win.restore_panel.set_part(win.exporter.part())
        if output and paths.job_folder(output).is_dir():
            win.exporter.export_output = output
            self.message_bar.show_message(
                f"An export to {Path(output).name}"
                + ("" if not part else f" (frames {int(part[0]) + 1} to {int(part[1])})")
                + " was interrupted.",
                "info",
                "Resume",
                lambda: win.exporter.export_part(output) if part else win.exporter.export(output),
            )
        win.projectLoaded.emit(str(win.project_path or ""))
