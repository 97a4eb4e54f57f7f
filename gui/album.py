"""An album in the window: the grid of its pictures and the panel about the one selected.

An album is pictures that share nothing (a box of scans): each is restored on its own, with
its own colour modes (docs/protocol.md, Albums). The grid shows every picture as the engine
sent its thumbnail, with what is known of it under the name: picked (which colour mode),
automatic colours, exported, or why it cannot be used. Only the engine reads the pictures;
these widgets show what the window's `Albums` controller gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from panchro.gui.widgets import fit_pixmap, untinted_icon

THUMB_SIDE = 150  # the grid's thumbnails, longest side (device-independent pixels)
# The album's output formats ("" keeps each picture's own), as export_album's `format`.
ALBUM_FORMATS = (
    ("", "Each picture's own format"),
    ("jpg", "JPEG"),
    ("png", "PNG (lossless)"),
    ("tif", "TIFF (lossless)"),
    ("webp", "WebP"),
)
# One picture's output formats: the file dialog's filters, each with its extension.
PICTURE_FILTERS = (
    ("JPEG (*.jpg *.jpeg)", ".jpg"),
    ("PNG (*.png)", ".png"),
    ("TIFF (*.tif *.tiff)", ".tif"),
    ("WebP (*.webp)", ".webp"),
)
REFERENCE_NOT_FOR_ALBUMS = (
    "Colours from another picture work on films only for now; an album picture takes colour "
    "modes and colour hints."
)
HINTS_FOR_PICTURES = (
    "Colour hints: H on the selected picture (then P points, B brush, E erase, I eyedropper). "
    "Each picture keeps its own; the export lays them over its colours."
)


@dataclass
class AlbumPicture:
    """One picture as the window knows it: the engine's facts and what happened to it."""

    name: str  # in the album, e.g. "1950/lake.jpg"
    path: str
    width: int = 0  # upright, once a preview came; before, the header's
    height: int = 0
    format: str = ""
    error: str = ""  # why it cannot be used ("" while it can)
    exported: str = ""  # where it was last written
    upright: bool = False  # width and height are the upright picture's (a preview came)
    in_colour: bool = False  # in colour already (its preview said): it keeps its own colours
    maybe_colour: bool = False  # colours of one hue of its own: an old print's, or a photo's
    read: list[str] = field(default_factory=list)  # how its preview was read ("border cut")

    @property
    def short(self) -> str:
        return PurePosixPath(self.name).name

    @classmethod
    def from_engine(cls, d: dict[str, Any]) -> AlbumPicture:
        return cls(
            name=str(d["name"]),
            path=str(d.get("path", "")),
            width=int(d.get("width") or 0),
            height=int(d.get("height") or 0),
            format=str(d.get("format") or ""),
            error=str(d.get("error") or ""),
        )


