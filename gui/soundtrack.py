"""The sound an export carries, chosen (`SoundtrackDialog`): the film's own, or a soundtrack
from a sound file (a score for a silent film, a track cleaned elsewhere) and where in the
film it starts.

The dialog asks what a chosen file holds through `probeRequested` (the window sends the
engine's `sound_info`) and shows the answer, or why the file cannot be a soundtrack, with
`set_facts`; it talks to nothing itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from panchro.gui import timecode as tc

SOUND_FILES = (
    "Sound files (*.wav *.flac *.aif *.aiff *.mp3 *.m4a *.aac *.ogg *.opus *.mka *.w64 *.caf);;"
    "Films with sound (*.mp4 *.mov *.mkv);;Any file (*)"
)
MAX_OFFSET_S = 86_400.0  # the engine's (`settings.MAX_OFFSET_S`)


def facts_text(data: dict[str, Any]) -> str:
    """ "FLAC, 2 channels, 48 kHz, 4:32" for a `sound_info` answer."""
    channels = int(data.get("channels") or 0)
    parts = [str(data.get("codec") or "sound").upper().replace("PCM_", "PCM ")]
    parts.append({1: "mono", 2: "stereo"}.get(channels, f"{channels} channels"))
    if data.get("sample_rate"):
        parts.append(f"{int(data['sample_rate']) / 1000:g} kHz")
    if data.get("duration_s") is not None:
        parts.append(tc.duration(float(data["duration_s"])))
    return ", ".join(parts)


class SoundtrackDialog(QDialog):
    """The film's own sound, or a soundtrack: a file (checked by the engine before OK takes
    it) and the second of the film it starts at."""

    probeRequested = Signal(str)  # a file chosen: what does it hold?

    def __init__(
        self,
        path: str | None,
        offset: float,
        film_has_sound: bool,
        film_seconds: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sound")
        self.film_seconds = film_seconds
        self.path: str | None = path
        self._ok_file = path is not None  # the project's file: `recheck` asks again
        self._said = ""  # what the engine said of the file, or that it is asked
        self.duration: float | None = None
        self.own = QRadioButton(
            "The film's own sound" if film_has_sound else "None (the film is silent)"
        )
        self.track = QRadioButton("A soundtrack, in place of it" if film_has_sound else
                                  "A soundtrack")  # fmt: skip
        group = QButtonGroup(self)
        group.addButton(self.own)
        group.addButton(self.track)
        self.file_label = QLabel()
        self.file_label.setWordWrap(True)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(lambda _c=False: self.choose_file())
        self.offset = QDoubleSpinBox()
        self.offset.setRange(-MAX_OFFSET_S, MAX_OFFSET_S)
        self.offset.setDecimals(3)
        self.offset.setSingleStep(0.1)
        self.offset.setSuffix(" s")
        self.offset.setValue(offset)
        self.offset.setToolTip(
            "The second of the film the soundtrack starts at: later for a score that begins\n"
            "after the titles; negative to leave out its first seconds (a lead-in, a count)."
        )
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        intro = QLabel(
            "A silent film delivered with its score, or a film with a soundtrack cleaned or\n"
            "mixed elsewhere: the file's sound goes in the export in place of the film's own,\n"
            "cut where the pictures end. It is copied as it is where the export's file can\n"
            "hold it, else re-encoded (lossless sound stays lossless in MOV and MKV)."
        )
        intro.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.file_label, 1)
        row.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Starts at", self.offset)
        form.addRow("", self.facts)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.own)
        layout.addWidget(self.track)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        (self.track if path else self.own).setChecked(True)
        self.own.toggled.connect(lambda _on: self._update())
        self.offset.valueChanged.connect(lambda _v: self._update())
        self._update()

    def choose_file(self, path: str | None = None) -> None:
        """A sound file (asked for when None): the engine is asked what it holds."""
        if path is None:
            start = str(Path(self.path).parent) if self.path else ""
            path, _ = QFileDialog.getOpenFileName(self, "Choose a soundtrack", start, SOUND_FILES)
            if not path:
                return
        self.path = path
        self._ok_file = False
        self.duration = None
        self._said = "Reading it…"
        self.track.setChecked(True)
        self._update()
        self.probeRequested.emit(path)

    def recheck(self) -> None:
        """Ask again what the file chosen before holds (it may have moved since)."""
        if self.path is not None:
            self.probeRequested.emit(self.path)

    def set_facts(self, path: str, data: dict[str, Any] | None, error: str = "") -> None:
        """The engine's answer for `path`: its facts, or why it cannot be a soundtrack."""
        if path != self.path:
            return  # another file was chosen since
        self._ok_file = data is not None
        self._said = facts_text(data) if data is not None else f"Cannot be used: {error}"
        self.duration = None if data is None else data.get("duration_s")
        self._update()

    def value(self) -> tuple[str | None, float]:
        """(the soundtrack's path or None for the film's own sound, its offset)."""
        if self.own.isChecked() or self.path is None:
            return None, 0.0
        return self.path, round(self.offset.value(), 3)

    def problem(self) -> str:
        """Why OK cannot take this yet ("" when it can)."""
        if self.own.isChecked():
            return ""
        if self.path is None:
            return "Choose a sound file."
        if not self._ok_file:
            return ""  # the facts line says it (reading, or why not)
        offset = self.offset.value()
        if self.film_seconds and offset >= self.film_seconds:
            return f"It would start after the film's end ({tc.duration(self.film_seconds)})."
        if self.duration is not None and -offset >= self.duration:
            return "That leaves none of it."
        return ""

    def _update(self) -> None:
        on = self.track.isChecked()
        self.file_label.setText(Path(self.path).name if self.path else "no file chosen")
        self.file_label.setToolTip(self.path or "")
        for w in (self.file_label, self.offset, self.facts):
            w.setEnabled(on)
        problem = self.problem()
        self.facts.setText(problem or self._said)
        ok = self.own.isChecked() or (self._ok_file and not problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
