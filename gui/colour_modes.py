"""Choosing a shot's colours: the controls in the side panel and the K candidates, large.

The engine samples K colour modes of a shot's key frame (`sample_keyframe`) and
sends K previews with each candidate's 28x28 chroma as text. The window shows
them side by side in `CandidatesView` (in place of the player, so they are large
enough to judge); a click, or keys 1..8, picks one, and the pick with its chroma
is kept per shot, so it survives an engine restart. Untrained weights are said
to be untrained, in the panel and over the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
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
    k: int
    n: int  # which candidate, from 0
    chroma: str  # base64 bins, as the engine sent them
    chroma_size: int
    trained: bool
    locked: bool = True

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
        }

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
        )


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
    )


class CandidateTile(QWidget):
    """One candidate: its preview, scaled to fit, a number, and a frame when picked."""

    clicked = Signal(int)

    def __init__(self, n: int, pixmap: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n = n
        self.pixmap = pixmap
        self.picked = False
        self.setMinimumSize(160, 100)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"Colour mode {n + 1}: click or press {n + 1} to pick it")
        self.setAccessibleName(f"Colour mode {n + 1}")

    def set_picked(self, picked: bool) -> None:
        self.picked = picked
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.pos()):
            self.clicked.emit(self.n)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(12, 12, 12))
        label_h = self.fontMetrics().height() + 8
        area = self.rect().adjusted(6, 6, -6, -6 - label_h)
        size = self.pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = area.x() + (area.width() - size.width()) // 2
        y = area.y() + (area.height() - size.height()) // 2
        target = QRect(x, y, size.width(), size.height())
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
        text = f"{self.n + 1}" + ("  ✓ picked" if self.picked else "")
        p.drawText(
            QRect(0, self.height() - label_h, self.width(), label_h),
            Qt.AlignmentFlag.AlignCenter,
            text,
        )


class CandidatesView(QWidget):
    """The K candidates of one shot, side by side and large, in place of the player."""

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
        self.grid = QWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.grid, 1)
        self.tiles: list[CandidateTile] = []
        self.sampled: Sampled | None = None

    def show_sampled(self, sampled: Sampled, shot_text: str, picked: int | None) -> None:
        self.sampled = sampled
        for t in self.tiles:
            t.deleteLater()
        self.tiles = []
        old = self.grid.layout()
        if old is not None:
            QWidget().setLayout(old)  # reparent the old layout so a new one can be set
        from PySide6.QtWidgets import QGridLayout

        grid = QGridLayout(self.grid)
        grid.setSpacing(6)
        grid.setContentsMargins(0, 0, 0, 0)
        cols = self._columns(sampled.k)
        for n, pm in enumerate(sampled.pixmaps):
            tile = CandidateTile(n, pm)
            tile.clicked.connect(self.picked)
            tile.set_picked(n == picked)
            grid.addWidget(tile, n // cols, n % cols)
            self.tiles.append(tile)
        self.header.setText(
            f"<b>{shot_text}</b> — key frame {sampled.key_frame + 1}: {sampled.k} colour modes "
            f"(seed {sampled.seed}, temperature {sampled.temperature:g}, "
            f"{sampled.seconds:.1f} s). Click one, or press 1–{sampled.k}, to pick it."
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

    @staticmethod
    def _columns(k: int) -> int:
        # Two rows at most: wide tiles suit films, which are wider than tall.
        return k if k <= 4 else math.ceil(k / 2)

    # The keys keyPressEvent handles, for Help > Keyboard shortcuts.
    KEYS = (("1 – 8", "Pick that colour mode and lock it"), ("Esc", "Back to the film"))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            n = key - Qt.Key.Key_1
            if n < len(self.tiles):
                self.picked.emit(n)
                return
        if key == Qt.Key.Key_Escape:
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
    unlockRequested = Signal()

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
        self.temperature.setValue(1.0)
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
        layout.addWidget(self.progress)
        layout.addWidget(self.pick_label)
        layout.addWidget(self.pick_preview)
        layout.addLayout(pick_buttons)
        layout.addWidget(self.apply_button)
        self.model_status = "missing"
        self.usable = False
        self.busy = False
        self.show_pick(None, None, has_sampled=False)
        self._sync()

    @property
    def model_ready(self) -> bool:
        return self.model_status == "ready"

    def set_models(self, models: dict[str, Any]) -> None:
        entry = models.get(COLORIZER) or {}
        status = str(entry.get("status", "missing")) if entry else "missing"
        path = str(entry.get("path") or "")
        meta = entry.get("meta") or {}
        card = meta.get("card") or {} if isinstance(meta, dict) else {}
        self.model_status = status
        self.usable = status in ("ready", "untrained")
        if status == "ready":
            scale = card.get("scale")
            note = " (trained at reduced scale on a CPU)" if scale == "cpu-reduced" else ""
            self.status.setText(f"Colorizer ready{note}. Pick a shot, then sample its colours.")
            self.detail.setText(path)
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

    def show_pick(self, pick: Pick | None, preview: QPixmap | None, *, has_sampled: bool) -> None:
        if pick is None:
            self.pick_label.setText("This shot has no pick yet." if self.usable else "")
            self.pick_preview.hide()
        else:
            tag = "" if pick.trained else " — untrained model"
            self.pick_label.setText(
                f"Picked: mode {pick.n + 1} of {pick.k} (seed {pick.seed}, "
                f"temperature {pick.temperature:g}){tag}. Locked."
            )
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

    def _sync(self) -> None:
        self.controls.setVisible(self.usable)
        self.sample_button.setVisible(self.usable)
        self.sample_button.setEnabled(self.usable and not self.busy)
        self.sample_button.setText("Sampling…" if self.busy else "Sample colour modes")


def shot_label(shot: int, shots: Sequence[dict[str, Any]]) -> str:
    return f"Shot {shot + 1} of {len(shots)}"
