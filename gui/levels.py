"""Levels: a faded film's black and white points, stretched to black and white as it is read,
set by hand in a small dialog. The engine measures them as the shots are found (the `shots`
and `survey` answers' `levels`); the dialog offers those, and takes a person's own where a
film's darkest or lightest tones are not what its black and white should be (a film of night
scenes, a title card's paper)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from panchro.gui.widgets import lay_out_numbers_dialog

LEAST_SPAN = 20.0  # per cent between the points (the engine's media.levels.MIN_SPAN)
MIDTONES = (0.25, 4.0)  # the midtones' range (the engine's media.levels.MIDTONES)


class LevelsDialog(QDialog):
    """Two points in per cent of the range, the measured ones one click away; 0 and 100:
    the values as they are."""

    def __init__(
        self,
        current: list[float] | None,
        measured: list[float] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Levels")
        form = QFormLayout()
        self.black, self.white = QDoubleSpinBox(), QDoubleSpinBox()
        for box, name, tip in (
            (self.black, "Black point", "This tone and darker become black"),
            (self.white, "White point", "This tone and lighter become white"),
        ):
            box.setRange(0.0, 100.0)
            box.setDecimals(1)
            box.setSingleStep(0.5)
            box.setSuffix(" %")
            box.setToolTip(tip + " (per cent of the film's range, as it is read)")
            box.valueChanged.connect(self._update)
            form.addRow(name, box)
        self.midtones = QDoubleSpinBox()
        self.midtones.setRange(*MIDTONES)
        self.midtones.setDecimals(2)
        self.midtones.setSingleStep(0.05)
        self.midtones.setToolTip(
            "The middle greys: 1 as stretched, above 1 lighter, below 1 darker (a print's\n"
            "faded shoulder or toe); black and white stay where they are"
        )
        self.midtones.valueChanged.connect(self._update)
        form.addRow("Midtones", self.midtones)
        intro = QLabel(
            "Stretch a faded print's or a flat transfer's tones: the black point and what is\n"
            "darker become black, the white point and what is lighter white, the tones between\n"
            "spread over the range. Every view of the film, the colour modes and the export\n"
            "read it so."
        )
        self.measured = measured
        self.measured_button = QPushButton("Use the measured points")
        if measured:
            self.measured_button.setToolTip(
                f"The darkest and lightest tones of 48 frames spread over the film: "
                f"{measured[0] * 100:.1f} % and {measured[1] * 100:.1f} %"
            )
            self.measured_button.clicked.connect(lambda: self.set_points(measured))
        else:
            self.measured_button.setText("Not measured yet")
            self.measured_button.setEnabled(False)
        self.none_button = QPushButton("As they are")
        self.none_button.setToolTip("Black at 0 %, white at 100 %: nothing stretched")
        self.none_button.clicked.connect(lambda: self.set_points(None))
        self.said = QLabel()
        choices = (self.measured_button, self.none_button)
        self.buttons = lay_out_numbers_dialog(self, intro, choices, form, self.said)
        self.set_points(current)

    def set_points(self, points: list[float] | None) -> None:
        black, white, *rest = points or (0.0, 1.0)
        for box, value in ((self.black, black * 100), (self.white, white * 100),
                           (self.midtones, rest[0] if rest else 1.0)):  # fmt: skip
            box.blockSignals(True)
            box.setValue(round(float(value), 2))
            box.blockSignals(False)
        self._update()

    def points(self) -> list[float] | None:
        """[black, white] as fractions of the range, and the midtones where they are not 1;
        None: the values as they are."""
        black, white, midtones = self.black.value(), self.white.value(), self.midtones.value()
        if black <= 0.0 and white >= 100.0 and midtones == 1.0:
            return None
        points = [round(black / 100, 4), round(white / 100, 4)]
        return points if midtones == 1.0 else [*points, round(midtones, 2)]

    def _update(self) -> None:
        span = self.white.value() - self.black.value()
        ok = span >= LEAST_SPAN - 1e-9
        points = self.points()
        self.said.setText(
            f"The white point must lie {LEAST_SPAN:.0f} % or more above the black"
            if not ok
            else "Nothing stretched: the values as they are"
            if points is None
            else f"Tones {self.black.value():.1f}–{self.white.value():.1f} % stretched by "
            f"{100 / span:.2f}×"
            + ("" if self.midtones.value() == 1.0 else f", midtones {self.midtones.value():.2f}")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
