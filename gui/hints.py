"""Colour hints in the window: what a person places, how it is drawn, and the tools bar.

A hint says "this place is this colour": a point, or a brush stroke of some width, on one
frame, in pixels of the film's source frame as decoded (0, 0 the top-left corner), with an
sRGB colour; the engine turns its colour into chroma and leaves the luma alone. The GUI keeps
the film's hints in a `HintStore` (the window's, so an engine restart loses none), changes
them only through undo commands (`AddHint`, `RemoveHints`), sends them in the hints file's
JSON form (`hints_json`; docs/protocol.md) and draws them over the frame as markers
(`paint_hints`); `HintsBar` holds the tools, above the frame in the compare view. Previews
are upright and have square pixels, the source frame may be turned or anamorphic:
`FrameGeometry` maps between the two.

Nothing here talks to the engine; the window's `HintEditor` (`window/hints.py`) does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QIcon,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QUndoCommand,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from panchro.gui.words import colour_words, counted

RGB = tuple[int, int, int]
VERSION = 1  # of the hints file's JSON form (engine/imaging/hints.py)
RECENT_MAX = 8
MARKER_RADIUS = 7  # screen pixels: a point's marker, whatever the zoom
ERASE_REACH = 10  # screen pixels around a marker that a click with the eraser hits
FAINT = 0.45  # the opacity of the markers of a shot's hints placed on its other frames


@dataclass(frozen=True)
class Hint:
    """A point (`width` None, one entry in `points`) or a brush stroke, on frame `frame`."""

    frame: int
    points: tuple[tuple[float, float], ...]
    rgb: RGB
    width: float | None = None

    @property
    def is_point(self) -> bool:
        return self.width is None

    def to_json(self) -> dict[str, Any]:
        if self.is_point:
            x, y = self.points[0]
            return {"frame": self.frame, "x": x, "y": y, "rgb": list(self.rgb)}
        return {
            "frame": self.frame,
            "points": [[x, y] for x, y in self.points],
            "width": self.width,
            "rgb": list(self.rgb),
        }


def hints_json(hints: Sequence[Hint]) -> dict[str, Any]:
    """The hints file's JSON form: points, then strokes, each in the order given (the engine
    draws points first and strokes over them either way)."""
    return {
        "version": VERSION,
        "points": [h.to_json() for h in hints if h.is_point],
        "strokes": [h.to_json() for h in hints if not h.is_point],
    }


def hints_from_json(data: Any) -> list[Hint]:
    """The JSON form (as the engine sends it back in a project) -> hints; ValueError if it
    is not one. The engine has checked every entry when the project was read."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not colour hints of version 1")
    found: list[Hint] = []
    try:
        for p in data.get("points") or []:
            found.append(Hint(int(p["frame"]), ((float(p["x"]), float(p["y"])),), _rgb(p["rgb"])))
        for s in data.get("strokes") or []:
            pts = tuple((float(x), float(y)) for x, y in s["points"])
            found.append(Hint(int(s["frame"]), pts, _rgb(s["rgb"]), float(s["width"])))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"a hint is malformed: {err}") from None
    return found


def _rgb(v: Any) -> RGB:
    r, g, b = (int(c) for c in v)
    return (r, g, b)


def rgb_of(colour: QColor) -> RGB:
    return (colour.red(), colour.green(), colour.blue())


def colour_name(rgb: RGB) -> str:
    """A colour in words and exactly: "dark blue (#1f3a8c)"."""
    return "{} (#{:02x}{:02x}{:02x})".format(colour_words(rgb), *rgb)


