"""An album picture's colours carried to the album's other pictures of the same scene (Colour
▸ Colour its scene alike, in an album): the engine's `carry_picture`, and the picks it makes.

A wedding, a holiday, a family gathering: an album holds many pictures of the same people in
the same clothes, which one set of colours fits. The picture a person picked colours for
lends them, as its export colours it, to each picture without a pick; the engine matches by
what the pictures show, and a picture of another scene is given nothing. One edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QPixmap

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.album import THUMB_SIDE
from panchro.gui.colour_modes import Pick, crop_of
from panchro.gui.words import counted

if TYPE_CHECKING:
    from panchro.gui.window.album import Albums


class AlbumCarry(QObject):
    """Owns the album's carry request, and the pictures of the picks it made (`pictures`, by
    the pick: an undo brings a pick back with its picture)."""

    def __init__(self, albums: Albums) -> None:
        super().__init__(albums)
        self.albums = albums
        self.win = albums.win
        self.engine = albums.engine
        self._req: int | None = None
        self._from = ""
        self.pictures: dict[int, tuple[Pick, QPixmap]] = {}  # id(pick) -> both

    def forget(self) -> None:
        if self._req is not None:
            self.engine.forget(self._req)
        self._req = None
        self.pictures.clear()

    def carry(self) -> None:
        """The selected picture's colours to every picture of the album without a pick."""
        albums, win = self.albums, self.win
        name = albums.current or ""
        pick = albums.picks.get(name)
        if albums.handle is None or pick is None:
            win.statusBar().showMessage(
                "Pick this picture's colours first: its colours are what is carried", 6000
            )
            return
        targets = [p.name for p in albums.pictures
                   if p.name != name and not p.error and p.name not in albums.picks]  # fmt: skip
        if not targets:
            win.statusBar().showMessage("Every other picture has colours of its own", 5000)
            return
        read = {k: v for k, v in albums.settings().items()
                if k in ("crop", "straighten", "negative", "levels")}  # fmt: skip
        if self._req is not None:
            self.engine.cancel(self._req)
            self.engine.forget(self._req)
        self._from = name
        self._req = self.engine.request(
            Request.CARRY_PICTURE, self._on_carried,
            on_progress=lambda e: win.colour.set_busy(True, int(e.get("done") or 0),
                                                      int(e.get("total") or 0)),
            album=albums.handle, picture=name, pick=pick.engine_dict(), targets=targets,
            max_side=round(THUMB_SIDE * win.devicePixelRatioF()),
            **albums.hints_param(name, always=True), **read,
        )  # fmt: skip
        win.colour.set_busy(True)
        win.colour.show_error(f"Carrying the colours of {name} to the album's pictures…")

    def _on_carried(self, msg: Message) -> None:
        if msg.id != self._req:
            return
        self._req = None
        albums, win = self.albums, self.win
        win.colour.set_busy(False)
        if msg.type == Event.ERROR:
            win.colour.show_error(str(msg.body.get("message", "")))
            win.show_error("Could not carry the colours", msg)
            return
        if msg.type != Event.RESULT:
            win.colour.show_error("Carrying the colours was cancelled.")
            return
        data: dict[str, Any] = msg.body.get("data") or {}
        shown: dict[str, QPixmap] = {}
        for part in data.get("images") or []:
            pm, off = QPixmap(), int(part["offset"])
            if pm.loadFromData(msg.blob[off : off + int(part["length"])]):
                shown[str(part["picture"])] = pm
        carried: list[str] = []
        with win.edits.edit(f"carry the colours of {self._from} to the album"):
            for entry in data.get("pictures") or []:
                name, raw = str(entry["picture"]), entry.get("pick")
                if raw is None or name not in albums.by_name or name in albums.picks:
                    continue  # another scene; or picked since it was asked
                pick = Pick(
                    key_frame=0, seed=0, temperature=0.0, k=1, n=0, chroma=str(raw["chroma"]),
                    chroma_size=28, trained=True, source="carried", reference=self._from,
                    crop=crop_of(raw.get("crop")),
                )  # fmt: skip
                if name in shown:
                    self.pictures[id(pick)] = (pick, shown[name])
                albums.picks[name] = pick
                carried.append(name)
        for name in carried:
            albums.show_tile(albums.by_name[name])
        if carried:
            albums.projects.changed()
        albums.show_album_text()
        looked = len(data.get("pictures") or [])
        said = f"The colours of {self._from} carried to {counted(len(carried), 'picture')}"
        if looked > len(carried):
            said += f"; {looked - len(carried)} did not match it and keep their own colours"
        win.colour.show_error(said + ".")
        win.statusBar().showMessage(said, 8000)
        win.colourCarried.emit(len(carried))
