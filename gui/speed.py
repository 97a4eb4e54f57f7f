"""The Restore panel's speed box (its Fields, fps row): the rate a video's frames are shown at.

A silent film was shot at 16 to 22 pictures a second, hand-cranked; transferred frame for frame
into a video at sound speed (24 or 25), it runs too fast, and everyone in it hurries. Shown at
the speed it was shot at, every frame is kept and each stays longer on screen; the file's sound
and subtitles, which would no longer fit, are left out of the export (the engine's
`media.source.retimed`). The engine reads the film again at the chosen rate.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QInputDialog, QWidget

# Rates silent films were shot and shown at, and the two sound speeds.
PRESETS = (16.0, 18.0, 20.0, 22.0, 24.0, 25.0)
OWN = 0.0  # the item for the file's own rate
OTHER = -1.0  # the item that asks for a rate

TIP = (
    "The rate the film's frames are shown at. A silent film transferred to video at\n"
    "sound speed (24 or 25 fps) runs too fast: 16-22 fps is typical of what it was\n"
    "shot at. Every frame is kept, each shown longer; the file's sound and subtitles,\n"
    "which would no longer fit, are left out of the export. The film is read again."
)


def rate_text(fps: float) -> str:
    return f"{round(fps, 3):g} fps"


class SpeedBox(QComboBox):
    """The file's own rate, a few others, Other…; `speedChosen(fps)`, 0.0 for the file's own."""

    speedChosen = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(TIP)
        self._own = 24.0
        self._shown = OWN
        self._fill()
        self.activated.connect(self._on_activated)

    def set_film(self, own: float, shown: float | None) -> None:
        """The file's own rate, and the rate it is shown at (None: its own); no signal."""
        self._own = own
        self._shown = shown if shown and abs(shown - own) > 1e-6 else OWN
        self._fill()

    def shown(self) -> float:
        """The rate chosen, 0.0 for the file's own."""
        return self._shown

    def _fill(self) -> None:
        self.blockSignals(True)
        self.clear()
        self.addItem(f"{rate_text(self._own)} (file)", OWN)
        rates = sorted({*PRESETS, *([self._shown] if self._shown else [])})
        for fps in rates:
            if abs(fps - self._own) > 1e-6:
                self.addItem(rate_text(fps), fps)
        self.addItem("Other…", OTHER)
        self.setCurrentIndex(max(0, self.findData(self._shown)))
        self.blockSignals(False)

    def _on_activated(self, index: int) -> None:
        fps = float(self.itemData(index))
        if fps == OTHER:
            start = self._shown or self._own
            fps, ok = QInputDialog.getDouble(
                self, "Speed", "Frames a second to show the film at:", start, 1.0, 300.0, 3
            )
            if not ok:
                self._fill()  # back to what it was
                return
            if abs(fps - self._own) < 1e-6:
                fps = OWN
        if fps == self._shown:
            return
        self._shown = fps
        self._fill()
        self.speedChosen.emit(fps)


__all__ = ["PRESETS", "SpeedBox", "rate_text"]
