"""Colour hints from the window: the hint tools on a shot's key frame, their undo and redo,
the colour (a chooser, an eyedropper, recent colours), and the preview after each edit.

Editing hints happens in the compare view: Colour > Hints > Edit hints (H), or picking a tool,
shows the key frame of the shot under the playhead coloured as a render would colour it,
with the hints' markers over it. A click places a point, a drag a brush stroke, the eraser
removes the marker clicked, the eyedropper takes the colour under it (from whatever frame
the view shows: Page Up / Page Down go to the key frame of another shot and stay in the
hint tools, so a colour can be carried from one shot to another). Every edit is an undo
command; after each, a `hint_preview` is asked for, debounced, and the newest answer
replaces the picture (the engine drops queued older ones).

An album's pictures take hints too (`Albums`): a hint's `frame` is then the picture's place
in the album, each picture is its own one-frame "shot", Page Up / Page Down step through the
pictures, and the preview is the picture's `preview_picture` with its hints (colour only),
the one before asked cancelled: a picture is coloured at its full size, which takes longer
than a film's preview.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPointF, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QColorDialog, QFileDialog, QMenu

from panchro.engine.service.protocol import ErrorCode, Event, Message, Request
from panchro.gui import picture_picker
from panchro.gui.colour_modes import shot_label
from panchro.gui.hints import (
    RECENT_MAX,
    RGB,
    AddHint,
    FrameGeometry,
    Hint,
    HintStore,
    RemoveHints,
    colour_name,
    hint_at,
    hints_json,
    lying_under,
    paint_hints,
    rgb_of,
    swatch,
    untrained,
)
from panchro.gui.window import READ_AS, on_triggered, pixmaps_of
from panchro.gui.words import counted

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow

TOOLS = {
    "point": "place a colour point",
    "brush": "paint a stroke",
    "erase": "erase a hint",
    "pick": "take a colour",
}
DEBOUNCE_MS = 80  # edits closer together than this (undo held down) are previewed once
ZOOMED_SIDE = 1920  # the largest preview the engine sends (its FRAME_MAX_SIDE_RANGE)
STROKE_STEP_PX = 3  # screen pixels between the points kept of a brush stroke
CURSOR_STEP = 0.01  # the keyboard cursor's step, a fraction of the picture (Shift: x5)


class HintEditor(QObject):
    """Owns the film's hints (`store`), their undo stack, the tool in hand, the colour and
    the recent colours, the brush's width, and the `hint_preview` requests. It is the
    compare view's `overlay`: it draws the markers and takes the mouse and keys it needs.

    `hintsChanged` fires on each edit (undo and redo too); `previewShown(seconds)` when the
    answer to the latest preview asked is in the view (the picture, or why there is none):
    the seconds from the edit it shows, or -1 when it follows no edit or failed."""

    hintsChanged = Signal()
    previewShown = Signal(float)

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self.compare = win.compare
        self.stage = win.stage
        self.panel = win.hints_panel
        self.status = win.statusBar()
        self.store = HintStore(self)
        self.undo = win.edits.stack  # the window's one history: hints and other edits
        self.active = False  # the compare view shows `frame` for the hint tools
        self.frame: int | None = None
        self.tool = ""  # "" (the mouse moves the split line) or one of TOOLS
        self._tool_before_pick = "point"
        self.rgb: RGB = (200, 60, 40)
        self.recent: list[RGB] = []
        self.brush_width = 8
        self.show_markers = True
        self._stroke: list[tuple[float, float]] | None = None
        self._cursor: tuple[float, float] | None = None  # the keyboard's place, (u, v)
        self._moving = False  # stepping to another shot: the view leaves and comes back
        self._loading = False
        self._req: int | None = None
        self._shown_req = 0
        self._edit_t: float | None = None  # when the edit not yet shown was made
        self._asked: dict[int, float | None] = {}  # request id -> the edit time it answers
        self.latencies: list[float] = []  # seconds from an edit to its preview in the view
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh_now)
        self.store.changed.connect(self._on_store_changed)
        # an edit of the hints (or its undo) changes the store; other edits share the stack
        self.store.changed.connect(self._on_edited)
        self.compare.overlay = self
        self.compare.zoomed.connect(self._on_zoomed)
        self._side = 0  # the longest side the preview in the view was asked at
        self.stage.currentChanged.connect(self._on_stage_changed)
        win.frameShown.connect(self._on_frame_shown)
        self.panel.width_spin.setValue(self.brush_width)
        self.panel.width_spin.valueChanged.connect(self._set_width)
        self.panel.colourChosen.connect(lambda rgb: self.use_colour(tuple(rgb)))
        self.panel.set_colour(self.rgb)

    # --- actions ----------------------------------------------------------------------

    def build_actions(self, menu: QMenu, action: Any) -> None:
        """The hint entries of the Colour menu (`action` is the window's maker of actions),
        and the panel's buttons on the same actions (`hint_actions`)."""
        from panchro.gui.window.hint_actions import build_hint_actions

        build_hint_actions(self, menu, action)

    def _toggle_markers(self) -> None:
        self.show_markers = self.markers_action.isChecked()
        self.compare.canvas.update()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        if not self.recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
            return
        for n, rgb in enumerate(self.recent):
            a = self.recent_menu.addAction(swatch(rgb), f"&{n + 1} {colour_name(rgb)}")
            on_triggered(a, lambda c=rgb: self.use_colour(c))

    # --- what is open ------------------------------------------------------------------

    def reset(self, hints: list[Hint]) -> None:
        """Another film or project: its hints, nothing to undo, out of the hint tools."""
        self._loading = True
        try:
            self.win.edits.restart()
            self.store.set_all(hints)
        finally:
            self._loading = False
        self.forget_requests()
        self._leave()

    def forget_requests(self) -> None:
        """The film is going (or the engine died): a preview on its way is not wanted."""
        self._timer.stop()
        if self._req is not None:
            self.engine.forget(self._req)
        self._req = None
        self._asked.clear()

    def _album(self) -> Any:
        """The window's album controller while an album (or one picture) is open, else None."""
        album = getattr(self.win, "album", None)
        return album if album is not None and album.active else None

    def picture_hints(self, index: int) -> dict[str, Any] | None:
        """The hints of the album's picture `index` as a request carries them: on frame 0,
        with the upright size they were placed on; None when it has none."""
        mine = [replace(h, frame=0) for h in self.store.on_frames(index, index + 1)]
        if not mine:
            return None
        data = hints_json(mine)
        album = self._album()
        geometry = album.geometry_of(index) if album is not None else None
        if geometry is not None:
            data["frame_size"] = [geometry.width, geometry.height]
        return data

    def hints_json(self) -> dict[str, Any] | None:
        """The film's hints as requests carry them, with the size of the frames they were
        placed on (a project's hints then cannot land on another film); None when there
        are none."""
        data = self.store.to_json()
        geometry = self.geometry()
        if data is not None and geometry is not None:
            data["frame_size"] = [geometry.width, geometry.height]
        return data

    def geometry(self) -> FrameGeometry | None:
        album = self._album()
        if album is not None:
            return album.geometry_of(self.shown_frame())
        return FrameGeometry.of(self.win.info)

    def shown_frame(self) -> int | None:
        """The frame the hint tools work on: the one being edited, else the compare view's."""
        if self.active:
            return self.frame
        index = self.compare.data.get("index")
        return int(index) if isinstance(index, int) else None

    def _shot_of(self, frame: int) -> tuple[int | None, dict[str, Any]]:
        win = self.win
        if self._album() is not None:  # each picture is its own one-frame shot
            return frame, {"start": frame, "end": frame + 1, "key_frame": frame}
        n = win.shot_list.shot_at(frame)
        if n is None:
            return None, {"start": 0, "end": max(win.frame_count, frame + 1), "key_frame": frame}
        s = win.shots[n]
        shot = {
            "start": int(s["start"]),
            "end": int(s["end"]),
            "key_frame": int(s.get("key_frame", s["start"])),
        }
        return n, shot

    # --- the hint tools ------------------------------------------------------------------

    def edit(self) -> None:
        """The key frame of the shot under the playhead, coloured with its hints, in compare
        (in an album: the picture selected)."""
        win = self.win
        album = self._album()
        if album is not None:
            pic = album.selected("give it colour hints")
            if pic is None:
                return
            index = album.index_of(pic.name)
            if album.geometry_of(index) is None:
                self.status.showMessage(f"{pic.short}: wait for its preview, then H again", 5000)
                return
            self._enter(index)
            return
        if win.film is None:
            self.status.showMessage("Open a film first", 5000)
            return
        _, shot = self._shot_of(win.current)
        key = shot["key_frame"]
        if win.current != key:
            self._moving = True
            try:
                win.player.seek(key)
            finally:
                self._moving = False
        self._enter(key)

    def _enter(self, frame: int) -> None:
        came_in = not self.active or self.stage.currentWidget() is not self.compare
        self.active, self.frame = True, frame
        album = self._album()
        if self.compare.data.get("index") != frame:
            # Until the preview comes: the frame as the player has it, if it is this one (a
            # picture's thumbnail, in an album).
            view = self.win.view
            pm = view.pixmap() if view.frame_index == frame and album is None else None
            if album is not None:
                pic = album.picture_at(frame)
                pm = album.grid.thumbnail(pic.name) if pic is not None else None
            self.compare.show_result(
                {"before": pm, "after": pm} if pm else {}, {"index": frame}, f"Frame {frame + 1}"
            )
        if came_in:
            self.compare.canvas.set_split(0.0)  # the colours whole; Left/Right bring the split
        self.stage.setCurrentWidget(self.compare)
        self.compare.setFocus()
        self._set_cursor_shape()
        self.refresh_now()

    def _show_plain_frame(self) -> None:
        """The frame as the player shows it, while the compare view has no picture of it
        (a preview failed or is still to come): something to place the first hint on."""
        canvas, view = self.compare.canvas, self.win.view
        if canvas.after is None and view.frame_index == self.frame and view.pixmap() is not None:
            canvas.before = canvas.after = view.pixmap()
            canvas.update()

    def _on_frame_shown(self, index: int) -> None:
        if self.active and index == self.frame:
            self._show_plain_frame()

    def _leave(self) -> None:
        self.active = False
        self._stroke = None
        self._cursor = None
        self.set_tool("", enter=False)

    def _on_stage_changed(self, _: int) -> None:
        if self.stage.currentWidget() is not self.compare and not self._moving:
            self._leave()

    def _tool_triggered(self, name: str) -> None:
        self.set_tool(name if self.tool_actions[name].isChecked() else "")

    def set_tool(self, name: str, *, enter: bool = True) -> None:
        """Take up tool `name` ("" puts the tool down). Outside the hint tools, taking one up
        goes to the key frame first (or works on the frame compare shows)."""
        if name and enter and not self.active:
            if self.win.film is None and self._album() is None:
                self.status.showMessage("Open a film first", 5000)
                name = ""
            elif self.stage.currentWidget() is self.compare and self.shown_frame() is not None:
                self._enter(int(self.shown_frame()))  # type: ignore[arg-type]
            else:
                self.edit()
        if name == "pick" and self.tool != "pick":
            self._tool_before_pick = self.tool or "point"
        self.tool = name
        self._stroke = None
        for n, a in getattr(self, "tool_actions", {}).items():
            a.setChecked(n == name)
        self._set_cursor_shape()
        if name:
            self.status.showMessage(f"Hints: {TOOLS[name]} (Esc puts the tool down)", 5000)
        elif self.status.currentMessage().startswith("Hints: "):
            self.status.clearMessage()  # it would name a tool no longer in hand
        self.compare.canvas.update()

    def _set_cursor_shape(self) -> None:
        shape = Qt.CursorShape.CrossCursor if self.tool else Qt.CursorShape.SplitHCursor
        self.compare.canvas.setCursor(shape)

    def step_shot(self, delta: int) -> None:
        """The key frame of the shot `delta` away (an album's picture), keeping the tool in
        hand."""
        win = self.win
        album = self._album()
        if album is not None:
            name = album.step_picture(delta)
            index = album.index_of(name) if name is not None else None
            if index is not None and album.geometry_of(index) is not None:
                tool = self.tool
                self._enter(index)
                self.set_tool(tool, enter=False)
                self.status.showMessage(f"{name}: its hints", 4000)
            return
        here = win.shot_list.shot_at(self.frame if self.frame is not None else win.current)
        if here is None or not win.shots:
            return
        target = max(0, min(here + delta, len(win.shots) - 1))
        if target == here:
            return
        key = win.shot_list.key_frame(target)
        tool = self.tool
        self._moving = True
        try:
            win.player.seek(key)
        finally:
            self._moving = False
        self._enter(key)
        self.set_tool(tool, enter=False)
        self.status.showMessage(f"{shot_label(target, win.shots)}: key frame {key + 1}", 4000)

    # --- the compare view's overlay -------------------------------------------------------

    def paint(self, p: QPainter, rect: QRect) -> None:
        frame, geometry = self.shown_frame(), self.geometry()
        if frame is None or geometry is None:
            return
        pending = None
        if self._stroke:
            pending = Hint(frame, tuple(self._stroke), self.rgb, float(self.brush_width))
        hints = self.store.hints if self.show_markers else []
        if hints or pending:
            _, shot = self._shot_of(frame)
            paint_hints(p, rect, geometry, hints, frame, pending, (shot["start"], shot["end"]))
        if self.tool and self._cursor is not None:
            u, v = self._cursor
            c = QPointF(rect.x() + u * rect.width(), rect.y() + v * rect.height())
            for colour, width in ((QColor(0, 0, 0), 3), (QColor(255, 255, 255), 1)):
                p.setPen(QPen(colour, width))
                p.drawLine(QPointF(c.x() - 12, c.y()), QPointF(c.x() + 12, c.y()))
                p.drawLine(QPointF(c.x(), c.y() - 12), QPointF(c.x(), c.y() + 12))

    def press(self, event: QMouseEvent, rect: QRect) -> bool:
        if not self.tool:
            return False
        if event.button() == Qt.MouseButton.LeftButton:
            self._use_tool(event.position(), rect, drag=True)
        return True

    def move(self, event: QMouseEvent, rect: QRect) -> bool:
        if not self.tool:
            return False
        if self._stroke is not None and event.buttons() & Qt.MouseButton.LeftButton:
            geometry = self.geometry()
            pos = event.position()
            # Kept inside the picture: a stroke dragged past its edge runs along the edge.
            pos.setX(min(max(pos.x(), rect.left()), rect.right()))
            pos.setY(min(max(pos.y(), rect.top()), rect.bottom()))
            if geometry is not None:
                last = geometry.on_screen(rect, *self._stroke[-1])
                if abs(pos.x() - last.x()) + abs(pos.y() - last.y()) >= STROKE_STEP_PX:
                    here = geometry.from_screen(rect, pos)
                    if here is not None:
                        self._stroke.append(here)
                        self.compare.canvas.update()
        return True

    def release(self, event: QMouseEvent, rect: QRect) -> bool:
        if self._stroke is None:
            return bool(self.tool)
        points, self._stroke = self._stroke, None
        frame = self.shown_frame()
        if frame is not None:
            self._add(Hint(frame, tuple(points), self.rgb, float(self.brush_width)))
        return True

    def _use_tool(self, pos: QPointF, rect: QRect, *, drag: bool) -> None:
        frame, geometry = self.shown_frame(), self.geometry()
        if frame is None or geometry is None:
            return
        if not self.active:
            self._enter(frame)  # a tool used on a compare: this frame is now the one edited
        here = geometry.from_screen(rect, pos)
        if here is None:
            return  # outside the picture
        if self.tool == "point":
            self._add(Hint(frame, (here,), self.rgb))
        elif self.tool == "brush":
            if drag:
                self._stroke = [here]  # finished on release
            else:
                self._add(Hint(frame, (here,), self.rgb, float(self.brush_width)))
        elif self.tool == "erase":
            _, shot = self._shot_of(frame)
            found = hint_at(self.store.hints, frame, geometry, rect, pos,
                            (shot["start"], shot["end"]))  # fmt: skip
            if found is None:
                self.status.showMessage("No hint marker there to erase", 3000)
            else:
                self.undo.push(RemoveHints(self.store, [found], "erase a hint"))
        elif self.tool == "pick":
            self._take_colour(pos, rect, frame)

    def _take_colour(self, pos: QPointF, rect: QRect, frame: int) -> None:
        """The eyedropper: the colour shown under `pos` (the before or after side of the
        split), then back to the tool held before."""
        canvas = self.compare.canvas
        u = (pos.x() - rect.x()) / max(rect.width(), 1)
        v = (pos.y() - rect.y()) / max(rect.height(), 1)
        pm: QPixmap | None = canvas.after
        if not self.compare.showing_diff and u < canvas.split and canvas.before is not None:
            pm = canvas.before  # the split shows the frame as decoded there
        if pm is None or pm.isNull():
            return
        image = pm.toImage()
        x = min(max(int(u * image.width()), 0), image.width() - 1)
        y = min(max(int(v * image.height()), 0), image.height() - 1)
        album = self._album()
        if album is not None:
            pic = album.picture_at(frame)
            self.set_tool(self._tool_before_pick, enter=False)  # first: its words are not the news
            self.use_colour(rgb_of(image.pixelColor(x, y)), pic.short if pic else "the picture")
            return
        shot, _ = self._shot_of(frame)
        where = f"{shot_label(shot, self.win.shots)}, " if shot is not None else ""
        self.set_tool(self._tool_before_pick, enter=False)
        self.use_colour(rgb_of(image.pixelColor(x, y)), f"{where}frame {frame + 1}")

    def wants_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if self.active and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            return True
        return bool(self.tool) and key in (
            Qt.Key.Key_Left,
            Qt.Key.Key_Right,
            Qt.Key.Key_Up,
            Qt.Key.Key_Down,
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
        )

    def key(self, event: QKeyEvent) -> bool:
        """The hint tools' keys in the compare view (see `gui.hints.KEYS`)."""
        key = event.key()
        if key == Qt.Key.Key_Escape and self.tool:
            self.set_tool("")
            return True
        if self.active and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.step_shot(-1 if key == Qt.Key.Key_PageUp else 1)
            return True
        if not self.tool:
            return False
        arrows = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        if key in arrows:
            dx, dy = arrows[key]
            step = CURSOR_STEP * (5 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
            u, v = self._cursor or (0.5, 0.5)
            self._cursor = (min(max(u + dx * step, 0.0), 1.0), min(max(v + dy * step, 0.0), 1.0))
            self.compare.canvas.update()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            u, v = self._cursor or (0.5, 0.5)
            self._cursor = (u, v)
            rect = self.compare.canvas.image_rect()
            pos = QPointF(rect.x() + u * rect.width(), rect.y() + v * rect.height())
            self._use_tool(pos, rect, drag=False)
            return True
        return False

    # --- edits -------------------------------------------------------------------------

    def _add(self, hint: Hint) -> None:
        self.undo.push(AddHint(self.store, hint))
        self._remember(hint.rgb)

    def clear_shot(self) -> None:
        """Every hint on the shot of the frame edited (or under the playhead), undoably."""
        frame = self.shown_frame() if self.active else self.win.current
        if frame is None:
            return
        n, shot = self._shot_of(frame)
        doomed = [
            i for i, h in enumerate(self.store.hints) if shot["start"] <= h.frame < shot["end"]
        ]
        if not doomed:
            self.status.showMessage("This shot has no hints", 4000)
            return
        self.undo.push(RemoveHints(self.store, doomed, "clear a shot's hints"))
        label = shot_label(n, self.win.shots) if n is not None else "The film"
        album = self._album()
        if album is not None:
            pic = album.picture_at(n)
            label = pic.short if pic is not None else "The picture"
        self.status.showMessage(
            f"{label}: {counted(len(doomed), 'hint')} cleared (Ctrl+Z brings them back)", 5000
        )

    def set_noun(self, album: bool) -> None:
        """The hint actions' words for a film's shots or an album's pictures."""
        part = "picture" if album else "shot"
        self.clear_action.setText(f"C&lear this {part}'s hints")
        self.clear_action.setIconText(f"Clear {part}")
        self._on_store_changed()

    def _on_edited(self) -> None:
        if self._loading:
            return
        self._edit_t = time.monotonic()
        album = self._album()
        if album is not None:
            album.hints_changed()
        self.hintsChanged.emit()
        self._timer.start()

    def _on_store_changed(self) -> None:
        self.compare.canvas.update()
        frame = self.shown_frame()
        here = None
        if frame is not None:
            _, shot = self._shot_of(frame)
            here = len(self.store.on_frames(shot["start"], shot["end"]))
        album = self._album() is not None
        self.panel.set_count(
            len(self.store), here, "album" if album else "film", "picture" if album else "shot"
        )

    # --- colours -----------------------------------------------------------------------

    def choose_colour(self) -> None:
        """A colour from the chooser (its own Pick Screen Color button takes one from
        anywhere on the screen)."""
        chosen = QColorDialog.getColor(QColor(*self.rgb), self.win, "Colour of the hints")
        if chosen.isValid():
            self.use_colour(rgb_of(chosen), "the chooser")

    def colour_from_picture(self, path: str | None = None) -> None:
        """The eyedropper over a colour picture: the shot's reference picture is offered first
        (Colour from a picture), or any other."""
        from panchro.gui.window.colour import PICTURE_FILTER

        win = self.win
        if path is None:
            start = win.colour_picks.last_reference or win.colour_picks.reference_dir
            path, _ = QFileDialog.getOpenFileName(
                win, "Take a hint colour from a picture", start, PICTURE_FILTER
            )
            if not path:
                return
        try:
            rgb = picture_picker.pick_colour_from(path, win)
        except ValueError as err:
            self.status.showMessage(str(err), 8000)
            return
        if rgb is not None:
            self.use_colour(rgb, f"the picture {Path(path).name}")

    def use_colour(self, rgb: RGB, where: str = "") -> None:
        self.rgb = (int(rgb[0]), int(rgb[1]), int(rgb[2]))
        self.panel.set_colour(self.rgb)
        self._remember(self.rgb)
        src = f" from {where}" if where else ""
        self.status.showMessage(f"Hint colour {colour_name(self.rgb)}{src}", 5000)

    def _remember(self, rgb: RGB) -> None:
        if self.recent[:1] == [rgb]:
            return
        self.recent = [rgb, *(c for c in self.recent if c != rgb)][:RECENT_MAX]
        self.panel.set_recent(self.recent)

    def _set_width(self, width: int) -> None:
        self.brush_width = max(1, min(int(width), self.panel.width_spin.maximum()))
        if self.panel.width_spin.value() != self.brush_width:
            self.panel.width_spin.setValue(self.brush_width)

    # --- the preview -------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Ask for the edited frame coloured with the hints (the newest ask wins)."""
        self._timer.stop()
        win = self.win
        if self.active and self.frame is not None and self._album() is not None:
            self._refresh_picture(self.frame)
            return
        if not self.active or win.film is None or self.frame is None:
            return
        n, shot = self._shot_of(self.frame)
        self._side = self._wanted_side()
        params: dict[str, Any] = {
            "film": win.film,
            "index": self.frame,
            "shot": shot,
            "max_side": self._side,
        }
        pick = win.exporter.engine_pick(shot["start"])
        if pick is not None:
            params["pick"] = pick
        params.update(win.colouring())  # the picture coloured alone, the borders grey
        self._req = self.engine.request(Request.HINT_PREVIEW, self._on_preview, **params)
        self._asked[self._req] = self._edit_t
        self._edit_t = None
        count = len(self.store.on_frames(shot["start"], shot["end"]))
        self.compare.header.setText(
            f"<b>Frame {self.frame + 1}</b> — colouring with {counted(count, 'hint')}…"
        )

    def _refresh_picture(self, index: int) -> None:
        """An album picture coloured with its hints (colour only), as its export colours it;
        the preview asked before, if still on its way, is cancelled (a picture is coloured
        at its full size: a queue of them would lag behind the clicks)."""
        album = self._album()
        pic = album.picture_at(index)
        if pic is None or album.handle is None:
            return
        if self._req is not None:
            self.engine.cancel(self._req)
        params: dict[str, Any] = {
            "album": album.handle,
            "picture": pic.name,
            "colorize": True,
            "max_side": self._wanted_side(),
        }
        self._side = params["max_side"]
        pick = album.engine_pick(pic.name)
        if pick is not None:
            params["pick"] = pick
        hints = self.picture_hints(index)
        if hints is not None:
            params["hints"] = hints
        own = {k: v for k, v in album.settings().items() if k in READ_AS}
        if own:  # coloured as exported (turned, inside its border), shown whole: marks line up
            params |= own | {"whole": True}
        self._req = self.engine.request(Request.PREVIEW_PICTURE, self._on_preview, **params)
        self._asked[self._req] = self._edit_t
        self._edit_t = None
        count = len(self.store.on_frames(index, index + 1))
        self.compare.header.setText(f"<b>{pic.name}</b> — colouring with {counted(count, 'hint')}…")

    def _wanted_side(self) -> int:
        """The view's size, or zoomed in, the frame's own (to the engine's largest preview):
        hints placed on a detail are seen coloured pixel for pixel, not blown up."""
        if self.compare.canvas.zoom > 1.0:
            return ZOOMED_SIDE
        return self.win.player.preview_side()

    def _on_zoomed(self, _zoom: float) -> None:
        """Zoomed in past a preview asked at the view's size: the same, sharper. Only where
        the view shows this editor's preview: a whole compare (V) stays what it is."""
        shows_ours = bool((self.compare.data or {}).get("hint_preview"))
        if self.active and shows_ours and self._wanted_side() > self._side:
            self._timer.start()

    def _picture_label(self, data: dict[str, Any]) -> str:
        """The compare header for an album picture's hint preview."""
        album = self._album()
        pic = album.picture_at(self.frame) if album is not None else None
        if pic is None:
            return ""
        count = len(self.store.on_frames(self.frame, self.frame + 1))  # type: ignore[operator]
        pick = data.get("pick") or {}
        source, over = (
            pick.get("source"),
            lying_under(pick, f"colour mode {int(pick.get('index', 0)) + 1}"),
        )
        how = (
            f"{counted(count, 'hint')} over {over}"
            if pick and source != "auto"
            else "automatic colours (place a point: P, or a stroke: B)"
            if pick
            else f"coloured by its {counted(count, 'hint')} alone"
        )
        return f"{pic.name}: {how} (colour only; V compares every stage)"

    def _on_preview(self, msg: Message) -> None:
        edited_at = self._asked.pop(msg.id, None)
        if msg.id <= self._shown_req or msg.type not in (Event.RESULT, Event.ERROR):
            return  # superseded, cancelled, or older than what is shown
        if msg.id == self._req:
            self._req = None
        if msg.type == Event.ERROR:
            self._shown_req = msg.id
            code = str(msg.body.get("code", ""))
            text = str(msg.body.get("message", ""))
            if code == ErrorCode.MODEL_MISSING:
                text = (
                    "No colours yet: this shot has neither a pick nor hints, and the "
                    "colorizer is missing. Place a colour point (P) or a stroke (B)."
                )
            self.compare.header.setText(f"<b>Frame {(self.frame or 0) + 1}</b> — {text}")
            self.panel.show_note(text, warn=True)
            self._show_plain_frame()
            self.previewShown.emit(-1.0)
            return
        data = msg.body.get("data") or {}
        pixmaps = pixmaps_of(data, msg.blob)
        self._shown_req = msg.id
        data["hint_preview"] = True  # the view's picture is this editor's, not a whole compare
        if self._album() is not None:
            data["index"] = self.frame  # the picture's place: the hints' frame
            notes = [str(x) for x in data.get("notes") or []]
            self.compare.show_result(
                pixmaps, data, self._picture_label(data), notes_shown=untrained(notes)
            )
            self.panel.show_note("; ".join(notes), warn=any("UNTRAINED" in x for x in notes))
            self._after_preview(msg.id, edited_at)
            return
        index = int(data.get("index", self.frame or 0))
        n, _ = self._shot_of(index)
        label = f"{shot_label(n, self.win.shots)} — " if n is not None else ""
        count = int(data.get("hints", 0))
        own = (data.get("pick") or {}).get("source") == "own"
        whose = lying_under(data.get("pick") or {}, "the shot's colours")
        how = (
            "coloured by its hints alone"
            if data.get("alone")
            else f"{counted(count, 'hint')} over {whose}"
            if count
            else whose
        )
        notes = [str(x) for x in data.get("notes") or []]
        self.compare.show_result(
            pixmaps,
            data,
            f"{label}key frame {index + 1}: {how} (colour only; V compares every stage)",
            notes_shown=untrained(notes),
        )
        if n is not None and int(self.win.shots[n]["start"]) not in self.win.picks:
            # a shot its hints alone colour shows them in the strip, as a pick's shows it
            shown = pixmaps.get("after" if data.get("alone") or own else "before")
            if shown is not None:
                self.win.strip.set_thumbnail(n, shown, index)
        self.panel.show_note("; ".join(notes), warn=any("UNTRAINED" in x for x in notes))
        self._after_preview(msg.id, edited_at)

    def _after_preview(self, rid: int, edited_at: float | None) -> None:
        """A preview is in the view: its latency (from the edit it shows) and the count."""
        seconds = -1.0
        if edited_at is not None and rid == max([rid, *self._asked]):
            seconds = time.monotonic() - edited_at
            self.latencies.append(seconds)
        self._on_store_changed()
        self.previewShown.emit(seconds)
