"""The compare view: one frame as the engine restored it beside the frame as decoded, split by
a line the person drags, or the luma difference (black where the film's own luma is untouched,
which is everywhere when only colour changed).

Zoomed in (the wheel, + and -, 1 for actual pixels, 0 to fit; View ▸ Zoom), a person judges
what a restoration did to the detail and the grain: the engine answers Compare with the
restored frame pixel for pixel (`preview`'s `actual`), the frame before enlarged to it, so at
actual pixels one pixel of the output is one of the screen. The middle button drags the
picture about; the split line stays in the part in sight.

An `overlay` (the window's colour hint tools) may draw over the frame and take the mouse and
some keys first; it maps the frame by `image_rect`, zoomed or not.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEP = 1.25  # a wheel notch, or + and -
MOST_ZOOM = 4.0  # times actual pixels at most


class CompareView(QWidget):
    """Before | after with a draggable split line, or the luma difference; in place of the
    player. Keys: Left/Right move the split, D toggles the difference, + - 1 0 zoom, Esc goes
    back."""

    closed = Signal()
    zoomed = Signal(float)  # the zoom, times the fitting size, after a person zoomed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.header = QLabel()
        self.header.setWordWrap(True)
        # two lines kept whether the title takes one or two: the picture below does not move
        # under the pointer between one hint and the next
        self.header.setMinimumHeight(2 * self.header.fontMetrics().lineSpacing())
        self.diff_box = QCheckBox("Luma difference (×16)")
        self.diff_box.setToolTip("Black everywhere means the film's own luma is untouched (D)")
        self.diff_box.toggled.connect(self.update)
        self.back = QPushButton("Back to the film")
        self.back.setToolTip("Close the comparison (Esc)")
        self.back.clicked.connect(self.closed)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.diff_box)
        top.addWidget(self.back)
        self.canvas = _SplitCanvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        self._layout = layout
        self.data: dict[str, Any] = {}
        # Draws over the frame and takes the mouse and keys first when it wants them:
        # `paint(painter, rect)`, `press/move/release(event, rect) -> bool`,
        # `wants_key(event) -> bool`, `key(event) -> bool` (the window's HintEditor).
        self.overlay: Any = None

    def set_tools(self, tools: QWidget) -> None:
        """A bar of tools (the window's colour hint tools) between the header and the frame."""
        self._layout.insertWidget(1, tools)

    def show_result(
        self,
        pixmaps: dict[str, QPixmap],
        data: dict[str, Any],
        title: str,
        luma_by: str = "cleanup/upscale",
        *,
        notes_shown: bool = True,
    ) -> None:
        """Show a restored frame; `luma_by` names what changes luma, should it have changed;
        without `notes_shown` the engine's notes are left to the caller (the hint bar)."""
        self.canvas.before = pixmaps.get("before")
        self.canvas.after = pixmaps.get("after")
        self.canvas.diff = pixmaps.get("luma_diff")
        self.data = data
        peak = float(data.get("luma_max_diff", 0.0)) * 255.0
        w, h = data.get("output_size", [0, 0])
        luma = (
            "luma untouched (max difference 0)"
            if peak < 0.5
            else f"luma changed: max difference {peak:.1f} / 255 ({luma_by})"
        )
        notes = "; ".join(data.get("notes") or []) if notes_shown else ""
        coded = data.get("before_as_coded")  # reading changes the values: before as filed
        said = (
            f"before as its file holds it, after with {coded} as it is read, then restored; "
            f"against the frame as read, {luma}"
            if coded
            else luma
        )
        self.header.setText(
            f"<b>{title}</b> — before | after at {w}×{h}; {said}."
            + (f"<br><i>{notes}</i>" if notes else "")
        )
        self.canvas.update()

    @property
    def showing_diff(self) -> bool:
        return self.diff_box.isChecked()

    # The keys keyPressEvent handles, for Help > Keyboard shortcuts.
    KEYS = (
        ("Left / Right", "Move the split line"),
        ("D", "Luma difference on / off"),
        ("+ / −, wheel", "Zoom in / out (at the pointer)"),
        ("1 / 0", "Actual pixels / fit the view"),
        ("Middle button drag", "Move the zoomed picture"),
        ("Esc", "Back to the film"),
    )

    def event(self, event: QEvent) -> bool:
        # Keys the overlay uses (arrows for its cursor, Page Up/Down) would otherwise go to
        # the window's shortcuts (previous frame, previous shot).
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.overlay is not None
            and self.overlay.wants_key(event)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.overlay is not None and self.overlay.key(event):
            return
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.closed.emit()
        elif key == Qt.Key.Key_D:
            self.diff_box.toggle()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = -0.05 if key == Qt.Key.Key_Left else 0.05
            self.canvas.set_split(self.canvas.split + step)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.canvas.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.canvas.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_1:
            self.canvas.actual_pixels()
        elif key == Qt.Key.Key_0:
            self.canvas.set_zoom(1.0)
        else:
            super().keyPressEvent(event)


class _SplitCanvas(QWidget):
    def __init__(self, view: CompareView) -> None:
        super().__init__(view)
        self.view = view
        self.before: QPixmap | None = None
        self.after: QPixmap | None = None
        self.diff: QPixmap | None = None
        self.split = 0.5  # of the part of the picture in sight
        self.zoom = 1.0  # times the size that fits the view
        self.centre = QPointF(0.5, 0.5)  # the picture's point (0..1) at the view's middle
        self._panned_from: QPointF | None = None
        self.setMinimumSize(240, 135)
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_split(self, value: float) -> None:
        self.split = max(0.0, min(1.0, value))
        self.update()

    def _picture(self) -> QPixmap | None:
        pm = self.after or self.before
        return None if pm is None or pm.isNull() else pm

    def fit_rect(self) -> QRect:
        """Where the whole picture fits the view."""
        pm = self._picture()
        if pm is None:
            return QRect()
        size = pm.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(
            QPoint((self.width() - size.width()) // 2, (self.height() - size.height()) // 2), size
        )

    def image_rect(self) -> QRect:
        """Where the whole picture is drawn, zoomed: mostly beyond the view when zoomed in."""
        fit = self.fit_rect()
        if fit.isEmpty() or self.zoom == 1.0:
            return fit
        w, h = fit.width() * self.zoom, fit.height() * self.zoom
        x = self._offset(self.width(), w, self.centre.x())
        y = self._offset(self.height(), h, self.centre.y())
        return QRect(round(x), round(y), round(w), round(h))

    @staticmethod
    def _offset(view: float, size: float, centre: float) -> float:
        """Where a picture `size` long starts so its point `centre` is mid-view, never
        leaving a gap at an edge it could fill."""
        if size <= view:
            return (view - size) / 2
        return min(0.0, max(view - size, view / 2 - centre * size))

    def visible(self) -> QRect:
        """The part of the view the picture covers."""
        return self.image_rect().intersected(self.rect())

    def actual_zoom(self) -> float:
        """The zoom at which one pixel of the picture is one of the screen."""
        pm, fit = self._picture(), self.fit_rect()
        if pm is None or fit.isEmpty():
            return 1.0
        return pm.width() / self.devicePixelRatioF() / fit.width()

    def set_zoom(self, zoom: float, at: QPointF | None = None) -> None:
        """Zoom to `zoom` times the fitting size (1: fit), keeping the picture's point under
        `at` (a point of the view; default its middle) where it is."""
        r = self.image_rect()
        actual = self.actual_zoom()  # a small frame may be shown smaller than fitting: as it is
        zoom = max(min(1.0, actual), min(max(1.0, MOST_ZOOM * actual), zoom))
        if r.isEmpty():
            self.zoom = zoom
            return
        at = at if at is not None else QPointF(self.width() / 2, self.height() / 2)
        fx = (at.x() - r.x()) / r.width()
        fy = (at.y() - r.y()) / r.height()
        fit = self.fit_rect()
        w, h = fit.width() * zoom, fit.height() * zoom
        # the picture's point now at the view's middle, once that point is back under `at`
        self.centre = QPointF(
            (self.width() / 2 - (at.x() - fx * w)) / w, (self.height() / 2 - (at.y() - fy * h)) / h
        )
        self.zoom = zoom
        self.update()
        self.view.zoomed.emit(zoom)

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        self.set_zoom(self.zoom * factor, at)

    def actual_pixels(self) -> None:
        self.set_zoom(self.actual_zoom())

    def pan(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) pixels of the view."""
        r = self.image_rect()
        if r.isEmpty() or self.zoom <= 1.0:
            return  # all of it is in sight
        c = self.centre
        cx = min(1.0, max(0.0, c.x() - dx / r.width()))
        cy = min(1.0, max(0.0, c.y() - dy / r.height()))
        self.centre = QPointF(cx, cy)
        self.update()

    def _drag(self, event: QMouseEvent) -> None:
        v = self.visible()
        if v.width() > 0:
            self.set_split((event.position().x() - v.x()) / v.width())

    def _overlay(self) -> Any:
        return self.view.overlay if not self.image_rect().isEmpty() else None

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_by(ZOOM_STEP**notches, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self._panned_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        overlay = self._overlay()
        if overlay is not None and overlay.press(event, self.image_rect()):
            return
        self._drag(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panned_from is not None:
            d = event.position() - self._panned_from
            self._panned_from = event.position()
            self.pan(d.x(), d.y())
            return
        overlay = self._overlay()
        if overlay is not None and overlay.move(event, self.image_rect()):
            return
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._drag(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panned_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._panned_from = None
            self.setCursor(Qt.CursorShape.SplitHCursor)
            return
        overlay = self._overlay()
        if overlay is not None:
            overlay.release(event, self.image_rect())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        r = self.image_rect()
        if r.isEmpty():
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Restoring this frame…")
            return
        # past actual pixels, each pixel a square, as it is: no smoothing to judge grain by
        smooth = self.zoom < self.actual_zoom() * 0.999
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        if self.view.showing_diff and self.diff is not None:
            p.drawPixmap(r, self.diff)
        else:
            self._paint_split(p, r)
        if self.view.overlay is not None:
            self.view.overlay.paint(p, r)
        if self.zoom != 1.0:
            share = self.zoom / self.actual_zoom()
            _label(p, self.visible(), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                   f"{share:.0%} of actual pixels")  # fmt: skip

    def _paint_split(self, p: QPainter, r: QRect) -> None:
        if self.after is not None:
            p.drawPixmap(r, self.after)
        v = self.visible()
        cut = v.x() + round(v.width() * self.split)
        if self.before is not None and cut > v.x():
            p.save()
            p.setClipRect(QRect(v.x(), v.y(), cut - v.x(), v.height()))
            p.drawPixmap(r, self.before)
            p.restore()
        p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawLine(cut, v.y(), cut, v.bottom())
        # a side is named only where it shows (editing hints, the split sits at the edge)
        room = p.fontMetrics().horizontalAdvance("before") + 24
        if cut - v.x() >= room:
            _label(p, v, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "before")
        if v.right() - cut >= room:
            _label(p, v, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "after")


def _label(p: QPainter, area: QRect, align: Qt.AlignmentFlag, text: str) -> None:
    """`text` in a corner (or the middle of an edge) of `area`, white on a dark, half-clear
    box: readable on white paper and on black alike."""
    box = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
    inner = area.adjusted(6, 6, -6, -6)
    x = (inner.left() if align & Qt.AlignmentFlag.AlignLeft
         else inner.right() - box.width() if align & Qt.AlignmentFlag.AlignRight
         else inner.center().x() - box.width() // 2)  # fmt: skip
    y = inner.bottom() - box.height() if align & Qt.AlignmentFlag.AlignBottom else inner.top()
    where = QRect(x, y, box.width(), box.height())
    p.save()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0, 0, 0, 150))
    p.drawRoundedRect(where, 4, 4)
    p.setPen(QColor(255, 255, 255))
    p.drawText(where, Qt.AlignmentFlag.AlignCenter, text)
    p.restore()