def placeholder(side: int, text: str, *, failed: bool = False) -> QPixmap:
    """A grey square with a word on it, where a thumbnail is not (yet) there."""
    pm = QPixmap(side, side)
    pm.fill(QColor(48, 48, 48))
    p = QPainter(pm)
    p.setPen(QColor(235, 90, 80) if failed else QColor(170, 170, 170))
    font = QFont(p.font())
    font.setPointSize(max(8, side // 9))
    p.setFont(font)
    p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
    p.end()
    return pm


def tile(thumb: QPixmap, side: int, text: str = "", colour: QColor | None = None) -> QPixmap:
    """`thumb` fitted into a `side` square (so every tile's name lines up, portrait or
    landscape), with `text` in a band of `colour` along the picture's bottom edge."""
    pm = QPixmap(side, side)
    pm.fill(Qt.GlobalColor.transparent)
    size = thumb.size().scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
    rect = QRect((side - size.width()) // 2, side - size.height(), size.width(), size.height())
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.drawPixmap(rect, thumb)
    if text and colour is not None:
        font = QFont(p.font())
        font.setBold(True)
        font.setPointSize(max(7, side // 16))
        p.setFont(font)
        height = round(p.fontMetrics().height() * 1.4)
        band = QRect(rect.x(), rect.bottom() + 1 - height, rect.width(), height)
        p.fillRect(band, colour)
        p.setPen(QColor(255, 255, 255))
        p.drawText(band, Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    return pm


class AlbumGrid(QListWidget):
    """The album's pictures as thumbnails in rows; a click selects one (`pictureSelected`), a
    double-click or Enter opens its colour modes (`pictureOpened`). The arrows, Home, End and
    Page Up/Down move through the pictures here, not through a film."""

    pictureSelected = Signal(str)
    pictureOpened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.setSpacing(6)
        self.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.setGridSize(QSize(THUMB_SIDE + 36, THUMB_SIDE + 48))
        self.setAccessibleName("Album pictures")
        self.currentItemChanged.connect(self._on_current)
        self.itemActivated.connect(lambda item: self.pictureOpened.emit(self.name_of(item)))
        self._items: dict[str, QListWidgetItem] = {}
        self._thumbs: dict[str, QPixmap] = {}

    # --- filling -------------------------------------------------------------------------

    def set_pictures(self, pictures: list[AlbumPicture]) -> None:
        self.blockSignals(True)
        self.clear()
        self._items.clear()
        self._thumbs.clear()
        for pic in pictures:
            item = QListWidgetItem(pic.short)
            item.setData(Qt.ItemDataRole.UserRole, pic.name)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(item)
            self._items[pic.name] = item
        self.blockSignals(False)

    def name_of(self, item: QListWidgetItem | None) -> str:
        return "" if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def item_of(self, name: str) -> QListWidgetItem | None:
        return self._items.get(name)

    def set_thumbnail(self, name: str, pixmap: QPixmap) -> None:
        self._thumbs[name] = pixmap

    def thumbnail(self, name: str) -> QPixmap | None:
        return self._thumbs.get(name)

    def clear_thumbnails(self) -> None:
        """Forget them all (the pictures are read otherwise now); made again as they come."""
        self._thumbs.clear()

    def show_state(
        self, pic: AlbumPicture, state: str, band: str = "", image: QPixmap | None = None
    ) -> None:
        """The picture's tile: `image` (its picked colour mode) or its thumbnail (or a
        placeholder) with `band` along its bottom (a pick, an export: blue when it says ✓,
        else green), and `state` in words under its name and in its tooltip."""
        item = self._items.get(pic.name)
        if item is None:
            return
        side = THUMB_SIDE
        thumb = image if image is not None and not image.isNull() else self._thumbs.get(pic.name)
        if pic.error:
            icon = placeholder(side, "cannot be read", failed=True)
        elif thumb is None:
            icon = placeholder(side, "…")
        else:
            picked = band.startswith("✓")
            colour = self.palette().color(QPalette.ColorRole.Highlight) if picked else QColor(
                40, 120, 60)  # fmt: skip
            icon = tile(thumb, side, band, colour)
        item.setIcon(untinted_icon(icon))
        item.setText(f"{pic.short}\n{state}")
        size = f"{pic.width} × {pic.height}" if pic.width else "size unknown"
        fmt = f", {pic.format}" if pic.format else ""
        why = f": {pic.error}" if pic.error else ""
        item.setToolTip(f"{pic.name}\n{size}{fmt}\n{state}{why}")
        item.setForeground(QColor(200, 70, 60) if pic.error else self.palette().text().color())

    # --- moving --------------------------------------------------------------------------

    def select(self, name: str) -> None:
        item = self._items.get(name)
        if item is not None:
            self.setCurrentItem(item)
            self.scrollToItem(item)

    def _on_current(self, item: QListWidgetItem | None, _: Any) -> None:
        if item is not None:
            self.pictureSelected.emit(self.name_of(item))

    # The keys the grid handles, for Help > Keyboard shortcuts.
    KEYS = (
        ("← → ↑ ↓, Home, End", "Select another picture"),
        ("Enter, double-click", "Its colour modes (drawn first if there are none)"),
    )

    _OWN_KEYS = (
        Qt.Key.Key_Left,
        Qt.Key.Key_Right,
        Qt.Key.Key_Up,
        Qt.Key.Key_Down,
        Qt.Key.Key_Home,
        Qt.Key.Key_End,
        Qt.Key.Key_PageUp,
        Qt.Key.Key_PageDown,
        Qt.Key.Key_Return,
        Qt.Key.Key_Enter,
    )

    def event(self, event: QEvent) -> bool:
        # The window's one-key shortcuts (Left: previous frame, Page Up: previous shot) would
        # otherwise take the keys that move through the pictures.
        if event.type() == QEvent.Type.ShortcutOverride:
            key_event: QKeyEvent = event  # type: ignore[assignment]
            if key_event.key() in self._OWN_KEYS:
                event.accept()
                return True
        return super().event(event)


class AlbumPanel(QGroupBox):
    """The side panel's account of the album and of the picture selected: what it is, its
    colours (picked or automatic, its hints), and how to give it hints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Album", parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.hide()
        self.picture = QLabel()
        self.picture.setWordWrap(True)
        self.picture.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hints_note = QLabel(HINTS_FOR_PICTURES)
        self.hints_note.setWordWrap(True)
        self.hints_note.setEnabled(False)  # dimmed by the palette: a fact, not an alarm
        layout.addWidget(self.summary)
        layout.addWidget(self.preview)
        layout.addWidget(self.picture)
        layout.addWidget(self.hints_note)
        self._has_preview = False
        self._grid_shown = False

    def show_album(self, text: str) -> None:
        self.summary.setText(text)

    def show_picture(self, text: str, thumb: QPixmap | None) -> None:
        self.picture.setText(text)
        self._has_preview = thumb is not None and not thumb.isNull()
        if self._has_preview:
            self.preview.setPixmap(fit_pixmap(thumb, QSize(200, 120), self.devicePixelRatioF()))
        self._show_preview()

    def follow_stage(self, stage: QStackedWidget, grid_page: QWidget) -> None:
        """Leave the picture's preview out while `grid_page` (the album's grid, whose selected
        tile is that picture) is the stage's page: at 1360 x 860 the preview pushed the Colour
        modes panel below the side column's fold."""

        def changed(_index: int) -> None:
            self._grid_shown = stage.currentWidget() is grid_page
            self._show_preview()

        stage.currentChanged.connect(changed)
        changed(stage.currentIndex())

    def _show_preview(self) -> None:
        self.preview.setVisible(self._has_preview and not self._grid_shown)


def format_box() -> QComboBox:
    """The album's output format, for the Restore panel."""
    box = QComboBox()
    for code, label in ALBUM_FORMATS:
        box.addItem(label, code)
    box.setToolTip("The album's pictures in one format, or each in its own (a .bmp becomes a .png)")
    return box


def picture_state(pic: AlbumPicture, pick: Any, hints: int, colorize: bool = True) -> str:
    """What is known of a picture's colours, in a few words (under its thumbnail): `pick` its
    pick (`colour_modes.Pick`) or None, `hints` how many colour hints lie on it; `colorize`
    off (Restore panel), none is made."""
    if pic.error:
        return "cannot be read"
    if not colorize:
        return "its own colours kept" if pic.in_colour else "not colorized"
    said = f"{hints} hint{'s' if hints != 1 else ''}" if hints else ""
    if pick is not None and pick.source == "carried":
        return f"colours carried from {pick.reference or 'another picture'}" + (
            f", {said}" if said else "")  # fmt: skip
    if pick is not None and pick.source == "own":
        return "its own colours kept" + (f", {said} over them" if said else "")
    if pick is not None:
        of_k = f" of {pick.k}" if pick.k else ""  # 0: from a project, not drawn here
        return f"mode {pick.n + 1}{of_k} picked" + (f", {said}" if said else "")
    if pic.in_colour:  # the engine keeps a colour picture's own colours unless picked
        return f"its own colours, {said} over them" if said else "its own colours kept"
    if said:
        return f"coloured by {said}"
    return "in colour? (O keeps it)" if pic.maybe_colour else "automatic colours"


def colours_line(
    pic: AlbumPicture, state: str, picked: bool, hinted: bool, colorize: bool = True
) -> str:
    """The picture panel's line on its colours (`state`: `picture_state`'s words)."""
    if not colorize:
        return ("Colours: none made: Colorize is off in the Restore panel (a picture in colour "
                "keeps its own).")  # fmt: skip
    if picked or hinted:
        return f"Colours: {state}."
    if pic.in_colour:
        return ("Colours: its own. The picture is in colour already and keeps them; pick a "
                "colour mode to colour it anew.")  # fmt: skip
    # the same colours the command line gives it: drawn from a seed of the picture's own
    said = "Colours: automatic, the same at every export; Compare shows them."
    if pic.maybe_colour:
        said += (
            " It holds colours of one hue of its own, as an old print's stains or a colour"
            " photo of few colours do: Colour ▸ Keep its own colours (O) keeps them."
        )
    return said


def pick_band(pick: Any) -> str:
    """A picked picture's tag in the band along its tile."""
    if pick.source in ("carried", "own"):
        return f"✓ {'carried' if pick.source == 'carried' else 'own colours'}"
    return f"✓ mode {pick.n + 1}"


def album_words(
    n: int,
    picked: int,
    failed: int,
    where: str,
    *,
    single: bool,
    reason: str = "",
    own: int = 0,
    colorize: bool = True,
) -> str:
    """The album panel's lines: how many pictures from where, how many picked, how many
    cannot be read, and why it was read as an album; for one picture, of it alone. `own`:
    how many of those without a pick are in colour already and keep their own colours;
    `colorize` off (Restore panel): no colours are made, picked or not."""
    kept = (
        "" if not own else
        f"; {own} keep{'s its' if own == 1 else ' their'} own colours"
    )  # fmt: skip
    if single:
        said = "Picked" if picked else "No pick yet: " + (
            "in colour already, it keeps its own colours" if own else "it gets automatic colours"
        )  # fmt: skip
    elif picked:
        said = f"All {n} picked" if picked >= n else (
            f"{picked} picked{kept}; the others get automatic colours (or their hints')"
        )  # fmt: skip
    else:
        said = f"None picked yet{kept}; a picture without a pick gets automatic colours" + (
            " (or its hints')"
        )
    if not colorize:
        said = "Colorize is off: no colours are made" + (
            f" ({picked} picked, kept for when it is on)" if picked else ""
        )
    lines = ["One picture" if single else f"{n} picture{'s' if n != 1 else ''} from {where}"]
    lines.append(said if n else "")
    if failed:
        lines.append(
            "It cannot be read" if single else f"{failed} cannot be read (marked in the grid)"
        )
    if reason and not single:  # the app's own opening, in its words (not the flag's)
        reason = "opened as an album" if reason == "--stills given" else reason
        lines.append(f"Photos, not a film's frames: {reason}")
    return "\n".join(line for line in lines if line)
