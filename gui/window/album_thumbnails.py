"""An album's thumbnails: asked of the engine one picture at a time, read as the export reads
the pictures.

The grid shows each picture as Restore panel ▸ Scans, Borders, Negatives and Levels have it
read (`album_picture`: straightened, its border cut, turned positive, its levels stretched),
so a crooked print shows square once Straighten is ticked, as it will be written. A change to
those settings makes the grid (and the one picture's view) again; a picture's tile keeps its
place while its new thumbnail comes. One request at a time, the next when it comes, so a
person's own requests wait for one thumbnail at most; when the last is in, the picked
pictures' colours follow (`AlbumPickPictures.fill`) and the album says it has settled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage, QPixmap

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.album import THUMB_SIDE
from panchro.gui.window import READ_AS

if TYPE_CHECKING:
    from panchro.gui.window.album import Albums


class AlbumThumbnails(QObject):
    """The grid's thumbnails of `albums`' pictures, and how they were read (`shown_as`)."""

    def __init__(self, albums: Albums) -> None:
        super().__init__(albums)
        self.albums = albums
        self.engine = albums.engine
        self._req: tuple[int, str] | None = None
        self._queue: list[str] = []
        self.shown_as: dict[str, Any] = {}  # how the thumbnails on show were read

    def read_as(self) -> dict[str, Any]:
        """How the grid and the view show the pictures: the album requests' `crop`,
        `straighten`, `negative` and `levels`, as the Restore panel has them for the export."""
        albums = self.albums
        return {k: v for k, v in albums.settings().items() if k in READ_AS} if albums.active else {}

    def forget(self) -> None:
        """The album is going: no thumbnail is waited for."""
        if self._req is not None:
            self.engine.forget(self._req[0])
        self._req = None
        self._queue.clear()

    def read_again(self) -> None:
        """The Restore panel changed: if how the pictures are read changed with it, the
        thumbnails (and the one picture's view) made again as they are read now."""
        albums = self.albums
        if albums.handle is None or self.read_as() == self.shown_as:
            return
        albums.grid.clear_thumbnails()
        albums.carry.pictures.clear()  # the pictures as read before
        albums.pick_pictures.forget()
        self.forget()
        self.queue()
        if albums.single:
            albums.request_view()

    def queue(self) -> None:
        """Ask for every readable picture's thumbnail the grid lacks."""
        albums = self.albums
        self.shown_as = self.read_as()
        self._queue = [
            p.name for p in albums.pictures if not p.error and albums.grid.thumbnail(p.name) is None
        ]
        self._pump()

    def _pump(self) -> None:
        albums = self.albums
        if albums.handle is None or self._req is not None:
            return
        if not self._queue:
            albums.pick_pictures.fill()  # then the picked pictures' colours, one at a time
            albums.settled.emit()
            return
        name = self._queue.pop(0)
        rid = self.engine.request(
            Request.ALBUM_PICTURE,
            self._on_thumbnail,
            album=albums.handle,
            picture=name,
            max_side=max(64, round(THUMB_SIDE * albums.grid.devicePixelRatioF())),
            **self.shown_as,
        )
        self._req = (rid, name)

    def _on_thumbnail(self, msg: Message) -> None:
        if self._req is None or msg.id != self._req[0]:
            return
        name = self._req[1]
        self._req = None
        albums = self.albums
        pic = albums.by_name.get(name)
        if pic is not None:
            if msg.type == Event.RESULT:
                data = msg.body.get("data") or {}
                pic.width, pic.height = int(data.get("width", 0)), int(data.get("height", 0))
                pic.in_colour = bool(data.get("in_colour", False))
                pic.maybe_colour = bool(data.get("maybe_in_colour", False))
                pic.read = [str(w) for w in data.get("read") or []]
                pic.upright = pic.width > 0 and pic.height > 0
                image = QImage.fromData(msg.blob)
                if not image.isNull():
                    albums.grid.set_thumbnail(name, QPixmap.fromImage(image))
            elif msg.type == Event.ERROR:
                pic.error = str(msg.body.get("message", "cannot be read"))
            albums.show_album_text()  # what cannot be read, what keeps its own colours
            albums.show_tile(pic)
            if name == albums.current:
                albums.select(name)
        self._pump()
