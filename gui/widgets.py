"""The main window's parts around the picture: the frame view, the message bar, the
timeline and the shot strip (the film's facts are in `facts`). They only show things and
forward clicks; the window's controllers decide what to ask the engine. Colours come from
the system palette, except the frame view's black surround, which is how films are
looked at."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QIcon,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from panchro.gui import timecode as tc


class FrameView(QWidget):
    """One preview frame, scaled to fit with its aspect kept, on black."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self.frame_index: int | None = None
        self._placeholder = ""
        # The crop drawn over the frame: (left, top, right, bottom) shares of its sides.
        self.crop: tuple[float, float, float, float] | None = None
        self.setMinimumSize(240, 135)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Frame")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(800, 450)

    def set_frame(self, pixmap: QPixmap, index: int) -> None:
        self._pixmap = pixmap
        self.frame_index = index
        self.update()

    def pixmap(self) -> QPixmap | None:
        """The frame as the engine sent it (before scaling to the widget)."""
        return self._pixmap

    def clear(self, placeholder: str = "") -> None:
        self._pixmap = None
        self.frame_index = None
        self._placeholder = placeholder
        self.update()

    def set_crop(self, crop: tuple[float, float, float, float] | None) -> None:
        """Show what a crop keeps: the rest dimmed, a line round the picture (None: none)."""
        self.crop = crop if crop and any(crop) else None
        self.update()

    def crop_rect(self) -> QRect:
        """Where the picture a crop keeps is drawn (the whole frame without one)."""
        rect = self.image_rect()
        if self.crop is None or rect.isNull():
            return rect
        left, top, right, bottom = self.crop
        w, h = rect.width(), rect.height()
        return rect.adjusted(round(left * w), round(top * h), -round(right * w), -round(bottom * h))

    def image_rect(self) -> QRect:
        """Where the frame is drawn: the largest rectangle of its aspect that fits."""
        if self._pixmap is None or self._pixmap.isNull():
            return QRect()
        size = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRect(0, 0, size.width(), size.height())
        rect.moveCenter(self.rect().center())
        return rect

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        if self._pixmap is not None and not self._pixmap.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(self.image_rect(), self._pixmap)
            if self.crop is not None:
                self._paint_crop(painter)
        elif self._placeholder:
            painter.setPen(QColor(190, 190, 190))
            painter.drawText(
                self.rect().adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._placeholder,
            )
        painter.end()

    def _paint_crop(self, painter: QPainter) -> None:
        whole, kept = self.image_rect(), self.crop_rect()
        shade = QColor(0, 0, 0, 150)
        painter.fillRect(QRect(whole.left(), whole.top(), whole.width(),
                               kept.top() - whole.top()), shade)  # fmt: skip
        painter.fillRect(QRect(whole.left(), kept.bottom() + 1, whole.width(),
                               whole.bottom() - kept.bottom()), shade)  # fmt: skip
        painter.fillRect(QRect(whole.left(), kept.top(), kept.left() - whole.left(),
                               kept.height()), shade)  # fmt: skip
        painter.fillRect(QRect(kept.right() + 1, kept.top(), whole.right() - kept.right(),
                               kept.height()), shade)  # fmt: skip
        pen = QPen(QColor(255, 196, 0), 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRect(kept.adjusted(0, 0, -1, -1))


class MessageBar(QFrame):
    """A non-blocking message above the picture: text, an optional action, a close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.other_button = QPushButton()
        self.close_button = QToolButton()
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton)
        )
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.other_button)
        layout.addWidget(self.close_button)
        self._action: Callable[[], None] | None = None
        self._other: Callable[[], None] | None = None
        self.action_button.clicked.connect(self._run_action)
        self.other_button.clicked.connect(self._run_other)
        self.hide()

    def show_message(
        self,
        text: str,
        level: str = "error",
        action_text: str = "",
        action: Callable[[], None] | None = None,
        other_text: str = "",
        other: Callable[[], None] | None = None,
    ) -> None:
        """`text` with an icon for its `level`; `action` and `other`: up to two choices, as
        buttons named `action_text` and `other_text` (each hides the bar, then runs)."""
        icons = {
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
        }
        default = QStyle.StandardPixmap.SP_MessageBoxInformation
        icon = self.style().standardIcon(icons.get(level, default))
        self.icon.setPixmap(icon.pixmap(20, 20))
        self.text.setText(text)
        self._action = action
        self.action_button.setText(action_text)
        self.action_button.setVisible(bool(action_text and action))
        self._other = other
        self.other_button.setText(other_text)
        self.other_button.setVisible(bool(other_text and other))
        self.show()

    def withdraw(self, prefix: str) -> None:
        """Hide the bar if it still says what begins with `prefix`: a failure that a later
        try of the same thing has answered."""
        if not self.isHidden() and self.text.text().startswith(prefix):
            self.hide()

    def _run_action(self) -> None:
        action = self._action
        self.hide()
        if action:
            action()

    def _run_other(self) -> None:
        other = self._other
        self.hide()
        if other:
            other()


def _fixed_font_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


class ShotSlider(QSlider):
    """The timeline slider, with a tick where each shot starts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.marks: list[int] = []
        self.part: tuple[int, int] | None = None  # frames [first, stop) marked for export

    def set_marks(self, frames: Sequence[int]) -> None:
        self.marks = [f for f in frames if f > 0]
        self.update()

    def set_part(self, part: tuple[int, int] | None) -> None:
        """Shade frames [first, stop) along the groove (None: nothing marked)."""
        self.part = part
        self.update()

    def mark_x(self, frame: int) -> int:
        """Where the handle's centre would be at `frame`, in widget pixels."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
        )
        span = max(1, groove.width() - handle.width())
        pos = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), frame, span)
        return groove.x() + handle.width() // 2 + pos

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.part is not None and self.maximum() > self.minimum():
            self._paint_part()
        super().paintEvent(event)
        if not self.marks or self.maximum() <= self.minimum():
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.Highlight))
        h = self.height()
        for frame in self.marks:
            x = self.mark_x(frame)
            painter.drawLine(x, 1, x, h // 4)
            painter.drawLine(x, h - h // 4, x, h - 2)
        painter.end()

    def _paint_part(self) -> None:
        """The marked part as a band under the groove, with a bracket at each end, drawn
        before the slider so its handle stays on top."""
        assert self.part is not None
        first, stop = self.part
        x0, x1 = self.mark_x(first), self.mark_x(max(first, stop - 1))
        h = self.height()
        colour = self.palette().color(QPalette.ColorRole.Highlight)
        painter = QPainter(self)
        band = QColor(colour)
        band.setAlpha(90)
        painter.fillRect(x0, 2, max(1, x1 - x0 + 1), h - 4, band)
        painter.setPen(colour)
        for x, step in ((x0, 3), (x1, -3)):
            painter.drawLine(x, 1, x, h - 2)
            painter.drawLine(x, 1, x + step, 1)
            painter.drawLine(x, h - 2, x + step, h - 2)
        painter.end()


def fit_pixmap(pixmap: QPixmap, size: QSize, ratio: float) -> QPixmap:
    """`pixmap` scaled to fit `size` (logical pixels) on a screen of `ratio` device pixels
    per pixel: on HiDPI screens a thumbnail keeps its full sharpness."""
    scaled = pixmap.scaled(
        size * ratio, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    scaled.setDevicePixelRatio(ratio)
    return scaled


def untinted_icon(pixmap: QPixmap) -> QIcon:
    """The same picture when selected: a view tints a selected icon with the highlight
    colour (a grey photo looked blue), and a thumbnail's colours are what a person judges."""
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


def tinted_icon(style: QStyle, which: QStyle.StandardPixmap, palette: QPalette) -> QIcon:
    """A style's standard icon in the palette's button-text colour, at 1x, 2x and 3x.

    Some styles (Fusion among them) draw the media icons dark whatever the theme,
    which leaves them all but invisible on a dark window; their shape is kept,
    their colour becomes the text's, dimmed when disabled.
    """
    source = style.standardIcon(which)
    icon = QIcon()
    for mode, group in (
        (QIcon.Mode.Normal, QPalette.ColorGroup.Active),
        (QIcon.Mode.Disabled, QPalette.ColorGroup.Disabled),
    ):
        colour = palette.color(group, QPalette.ColorRole.ButtonText)
        for side in (16, 32, 48):
            pixmap = source.pixmap(side, side)
            if pixmap.isNull():
                continue
            tinted = QPixmap(pixmap.size())
            tinted.fill(Qt.GlobalColor.transparent)
            painter = QPainter(tinted)
            painter.drawPixmap(0, 0, pixmap)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
            painter.fillRect(tinted.rect(), colour)
            painter.end()
            icon.addPixmap(tinted, mode)
    return icon


class Timeline(QWidget):
    """Slider, step buttons and the timecode of the current frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        def button(tip: str) -> QToolButton:
            b = QToolButton()
            b.setToolTip(tip)
            b.setAccessibleName(tip.split(" (")[0])  # icons only: a screen reader's words
            b.setAutoRaise(True)
            return b

        self.prev_shot = button("Previous shot (PgUp)")
        self.prev_frame = button("Previous frame (Left)")
        self.next_frame = button("Next frame (Right)")
        self.next_shot = button("Next shot (PgDown)")
        self.play = button("Play / pause (Space; J, K, L)")
        self.play.setAccessibleName("Play")  # "Pause" while it plays (`set_playing`)
        self._playing = False
        self._tint_icons()
        # the style's focus frame on these flat buttons is faint: a plain ring, for the keys
        # (on each button: a sheet on the timeline stopped its palette's changes reaching it)
        for b in (self.prev_shot, self.prev_frame, self.play, self.next_frame, self.next_shot):
            b.setStyleSheet("QToolButton:focus { border: 2px solid palette(highlight); }")
        self.slider = ShotSlider()
        self.slider.setRange(0, 0)
        self.slider.setSingleStep(1)
        self.slider.setToolTip("Drag to scrub; Home/End jump to the first/last frame")
        self.timecode = _fixed_font_label("--:--:--:--")
        self.timecode.setToolTip(
            "Timecode HH:MM:SS:FF at the film's nominal frame rate, from its own first label"
            " where the file has one"
        )
        self.frame_label = _fixed_font_label("")
        self.frame_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for b in (self.prev_shot, self.prev_frame, self.play, self.next_frame, self.next_shot):
            layout.addWidget(b)
        layout.addWidget(self.slider, 1)
        layout.addSpacing(6)
        layout.addWidget(self.timecode)
        layout.addSpacing(6)
        layout.addWidget(self.frame_label)
        self.set_enabled(False)

    def set_enabled(self, enabled: bool) -> None:
        for w in (
            self.prev_shot,
            self.prev_frame,
            self.play,
            self.next_frame,
            self.next_shot,
            self.slider,
        ):
            w.setEnabled(enabled)

    def _tint_icons(self) -> None:
        sp = QStyle.StandardPixmap
        style, palette = self.style(), self.palette()
        for b, which in (
            (self.prev_shot, sp.SP_MediaSkipBackward),
            (self.prev_frame, sp.SP_MediaSeekBackward),
            (self.next_frame, sp.SP_MediaSeekForward),
            (self.next_shot, sp.SP_MediaSkipForward),
        ):
            b.setIcon(tinted_icon(style, which, palette))
        self._icons = tuple(
            tinted_icon(style, which, palette) for which in (sp.SP_MediaPlay, sp.SP_MediaPause)
        )
        self.play.setIcon(self._icons[self._playing])

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        # A new theme (or style) gives the icons the new text colour.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._tint_icons()
        super().changeEvent(event)

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.play.setIcon(self._icons[1] if playing else self._icons[0])
        self.play.setToolTip(("Pause" if playing else "Play") + " (Space; J, K, L)")
        self.play.setAccessibleName("Pause" if playing else "Play")

    def show_position(
        self, index: int, count: int, seconds: float, fps: float, start: str | None = None
    ) -> None:
        """Frame `index` of `count`, at `seconds`; its timecode from the film's own `start`
        label, where it has one."""
        self.timecode.setText(tc.timecode(seconds, fps, start))
        width = len(str(max(count, 1)))
        self.frame_label.setText(f"frame {index + 1:>{width}} / {count}")

    def clear(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.set_marks([])
        self.slider.set_part(None)
        self.timecode.setText("--:--:--:--")
        self.frame_label.setText("")
        self.set_enabled(False)


class _StripList(QListWidget):
    """The strip's list: with the focus, Left and Right, Home and End go through the shots
    (the window's frame keys take them otherwise); `stepped(row)` after each move."""

    stepped = Signal(int)
    _OWN_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride:
            key_event: QKeyEvent = event  # type: ignore[assignment]
            if key_event.key() in self._OWN_KEYS and not key_event.modifiers():
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        before = self.currentRow()
        super().keyPressEvent(event)
        if event.key() in self._OWN_KEYS and self.currentRow() not in (before, -1):
            self.stepped.emit(self.currentRow())


class ShotStrip(QWidget):
    """The film's shots as thumbnails under the timeline; a click (or Enter) on one jumps to
    the shot.

    A list view, not a row of buttons: a feature film has one to two thousand shots, and
    a button each took 2 s to lay out and 5 s to lay out again after a split (measured at
    2,000 shots); items of a list are laid out and painted as they come into sight."""

    shotClicked = Signal(int)

    # The keys the strip handles when it has the focus, for Help > Keyboard shortcuts.
    KEYS = (
        ("← →, Home, End", "Go to the shot before, after, the first, the last"),
        ("Enter, click", "Go to the shot"),
    )

    THUMB_WIDTH = 112
    PICKED = Qt.ItemDataRole.UserRole  # the shot has a locked pick
    THUMBNAIL_FRAME = Qt.ItemDataRole.UserRole + 1  # the film's frame its picture shows
    BASE_TEXT = Qt.ItemDataRole.UserRole + 2  # its label without the pick's tick

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = QStackedWidget()
        self.note = QLabel("Shots appear here after a film is opened.")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setEnabled(False)  # the palette's dimmed text, whatever the theme

        busy = QWidget()
        busy_layout = QVBoxLayout(busy)
        busy_layout.addStretch(1)
        self.busy_label = QLabel("Finding shots…")
        self.busy_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(420)
        busy_layout.addWidget(self.busy_label)
        busy_layout.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignHCenter)
        busy_layout.addStretch(1)

        self.list = _StripList()
        self.list.setAccessibleName("Shots")
        self.list.setAccessibleDescription("The film's shots; Enter goes to the one chosen")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setUniformItemSizes(True)  # one size for all: no item is measured alone
        self.list.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setSpacing(2)
        # the window's colour behind the thumbnails, as the panels have, in either theme
        self.list.setBackgroundRole(QPalette.ColorRole.Window)
        self.list.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.list.itemClicked.connect(lambda item: self.shotClicked.emit(self.list.row(item)))
        self.list.itemActivated.connect(lambda item: self.shotClicked.emit(self.list.row(item)))
        self.list.stepped.connect(self.shotClicked)

        self.stack.addWidget(self.note)
        self.stack.addWidget(busy)
        self.stack.addWidget(self.list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._icon_size = QSize(self.THUMB_WIDTH, 63)
        self._blank = QIcon()
        self.setFixedHeight(self._strip_height())

    def _strip_height(self) -> int:
        text = self.fontMetrics().height() * 2
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return self._icon_size.height() + text + bar + 24

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.stack.setCurrentWidget(self.note)

    def show_progress(self, done: int, total: int | None, stage: str = "") -> None:
        self.busy_label.setText(f"Finding shots… {stage}".rstrip())
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)  # busy indicator until a total is known
        self.stack.setCurrentIndex(1)

    def set_shots(
        self,
        shots: Sequence[dict[str, Any]],
        fps: float,
        aspect: float,
        start_timecode: str | None = None,
    ) -> None:
        height = max(36, min(96, round(self.THUMB_WIDTH / max(aspect, 0.1))))
        self._icon_size = QSize(self.THUMB_WIDTH, height)
        self.setFixedHeight(self._strip_height())
        self.list.setIconSize(self._icon_size)
        text_h = self.fontMetrics().height() + 6
        self.list.setGridSize(QSize(self.THUMB_WIDTH + 12, height + text_h + 8))
        blank = QPixmap(self._icon_size)
        blank.fill(self.palette().color(QPalette.ColorRole.Mid))
        self._blank = self._icon(blank)
        self.list.setUpdatesEnabled(False)
        try:
            self.list.clear()
            for n, shot in enumerate(shots):
                start, end = int(shot["start"]), int(shot["end"])
                label = f"{n + 1} · {tc.timecode(start / fps if fps else 0, fps, start_timecode)}"
                item = QListWidgetItem(self._blank, label)
                item.setData(self.BASE_TEXT, label)
                item.setData(self.PICKED, False)
                off = shot.get("off")
                item.setToolTip(
                    f"Shot {n + 1}: frames {start + 1}–{end} ({end - start} frames), "
                    f"key frame {int(shot.get('key_frame', start)) + 1}"
                    + (f"; leaves out {', '.join(off)}" if off else "")
                )
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
                self.list.addItem(item)
        finally:
            self.list.setUpdatesEnabled(True)
        self.stack.setCurrentWidget(self.list)

    # --- what each shot shows (also what tests read) -------------------------------------

    def count(self) -> int:
        return self.list.count()

    def text(self, shot: int) -> str:
        return self.list.item(shot).text()

    def texts(self) -> list[str]:
        return [self.list.item(n).text() for n in range(self.list.count())]

    def picked(self, shot: int) -> bool:
        return bool(self.list.item(shot).data(self.PICKED))

    def thumbnail_frame(self, shot: int) -> int | None:
        """The film's frame shot `shot`'s thumbnail shows; None until one came."""
        frame = self.list.item(shot).data(self.THUMBNAIL_FRAME)
        return None if frame is None else int(frame)

    def icon_image(self, shot: int) -> QImage:
        return self.list.item(shot).icon().pixmap(self._icon_size).toImage()

    def item_rect(self, shot: int) -> QRect:
        """Where shot `shot` is drawn, in the list's viewport (to click it)."""
        return self.list.visualItemRect(self.list.item(shot))

    def current(self) -> int | None:
        row = self.list.currentRow()
        return row if row >= 0 and self.list.item(row).isSelected() else None

    def set_thumbnail(self, shot: int, pixmap: QPixmap, frame: int | None = None) -> None:
        """Show `pixmap` on shot `shot`; `frame`: the film's frame it shows (so what is shown
        can be checked)."""
        if 0 <= shot < self.list.count():
            item = self.list.item(shot)
            item.setIcon(self._icon(fit_pixmap(pixmap, self._icon_size, self.devicePixelRatioF())))
            item.setData(self.THUMBNAIL_FRAME, -1 if frame is None else frame)

    def set_in_colour(self, shot: int, in_colour: bool) -> None:
        """Say on shot `shot` (its tooltip) whether it is in colour already: with no mode
        picked, an export keeps its own colours."""
        if not 0 <= shot < self.list.count():
            return
        item = self.list.item(shot)
        said = "; in colour already: with no mode picked, it keeps its own colours"
        tip = item.toolTip().removesuffix(said)
        item.setToolTip(tip + said if in_colour else tip)

    def set_picked(self, shot: int, preview: QPixmap | None) -> None:
        """Mark a shot as having a locked colour pick (a tick; its icon shows the pick), or
        unmark it."""
        if not 0 <= shot < self.list.count():
            return
        item = self.list.item(shot)
        base = str(item.data(self.BASE_TEXT) or item.text())
        item.setData(self.PICKED, preview is not None)
        item.setText(f"{base} ✓" if preview is not None else base)
        if preview is not None and not preview.isNull():
            item.setIcon(self._icon(fit_pixmap(preview, self._icon_size, self.devicePixelRatioF())))

    @staticmethod
    def _icon(pixmap: QPixmap) -> QIcon:
        return untinted_icon(pixmap)

    def set_current(self, shot: int | None) -> None:
        if shot is None or not 0 <= shot < self.list.count():
            self.list.clearSelection()
            return
        if self.list.currentRow() != shot or not self.list.item(shot).isSelected():
            self.list.setCurrentRow(shot)
            self.list.scrollToItem(self.list.item(shot))


def lay_out_numbers_dialog(
    dialog: QDialog,
    intro: QLabel,
    choices: Sequence[QPushButton],
    form: QFormLayout,
    said: QLabel,
) -> QDialogButtonBox:
    """Lay out a small dialog that edits a few numbers (Crop…, Levels…): what it does, the
    quick choices in a row (what the engine found, nothing), the numbers, what they give,
    then OK and Cancel; -> the OK/Cancel box, its OK to enable as the numbers allow."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    quick = QHBoxLayout()
    for button in choices:
        quick.addWidget(button)
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addLayout(quick)
    layout.addLayout(form)
    layout.addWidget(said)
    layout.addWidget(buttons)
    return buttons
