"""Choosing a shot's colours: the controls in the side panel and the K candidates, large.

The engine samples K colour modes of a shot's key frame (`sample_keyframe`) and
sends K previews with each candidate's 28x28 chroma as text. The window shows
them in `CandidatesView`, in place of the player and in the grid that makes them
largest (2 x 2 for four on a wide screen), so they are large enough to judge; a
double-click shows one alone. A click, or keys 1..8, picks one, and the pick with its chroma
is kept per shot, so it survives an engine restart. Untrained weights are said
to be untrained, in the panel and over the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

# plain numbers (no torch): the engine's measured default, so the spin box starts there
from panchro.engine.inference.defaults import TEMPERATURE
from panchro.engine.service.protocol import TINTS, TONES, flat_pick_chroma
from panchro.gui.widgets import fit_pixmap

COLORIZER = "colorizer"
K_RANGE = (2, 8)
SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class Pick:
    """A shot's chosen colour mode: enough to draw it again or to use it without the engine
    that drew it (the chroma bins travel with it)."""

    key_frame: int
    seed: int
    temperature: float
    k: int  # how many modes were drawn (0: not known, a pick an album's project kept)
    n: int  # which candidate, from 0
    chroma: str  # base64 bins, as the engine sent them
    chroma_size: int
    trained: bool
    locked: bool = True
    # "user" (a mode a person picked), "auto" (the engine's), "reference" (the colours a
    # colour picture lent the shot: `reference` is that picture's file name), "carried"
    # (another shot's colours matched onto this one: `reference` names it); "grey",
    # "tint", "tone": one colour (`reference` its name, if it has one)
    source: str = "user"
    reference: str = ""
    # The crop (left, top, right, bottom, film pixels) the key frame was cut to when the
    # colours were drawn; None: the whole frame (`Pick.crop` in the engine's projects)
    crop: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_frame": self.key_frame,
            "seed": self.seed,
            "temperature": self.temperature,
            "k": self.k,
            "index": self.n,
            "chroma": self.chroma,
            "chroma_size": self.chroma_size,
            "trained": self.trained,
            "locked": self.locked,
            "source": self.source,
            "reference": self.reference,
            "crop": None if self.crop is None else list(self.crop),
        }

    def engine_dict(self) -> dict[str, Any]:
        """The pick as the engine's requests carry it (docs/protocol.md, `picks`)."""
        return (
            {
                "seed": self.seed,
                "temperature": self.temperature,
                "index": self.n,
                "chroma": self.chroma,
                "locked": self.locked,
                "source": self.source,
            }
            | ({} if self.crop is None else {"crop": list(self.crop)})
            | ({"name": self.reference} if self.reference else {})
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pick:
        return cls(
            key_frame=int(d["key_frame"]),
            seed=int(d["seed"]),
            temperature=float(d["temperature"]),
            k=int(d["k"]),
            n=int(d["index"]),
            chroma=str(d["chroma"]),
            chroma_size=int(d.get("chroma_size", 28)),
            trained=bool(d.get("trained", True)),
            locked=bool(d.get("locked", True)),
            source=str(d.get("source", "user")),
            reference=str(d.get("reference", "")),
            crop=crop_of(d.get("crop")),
        )


@dataclass
class Sampled:
    """One `sample_keyframe` result as the GUI keeps it."""

    shot: int
    key_frame: int
    seed: int
    temperature: float
    trained: bool
    chroma_size: int
    chroma: list[str]
    pixmaps: list[QPixmap]
    seconds: float
    oversample: int = 1  # k x this many were drawn, the k most different shown
    crop: tuple[int, int, int, int] | None = None  # what the key frame was cut to
    strength: float = 1.0  # the colours' strength the previews show (the bins are as drawn)
    # the frame is in colour already, beyond doubt (a shot nobody picks for keeps its own
    # colours), or has colours of one hue of its own (stains: colorized unless kept)
    in_colour: bool = False
    maybe_in_colour: bool = False
    # what the request asked besides its seed and strength: the same modes are drawn again
    # from it, to be shown at another strength (`ColourPicks.restrengthen`)
    asked: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.pixmaps)

    def pick(self, n: int) -> Pick:
        return Pick(
            key_frame=self.key_frame,
            seed=self.seed,
            temperature=self.temperature,
            k=self.k,
            n=n,
            chroma=self.chroma[n],
            chroma_size=self.chroma_size,
            trained=self.trained,
            crop=self.crop,
        )


