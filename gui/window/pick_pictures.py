"""The picked shots' key frames in their colours, asked of the engine where the window has none
(and those of shots their hints alone colour).

A shot's pick shows in the strip and the Colour modes panel as its key frame in the colours
picked. While a person picks, the picture comes with the pick (a drawn mode's, a picture's or
a neighbour's colours on the key frame); a project opened again, or the film read again
otherwise (as a negative, its levels stretched: the pictures made before show the frames as
they were read), has its picks without them, and a feature film's strip of grey key frames
marked "picked" says little of what was chosen. `fill` asks the engine's `pick_pictures` for
a few at a time and the next few when they come, so a person's own requests wait for a few
key frames at most.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QPixmap

from panchro.engine.service.protocol import Event, Message, Request

if TYPE_CHECKING:
    from panchro.gui.colour_modes import Pick
    from panchro.gui.window.main_window import MainWindow

BATCH = 4  # key frames a request: a second or two of the engine's job lane on a CPU
SIDE = 240  # a picture's longer side, in the screen's pixels


class PickPictures(QObject):
    """Fills in the pictures of picks that have none (`ColourPicks.pick_pictures`)."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self._req: int | None = None
        self._asked: dict[int, tuple[Pick | None, int]] = {}  # shot start -> pick (None: hints)
        # (id(pick), key frame; -start for hints alone): asked once; not again if none came
        self._tried: set[tuple[int, int]] = set()

    def forget(self) -> None:
        """The film is going or read again: pictures on their way are of frames as they were."""
        if self._req is not None:
            self.engine.cancel(self._req)
            self.engine.forget(self._req)
        self._req = None
        self._asked = {}
        self._tried.clear()

    @property
    def busy(self) -> bool:
        return self._req is not None

    def fill(self) -> None:
        """Ask for the next few picks' pictures the window lacks (nothing if none lacks one)."""
        win = self.win
        if self._req is not None or win.film is None or not win.shots or win.album.active:
            return
        if not self.engine.is_ready():
            return
        todo: list[dict[str, Any]] = []
        asked: dict[int, tuple[Pick | None, int]] = {}
        store = win.hint_editor.store
        for n, s in enumerate(win.shots):
            start, end = int(s["start"]), int(s["end"])
            pick = win.picks.get(start)
            key = win.shot_list.key_frame(n)
            # a shot its hints alone colour is shown in those colours too, once a film opens
            alone = pick is None and bool(store.on_frames(start, end))
            if (pick is None and not alone) or (id(pick) if pick else -start, key) in self._tried:
                continue
            if pick is not None and win.colour_picks.pick_preview(start, key) is not None:
                continue
            todo.append({"start": start, "end": end, "key_frame": key,
                         "pick": None if pick is None else pick.engine_dict()})  # fmt: skip
            asked[start] = (pick, key)
            if len(todo) == BATCH:
                break
        if not todo:
            return
        self._tried.update((id(p) if p else -start, key) for start, (p, key) in asked.items())
        params: dict[str, Any] = {
            "film": win.film, "shots": todo,
            # the strip's icon and the pick panel's 220 px: small, as a film has thousands
            "max_side": max(128, round(SIDE * win.devicePixelRatioF())),
            **win.colouring(),  # each shot as its render colours it
        }  # fmt: skip
        self._asked = asked
        self._req = self.engine.request(Request.PICK_PICTURES, self._on_pictures, **params)

    def _on_pictures(self, msg: Message) -> None:
        if msg.id != self._req:
            return
        self._req = None
        asked, self._asked = self._asked, {}
        win = self.win
        if msg.type == Event.ERROR:
            # said once, in the status bar: the picks themselves are whole
            said = str(msg.body.get("message", ""))
            win.statusBar().showMessage(f"The picked shots' pictures were not made: {said}", 8000)
            return
        if msg.type != Event.RESULT:
            return  # cancelled: another film, or read again
        rows = {int(s["start"]): n for n, s in enumerate(win.shots)}
        for part in (msg.body.get("data") or {}).get("images") or []:
            start, off = int(part["start"]), int(part["offset"])
            if start not in asked:
                continue
            pick, key = asked[start]
            pm = QPixmap()
            if not pm.loadFromData(msg.blob[off : off + int(part["length"])]):
                continue
            n = rows.get(start)  # cut or merged since: the picture waits for its frame's shot
            here = n is not None and win.shot_list.key_frame(n) == key
            if pick is None:  # its hints' colours, as the hint editor shows them in the strip
                if here and start not in win.picks:
                    win.strip.set_thumbnail(n, pm, key)
                continue
            win.colour_picks.keep_picture(pick, key, pm)
            if here and win.picks.get(start) is pick:
                win.strip.set_picked(n, pm)
        win.colour_picks.show_pick()
        self.fill()
