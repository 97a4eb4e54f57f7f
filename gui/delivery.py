"""How the Restore panel says an export is delivered: its format (`CODECS`), its rate
(`DeliverBox`: a film shown at a silent speed written at a sound speed, frames repeated), its
size (`SizeBox`: the picture fitted to HD or UHD, or the whole frame with bars) and its sound
(`SoundButton`: the film's own, or a soundtrack; `gui.soundtrack` chooses it). The rate, the
size and the sound are the export's alone: Compare and the previews show the film's own
frames, silent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QComboBox, QPushButton, QWidget

from panchro.gui.speed import OWN, rate_text

# What an export is written as: (codec, name shown, a file's suffix; "" for a folder).
CODECS = [
    ("h264", "H.264 (MP4)", ".mp4"),
    ("h265", "H.265 (MP4)", ".mp4"),
    ("prores", "ProRes 422 HQ (MOV)", ".mov"),
    ("ffv1", "FFV1 lossless (MKV)", ".mkv"),
    ("png16", "16-bit PNG frames (folder)", ""),
    ("tiff16", "16-bit TIFF frames (folder)", ""),
    ("dpx", "10-bit DPX frames (folder)", ""),
]


def codec_suffix(codec: str) -> str:
    """The suffix of a file written as `codec` ("" for a folder of frames)."""
    return next((suffix for c, _, suffix in CODECS if c == codec), ".mp4")


# Sound speeds a film shown slower is delivered at, some frames shown twice (stretch printing).
DELIVERIES = (23.976, 24.0, 25.0, 29.97, 30.0)  # NTSC's two exactly (`media.retime.NTSC`)
SILENT_BELOW = 23.5  # a film shown slower than this is offered them

DELIVER_TIP = (
    "The rate the export is written at. A film shown at a silent speed (16-22 fps) can be\n"
    "delivered at a sound speed, for players, editing and broadcast that take only those,\n"
    "by showing some frames twice in a steady cadence, as film labs stretch-printed silent\n"
    "films (18 at 24: one frame in 3 shown twice). The motion and the running time stay\n"
    "those of the film as shown; the frames are restored once."
)


class DeliverBox(QComboBox):
    """As shown, or one of `DELIVERIES` above the rate the film is shown at; `value()`, 0.0
    for as shown. `changed` when a person chooses."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(DELIVER_TIP)
        self._shown = 24.0
        self.set_shown(24.0)
        self.activated.connect(lambda _i: self.changed.emit())

    def set_shown(self, fps: float) -> None:
        """The rate the film is shown at: the choices above it (what was chosen kept where it
        still is one); no signal."""
        keep = self.value() if self.count() else 0.0
        self._shown = fps
        self.blockSignals(True)
        self.clear()
        self.addItem(f"As shown ({rate_text(fps)})", OWN)
        for rate in DELIVERIES:
            if rate > fps + 1e-6:
                self.addItem(f"{rate_text(rate)}, frames repeated", rate)
        self.setCurrentIndex(max(0, self.findData(keep)))
        self.blockSignals(False)

    def offered(self) -> bool:
        """Whether the film is shown slowly enough for a delivery to be chosen."""
        return self._shown < SILENT_BELOW

    def value(self) -> float:
        return float(self.currentData() or OWN)

    def set_value(self, fps: float) -> None:
        """Show `fps` (0.0: as shown) where it is a choice, else as shown; no signal."""
        self.blockSignals(True)
        self.setCurrentIndex(max(0, self.findData(float(fps or OWN))))
        self.blockSignals(False)


# The sizes offered: (name shown, the box fitted inside, the whole box written).
SIZES: tuple[tuple[str, tuple[int, int] | None, bool], ...] = (
    ("As restored", None, False),
    ("HD 1080", (1920, 1080), False),
    ("HD 1080, 16:9", (1920, 1080), True),
    ("UHD 2160", (3840, 2160), False),
    ("UHD 2160, 16:9", (3840, 2160), True),
)

SIZE_TIP = (
    "The size the export is written at. As restored: the film's size, times Enlarge.\n"
    "HD 1080, UHD 2160: the picture scaled to fit 1920 x 1080 or 3840 x 2160, its shape\n"
    "kept and its pixels made square (a 4:3 film: 1440 x 1080). 16:9: the whole frame is\n"
    "written, the picture in its middle on black, as television delivers it. Enlarge\n"
    "first (x2, x4) for the detail the model adds; this scales what comes out."
)