def crop_of(value: Any) -> tuple[int, int, int, int] | None:
    """A pick's crop as the engine writes it ([left, top, right, bottom] or null) -> a tuple,
    None for the whole frame."""
    if not value:
        return None
    left, top, right, bottom = (int(v) for v in value)
    return None if not any((left, top, right, bottom)) else (left, top, right, bottom)


def crop_note(pick: Pick, crop: tuple[int, int, int, int] | None) -> str:
    """What the Colour modes panel says of a drawn pick whose colours were drawn on another
    part of the frame than the crop now cuts out ("" when they match, or for one colour)."""
    now = crop_of(crop)
    if pick.source in ("grey", "tint", "tone", "own") or pick.crop == now:
        return ""
    if pick.crop is None:
        return (" Drawn on the whole frame, borders and all: sample again to colour the"
                " picture alone.")  # fmt: skip
    return " Drawn inside another crop: its colours stay where they were on the picture."


def own_words(sampled: Sampled, pick: Pick | None) -> str:
    """What the Colour modes panel says of a shot whose frame has colours of its own and no
    pick ("" otherwise): the export keeps them, or colorizes it (`restore.own` in the engine)."""
    if pick is not None:
        return ""
    if sampled.in_colour:
        return (" This shot is in colour already: with no mode picked, the export keeps its own"
                " colours (Colour ▸ Keep its own colours, O, makes that its pick).")  # fmt: skip
    if sampled.maybe_in_colour:
        return (" Its frame has colours of one hue of its own (stains, or a colour film's): with"
                " no mode picked it is colorized; Colour ▸ Keep its own colours (O) keeps"
                " them.")  # fmt: skip
    return ""


def strength_words(sampled: Sampled) -> str:
    """What a header says of the colours' strength the modes are shown at ("" as drawn)."""
    return "" if sampled.strength == 1.0 else f", shown at colour strength {sampled.strength:g}"


def parse_sampled(shot: int, data: dict[str, Any], blob: bytes) -> Sampled:
    """The engine's reply (see docs/protocol.md) -> previews and chroma; ValueError if malformed."""
    pixmaps: list[QPixmap] = []
    chroma: list[str] = []
    for c in data.get("candidates") or []:
        off, length = int(c["offset"]), int(c["length"])
        if off < 0 or length <= 0 or off + length > len(blob):
            raise ValueError("a candidate's preview lies outside the reply")
        pm = QPixmap()
        if not pm.loadFromData(blob[off : off + length]):
            raise ValueError(f"candidate {c.get('n')}'s preview is not an image")
        pixmaps.append(pm)
        chroma.append(str(c["chroma"]))
    if not pixmaps:
        raise ValueError("the reply holds no candidates")
    return Sampled(
        shot=shot,
        key_frame=int(data["index"]),
        seed=int(data["seed"]),
        temperature=float(data["temperature"]),
        trained=bool(data.get("trained", False)),
        chroma_size=int(data.get("chroma_size", 28)),
        chroma=chroma,
        pixmaps=pixmaps,
        seconds=float(data.get("seconds", 0.0)),
        oversample=int(data.get("oversample", 1)),
        crop=crop_of(data.get("crop")),
        strength=float(data.get("colour_strength", 1.0)),
        in_colour=bool(data.get("in_colour", False)),
        maybe_in_colour=bool(data.get("maybe_in_colour", False)),
    )


def grid_shape(
    k: int,
    width: float,
    height: float,
    aspect: float,
    *,
    spacing: float = 0.0,
    pad: tuple[float, float] = (0.0, 0.0),
) -> tuple[int, int, float]:
    """Rows and columns for `k` pictures of `aspect` (width / height) in a `width` x `height`
    area, chosen so that the pictures are as large as they can be, and that picture width.

    Each cell is a picture plus `pad` (its frame and caption), cells `spacing` apart. Four
    film frames in a wide view come out 2 x 2, in a tall one 4 x 1; a tie goes to fewer
    columns.
    """
    best = (1, max(k, 1), 0.0)
    for cols in range(1, max(k, 1) + 1):
        rows = math.ceil(k / cols)
        cell_w = (width - spacing * (cols - 1)) / cols - pad[0]
        cell_h = (height - spacing * (rows - 1)) / rows - pad[1]
        picture_w = max(0.0, min(cell_w, cell_h * aspect))
        if picture_w > best[2] + 0.5:
            best = (rows, cols, picture_w)
    return best


