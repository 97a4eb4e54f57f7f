"""Comparing an album's picture before | after, as its export will write it: the request,
and the compare view it fills (the window's, shared with a film's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from panchro.engine.service.protocol import Event, Message, Request
from panchro.gui.window import pixmaps_of

if TYPE_CHECKING:
    from panchro.gui.window.album import Albums


class AlbumCompare(QObject):
    """Owns the album's one compare request at a time; `albums.compareShown` when shown."""

    def __init__(self, albums: Albums) -> None:
        super().__init__(albums)
        self.albums = albums
        self.win = albums.win
        self.engine = albums.engine
        self._req: int | None = None

    def forget(self) -> None:
        """The album is going, or another compare asked: the reply is ignored."""
        if self._req is not None:
            self.engine.forget(self._req)
        self._req = None

    def compare(self) -> None:
        """The selected picture before | after, as the export will write it."""
        win, albums = self.win, self.albums
        pic = albums.selected("compare it")
        if pic is None or albums.handle is None:
            return
        read = albums.settings()  # a negative turned, levels stretched: a change to compare
        if not win.restore_panel.restores_something() and not (
            read.get("negative") or read.get("levels")
        ):
            win.statusBar().showMessage(
                "Nothing to compare: choose colorize, clean or enlarge", 6000
            )
            return
        if self._req is not None:
            self.engine.forget(self._req)
        self._req = self.engine.request(
            Request.PREVIEW_PICTURE,
            self._on_compare,
            album=albums.handle,
            picture=pic.name,
            pick=albums.engine_pick(pic.name),
            max_side=win.player.preview_side(),
            actual=True,  # pixel for pixel, to zoom into
            **albums.settings(),
            **albums.hints_param(pic.name),
        )
        win.compare.show_result({}, {}, pic.name)
        win.compare.header.setText(f"Restoring {pic.name}…")
        win.stage.setCurrentWidget(win.compare)
        win.compare.setFocus()

    def _on_compare(self, msg: Message) -> None:
        if msg.id != self._req:
            return
        self._req = None
        win = self.win
        if msg.type == Event.ERROR:
            self.albums.show_grid()
            win.show_error("Could not restore this picture", msg)
            return
        if msg.type != Event.RESULT:
            return
        data = msg.body.get("data") or {}
        pixmaps = pixmaps_of(data, msg.blob)
        name = str(data.get("picture", ""))
        data["index"] = self.albums.index_of(name)  # the hint tools work on the picture compared
        pick = data.get("pick") or {}
        albums = self.albums
        n = albums.hint_count(name) if albums.settings()["colorize"] else 0
        hints = f" with {n} hint{'s' if n != 1 else ''}" if n else ""
        how = (
            # the picture's seed, as its Software tag says it and `--seed` takes it (the
            # pick's own is drawn from it)
            f"automatic colours (seed {data.get('seed', pick.get('seed'))})"
            if pick.get("source") == "auto"
            else "its own colours (in colour already)" + (f",{hints}" if hints else "")
            if pick.get("source") == "own"
            else f"colour mode {int(pick.get('index', 0)) + 1} picked{hints}"
            if pick
            else f"coloured by {n} hint{'s' if n != 1 else ''} alone"
            if n
            else "not colorized"
        )
        s = albums.settings()
        luma_by = ", ".join(
            what
            for what, on in (
                ("dust", s.get("dust", 0) > 0),
                ("cleanup/upscale", s["upscale"] > 1 or s["degrain"] > 0),
            )
            if on
        )
        win.compare.show_result(pixmaps, data, f"{name} — {how}", luma_by or "levels")
        albums.compareShown.emit()
