"""Albums and single pictures: opening them, the grid, a picture's colour modes and pick, its
before | after, and exporting the picture or the whole album.

A picture (one file), several pictures, or a folder of unrelated photos is an *album*: the
engine reads every picture itself (`open_album`, docs/protocol.md) and sends thumbnails; the
window shows them in a grid (`gui/album.py`). A folder the engine's rule reads as a film
(numbered frames of one size) is opened as a film instead. Each picture is its own shot:
its colour modes are drawn for it alone (`sample_picture`), the pick is kept here by its
name in the album, and a picture nobody picked gets the automatic pick the command line
gives it (`panchro restore FOLDER OUT --stills`), which Compare shows before any export.
One picture opened alone is shown large, as a film's frame, and exports to a picture file.
The window's actions (C, M, V, Ctrl+E, Esc) work on the picture selected while an album is
open, and so do the colour hint tools (H, P, B, E, I): the hint editor keeps an album's
hints in its one store with each hint's `frame` the picture's place in the album, so undo
and redo run across pictures, and each request carries a picture's own hints on its frame
0, in the upright picture's pixels (docs/protocol.md). The film's tools that have no album
version (the Go menu, colour from a picture) are disabled, with a tooltip saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.album import (
    AlbumPicture,
    album_words,
    colours_line,
    pick_band,
    picture_state,
)
from panchro.gui.colour_modes import Pick, Sampled, parse_sampled, strength_words
from panchro.gui.facts import reason_after
from panchro.gui.hints import FrameGeometry
from panchro.gui.window import APP_NAME
from panchro.gui.window.album_carry import AlbumCarry
from panchro.gui.window.album_compare import AlbumCompare
from panchro.gui.window.album_export import AlbumExports
from panchro.gui.window.album_pick_pictures import AlbumPickPictures
from panchro.gui.window.album_project import AlbumProjects
from panchro.gui.window.album_thumbnails import AlbumThumbnails
from panchro.gui.window.album_tools import FilmTools

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow

# Read as one photograph (the engine's media.PICTURE_INPUTS); other images (DPX, EXR) open
# as a one-frame film, as before.
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")
PICTURES_FILTER = "Pictures (" + " ".join(f"*{s}" for s in PICTURE_SUFFIXES) + ")"


def is_picture(path: str | Path) -> bool:
    return Path(path).suffix.lower() in PICTURE_SUFFIXES


class Albums(QObject):
    """Owns an open album: its engine handle and pictures, the grid and the Album panel, the
    thumbnails (one request at a time), the picture selected, its colour modes (`sampled`)
    and the picks (`picks`, by picture name), compare, and the export of a picture or of the
    album with its progress and Cancel (an album export resumes). `active` says whether an
    album (or a single picture) is what is open; `single` whether it is one picture.

    Signals: `opened(n)` pictures listed, `settled` every thumbnail in (or failed),
    `modesShown(k)`, `compareShown`; a finished export also fires the window's
    `jobFinished(kind, summary)` ("album" or "picture"), a failed one `jobFailed`."""

    opened = Signal(int)
    settled = Signal()
    modesShown = Signal(int)
    compareShown = Signal()

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.grid = win.album_grid
        self.panel = win.album_panel
        self.active = False
        self.single = False
        self.handle: int | None = None
        self.inputs: list[str] = []
        self.stills = False
        self.pictures: list[AlbumPicture] = []
        self.by_name: dict[str, AlbumPicture] = {}
        self.current: str | None = None
        self.sampled: dict[str, Sampled] = {}
        self.picks: dict[str, Pick] = {}
        self.dirty = False  # picks, hints or settings changed since the project was saved
        self.last_output = ""  # the folder (or file) exported to last
        self.reason = ""  # why the engine read it as an album
        self._open_req: int | None = None
        self._view_req: int | None = None
        self._sample_req: tuple[int, str] | None = None
        self._sample_asked: dict[str, Any] = {}
        self.film_tools = FilmTools(win)  # put away while an album is open
        self.exports = AlbumExports(self)
        self.comparer = AlbumCompare(self)
        self.carry = AlbumCarry(self)  # a picture's colours to the album's others
        self.pick_pictures = AlbumPickPictures(self)  # picks' pictures it lacks
        self.projects = AlbumProjects(self)
        self.thumbnails = AlbumThumbnails(self)  # the grid's, read as the export reads them
        for changed in (win.restore_panel.settingsChanged,
                        win.restore_panel.album_format.currentIndexChanged):  # fmt: skip
            changed.connect(lambda *_: self.projects.changed())
        self._given_out: list[str] = []  # given with the pictures, not pictures (`open`)
        win.restore_panel.settingsChanged.connect(self.thumbnails.read_again)
        win.restore_panel.colorize.toggled.connect(lambda *_: self.hints_changed())  # the words
        self.grid.pictureSelected.connect(self.select)
        self.grid.pictureOpened.connect(self.open_picture)
        self.engine.ready.connect(self._on_engine_ready)
        self.engine.engineDied.connect(self._on_engine_died)

    # --- what a path is ------------------------------------------------------------------

    @staticmethod
    def wants(paths: list[str]) -> bool:
        """Whether `paths` are opened here: pictures, or folders (a folder of film frames is
        handed back to the film's opening once the engine has said so)."""
        return bool(paths) and all(is_picture(p) or Path(p).is_dir() for p in paths)

    # --- opening and closing ------------------------------------------------------------

    def choose_pictures(self) -> None:
        """File > Open pictures…: one picture, or several as an album."""
        paths, _ = QFileDialog.getOpenFileNames(
            self.win, "Open pictures (several make an album)", self.start_dir(),
            f"{PICTURES_FILTER};;All files (*)",
        )  # fmt: skip
        if paths:
            self.win.projects.open_dropped(paths)  # a text file among them is said, left out

    def open_several(self, paths: list[str]) -> bool:
        """The pictures and folders among `paths` as an album, the rest (a text file, a film)
        named as left out; False when fewer than two can be (the caller opens one)."""
        usable = [p for p in paths if self.wants([p])]
        if len(usable) < 2:
            return False
        left_out = [Path(p).name for p in paths if p not in usable]
        return self.open(usable, left_out=left_out) or True

    def choose_folder(self) -> None:
        """File > Open album folder…: a folder of photos, read as an album whatever its names."""
        folder = QFileDialog.getExistingDirectory(
            self.win, "Open a folder of photos as an album", self.start_dir()
        )
        if folder:
            self.open([folder], stills=True)

    def start_dir(self) -> str:
        if self.inputs:
            first = Path(self.inputs[0])
            return str(first if first.is_dir() else first.parent)
        film = self.win.film_path
        return str(Path(film).parent) if film else str(Path.home())

    def open(
        self,
        paths: list[str],
        *,
        stills: bool = False,
        project: dict[str, Any] | None = None,
        left_out: list[str] | None = None,
    ) -> bool:
        """Open `paths` (pictures and folders) as an album; replaces what was open. `project`:
        a loaded album's project is opening it (a film's changes were asked about already);
        `left_out`: the names of what was given with them and cannot be in an album, said
        with what the engine leaves out. False when the person chose to keep what was open."""
        win = self.win
        if not self.maybe_keep_picks():
            return False
        if project is None and not win.projects.maybe_keep_changes():
            return False
        self._given_out = list(left_out or [])
        win.restore_panel.note.hide()  # the last export's notes, of what was open
        self._clear_film()
        self._close(ask=False)
        win.recovery.discard()  # what was open was saved, discarded, or had no changes
        self.projects.opened += 1
        self.inputs = [str(Path(p).expanduser().absolute()) for p in paths]
        self.stills = stills
        self.single = len(paths) == 1 and is_picture(paths[0])
        name = self.projects.inputs_name()
        self.projects.show_title()
        win.view.clear(f"Opening {name}…")
        win.player.show_film()
        self._set_mode(True)
        self.panel.show_album(f"Opening {name}…")
        self.panel.show_picture("", None)
        if self.engine.is_ready():
            self._send_open()
        return True

    def _send_open(self) -> None:
        self._open_req = self.engine.request(
            Request.OPEN_ALBUM,
            self._on_opened,
            on_progress=self._on_open_progress,
            paths=self.inputs,
            stills=self.stills,
        )

    def _on_open_progress(self, event: dict[str, Any]) -> None:
        self.panel.show_album(f"Reading {event.get('done') or 0} of {event.get('total')}…")

    def _on_opened(self, msg: Message) -> None:
        if msg.id != self._open_req:
            return
        self._open_req = None
        win = self.win
        name = self.projects.inputs_name()
        if msg.type == Event.ERROR:
            text = reason_after(str(msg.body.get("message", "unknown error")), name)
            self._close(ask=False)
            win.setWindowTitle(APP_NAME)
            win.view.clear(f"{name} could not be opened.")
            win.message_bar.show_message(f"Could not open {name}: {text}", "error")
            win.openFailed.emit(f"{name}: {text}")
            return
        if msg.type != Event.RESULT:
            return
        data = msg.body.get("data") or {}
        if data.get("album") is None:  # the rule says film: numbered frames of one size
            folder = self.inputs[0]
            self._close(ask=False)
            win.projects.open_film(folder)
            win.statusBar().showMessage(f"Opened as a film: {data.get('describe', '')}", 10000)
            return
        reopened = bool(self.pictures)
        self.handle = int(data["album"])
        self.reason = str(data.get("reason", ""))
        if not reopened:
            self.pictures = [AlbumPicture.from_engine(p) for p in data.get("pictures") or []]
            self.by_name = {p.name: p for p in self.pictures}
            self.grid.set_pictures(self.pictures)
            ignored = str(data.get("ignored") or "")
            if self._given_out:  # given with the pictures, not one itself
                given = ", ".join(self._given_out)
                ignored = "; ".join(x for x in (ignored, f"not pictures: {given}") if x)
                self._given_out = []
            if ignored:
                win.message_bar.show_message(f"Left out of the album: {ignored}.", "info")
            if self.projects.pending is not None:  # its picks and hints, the pictures here now
                self.projects.apply()  # (a warning about them said over the line above)
            elif len(self.inputs) == 1:
                win.projects.remember(self.inputs[0])
        self.show_album_text()
        win.restore_panel.set_film_open(True)
        self.thumbnails.queue()
        for pic in self.pictures:
            self.show_tile(pic)
        if self.current not in self.by_name and self.pictures:
            self.current = None
            self.grid.select(self.pictures[0].name)
        elif self.current:
            self.select(self.current)
        if self.single:
            self.request_view()
        else:
            self.show_grid()
        self.opened.emit(len(self.pictures))

    def show_album_text(self) -> None:
        where = Path(self.inputs[0]).name if len(self.inputs) == 1 else f"{len(self.inputs)} inputs"
        failed = sum(1 for p in self.pictures if p.error)
        own = sum(p.in_colour and p.name not in self.picks for p in self.pictures) + sum(
            pick.source == "own" for pick in self.picks.values())  # fmt: skip
        picked = sum(pick.source != "own" for pick in self.picks.values())
        self.panel.show_album(album_words(len(self.pictures), picked, failed, where,
                                          single=self.single, reason=self.reason, own=own,
                                          colorize=self.settings()["colorize"]))  # fmt: skip

    def _clear_film(self) -> None:
        """Forget the film that was open (as opening another film does), without opening."""
        win = self.win
        win.player.pause()
        win.projects.forget_film(close_in_engine=True)
        win.film_path = None
        win.film_fps = None
        win.project_path = None
        win.current = 0
        win.player.displayed = None
        win.info = {}
        win.shots, win.shots_done = [], False
        win.shot_list.thumbs.clear()
        win.sampled.clear()
        win.picks.clear()
        win.hint_editor.reset([])
        win.dirty = False
        win.settled_sent = False
        win.facts.clear()
        win.timeline.clear()
        win.message_bar.hide()
        win.cut_short_label.hide()

    def close(self) -> bool:
        """Close the album before something else opens; False when the person chose to keep
        it (unexported picks)."""
        if not self.active:
            return True
        if not self.maybe_keep_picks():
            return False
        self._close(ask=False)
        self.win.setWindowTitle(APP_NAME)  # what opens next names itself
        return True

    def _close(self, *, ask: bool) -> None:
        if ask and not self.maybe_keep_picks():
            return
        self.exports.forget(cancel=True)
        self._forget_requests()
        if self.handle is not None and self.engine.is_ready():
            self.engine.request(Request.CLOSE_ALBUM, album=self.handle)
        self.handle = None
        self.pictures, self.by_name = [], {}
        self.sampled.clear()
        self.picks.clear()
        self.current = None
        self.dirty = False
        self.projects.forget()
        self.grid.set_pictures([])
        self._set_mode(False)
        self.win.hint_editor.reset([])  # the album's hints go with it

    def maybe_keep_picks(self) -> bool:
        """Ask before picks and hints not saved in a project are lost (saving them if the
        person says so); False when the person chose to stay."""
        return self.projects.maybe_keep()

    def _forget_requests(self) -> None:
        self.comparer.forget()
        self.carry.forget()
        self.pick_pictures.forget()
        for rid in (self._open_req, self._view_req):
            if rid is not None:
                self.engine.forget(rid)
        if self._sample_req is not None:
            self.engine.forget(self._sample_req[0])
        self._open_req = self._view_req = self._sample_req = None
        self.thumbnails.forget()
        self.win.colour.set_busy(False)

    def _on_engine_died(self, _reason: str) -> None:
        # Every request died with the engine; the album is opened again on `ready`.
        self._forget_requests()
        self.exports.engine_died()

    def _on_engine_ready(self, _hello: dict[str, Any]) -> None:
        # After a restart the engine has forgotten the album: open it again (picks are here).
        if self.active and self.inputs and self._open_req is None:
            self._send_open()

    # --- the mode: what the window shows and lets a person do ----------------------------

    def _set_mode(self, on: bool) -> None:
        win = self.win
        if on == self.active:
            return
        self.active = on
        for w in (win.timeline, win.strip, win.facts, win.shot_panel):
            w.setVisible(not on)
        win.album_panel.setVisible(on)
        win.restore_panel.set_album_mode(("picture" if self.single else "album") if on else "")
        win.colour.set_noun("picture" if on else "shot")
        win.hint_editor.set_noun(on)
        back = "Back to the picture" if self.single else "Back to the album"
        for button in (win.candidates.back, win.compare.back):
            button.setText(back if on else "Back to the film")
        win.colour.apply_button.setVisible(False)
        if on:
            self.film_tools.put_away()
        else:
            self.film_tools.give_back()
            win.stage.setCurrentWidget(win.view)
            win.restore_panel.set_film_open(False)
        win.restore_panel.end_job("")  # the last export's line belongs to what was open
        win.colour_menu.setToolTipsVisible(on)

    # --- the grid and the picture selected ----------------------------------------------

    def show_grid(self) -> None:
        """Back from the colour modes or compare: the grid (the picture, for one alone)."""
        win = self.win
        win.stage.setCurrentWidget(win.view if self.single else win.album_stage)
        if not self.single:
            self.grid.setFocus()

    def state(self, pic: AlbumPicture) -> str:
        """What is known of the picture's colours, in a few words (under its thumbnail)."""
        on = self.win.restore_panel.colorize.isChecked()
        return picture_state(pic, self.picks.get(pic.name), self.hint_count(pic.name), on)

    def pick_preview(self, name: str) -> QPixmap | None:
        """Picture `name` in its pick's colours, if the window has it: the mode drawn here, the
        picture carried with the pick, or made since (`AlbumPickPictures`)."""
        pick = self.picks.get(name)
        sampled = self.sampled.get(name)
        for made in (self.carry.pictures, self.pick_pictures.pictures):  # came with it, or since
            kept = made.get(id(pick)) if pick is not None else None
            if kept is not None and kept[0] is pick:
                return kept[1]
        if pick is not None and pick.source in ("carried", "own"):
            return None  # a carried pick's picture came with it; its own colours: the thumbnail
        if pick is None or sampled is None or pick.seed != sampled.seed or pick.n >= sampled.k \
                or sampled.strength != self.win.restore_panel.colour_strength():  # fmt: skip
            return None
        return sampled.pixmaps[pick.n]

    def show_tile(self, pic: AlbumPicture) -> None:
        pick = self.picks.get(pic.name)
        band = [] if pick is None else [pick_band(pick)]
        n = self.hint_count(pic.name)
        band += [f"✓ {n} hint{'s' if n != 1 else ''}"] if n else []
        band += ["exported"] if pic.exported else []
        image = self.pick_preview(pic.name)  # a pick shows its colours, as a film's strip
        self.grid.show_state(pic, self.state(pic), " · ".join(band), image)

    def select(self, name: str) -> None:
        """The picture `name` is the one the panels, Compare, the colour modes and Export
        picture work on."""
        pic = self.by_name.get(name)
        if pic is None:
            return
        self.current = name
        size = f"{pic.width} × {pic.height}" if pic.width else "size unknown"
        lines = [f"<b>{pic.name}</b>", f"{size}{', ' + pic.format if pic.format else ''}"]
        if pic.error:
            lines.append(f"<span style='color:#c0392b'>Cannot be used: {pic.error}</span>")
        else:
            lines.append(colours_line(pic, self.state(pic), name in self.picks,
                                      bool(self.hint_count(name)),
                                      self.win.restore_panel.colorize.isChecked()))  # fmt: skip
        if pic.read:
            lines.append(f"Read: {', '.join(pic.read)}")
        if pic.exported:
            lines.append(f"Exported to {pic.exported}")
        shown = self.pick_preview(name) or self.grid.thumbnail(name)
        self.panel.show_picture("<br>".join(lines), shown)
        self.win.restore_panel.compare_button.setEnabled(not pic.error)
        self.win.restore_panel.export_picture_button.setEnabled(
            not pic.error and not self.exports.busy
        )
        if self.single:  # the album is this picture: nothing to export of one not read
            self.win.restore_panel.export_button.setEnabled(not pic.error and not self.exports.busy)
        self.win.colour.sample_button.setEnabled(not pic.error and not self.win.colour.busy)
        self.show_pick()

    def show_pick(self) -> None:
        """The selected picture's pick in the Colour modes panel."""
        colour = self.win.colour
        name = self.current or ""
        pick = self.picks.get(name)
        preview = self.pick_preview(name)
        # a picture's border is found by the engine: a pick is not said to be of another crop
        crop = None if pick is None else pick.crop
        colour.show_pick(pick, preview, has_sampled=name in self.sampled, crop=crop)
        colour.apply_button.setVisible(False)  # pictures share nothing: no "following" ones
        pic = self.by_name.get(name)
        if pick is None and pic is not None and pic.in_colour:
            colour.pick_label.setText(
                "No pick: the picture is in colour already, and the export keeps its own colours."
            )
        elif pick is None and colour.usable:
            colour.pick_label.setText("No pick: the export gives this picture automatic colours.")
        colour.unlock_button.setToolTip("Forget this picture's pick (automatic colours again)")

    def open_picture(self, name: str) -> None:
        """Enter or a double-click on a picture: its colour modes (drawn first if needed)."""
        self.grid.select(name)
        if name in self.sampled:
            self.show_candidates()
        else:
            self.sample_colour_modes()

    def request_view(self) -> None:
        """The one picture opened alone, large in the view, as a film's frame is shown."""
        if self.handle is None or not self.pictures or self.pictures[0].error:
            if self.pictures and self.pictures[0].error:
                self.win.view.clear(f"{self.pictures[0].name}: {self.pictures[0].error}")
            return
        self._view_req = self.engine.request(
            Request.ALBUM_PICTURE,
            self._on_view,
            album=self.handle,
            picture=self.pictures[0].name,
            max_side=self.win.player.preview_side(),
            **self.thumbnails.read_as(),
        )

    def _on_view(self, msg: Message) -> None:
        if msg.id != self._view_req:
            return
        self._view_req = None
        pic = self.pictures[0] if self.pictures else None
        if msg.type == Event.RESULT:
            image = QImage.fromData(msg.blob)
            if not image.isNull():
                self.win.view.set_frame(QPixmap.fromImage(image), 0)
            if pic is not None:
                pic.in_colour = bool((msg.body.get("data") or {}).get("in_colour", False))
        elif msg.type == Event.ERROR and pic is not None:
            pic.error = str(msg.body.get("message", ""))
            self.win.view.clear(f"{pic.name}: {pic.error}")
            self.select(pic.name)
        self.show_grid()

    # --- colour modes and picks ----------------------------------------------------------

    def selected(self, what: str) -> AlbumPicture | None:
        """The picture selected, if it can be used; else None, and the status bar says why."""
        pic = self.by_name.get(self.current or "")
        if pic is None:
            self.win.statusBar().showMessage(f"Select a picture to {what}", 5000)
            return None
        if pic.error:
            self.win.statusBar().showMessage(f"{pic.name} cannot be read: {pic.error}", 8000)
            return None
        return pic

    def sample_colour_modes(self) -> None:
        """K colour modes of the selected picture (the Colour modes panel's settings)."""
        win = self.win
        pic = self.selected("draw its colour modes")
        if pic is None or self.handle is None:
            return
        if not win.colour.usable:
            win.statusBar().showMessage("The colorizer is not available; see Colour modes", 6000)
            return
        opts = {k: v for k, v in win.colour.options().items() if v is not None}
        # drawn for the picture as it is restored: straightened, inside its border
        self.ask_modes(
            pic.name, opts | self.hints_param(pic.name, always=True) | self.thumbnails.read_as()
        )
        win.colour.show_error(f"Drawing {opts['k']} colour modes of {pic.short}…")

    def ask_modes(self, name: str, asked: dict[str, Any]) -> None:
        """`sample_picture` of picture `name` with `asked`, shown at the colours' strength."""
        win = self.win
        if self._sample_req is not None:
            self.engine.cancel(self._sample_req[0])
            self.engine.forget(self._sample_req[0])
        strength = win.restore_panel.colour_strength()
        rid = self.engine.request(
            Request.SAMPLE_PICTURE,
            self._on_colour_modes,
            on_progress=lambda e: win.colour.set_busy(
                True, int(e.get("done") or 0), int(e.get("total") or 0)
            ),
            album=self.handle,
            picture=name,
            max_side=max(384, win.player.preview_side() // 2),  # K of them share the view
            **asked,
            **({} if strength == 1.0 else {"colour_strength": strength}),
        )
        self._sample_req = (rid, name)
        self._sample_asked = asked
        win.colour.set_busy(True)

    def _on_colour_modes(self, msg: Message) -> None:
        if self._sample_req is None or msg.id != self._sample_req[0]:
            return
        name = self._sample_req[1]
        self._sample_req = None
        colour = self.win.colour
        colour.set_busy(False)
        if msg.type == Event.ERROR:
            colour.show_error(str(msg.body.get("message", "")))
            self.win.show_error(f"Could not sample colour modes of {name}", msg)
            return
        if msg.type != Event.RESULT:
            colour.show_error("Sampling was cancelled.")
            return
        index = next((n for n, p in enumerate(self.pictures) if p.name == name), 0)
        try:
            sampled = parse_sampled(index, msg.body.get("data") or {}, msg.blob)
        except (KeyError, TypeError, ValueError) as err:
            colour.show_error(f"The engine's colour modes cannot be shown: {err}")
            return
        sampled.asked = {k: v for k, v in self._sample_asked.items() if k != "seed"}
        self.sampled[name] = sampled
        at = f" Shown at colour strength {sampled.strength:g}." if sampled.strength != 1 else ""
        colour.show_error(
            f"{sampled.k} colour modes in {sampled.seconds:.1f} s (seed {sampled.seed}).{at}"
        )
        self.pick_pictures.refresh()  # a pick among them shows them as they are shown now
        self.pick_pictures.fill()
        if name == self.current:
            self.show_candidates()
        self.modesShown.emit(sampled.k)

    @property
    def busy_sampling(self) -> bool:
        return self._sample_req is not None

    def show_candidates(self) -> None:
        """The colour modes drawn for the selected picture, in place of the grid."""
        win = self.win
        name = self.current or ""
        sampled = self.sampled.get(name)
        if sampled is None:
            win.statusBar().showMessage("No colour modes drawn for this picture yet (C)", 5000)
            return
        pick = self.picks.get(name)
        chosen = pick.n if pick is not None and pick.seed == sampled.seed else None
        n = len(self.pictures)
        label = name if self.single else f"{name} ({sampled.shot + 1} of {n})"
        win.candidates.show_sampled(sampled, label, chosen)
        win.candidates.header.setText(
            f"<b>{label}</b>: {sampled.k} colour modes (seed {sampled.seed}, temperature "
            f"{sampled.temperature:g}, {sampled.seconds:.1f} s{strength_words(sampled)}). Click "
            f"one, or press 1–{sampled.k}, to pick it; double-click one (or Z) to see it large; "
            "Esc: back."
        )
        win.stage.setCurrentWidget(win.candidates)
        win.candidates.setFocus()
        self.pick_pictures.redraw(name, sampled)  # drawn when the colours' strength was another

    def pick_candidate(self, n: int) -> None:
        sampled = self.win.candidates.sampled
        name = self.current or ""
        if sampled is None or self.sampled.get(name) is not sampled or not 0 <= n < sampled.k:
            return
        with self.win.edits.edit(f"pick colour mode {n + 1} for {name}"):
            self.picks[name] = sampled.pick(n)
        self.win.candidates.set_picked(n)
        self.after_pick_change(name, f"{name}: colour mode {n + 1} picked")

    def unpick(self) -> None:
        name = self.current or ""
        if name not in self.picks:
            return
        with self.win.edits.edit(f"forget {name}'s pick"):
            del self.picks[name]
        self.win.candidates.set_picked(None)
        pic = self.by_name.get(name)
        again = "its own colours" if pic is not None and pic.in_colour else "automatic colours"
        self.after_pick_change(name, f"{name}: pick forgotten; {again} again")

    def after_pick_change(self, name: str, text: str) -> None:
        self.projects.changed()
        pic = self.by_name.get(name)
        if pic is not None:
            self.show_tile(pic)
            self.select(name)
        self.show_album_text()
        self.win.statusBar().showMessage(text, 5000)

    def engine_pick(self, name: str) -> dict[str, Any] | None:
        pick = self.picks.get(name)
        return None if pick is None else pick.engine_dict()

    def settings(self) -> dict[str, Any]:
        """The Restore panel's settings, as the album requests take them (`crop` "auto":
        each picture's own border cut off, Restore panel ▸ Borders; `straighten`: Restore
        panel ▸ Scans; `negative`, `levels`: Restore panel ▸ Negatives, Levels)."""
        s = self.win.restore_panel.settings()
        kept = {k: s[k] for k in ("colorize", "degrain", "upscale", "upscaler", "dust")} | (
            {"colour_strength": s["colour_strength"]} if "colour_strength" in s else {}
        )
        read = {k: True for k in ("straighten", "negative", "levels") if s.get(k) is True}
        return kept | ({"crop": "auto"} if s.get("borders") else {}) | read

    # --- compare ------------------------------------------------------------------------

    def compare(self) -> None:
        """The selected picture before | after, as the export will write it."""
        self.comparer.compare()

    # --- hints: each picture's own colour points and strokes ---------------------------

    def index_of(self, name: str) -> int | None:
        """The picture's place in the album: the `frame` its hints have in the hint store."""
        for n, pic in enumerate(self.pictures):
            if pic.name == name:
                return n
        return None

    def picture_at(self, index: int | None) -> AlbumPicture | None:
        if index is None or not 0 <= index < len(self.pictures):
            return None
        return self.pictures[index]

    def geometry_of(self, index: int | None) -> FrameGeometry | None:
        """The upright picture at `index` as the hint tools map it (None until its size is
        known upright: a preview has come)."""
        pic = self.picture_at(index)
        if pic is None or not pic.upright:
            return None
        return FrameGeometry(pic.width, pic.height, 0)

    def hint_count(self, name: str) -> int:
        index = self.index_of(name)
        if index is None:
            return 0
        return len(self.win.hint_editor.store.on_frames(index, index + 1))

    def hints_param(self, name: str, *, always: bool = False) -> dict[str, Any]:
        """`{"hints": ...}` for a request on picture `name` (its hints on frame 0, at the size
        placed), or nothing: none, or colorize off (but `always`: modes are drawn anyway)."""
        index = self.index_of(name)
        if index is None or not (always or self.settings()["colorize"]):
            return {}
        hints = self.win.hint_editor.picture_hints(index)
        return {} if hints is None else {"hints": hints}

    def hints_changed(self) -> None:
        """An edit (or undo) of some picture's hints, or Colorize ticked: the panels say so."""
        self.projects.changed()
        self.show_album_text()
        for pic in self.pictures:
            self.show_tile(pic)
        self.select(self.current)  # (none selected: nothing)

    def step_picture(self, delta: int) -> str | None:
        """Select the readable picture `delta` places away -> its name (None at either end)."""
        usable = [p.name for p in self.pictures if not p.error]
        if self.current not in usable:
            return None
        k = usable.index(self.current) + delta
        if not 0 <= k < len(usable):
            return None
        self.grid.select(usable[k])
        self.select(usable[k])
        return usable[k]