class CandidateTile(QWidget):
    """One candidate: its preview, scaled to fit, a caption, and a frame when picked."""

    clicked = Signal(int)
    doubleClicked = Signal(int)
    MARGIN = 6  # around the picture, inside the tile: room for the picked frame

    def __init__(self, n: int, pixmap: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n = n
        self.pixmap = pixmap
        self.picked = False
        self.large_of: int | None = None  # k, while this tile is shown alone
        self.setMinimumSize(40, 30)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(
            f"Colour mode {n + 1}: click or press {n + 1} to pick it; double-click to see it large"
        )
        self.setAccessibleName(f"Colour mode {n + 1}")

    def caption_height(self) -> int:
        return self.fontMetrics().height() + 8

    def set_picked(self, picked: bool) -> None:
        self.picked = picked
        self.update()

    def set_large(self, k: int | None) -> None:
        self.large_of = k
        self.update()

    def picture_rect(self) -> QRect:
        """Where the preview is drawn: as large as the tile allows, aspect kept, centred."""
        m = self.MARGIN
        area = self.rect().adjusted(m, m, -m, -m - self.caption_height())
        size = self.pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = area.x() + (area.width() - size.width()) // 2
        y = area.y() + (area.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.pos()):
            self.clicked.emit(self.n)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.doubleClicked.emit(self.n)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(12, 12, 12))
        label_h = self.caption_height()
        target = self.picture_rect()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawPixmap(target, self.pixmap)
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        if self.picked:
            pen = p.pen()
            pen.setColor(highlight)
            pen.setWidth(4)
            p.setPen(pen)
            p.drawRect(target.adjusted(-3, -3, 2, 2))
        p.setPen(highlight if self.picked else QColor(220, 220, 220))
        text = f"{self.n + 1}" if self.large_of is None else f"{self.n + 1} of {self.large_of}"
        text += "  ✓ picked" if self.picked else ""
        if self.large_of is not None:
            text += "   (← → the others, Esc: all modes)"
        p.drawText(
            QRect(0, self.height() - label_h, self.width(), label_h),
            Qt.AlignmentFlag.AlignCenter,
            text,
        )