class SizeBox(QComboBox):
    """One of `SIZES` (or a size a project brought); `value()` the settings it stands for.
    `changed` when a person chooses."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(SIZE_TIP)
        for name, box, frame in SIZES:
            self.addItem(name, (box, frame))
        self.activated.connect(lambda _i: self.changed.emit())

    def value(self) -> dict[str, Any]:
        """{"fit": [w, h], "fit_frame": bool}, or {} as restored."""
        box, frame = self.currentData() or (None, False)
        return {} if box is None else {"fit": list(box), "fit_frame": bool(frame)}

    def set_value(self, settings: dict[str, Any]) -> None:
        """Show the size `settings` say (their `fit`, `fit_frame`), one not offered added as
        an item of its own; no signal."""
        box = settings.get("fit")
        want = (tuple(box), bool(settings.get("fit_frame"))) if box else (None, False)
        self.blockSignals(True)
        # (findData cannot compare the tuples the items hold)
        index = next((i for i in range(self.count()) if tuple(self.itemData(i)) == want), -1)
        if index < 0:
            w, h = want[0]  # type: ignore[misc]
            self.addItem(f"{w} x {h}{', whole frame' if want[1] else ''}", want)
            index = self.count() - 1
        self.setCurrentIndex(index)
        self.blockSignals(False)


def offset_text(offset: float) -> str:
    """Where a soundtrack starts, as the panel says it: "" at the film's start."""
    if not offset:
        return ""
    return f"from {offset:g} s" if offset > 0 else f"its first {-offset:g} s left out"


class SoundButton(QPushButton):
    """The sound an export carries: the film's own (or none, for a silent film), or a
    soundtrack, a sound file's path and where in the film it starts (`value()`: the
    settings). A click asks for `gui.soundtrack`'s dialog (`chooseRequested`)."""

    chooseRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.offset = 0.0
        self.film_has_sound = False
        self.label = ""  # what the button says, whole (the text shown is elided to fit)
        # its own words whole ("Fil…und" said nothing); a soundtrack's name is elided
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("Film's sound") + 20)
        self.clicked.connect(lambda _c=False: self.chooseRequested.emit())
        self._show()

    def value(self) -> dict[str, Any]:
        """{"soundtrack": path, "soundtrack_offset": seconds (where not 0)}, or {}."""
        if self.path is None:
            return {}
        return {"soundtrack": self.path} | (
            {"soundtrack_offset": self.offset} if self.offset else {}
        )

    def set_value(self, settings: dict[str, Any]) -> None:
        """Show the soundtrack `settings` give (none: the film's own sound); no signal."""
        path = settings.get("soundtrack")
        self.path = str(path) if path else None
        self.offset = float(settings.get("soundtrack_offset") or 0.0) if path else 0.0
        self._show()

    def set_film_sound(self, has_sound: bool) -> None:
        """Whether the open film has sound of its own (the button says "Silent" if not)."""
        self.film_has_sound = has_sound
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_text()

    def _fit_text(self) -> None:
        room = max(0, self.width() - 16)
        self.setText(self.fontMetrics().elidedText(self.label, Qt.TextElideMode.ElideMiddle, room))

    def _show(self) -> None:
        if self.path is None:
            self.label = "Film's sound" if self.film_has_sound else "Silent"
            self._fit_text()
            own = "the film's own" if self.film_has_sound else "none (the film is silent)"
            self.setToolTip(
                f"The sound the export carries: {own}.\nClick to deliver a soundtrack with it "
                "instead (a score for a silent film, a track cleaned elsewhere)."
            )
            return
        self.label = Path(self.path).name
        self._fit_text()
        where = offset_text(self.offset) or "from the film's start"
        self.setToolTip(
            f"The export carries the soundtrack {self.path}, {where}, cut where the pictures\n"
            "end, in place of the film's own sound. Click to change it."
        )


__all__ = [
    "CODECS",
    "DELIVERIES",
    "SIZES",
    "DeliverBox",
    "SizeBox",
    "SoundButton",
    "codec_suffix",
    "offset_text",
]
