"""Crop: the pixels cut off round the picture (a scan's gate edge or frame line, a letterbox's
bars), chosen in a small dialog; the engine found the borders as the shots were found (the
`shots` and `survey` answers' `borders`) and the dialog offers them. The frame on screen
shows the crop as it is edited (`changed`)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from panchro.gui.widgets import lay_out_numbers_dialog

Margins = tuple[int, int, int, int]  # left, top, right, bottom, in the film's pixels
LEAST = 16  # pixels of picture a crop must leave each way (the engine's restore.crop.LEAST)
SIDES = ("Left", "Top", "Right", "Bottom")


def crop_text(crop: Margins | None) -> str:
    """The Restore panel's words for a crop."""
    if crop is None or not any(crop):
        return "None"
    left, top, right, bottom = crop
    if left == right and top == bottom:
        parts = [f"{left} left and right" if left else "", f"{top} top and bottom" if top else ""]
        return ", ".join(p for p in parts if p) + " px"
    return f"{left}, {top}, {right}, {bottom} px (left, top, right, bottom)"


def borders_text(borders: Margins | None, width: int, height: int) -> str:
    """The facts panel's words for the borders found round the picture ('' for none)."""
    if borders is None or not any(borders):
        return ""
    left, top, right, bottom = borders
    return f"; picture {width - left - right} × {height - top - bottom} inside borders"


class CropDialog(QDialog):
    """Four pixel counts, the borders found (if any) one click away, and what is left."""

    changed = Signal(object)  # the margins as edited: the frame on screen shows them

    def __init__(
        self,
        size: tuple[int, int],
        crop: Margins | None,
        borders: Margins | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Crop")
        self.size_ = size
        width, height = size
        form = QFormLayout()
        self.boxes: list[QSpinBox] = []
        for n, side in enumerate(SIDES):
            box = QSpinBox()
            box.setRange(0, max(0, (width if n % 2 == 0 else height) - LEAST))
            box.setSuffix(" px")
            box.setToolTip(f"Pixels of the film cut off at the {side.lower()}")
            box.valueChanged.connect(self._update)
            form.addRow(side, box)
            self.boxes.append(box)
        self.left = QLabel()
        intro = QLabel(
            "Cut the borders round the picture off: a scan's gate edge or frame line, the black\n"
            "bars of a letterbox or pillarbox. Scratches, dust, stabilize and deflicker see the\n"
            "frame whole; the colours are drawn for the picture alone (black round it makes\n"
            "them bolder and less right); the export and the enlarging see only the picture."
        )
        self.found_button = QPushButton()
        self.found_button.clicked.connect(lambda: self.set_margins(borders))
        if borders is None:
            self.found_button.setText("Borders not found")
            self.found_button.setToolTip("Found as the shots are found; none could be judged")
            self.found_button.setEnabled(False)
        elif not any(borders):
            self.found_button.setText("No borders found")
            self.found_button.setToolTip("The picture fills the frame on the frames looked at")
            self.found_button.setEnabled(False)
        else:
            self.found_button.setText("Use the borders found")
            self.found_button.setToolTip(
                "Black bands round the picture on 12 frames spread over the film: "
                + ", ".join(f"{s.lower()} {v}" for s, v in zip(SIDES, borders, strict=True))
                + " px"
            )
        self.none_button = QPushButton("Cut nothing")
        self.none_button.clicked.connect(lambda: self.set_margins((0, 0, 0, 0)))
        choices = (self.found_button, self.none_button)
        self.buttons = lay_out_numbers_dialog(self, intro, choices, form, self.left)
        self.set_margins(crop or (0, 0, 0, 0))

    def margins(self) -> Margins:
        left, top, right, bottom = (box.value() for box in self.boxes)
        return left, top, right, bottom

    def set_margins(self, margins: Margins | None) -> None:
        for box, value in zip(self.boxes, margins or (0, 0, 0, 0), strict=True):
            box.blockSignals(True)
            box.setValue(int(value))
            box.blockSignals(False)
        self._update()

    def _update(self) -> None:
        left, top, right, bottom = self.margins()
        w, h = self.size_[0] - left - right, self.size_[1] - top - bottom
        ok = w >= LEAST and h >= LEAST
        self.left.setText(
            f"The picture kept: {w} × {h} of {self.size_[0]} × {self.size_[1]}"
            if ok
            else f"Too much cut: at least {LEAST} × {LEAST} must be left"
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self.changed.emit(self.margins())