class _TileGrid(QWidget):
    """Lays the tiles out in the rows x columns that make the pictures largest (`grid_shape`),
    each cell fitted to its picture and the whole centred; or one tile alone, filling it."""

    SPACING = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.tiles: list[CandidateTile] = []
        self.large: int | None = None
        self.shape = (1, 1)

    def set_tiles(self, tiles: list[CandidateTile]) -> None:
        for t in self.tiles:
            t.deleteLater()
        self.tiles = tiles
        self.large = None
        for t in tiles:
            t.setParent(self)
            t.show()
        self.place()

    def set_large(self, n: int | None) -> None:
        self.large = n if n is not None and 0 <= n < len(self.tiles) else None
        self.place()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        self.place()

    def place(self) -> None:
        if not self.tiles:
            return
        k = len(self.tiles)
        for t in self.tiles:
            t.set_large(k if t.n == self.large else None)
            t.setVisible(self.large is None or t.n == self.large)
        if self.large is not None:
            self.tiles[self.large].setGeometry(self.rect())
            return
        first = self.tiles[0]
        picture = first.pixmap.size()
        aspect = picture.width() / picture.height() if not picture.isEmpty() else 16 / 9
        pad = (2 * first.MARGIN, 2 * first.MARGIN + first.caption_height())
        space = self.SPACING
        rows, cols, picture_w = grid_shape(
            k, self.width(), self.height(), aspect, spacing=space, pad=pad
        )
        self.shape = (rows, cols)
        cell_w = int(picture_w) + pad[0]
        cell_h = int(picture_w / aspect) + pad[1]
        top = max(0, (self.height() - rows * cell_h - (rows - 1) * space) // 2)
        for r in range(rows):
            row = self.tiles[r * cols : (r + 1) * cols]
            left = max(0, (self.width() - len(row) * cell_w - (len(row) - 1) * space) // 2)
            for c, tile in enumerate(row):
                x, y = left + c * (cell_w + space), top + r * (cell_h + space)
                tile.setGeometry(x, y, cell_w, cell_h)


class CandidatesView(QWidget):
    """The K candidates of one shot, as large as the view allows, in place of the player; one
    of them alone and larger on a double-click (or Z)."""

    picked = Signal(int)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(
            "QLabel { background: #7a1f1f; color: white; padding: 4px; font-weight: bold; }"
        )
        self.warning.hide()
        self.back = QPushButton("Back to the film")
        self.back.setToolTip("Close the colour modes (Esc)")
        self.back.clicked.connect(self.closed)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.back)
        self.grid = _TileGrid()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.grid, 1)
        self.sampled: Sampled | None = None

    @property
    def tiles(self) -> list[CandidateTile]:
        return self.grid.tiles

    @property
    def large(self) -> int | None:
        """The mode shown alone (from 0), or None while all are shown."""
        return self.grid.large

    def show_sampled(
        self, sampled: Sampled, shot_text: str, picked: int | None, remark: str = ""
    ) -> None:
        """The modes of `sampled` as tiles, `picked` marked, under a header that says what
        they are, then `remark` (what the shot's own colours mean: `own_words`)."""
        self.sampled = sampled
        tiles = []
        for n, pm in enumerate(sampled.pixmaps):
            tile = CandidateTile(n, pm)
            tile.clicked.connect(self.picked)
            tile.doubleClicked.connect(self.toggle_large)
            tile.set_picked(n == picked)
            tiles.append(tile)
        self.grid.set_tiles(tiles)
        drawn = sampled.k * sampled.oversample
        modes = f"the {sampled.k} most different of {drawn}" if drawn > sampled.k else sampled.k
        self.header.setText(
            f"<b>{shot_text}</b> — key frame {sampled.key_frame + 1}: {modes} colour modes "
            f"(seed {sampled.seed}, temperature {sampled.temperature:g}, "
            f"{sampled.seconds:.1f} s{strength_words(sampled)}). Click one, or press "
            f"1–{sampled.k}, to pick it; "
            f"double-click one (or Z) to see it large.{remark}"
        )
        if sampled.trained:
            self.warning.hide()
        else:
            self.warning.setText(
                "Untrained colorizer: these colours are noise, not suggestions. "
                "Train the colorizer (panchro train colorizer) or install trained weights."
            )
            self.warning.show()

    def set_picked(self, n: int | None) -> None:
        for t in self.tiles:
            t.set_picked(t.n == n)
        if n is not None and self.large is not None:
            self.show_large(n)  # the mode just picked is the one to look at

    def show_large(self, n: int | None) -> None:
        """Mode `n` alone, filling the view; None: all of them again."""
        self.grid.set_large(n)

    def toggle_large(self, n: int) -> None:
        self.show_large(None if self.large is not None else n)

    def _mode_to_enlarge(self) -> int:
        """For Z: the mode under the pointer, else the picked one, else the first."""
        from PySide6.QtGui import QCursor

        for t in self.tiles:
            if t.isVisible() and t.rect().contains(t.mapFromGlobal(QCursor.pos())):
                return t.n
        return next((t.n for t in self.tiles if t.picked), 0)

    # The keys keyPressEvent handles, for Help > Keyboard shortcuts.
    KEYS = (
        ("1 – 8", "Pick that colour mode and lock it"),
        ("Z, double-click", "See one colour mode large; again: all of them"),
        ("← →", "The colour mode before / after, while one is large"),
        ("Esc", "Back to all colour modes; from there, back to the film"),
    )

    def event(self, event: QEvent) -> bool:
        # While one mode is large, the arrows step through the modes, not through the film.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.large is not None
            and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right)  # type: ignore[attr-defined]
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            n = key - Qt.Key.Key_1
            if n < len(self.tiles):
                self.picked.emit(n)
                return
        if key == Qt.Key.Key_Z and self.tiles:
            self.show_large(None if self.large is not None else self._mode_to_enlarge())
            return
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self.large is not None:
            step = -1 if key == Qt.Key.Key_Left else 1
            self.show_large((self.large + step) % len(self.tiles))
            return
        if key == Qt.Key.Key_Escape:
            if self.large is not None:
                self.show_large(None)
            else:
                self.closed.emit()
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, 450)