# --- geometry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameGeometry:
    """The source frame (`width` x `height` stored pixels, turned `rotation` degrees clockwise
    when shown) and the upright picture the previews show. `u`, `v` are places in the
    picture as fractions of its width and height (0..1); `x`, `y` pixels of the source."""

    width: int
    height: int
    rotation: int = 0

    @classmethod
    def of(cls, info: dict[str, Any]) -> FrameGeometry | None:
        try:
            w, h = int(info["width"]), int(info["height"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(w, h, int(info.get("rotation") or 0) % 360) if w > 0 and h > 0 else None

    def to_source(self, u: float, v: float) -> tuple[float, float]:
        """Picture fractions -> source pixels (the turn undone)."""
        u, v = min(max(u, 0.0), 1.0), min(max(v, 0.0), 1.0)
        turn = self.rotation // 90
        fx, fy = ((u, v), (v, 1 - u), (1 - u, 1 - v), (1 - v, u))[turn]
        return round(fx * self.width, 2), round(fy * self.height, 2)

    def to_view(self, x: float, y: float) -> tuple[float, float]:
        """Source pixels -> picture fractions (the inverse of `to_source`)."""
        fx, fy = x / self.width, y / self.height
        turn = self.rotation // 90
        return ((fx, fy), (1 - fy, fx), (1 - fx, 1 - fy), (fy, 1 - fx))[turn]

    def scale(self, rect: QRect | QRectF) -> float:
        """Screen pixels per source pixel in `rect` (the smaller of the two axes': a stroke's
        width is drawn no wider than it will colour)."""
        across, down = (self.height, self.width) if self.rotation in (90, 270) else (
            self.width, self.height)  # fmt: skip
        return min(rect.width() / across, rect.height() / down)

    def on_screen(self, rect: QRect | QRectF, x: float, y: float) -> QPointF:
        u, v = self.to_view(x, y)
        return QPointF(rect.x() + u * rect.width(), rect.y() + v * rect.height())

    def from_screen(self, rect: QRect | QRectF, pos: QPointF) -> tuple[float, float] | None:
        """Source pixels under screen position `pos`, or None outside the picture."""
        if rect.width() <= 0 or rect.height() <= 0:
            return None
        u = (pos.x() - rect.x()) / rect.width()
        v = (pos.y() - rect.y()) / rect.height()
        if not (0.0 <= u <= 1.0 and 0.0 <= v <= 1.0):
            return None
        return self.to_source(u, v)


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2
    t = min(max(t, 0.0), 1.0)
    return math.hypot(p.x() - (a.x() + t * dx), p.y() - (a.y() + t * dy))


def hint_at(
    hints: Sequence[Hint],
    frame: int,
    geometry: FrameGeometry,
    rect: QRect,
    pos: QPointF,
    shot: tuple[int, int] | None = None,
) -> int | None:
    """The index of the hint on `frame` whose marker is under `pos` (the latest placed when
    several are), else of one on another frame of `shot` [start, end) (drawn faint by
    `paint_hints`), or None."""
    scale = geometry.scale(rect)
    on_shot = [
        i for i, h in enumerate(hints) if h.frame != frame and shot and shot[0] <= h.frame < shot[1]
    ]
    here = [i for i, h in enumerate(hints) if h.frame == frame]
    for i in [*reversed(here), *reversed(on_shot)]:
        h = hints[i]
        pts = [geometry.on_screen(rect, x, y) for x, y in h.points]
        if h.is_point:
            reach = MARKER_RADIUS + ERASE_REACH / 2
            gap = math.hypot(pos.x() - pts[0].x(), pos.y() - pts[0].y())
        else:
            reach = max((h.width or 0) * scale / 2, 2) + ERASE_REACH / 2
            pairs = zip(pts, pts[1:], strict=False) if len(pts) > 1 else [(pts[0], pts[0])]
            gap = min(_segment_distance(pos, a, b) for a, b in pairs)
        if gap <= reach:
            return i
    return None


# --- drawing --------------------------------------------------------------------------------


def paint_hints(
    p: QPainter,
    rect: QRect,
    geometry: FrameGeometry,
    hints: Sequence[Hint],
    frame: int,
    pending: Hint | None = None,
    shot: tuple[int, int] | None = None,
) -> None:
    """The markers of the hints on `frame` over the picture drawn in `rect`: each in its
    colour with a dark and a light ring, so it shows on any picture; `pending` (a stroke
    being drawn) on top. Those on other frames of `shot` [start, end), which colour it too
    (a file's, placed on another frame), faint under them, where they were placed."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setClipRect(rect)
    scale = geometry.scale(rect)
    elsewhere = [h for h in hints if h.frame != frame and shot and shot[0] <= h.frame < shot[1]]
    here = [h for h in hints if h.frame == frame]
    drawn = [(h, FAINT) for h in elsewhere] + [(h, 1.0) for h in here]
    for h, opacity in drawn + ([(pending, 1.0)] if pending else []):
        p.setOpacity(opacity)
        colour = QColor(*h.rgb)
        pts = [geometry.on_screen(rect, x, y) for x, y in h.points]
        if h.is_point:
            r = MARKER_RADIUS
            p.setPen(QPen(QColor(0, 0, 0), 3))
            p.setBrush(colour)
            p.drawEllipse(pts[0], r, r)
            p.setPen(QPen(QColor(255, 255, 255), 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(pts[0], r, r)
            continue
        width = max(2.0, (h.width or 1.0) * scale)
        path = QPainterPath(pts[0])
        for q in pts[1:]:
            path.lineTo(q)
        p.setBrush(Qt.BrushStyle.NoBrush)
        # a dark, then a light outline under the colour, so a stroke shows on any picture
        for pen_colour, extra in ((QColor(0, 0, 0), 3.0), (QColor(255, 255, 255), 1.5),
                                  (colour, 0.0)):  # fmt: skip
            pen = QPen(pen_colour, width + extra)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            if len(pts) > 1:
                p.drawPath(path)
            else:
                p.drawPoint(pts[0])
    p.restore()


def swatch(rgb: RGB, size: int = 16) -> QIcon:
    """A square of colour `rgb` with a thin dark border, as an icon."""
    pm = QPixmap(size, size)
    pm.fill(QColor(*rgb))
    p = QPainter(pm)
    p.setPen(QColor(40, 40, 40))
    p.drawRect(0, 0, size - 1, size - 1)
    p.end()
    return QIcon(pm)


# --- the store and its undo commands ----------------------------------------------------------


class HintStore(QObject):
    """The film's hints, in the order placed. `changed` fires on every change; change them
    through the undo commands so that Undo and Redo see every edit."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hints: list[Hint] = []

    def __len__(self) -> int:
        return len(self._hints)

    @property
    def hints(self) -> list[Hint]:
        return list(self._hints)

    def on_frames(self, start: int, end: int) -> list[Hint]:
        return [h for h in self._hints if start <= h.frame < end]

    def insert(self, index: int, hint: Hint) -> None:
        self._hints.insert(index, hint)
        self.changed.emit()

    def pop(self, index: int) -> Hint:
        hint = self._hints.pop(index)
        self.changed.emit()
        return hint

    def set_all(self, hints: Sequence[Hint]) -> None:
        """Replace every hint (a film opened, a project loaded): not an edit, not undoable."""
        self._hints = list(hints)
        self.changed.emit()

    def to_json(self) -> dict[str, Any] | None:
        """The hints file's JSON form, or None when there are none (requests leave it out)."""
        return hints_json(self._hints) if self._hints else None


class AddHint(QUndoCommand):
    def __init__(self, store: HintStore, hint: Hint) -> None:
        super().__init__("add point" if hint.is_point else "add brush stroke")
        self.store, self.hint = store, hint
        self.index = len(store)

    def redo(self) -> None:
        self.store.insert(self.index, self.hint)

    def undo(self) -> None:
        self.store.pop(self.index)


class RemoveHints(QUndoCommand):
    """Removes the hints at `indices` (erase one, or clear a shot's)."""

    def __init__(self, store: HintStore, indices: Sequence[int], text: str) -> None:
        super().__init__(text)
        self.store = store
        self.removed = [(i, store.hints[i]) for i in sorted(set(indices))]

    def redo(self) -> None:
        for i, _ in reversed(self.removed):
            self.store.pop(i)

    def undo(self) -> None:
        for i, hint in self.removed:
            self.store.insert(i, hint)


# --- the tools bar --------------------------------------------------------------------------

# Keys the compare view gives the hint tools, for Help > Keyboard shortcuts.
KEYS = (
    ("Arrows (Shift: faster)", "Move the hint cursor over the frame"),
    ("Enter", "Use the tool at the hint cursor (place, erase, take the colour)"),
    ("Page Up / Page Down", "The key frame of the shot before / after"),
    ("Esc", "Put the tool down; again: back to the film"),
)


class HintsBar(QFrame):
    """The hint tools above the frame in the compare view, in two rows: the tools (their
    buttons work the window's actions: one state for menu, keys and buttons), the colour
    and the recent colours, the brush's width; then undo/redo, clearing the shot, the
    markers' visibility, how many hints there are and what the last preview said (which
    method carried the hints, an untrained model)."""

    colourChosen = Signal(tuple)  # an RGB from the recent colours

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 3, 6, 3)
        outer.setSpacing(2)
        top, bottom = QHBoxLayout(), QHBoxLayout()
        top.setSpacing(4)
        bottom.setSpacing(4)
        outer.addLayout(top)
        outer.addLayout(bottom)
        top.addWidget(QLabel("<b>Colour hints</b>"))
        self.tool_buttons: list[QToolButton] = []
        for _ in range(4):
            b = QToolButton()
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            top.addWidget(b)
            self.tool_buttons.append(b)
        self.colour_button = QToolButton()
        self.colour_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        top.addSpacing(8)
        top.addWidget(self.colour_button)
        self.recent_row = QHBoxLayout()
        self.recent_row.setSpacing(1)
        top.addLayout(self.recent_row)
        self.recent_buttons: list[QToolButton] = []
        top.addStretch(1)
        top.addWidget(QLabel("Brush"))
        self.width_spin = QSpinBox()
        self.width_spin.setRange(1, 400)
        self.width_spin.setSuffix(" px")
        self.width_spin.setToolTip("The brush's width in pixels of the film ([ and ] change it)")
        top.addWidget(self.width_spin)
        self.undo_button = QToolButton()
        self.redo_button = QToolButton()
        self.clear_button = QToolButton()
        for b in (self.undo_button, self.redo_button, self.clear_button):
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            bottom.addWidget(b)
        self.markers = QCheckBox("Markers")
        self.markers.setToolTip("Show the hints' markers over the frame (Shift+H)")
        bottom.addWidget(self.markers)
        self.status = QLabel()
        self.note = QLabel()
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bottom.addSpacing(8)
        bottom.addWidget(self.status)
        bottom.addWidget(self.note, 1)
        self.set_count(0, None)
        self.set_colour((200, 60, 40))

    def use_actions(
        self,
        tools: Sequence[QAction],
        colour: QAction,
        undo: QAction,
        redo: QAction,
        clear: QAction,
        markers: QAction,
    ) -> None:
        """The buttons work the window's actions."""
        for b, a in zip(self.tool_buttons, tools, strict=True):
            b.setDefaultAction(a)
        self.colour_button.setDefaultAction(colour)
        self.undo_button.setDefaultAction(undo)
        self.redo_button.setDefaultAction(redo)
        self.clear_button.setDefaultAction(clear)
        self.markers.setChecked(markers.isChecked())
        self.markers.toggled.connect(markers.setChecked)
        markers.toggled.connect(self.markers.setChecked)
        self.set_colour(self._rgb)

    def set_colour(self, rgb: RGB) -> None:
        self._rgb = rgb
        action = self.colour_button.defaultAction()
        if action is not None:
            action.setIcon(swatch(rgb, 16))
        self.colour_button.setIcon(swatch(rgb, 16))
        self.colour_button.setToolTip(
            f"The hints' colour: {colour_name(rgb)}; choose another (Shift+C)"
        )

    def set_recent(self, colours: Sequence[RGB]) -> None:
        """The recent colours as swatches; a click (or Space on one) makes it the colour."""
        for b in self.recent_buttons:
            self.recent_row.removeWidget(b)
            b.deleteLater()
        self.recent_buttons = []
        for n, rgb in enumerate(colours[:RECENT_MAX]):
            b = QToolButton()
            b.setIcon(swatch(rgb, 14))
            b.setIconSize(QSize(14, 14))
            b.setAutoRaise(True)
            b.setToolTip(f"Recent colour {n + 1}: {colour_name(rgb)}")
            b.setAccessibleName(f"Recent colour {colour_name(rgb)}")
            b.clicked.connect(lambda _=False, c=rgb: self.colourChosen.emit(c))
            self.recent_row.addWidget(b)
            self.recent_buttons.append(b)

    def set_count(
        self, film: int, shot: int | None, whole: str = "film", part: str = "shot"
    ) -> None:
        """The hints' count: in the film and on this shot (in an album: "album", "picture")."""
        here = f", {shot} on this {part}" if shot is not None else ""
        self.status.setText(
            f"{counted(film, 'hint')} in the {whole}{here}." if film else "No hints yet."
        )

    def show_note(self, text: str, warn: bool = False) -> None:
        """What the last preview said; a warning (an untrained model) in bold."""
        self.note.setText(f"<b>{text}</b>" if warn else text)
        self.note.setToolTip(text)


def untrained(notes: list[str]) -> bool:
    """Whether a hint preview's notes go over the picture too, not in the hint bar alone: an
    untrained model is said where the colours are looked at. Other notes stay in the bar, so
    the header keeps its lines as hints come and the picture does not move under the pointer."""
    return any("UNTRAINED" in note for note in notes)


def lying_under(pick: dict[str, Any], drawn: str) -> str:
    """What a hint preview's hints lie over, by its pick's `source`: `drawn` for a mode."""
    name = str(pick.get("name") or "")
    return {
        "reference": f"the colours of {name or 'a colour picture'}",
        "carried": f"colours carried from {name or 'another picture'}",
        "grey": "black and white",
        "tint": f"a tint{f' ({name})' if name else ''}",
        "tone": f"a tone{f' ({name})' if name else ''}",
        "own": "its own colours",
    }.get(str(pick.get("source")), drawn)
