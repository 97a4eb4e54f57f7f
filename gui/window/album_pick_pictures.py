"""An album's picked pictures in their colours, asked of the engine where the window has none.

The grid shows a picked picture in the colours picked, from the mode drawn or the picture its
colours were carried from. An album project opened again, or its pictures read again otherwise
(Restore panel ▸ Negatives, Levels), has the picks without those pictures: the grid would show them
grey, marked "mode 2 picked". Once the thumbnails are in, `fill` asks the engine's
`preview_picture` (colours only: nothing cleaned or enlarged) for one picked picture at a time,
the next when it comes, so a person's own requests wait for one picture at most. The colours'
strength changed has them made again at it (`restrengthen`), and the modes on show drawn
again to be shown at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QPixmap

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.window import pixmaps_of

if TYPE_CHECKING:
    from panchro.gui.colour_modes import Pick, Sampled
    from panchro.gui.window.album import Albums

SIDE = 240  # the tile's and the panel's picture, in the screen's pixels


class AlbumPickPictures(QObject):
    """The pictures of picks that came without one (`pictures`, by the pick, as
    `AlbumCarry.pictures`: an undo brings a pick back with its picture)."""

    def __init__(self, albums: Albums) -> None:
        super().__init__(albums)
        self.albums = albums
        self.engine = albums.engine
        self._req: int | None = None
        self._asked: tuple[str, Pick] | None = None
        self._tried: set[int] = set()  # id(pick): asked once; not again if none came
        self.pictures: dict[int, tuple[Pick, QPixmap]] = {}  # id(pick) -> both

    def forget(self) -> None:
        """The album is going, or read otherwise: the pictures show it as it was read."""
        if self._req is not None:
            self.engine.cancel(self._req)
            self.engine.forget(self._req)
        self._req, self._asked = None, None
        self._tried.clear()
        self.pictures.clear()

    def restrengthen(self) -> None:
        """The colours' strength changed: the picks' pictures made again at it, one at a
        time, each tile keeping its picture till then; the modes on show drawn again at it."""
        albums = self.albums
        if albums.handle is None:
            return
        albums.carry.pictures.clear()  # made at the strength before
        self.forget()
        self.refresh()
        shown, win = albums.win.candidates.sampled, albums.win
        if win.stage.currentWidget() is not win.candidates or shown is None or \
                not albums.current or not self.redraw(albums.current, shown):  # fmt: skip
            self.fill()  # (else once the modes come: a pick among them has one)

    def refresh(self) -> None:
        """Each picked picture's tile, and the panel, with the picture of its pick the window
        has now."""
        albums = self.albums
        for pic in albums.pictures:
            if albums.pick_preview(pic.name) is not None:
                albums.show_tile(pic)
        albums.show_pick()

    def redraw(self, name: str, sampled: Sampled) -> bool:
        """Picture `name`'s modes drawn again (their seed and request) to be shown at the
        colours' strength of now; False when they are, or a draw is on its way (looked at
        when it comes)."""
        albums = self.albums
        strength = albums.win.restore_panel.colour_strength()
        if sampled.strength == strength or albums.busy_sampling or not sampled.asked:
            return False
        albums.ask_modes(name, sampled.asked | {"seed": sampled.seed})
        albums.win.colour.show_error(
            f"Showing the {sampled.k} colour modes at colour strength {strength:g}…"
        )
        return True

    def fill(self) -> None:
        """Ask for the next picked picture the grid shows without its colours."""
        albums = self.albums
        if self._req is not None or albums.handle is None or not self.engine.is_ready():
            return
        for pic in albums.pictures:
            pick = albums.picks.get(pic.name)
            if pick is None or pic.error or id(pick) in self._tried:
                continue
            if albums.pick_preview(pic.name) is not None:
                continue
            self._tried.add(id(pick))
            self._asked = (pic.name, pick)
            settings = albums.settings() | {"colorize": True, "degrain": 0.0, "upscale": 1}
            self._req = self.engine.request(
                Request.PREVIEW_PICTURE, self._on_picture, album=albums.handle,
                picture=pic.name, pick=pick.engine_dict(),
                max_side=max(128, round(SIDE * albums.win.devicePixelRatioF())), **settings,
                **albums.hints_param(pic.name, always=True),
            )  # fmt: skip
            return

    def _on_picture(self, msg: Message) -> None:
        if msg.id != self._req or self._asked is None:
            return
        self._req = None
        (name, pick), self._asked = self._asked, None
        albums = self.albums
        if msg.type == Event.RESULT:
            after = pixmaps_of(msg.body.get("data") or {}, msg.blob).get("after")
            if after is not None and albums.picks.get(name) is pick:
                self.pictures[id(pick)] = (pick, after)
                if (pic := albums.by_name.get(name)) is not None:
                    albums.show_tile(pic)
                if name == albums.current:
                    albums.show_pick()
        elif msg.type == Event.ERROR:  # the pick itself is whole; the tile stays grey
            said = str(msg.body.get("message", ""))
            albums.win.statusBar().showMessage(f"{name}'s colours were not shown: {said}", 8000)
        self.fill()