class ColourModesPanel(QGroupBox):
    """Sampling controls and the current shot's pick; says plainly when the model is missing
    or untrained."""

    sampleRequested = Signal()
    showRequested = Signal()
    applyForwardRequested = Signal()
    carryRequested = Signal()
    unlockRequested = Signal()
    referenceRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Colour modes", parent)
        layout = QVBoxLayout(self)
        self.status = QLabel("Waiting for the engine…")
        self.status.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setEnabled(False)  # dimmed by the palette
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.controls = QWidget()
        form = QFormLayout(self.controls)
        form.setContentsMargins(0, 0, 0, 0)
        self.k_spin = QSpinBox()
        self.k_spin.setRange(*K_RANGE)
        self.k_spin.setValue(4)
        self.k_spin.setToolTip("How many colour modes to draw at once")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(TEMPERATURE)
        self.temperature.setToolTip("Lower: tamer, likelier colours; 0: the likeliest only")
        self.seed = QSpinBox()
        self.seed.setRange(0, SEED_MAX)
        self.seed.setToolTip("Same seed, same colour modes")
        self.random_seed = QCheckBox("random")
        self.random_seed.setToolTip("A new seed for every sampling")
        self.random_seed.setChecked(True)
        self.random_seed.toggled.connect(lambda on: self.seed.setEnabled(not on))
        self.seed.setEnabled(False)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.random_seed)
        form.addRow("Modes", self.k_spin)
        form.addRow("Temperature", self.temperature)
        form.addRow("Seed", seed_row)

        self.sample_button = QPushButton("Sample colour modes")
        self.sample_button.setToolTip("Draw colour modes of this shot's key frame (C)")
        self.sample_button.clicked.connect(self.sampleRequested)
        self.reference_button = QPushButton("Colour from a picture…")
        self.reference_button.setToolTip(
            "Take this shot's colours from a colour photo of the same scene, place or era (R)"
        )
        self.reference_button.clicked.connect(self.referenceRequested)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()

        self.pick_label = QLabel()
        self.pick_label.setWordWrap(True)
        self.pick_preview = QLabel()
        self.pick_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pick_preview.hide()
        self.show_button = QPushButton("Show modes")
        self.show_button.setToolTip("Back to the colour modes drawn for this shot")
        self.show_button.clicked.connect(self.showRequested)
        self.apply_button = QPushButton("Use for the following shots")
        self.apply_button.setToolTip("Give every following shot without a locked pick this one")
        self.apply_button.clicked.connect(self.applyForwardRequested)
        self.carry_button = QPushButton("Colour its scene alike")
        self.carry_button.setToolTip(
            "Carry this shot's colours to the shots around it of the same scene, matched to "
            "what they show (Shift+A)"
        )
        self.carry_button.clicked.connect(self.carryRequested)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setToolTip("Forget this shot's pick")
        self.unlock_button.clicked.connect(self.unlockRequested)
        pick_buttons = QHBoxLayout()
        pick_buttons.addWidget(self.show_button)
        pick_buttons.addWidget(self.unlock_button)

        layout.addWidget(self.status)
        layout.addWidget(self.detail)
        layout.addWidget(self.controls)
        layout.addWidget(self.sample_button)
        layout.addWidget(self.reference_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.pick_label)
        layout.addWidget(self.pick_preview)
        layout.addLayout(pick_buttons)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.carry_button)
        self.model_status = "missing"
        self.usable = False
        self.busy = False
        self.noun = "shot"  # what is coloured: a film's "shot", or an album's "picture"
        self._models: dict[str, Any] = {}
        self.show_pick(None, None, has_sampled=False)
        self._sync()

    @property
    def model_ready(self) -> bool:
        return self.model_status == "ready"

    def set_noun(self, noun: str) -> None:
        """Say "shot" (a film) or "picture" (an album) in the panel's words."""
        self.noun = noun
        key = "this shot's key frame" if noun == "shot" else f"this {noun}"
        self.sample_button.setToolTip(f"Draw colour modes of {key} (C)")
        self.show_button.setToolTip(f"Back to the colour modes drawn for this {noun}")
        self.unlock_button.setToolTip(f"Forget this {noun}'s pick")
        if self._models:
            self.set_models(self._models)

    def set_models(self, models: dict[str, Any]) -> None:
        self._models = models
        entry = models.get(COLORIZER) or {}
        status = str(entry.get("status", "missing")) if entry else "missing"
        path = str(entry.get("path") or "")
        meta = entry.get("meta") or {}
        card = meta.get("card") or {} if isinstance(meta, dict) else {}
        self.model_status = status
        self.detail.setToolTip(path)
        self.usable = status in ("ready", "untrained")
        if status == "ready":
            scale = card.get("scale")
            note = " (a small network, trained at reduced scale)" if scale == "cpu-reduced" else ""
            self.status.setText(
                f"Colorizer ready{note}. Pick a {self.noun}, then sample its colours."
            )
            # the file's name; where it lies is the tooltip's (a full path wrapped over two
            # dimmed lines said little and pushed the controls down)
            self.detail.setText(PurePath(path).name if path else "")
        elif status == "untrained":
            self.status.setText(
                "Colorizer model UNTRAINED: its colours are noise. You can still try it."
            )
            self.detail.setText(f"Weights: {path}" if path else "")
        elif status == "corrupt":
            self.status.setText("Colorizer weights cannot be read.")
            self.detail.setText(f"{path}: {entry.get('error', 'not a safetensors file')}")
        elif status == "no_code":
            self.status.setText("Colorizer weights are there, but this engine has no code for it.")
            self.detail.setText("Update Panchro to use them.")
        else:
            self.status.setText("Colorizer model missing — not trained yet.")
            self.detail.setText(
                f"No colour modes can be offered until weights exist at {path}."
                if path
                else "No colour modes can be offered until the colorizer is trained."
            )
        self._sync()

    def set_engine_down(self, text: str) -> None:
        self.status.setText(text)
        self.detail.setText("")
        self.usable = False
        self.set_busy(False)
        self._sync()

    def show_error(self, text: str) -> None:
        self.detail.setText(text)

    def set_busy(self, busy: bool, done: int = 0, total: int = 0) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, max(total, 0))
            self.progress.setValue(min(done, total) if total else 0)
        self._sync()

    def options(self) -> dict[str, Any]:
        seed = None if self.random_seed.isChecked() else self.seed.value()
        return {"k": self.k_spin.value(), "temperature": self.temperature.value(), "seed": seed}

    def show_pick(
        self,
        pick: Pick | None,
        preview: QPixmap | None,
        *,
        has_sampled: bool,
        crop: tuple[int, int, int, int] | None = None,
    ) -> None:
        """The pick of the shot (or picture) in view; `crop` the one the Restore panel sets."""
        if pick is None:
            self.pick_label.setText(f"This {self.noun} has no pick yet." if self.usable else "")
            self.pick_preview.hide()
        else:
            tag = "" if pick.trained else " — untrained model"
            self.pick_label.setToolTip("")
            if pick.source == "reference":
                name = f" {pick.reference}" if pick.reference else ""
                self.pick_label.setText(f"Colours from the picture{name}{tag}. Locked.")
            elif pick.source == "carried":
                whence = pick.reference or "another shot of its scene"
                self.pick_label.setText(f"Colours carried from {whence}{tag}. Locked.")
            elif pick.source in ("grey", "tint", "tone", "own"):
                self.pick_label.setText(f"{flat_words(pick).capitalize()}. Locked.")
            else:
                of_k = f" of {pick.k}" if pick.k else ""  # 0: not known (a saved project)
                self.pick_label.setText(f"Picked: mode {pick.n + 1}{of_k}{tag}. Locked.")
                self.pick_label.setToolTip(
                    f"Drawn with seed {pick.seed} at temperature {pick.temperature:g}: the same "
                    "seed draws the same modes again"
                )
            if note := crop_note(pick, crop):
                self.pick_label.setText(self.pick_label.text() + note)
            if preview is not None and not preview.isNull():
                self.pick_preview.setPixmap(
                    fit_pixmap(preview, QSize(220, 10_000), self.devicePixelRatioF())
                )
                self.pick_preview.show()
            else:
                self.pick_preview.hide()
        self.show_button.setVisible(has_sampled)
        self.unlock_button.setVisible(pick is not None)
        self.apply_button.setVisible(pick is not None)
        self.carry_button.setVisible(pick is not None)

    def _sync(self) -> None:
        self.controls.setVisible(self.usable)
        self.sample_button.setVisible(self.usable)
        self.sample_button.setEnabled(self.usable and not self.busy)
        self.sample_button.setText("Sampling…" if self.busy else "Sample colour modes")
        self.reference_button.setEnabled(not self.busy)


def flat_words(pick: Pick) -> str:
    """A one-colour pick in words: "kept black and white", "tinted amber", "toned sepia"."""
    if pick.source == "grey":
        return "kept black and white"
    if pick.source == "own":
        return "its own colours kept"
    presets = TONES if pick.source == "tone" else TINTS
    name = pick.reference or next(
        (n.lower() for n, c in presets.items() if flat_pick_chroma(c) == pick.chroma), "in a colour"
    )
    return f"{'toned' if pick.source == 'tone' else 'tinted'} {name}"


def shot_label(shot: int, shots: Sequence[dict[str, Any]]) -> str:
    return f"Shot {shot + 1} of {len(shots)}"
