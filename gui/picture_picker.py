"""Taking a hint colour from a colour picture: the eyedropper over a photo of the same scene,
place or era (the reference a shot was coloured from, or any other).

The picture is a file on the person's disk, not a film frame, so the GUI reads it itself
(Qt's image readers, EXIF orientation applied) and shows it in a dialog; a click, or the
arrow keys and Enter, takes the mean colour of the 3 x 3 pixels there (one pixel of film
grain or JPEG noise should not decide a coat's colour).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QImageReader, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

RGB = tuple[int, int, int]
VIEW = QSize(900, 640)  # the largest the picture is shown
KEY_STEP = 0.01  # an arrow moves the cursor this share of the picture (x5 with Shift)


def load_picture(path: str) -> QImage | None:
    """The picture at `path`, upright, as 8-bit RGB; None when Qt cannot read it."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation, as the engine reads pictures
    image = reader.read()
    if image.isNull():
        return None
    return image.convertToFormat(QImage.Format.Format_RGB888)


def mean_colour(image: QImage, x: int, y: int) -> RGB:
    """The mean colour of the 3 x 3 pixels around (x, y), clipped at the picture's edges."""
    sums, n = [0, 0, 0], 0
    for yy in range(max(0, y - 1), min(image.height(), y + 2)):
        for xx in range(max(0, x - 1), min(image.width(), x + 2)):
            c = image.pixelColor(xx, yy)
            sums[0] += c.red()
            sums[1] += c.green()
            sums[2] += c.blue()
            n += 1
    r, g, b = (round(s / n) for s in sums)
    return (r, g, b)


class _PictureView(QWidget):
    """The picture, scaled to fit, with a cursor ring where the keyboard points."""

    def __init__(self, image: QImage, picker: PicturePicker) -> None:
        super().__init__(picker)
        self.image = image
        self.picker = picker
        self.cursor_uv = (0.5, 0.5)
        size = image.size().scaled(VIEW, Qt.AspectRatioMode.KeepAspectRatio)
        if image.width() <= VIEW.width() and image.height() <= VIEW.height():
            size = image.size()  # small pictures are not blown up
        self.setFixedSize(size)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def pixel_at(self, pos: QPointF) -> tuple[int, int]:
        u = min(max(pos.x() / max(self.width(), 1), 0.0), 1.0)
        v = min(max(pos.y() / max(self.height(), 1), 0.0), 1.0)
        return self._pixel(u, v)

    def _pixel(self, u: float, v: float) -> tuple[int, int]:
        x = min(int(u * self.image.width()), self.image.width() - 1)
        y = min(int(v * self.image.height()), self.image.height() - 1)
        return x, y

    def cursor_pixel(self) -> tuple[int, int]:
        return self._pixel(*self.cursor_uv)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self.picker.take(*self.pixel_at(event.position()))

    def paintEvent(self, event: object) -> None:  # noqa: N802
        p = QPainter(self)
        p.drawImage(QRect(QPoint(0, 0), self.size()), self.image)
        u, v = self.cursor_uv
        at = QPointF(u * self.width(), v * self.height())
        for colour, width in ((QColor(0, 0, 0), 3), (QColor(255, 255, 255), 1)):
            p.setPen(QPen(colour, width))
            p.drawEllipse(at, 7, 7)
        p.end()


class PicturePicker(QDialog):
    """A colour picture to take a hint colour from; `chosen` is the colour taken, or None."""

    def __init__(self, image: QImage, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Take a colour from {name}")
        self.chosen: RGB | None = None
        self.view = _PictureView(image, self)
        hint = QLabel("Click a colour, or move with the arrow keys and press Enter. Esc: cancel.")
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def take(self, x: int, y: int) -> None:
        self.chosen = mean_colour(self.view.image, x, y)
        self.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        moves = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        key = event.key()
        if key in moves:
            step = KEY_STEP * (5 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
            u, v = self.view.cursor_uv
            du, dv = moves[key]
            self.view.cursor_uv = (min(max(u + du * step, 0.0), 1.0),
                                   min(max(v + dv * step, 0.0), 1.0))  # fmt: skip
            self.view.update()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.take(*self.view.cursor_pixel())
            return
        super().keyPressEvent(event)


def pick_colour_from(path: str, parent: QWidget | None = None) -> RGB | None:
    """Show the picture at `path` and return the colour the person takes (None: cancelled).
    ValueError when the file is not a picture Qt can read."""
    image = load_picture(path)
    if image is None:
        raise ValueError(f"{path} cannot be read as a picture")
    from pathlib import Path

    dialog = PicturePicker(image, Path(path).name, parent)
    dialog.exec()
    return dialog.chosen
