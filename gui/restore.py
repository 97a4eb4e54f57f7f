"""Restoring from the window: the settings and an export's progress (`RestorePanel`).

The window turns these into engine requests (`preview` for compare, `render` for
preview renders and exports; docs/protocol.md); nothing here talks to the engine.
The compare view is `gui.compare`'s.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from panchro.gui import timecode as tc
from panchro.gui.album import format_box
from panchro.gui.crop import crop_text
from panchro.gui.delivery import CODECS, DeliverBox, SizeBox, SoundButton, codec_suffix
from panchro.gui.speed import SpeedBox

# How an interlaced film's fields are read (the engine's `deinterlace`), as the panel names it.
# The lines of an export's notes the panel shows; the rest are in its tooltip (an album of
# 300 pictures has 900), so the panel never grows past the screen.
NOTE_LINES = 6
NOTE_TIP_LINES = 60

FIELD_CHOICES = [
    ("Automatic", "auto"),
    ("As they are (no deinterlacing)", "off"),
    ("Top field first", "tff"),
    ("Bottom field first", "bff"),
    ("Field match (telecined film)", "telecine"),
    ("Automatic, every frame kept", "keep"),
]
# How a scan's values are read (the engine's `scan`).
SCAN_CHOICES = [
    ("Automatic", "auto"),
    ("As coded", "coded"),
    ("Negative (turn it positive)", "negative"),
]
# What is done at a gap in a folder's numbering (the engine's `deinterlace` again: "keep"
# reads the files one after another, the others hold the frame before a gap).
GAP_CHOICES = [
    ("Hold the frame before", "auto"),
    ("Close up", "keep"),
]


def _choices(choices: list[tuple[str, str]], tip: str) -> QComboBox:
    """A box of (name shown, value) choices."""
    box = QComboBox()
    for name, value in choices:
        box.addItem(name, value)
    box.setToolTip(tip)
    return box


def _hidden_row(
    form: QFormLayout, label: str, choices: list[tuple[str, str]] | QComboBox, tip: str = ""
) -> QComboBox:
    """A row of `form` with a box of `choices` (or the box), hidden until a film asks for it."""
    box = choices if isinstance(choices, QComboBox) else _choices(choices, tip)
    form.addRow(label, box)
    form.setRowVisible(box, False)
    return box


FILM_DUST_TIP = (
    "Find specks of dirt, dust and hairs that are on one frame only, and fill them\n"
    "from the frames either side (1: the faintest it takes; less: only the plainest).\n"
    "Scratches and dirt that stay in place from frame to frame are left. Something\n"
    "small and fast that is in one frame only may be taken for dirt: use less then.\n"
    "A shot of one or two frames is looked at as a photograph is."
)
PICTURE_DUST_TIP = (
    "Find specks of dust and dirt on the picture by their look, and fill them from what\n"
    "is round them (1: the faintest it takes; less: only the plainest). A small\n"
    "bright or dark dot that belongs to the picture (a catch-light, a star) may be taken\n"
    "for dirt: compare before | after (V), and use less then. Scratches, and most\n"
    "hairs, are left."
)


def _share_box(tip: str, *, off: str = "") -> QDoubleSpinBox:
    """A 0..1 box in tenths for how much of a restoration step to take; `off` names 0."""
    box = QDoubleSpinBox()
    box.setRange(0.0, 1.0)
    box.setSingleStep(0.1)
    box.setSpecialValueText(off)
    box.setToolTip(tip)
    return box


def _shared_row(form: QFormLayout, label: str, boxes: tuple[tuple[QWidget, int], ...]) -> QWidget:
    """A row of `form` holding boxes side by side (the side panels fit a 1000-px-high window
    without scrolling), its width split in their shares, not by each box's longest item."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for box, share in boxes:
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout.addWidget(box, share)
    form.addRow(label, row)
    return row


class RestorePanel(QGroupBox):
    """What to do to the film, and buttons to look at it (compare) and write it (export).
    For an album (`set_album_mode`) the output is a folder of pictures in a format, and the
    picture selected can be exported alone (`exportPictureRequested`)."""

    compareRequested = Signal()
    previewRequested = Signal()
    exportRequested = Signal()
    exportPartRequested = Signal()
    exportPictureRequested = Signal()
    cancelRequested = Signal()
    settingsChanged = Signal()
    cropRequested = Signal()
    soundRequested = Signal()  # the sound button: `gui.soundtrack`'s dialog
    fieldsChanged = Signal(str)  # how a film's fields are read: DEINTERLACE_MODES
    speedChanged = Signal(float)  # the rate a video is shown at (0.0: its own): `gui.speed`
    scanChanged = Signal(str)  # how a scan's values are read: the engine's SCAN_MODES

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Restore", parent)
        form = QFormLayout()
        self.colorize = QCheckBox("Colorize from the picks")
        self.colorize.setToolTip(
            "Each shot coloured from its pick: a colour mode, a tint or tone, its hints; one\n"
            "nobody picked gets an automatic one"
        )
        self.colorize.setChecked(True)
        self.degrain = _share_box(
            "How much of the upscaler's grain and noise cleanup to keep (0: none at x1)"
        )
        self.deflicker = _share_box(
            "How much of the film's flicker to even out: each frame's exposure brought to\n"
            "its shot's, frame by frame, and where one side of the frame flickers apart\n"
            "from the other, that too (1: all of it). Fades and lasting changes of light\n"
            "stay; a quick flash is evened out with the flicker, so use less for it.",
            off="Off",
        )
        self.stabilize = _share_box(
            "How much of the gate weave to take out: the whole frame jittering a pixel or two\n"
            "from frame to frame (1: all of it). Pans and tilts stay; a hand-held camera's\n"
            "shake goes too. What comes in at an edge repeats the edge.",
            off="Off",
        )
        self.dust = _share_box(FILM_DUST_TIP, off="Off")
        self.scratches = _share_box(
            "Find line scratches down the film, thin lines that stay in place from frame to\n"
            "frame, and take them out, keeping the grain under them (1: the faintest it\n"
            "takes; less: only the plainest). A thin still line of the picture as tall as a\n"
            "scratch (a mast, a rope) may be taken for one: use less, or leave it off.",
            off="Off",
        )
        # The rows of a film's frames judged together: no use for a picture (dust is found on
        # a picture by its look alone, so that row stays: `set_album_mode`).
        self.film_rows = {"scratches": self.scratches, "stabilize": self.stabilize,
                          "deflicker": self.deflicker}  # fmt: skip
        # The pixels cut off round the picture (`set_crop`), and the borders the engine found.
        self.crop: tuple[int, int, int, int] | None = None
        self.borders: tuple[int, int, int, int] | None = None
        # The film's black and white points stretched as it is read (Colour ▸ Stretch the
        # film's faded levels), kept in the project with the other settings; None: none.
        self.levels: list[float] | None = None
        # Beside Compare and Preview (a row of its own would push Restore out of a 1000-px
        # window): pressed in while a crop is set, the crop in its tooltip.
        self.crop_button = QPushButton("Crop…")
        self.crop_button.setCheckable(True)
        self.crop_button.clicked.connect(self._ask_crop)
        self._show_crop()
        self.upscale = QComboBox()
        for n in (1, 2, 4):
            self.upscale.addItem(f"×{n}", n)
        self.upscale.setToolTip("Super-resolution of the luma; the chroma follows it")
        self.upscaler = QComboBox()
        self.upscaler.addItem("Film model (also cleans grain)", "film")
        self.upscaler.addItem("Sharp model (clean sources)", "sharp")
        self.upscaler.setToolTip(
            "Film: robust to grain, blur, dust and compression, and removes them.\n"
            "Sharp: for clean photos and good transfers; sharper, keeps the grain."
        )
        self.codec = QComboBox()
        for code, name, _ in CODECS:
            self.codec.addItem(name, code)
        self.codec.setToolTip(
            "The exported film's format: H.264 plays anywhere; ProRes and FFV1 keep more\n"
            "for editing and archives; DPX and 16-bit PNG/TIFF write a folder of frames"
        )
        self.fields = _choices(
            FIELD_CHOICES,
            "How the film's fields and frames are read (a video of a film is often\n"
            "interlaced, or telecined, or repeats frames to make up the video's rate).\n"
            "Automatic: by what the file says and how its pictures look (the Video line);\n"
            "a frame the transfer repeated in a steady cadence (one in 3 to 6) is left out.\n"
            "As they are: every frame as the file has it. Top/Bottom field first: deinterlace\n"
            "every frame in that order, for a file interlaced without saying so. Field match:\n"
            "a film telecined to video, each frame rebuilt whole from matching fields (3:2\n"
            "pulldown, PAL fields out of step), where Automatic does not find it. Automatic,\n"
            "every frame kept: no repeat left out (the frame numbers of the file). The film is\n"
            "read again.",
        )
        # How strong the colours are (the engine's colour_strength), beside Colorize: a row
        # of its own would push Restore out of a 1000-px window.
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0.0, 2.0)
        self.strength.setSingleStep(0.1)
        self.strength.setDecimals(2)
        self.strength.setValue(1.0)
        self.strength.setPrefix("strength ")
        self.strength.setToolTip(
            "How strong the colours are: 1 as drawn (the pick, the hints, a tint); less for a\n"
            "gentler, period look (0.6); more where the model's colours came out too muted.\n"
            "The luma, the film's own picture, is untouched."
        )
        colour_row = QWidget()
        row = QHBoxLayout(colour_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.colorize, 1)
        row.addWidget(self.strength)
        form.addRow(colour_row)
        form.addRow("Scratches", self.scratches)
        form.addRow("Dust", self.dust)
        form.addRow("Stabilize", self.stabilize)
        form.addRow("Deflicker", self.deflicker)
        form.addRow("Clean up", self.degrain)
        self.size = SizeBox()  # the export's size (HD, UHD), not Compare's
        self.size.changed.connect(self.settingsChanged)
        _shared_row(form, "Enlarge, size", ((self.upscale, 2), (self.size, 5)))
        form.addRow("Enlarge with", self.upscaler)
        self.sound = SoundButton()  # the export's sound: the film's own or a soundtrack
        self.sound.chooseRequested.connect(self.soundRequested)
        self._output = _shared_row(form, "Output, sound", ((self.codec, 3), (self.sound, 2)))
        self.deliver = DeliverBox()  # shown for a film shown at a silent speed (`set_shown_rate`)
        self.deliver.changed.connect(self.settingsChanged)
        _hidden_row(form, "Deliver at", self.deliver)
        # A video file's two choices of how it is read; hidden for frames and photos.
        self.speed = SpeedBox()
        self.speed.speedChosen.connect(self.speedChanged)
        self._reading = _shared_row(form, "Fields, fps", ((self.fields, 3), (self.speed, 4)))
        form.setRowVisible(self._reading, False)
        self.gaps = _hidden_row(
            form, "Gaps", GAP_CHOICES,
            "This folder's numbering skips (a frame the scanner dropped, a file lost in\n"
            "copying). Hold: the frame before a gap is shown again in each missing frame's\n"
            "place, so the film keeps its length and every frame its time and timecode.\n"
            "Close up: the files are read one after the other, the film that much shorter.\n"
            "The film is read again.",
        )  # fmt: skip
        self.scan = _hidden_row(
            form, "Scan", SCAN_CHOICES,
            "How the scan's values are read. Automatic: a DPX scan coded in log (as film\n"
            "scanners write it for grading) is brought to video levels, so it looks as the\n"
            "film does and takes colour as pictures do; anything else as it is coded.\n"
            "As coded: every value as the file has it. Negative: a scan of a negative (often\n"
            "all that is left of a film) turned positive. The film is read again.",
        )  # fmt: skip
        self.album_format = format_box()
        form.addRow("Pictures as", self.album_format)
        form.setRowVisible(self.album_format, False)
        # A picture's border (a print's paper white, a scanner's lid) and turn: each picture
        # its own, found by the engine, so check boxes rather than the film's Crop… pixels.
        self.cut_borders = self._picture_row(
            form, "Borders", "Cut each picture's border",
            "Cut off the black or paper-white border round each picture (a print's margin, a\n"
            "scanner's lid), found on the picture itself; the colours are made for the picture\n"
            "inside it.",
        )  # fmt: skip
        self.straighten = self._picture_row(
            form, "Scans", "Straighten each picture",
            "Turn a print that lay crooked on the scanner square, by its straight edges (the\n"
            "paper's, the picture's own), before its border is cut; the pixels are resampled.",
        )  # fmt: skip
        self.turn_negative = self._picture_row(
            form, "Negatives", "Turn each picture positive",
            "Each picture is a scan of a negative: its values turned over as it is read, so\n"
            "it shows, takes its colours and is restored as the positive.",
        )  # fmt: skip
        self.stretch_levels = self._picture_row(
            form, "Levels", "Stretch faded levels",
            "A faded print: its darkest and lightest tones (measured on each picture, inside\n"
            "its border) stretched to black and white as it is read.",
        )  # fmt: skip
        self._form = form
        self.album_mode = ""  # "" (a film), "album" or "picture" (an album of one)
        for w in (self.colorize,):
            w.toggled.connect(self.settingsChanged)
        self.colorize.toggled.connect(self.strength.setEnabled)
        self.strength.valueChanged.connect(self.settingsChanged)
        self.degrain.valueChanged.connect(self.settingsChanged)
        for box in (*self.film_rows.values(), self.dust):
            box.valueChanged.connect(self.settingsChanged)
        self.upscale.currentIndexChanged.connect(self.settingsChanged)
        self.upscale.currentIndexChanged.connect(self._enable_upscaler)
        self.upscaler.currentIndexChanged.connect(self.settingsChanged)
        self._enable_upscaler()
        self.codec.currentIndexChanged.connect(self.settingsChanged)
        self.codec.currentIndexChanged.connect(lambda _i: self._enable_sound())
        self.fields.currentIndexChanged.connect(
            lambda _i: self.fieldsChanged.emit(self.fields_mode())
        )
        self.gaps.currentIndexChanged.connect(self._gaps_chosen)
        self.scan.currentIndexChanged.connect(lambda _i: self.scanChanged.emit(self.scan_mode()))

        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("This frame before | after, split (V)")
        self.compare_button.clicked.connect(self.compareRequested)
        self.preview_button = QPushButton("Preview 5 s…")
        self.preview_button.setToolTip(
            "Render 5 seconds from the middle of the marked part (Go ▸ Mark in / Mark out), or of "
            "the film, before | after"
        )
        self.preview_button.clicked.connect(self.previewRequested)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Restore the whole film into a new file (Ctrl+E)")
        self.export_button.clicked.connect(self.exportRequested)
        # Beside it while a part is marked (Go ▸ Mark in / Mark out): `set_part`.
        self.export_part_button = QPushButton("Export part…")
        self.export_part_button.clicked.connect(self.exportPartRequested)
        self.export_part_button.hide()
        self.part: tuple[int, int] | None = None
        self.export_picture_button = QPushButton("Export picture…")
        self.export_picture_button.setToolTip(
            "Restore the selected picture into a picture file; its extension decides the "
            "format (Ctrl+Shift+E)"
        )
        self.export_picture_button.clicked.connect(self.exportPictureRequested)
        self.export_picture_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.crop_button)

        self.progress = QProgressBar()
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.progress_label.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop; an export can be resumed later")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.cancel_button.hide()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setEnabled(False)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()  # an empty line's height matters: the panel stays in sight (main_window)
        self._steps = 1

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        exports = QHBoxLayout()
        exports.addWidget(self.export_button)
        exports.addWidget(self.export_part_button)
        layout.addLayout(exports)
        layout.addWidget(self.export_picture_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.note)
        self.set_film_open(False)

    def settings(self) -> dict[str, Any]:
        return (
            {
                "colorize": self.colorize.isChecked(),
                "degrain": round(self.degrain.value(), 3),
            }
            | (
                {"colour_strength": round(self.strength.value(), 2)}
                if self.strength.value() != 1.0
                else {}
            )
            | {
                # a film's frames judged with each other: nothing of a picture's
                name: 0.0 if self.album_mode else round(box.value(), 3)
                for name, box in self.film_rows.items()
            }
            | {"dust": round(self.dust.value(), 3)}
            | {
                "upscale": int(self.upscale.currentData()),
                "upscaler": str(self.upscaler.currentData()),
                "codec": str(self.codec.currentData()),
                "bit_depth": 10 if self.codec.currentData() in ("prores",) else 8,
                "deinterlace": self.fields_mode(),
                "scan": self.scan_mode(),
            }
            | (
                {"crop": list(self.crop)}
                if self.crop and any(self.crop) and not self.album_mode
                else {}
            )  # fmt: skip
            | ({"levels": list(self.levels)} if self.levels and not self.album_mode else {})
            | ({"deliver_fps": self.deliver.value()} if self._delivers() else {})
            | ({} if self.album_mode else self.sound.value())
            | ({} if self.album_mode else self.size.value())
            | ({"borders": True} if self.album_mode and self.cut_borders.isChecked() else {})
            | ({"straighten": True} if self.album_mode and self.straighten.isChecked() else {})
            | ({"negative": True} if self.album_mode and self.turn_negative.isChecked() else {})
            | ({"levels": True} if self.album_mode and self.stretch_levels.isChecked() else {})
        )

    def _picture_row(self, form: QFormLayout, label: str, text: str, tip: str) -> QCheckBox:
        """A check box of an album's or a photo's (hidden for a film: `set_album_mode`)."""
        box = QCheckBox(text)
        box.setToolTip(tip)
        box.toggled.connect(self.settingsChanged)
        form.addRow(label, box)
        form.setRowVisible(box, False)
        return box

    def colour_strength(self) -> float:
        """The colours' strength, as `settings` gives it (1.0: as drawn)."""
        return round(self.strength.value(), 2)

    def fields_mode(self) -> str:
        return str(self.fields.currentData())

    def set_fields_mode(self, mode: str) -> None:
        """Show `mode` without asking for the film to be read again."""
        # a folder's gaps are held unless they are closed up ("keep"), whatever else
        gap = "keep" if mode == "keep" else "auto"
        for box, want in ((self.fields, mode), (self.gaps, gap)):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(want)))
            box.blockSignals(False)

    def scan_mode(self) -> str:
        return str(self.scan.currentData())

    def set_scan_mode(self, mode: str) -> None:
        """Show `mode` without asking for the film to be read again."""
        self.scan.blockSignals(True)
        self.scan.setCurrentIndex(max(0, self.scan.findData(mode)))
        self.scan.blockSignals(False)

    def _gaps_chosen(self, _index: int) -> None:
        """Restore panel ▸ Gaps: the film read again so (the project keeps it as its mode)."""
        mode = str(self.gaps.currentData())
        self.set_fields_mode(mode)
        self.fieldsChanged.emit(mode)

    def show_fields(self, shown: bool, *, gaps: bool = False, scan: bool = False) -> None:
        """The Fields, fps row is for a video file (frames and photos are never
        interlaced; a folder's rate is given when it is opened); the Gaps row for a folder
        of frames whose numbering skips; the Scan row for a log scan or a film read otherwise
        than as coded (Colour ▸ Read the film as a negative asks for one)."""
        self._form.setRowVisible(self._reading, shown and not self.album_mode)
        self._form.setRowVisible(self.gaps, gaps and not self.album_mode)
        self._form.setRowVisible(self.scan, scan and not self.album_mode)

    def set_settings(self, s: dict[str, Any]) -> None:
        self.colorize.setChecked(bool(s.get("colorize", True)))
        self.strength.setValue(float(s.get("colour_strength", 1.0)))
        self.degrain.setValue(float(s.get("degrain", 0.0)))
        if not self.album_mode:  # an album's settings say 0 for them: not its to set
            for name, box in self.film_rows.items():
                box.setValue(float(s.get(name, 0.0)))
        self.dust.setValue(float(s.get("dust", 0.0)))
        self.upscale.setCurrentIndex(max(0, self.upscale.findData(int(s.get("upscale", 1)))))
        kind = str(s.get("upscaler", "film"))
        self.upscaler.setCurrentIndex(max(0, self.upscaler.findData(kind)))
        self.codec.setCurrentIndex(max(0, self.codec.findData(str(s.get("codec", "h264")))))
        crop = s.get("crop")
        self.set_crop(tuple(int(v) for v in crop) if crop else None)  # type: ignore[arg-type]
        self.cut_borders.setChecked(bool(s.get("borders", False)))
        self.straighten.setChecked(bool(s.get("straighten", False)))
        self.turn_negative.setChecked(bool(s.get("negative", False)))
        self.stretch_levels.setChecked(s.get("levels") is True)  # a film's are its points
        self.deliver.set_value(float(s.get("deliver_fps") or 0.0))
        self.size.set_value(s)
        self.sound.set_value(s)

    def _enable_sound(self) -> None:
        """A folder of frames carries no sound: the button is off for one."""
        self.sound.setEnabled(bool(codec_suffix(str(self.codec.currentData()))))

    def set_sound(self, path: str | None, offset: float) -> None:
        """The export's soundtrack (None: the film's own sound), as a person chose it."""
        before = self.sound.value()
        self.sound.set_value({"soundtrack": path, "soundtrack_offset": offset})
        if self.sound.value() != before:
            self.settingsChanged.emit()

    def set_shown_rate(self, fps: float) -> None:
        """The rate the open film is shown at: a silent speed is offered a delivery at a sound
        speed (Deliver at), kept where it is still faster."""
        before = self.deliver.value()
        self.deliver.set_shown(fps)
        self._form.setRowVisible(self.deliver, self.deliver.offered() and not self.album_mode)
        if self.deliver.value() != before:
            self.settingsChanged.emit()

    def _delivers(self) -> bool:
        return bool(self.deliver.value()) and self.deliver.offered() and not self.album_mode

    def set_crop(self, crop: tuple[int, int, int, int] | None) -> None:
        """The pixels cut off round the picture (None, or all 0: none)."""
        crop = crop if crop and any(crop) else None
        changed = crop != self.crop
        self.crop = crop
        self._show_crop()
        if changed:
            self.settingsChanged.emit()

    def _ask_crop(self) -> None:
        self._show_crop()  # the dialog decides; a click alone does not press it in
        self.cropRequested.emit()

    def _show_crop(self) -> None:
        self.crop_button.setChecked(self.crop is not None)
        self.crop_button.setToolTip(
            "Cut the borders round the picture off (a scan's gate edge, a letterbox's bars).\n"
            f"Now: {crop_text(self.crop)}."
        )

    def set_album_mode(self, mode: str) -> None:
        """ "" for a film; "album" (export a folder, or the picture selected) or "picture" (one
        picture opened: export a picture file)."""
        self.album_mode = mode
        self._form.setRowVisible(self._output, not mode)
        self.size.setVisible(not mode)  # a film's export's (an album's pictures keep theirs)
        self._form.setRowVisible(self.deliver, not mode and self.deliver.offered())
        for box in self.film_rows.values():
            self._form.setRowVisible(box, not mode)
        self.dust.setToolTip(PICTURE_DUST_TIP if mode else FILM_DUST_TIP)
        self.crop_button.setVisible(not mode)
        self._form.setRowVisible(self.cut_borders, bool(mode))
        self._form.setRowVisible(self.straighten, bool(mode))
        self._form.setRowVisible(self.turn_negative, bool(mode))
        self._form.setRowVisible(self.stretch_levels, bool(mode))
        self._form.setRowVisible(self.album_format, mode == "album")
        if mode:
            self._form.setRowVisible(self._reading, False)
        self.preview_button.setVisible(not mode)
        self.export_part_button.setVisible(not mode and self.part is not None)
        self.export_picture_button.setVisible(mode == "album")
        self.colorize.setToolTip(
            "Each picture coloured from its pick; one nobody picked gets an automatic one"
            if mode else
            "Each shot coloured from its pick: a colour mode, a tint or tone, its hints; one\n"
            "nobody picked gets an automatic one"
        )  # fmt: skip
        self.compare_button.setToolTip(
            "The selected picture before | after, split (V)" if mode else
            "This frame before | after, split (V)"
        )  # fmt: skip
        self.export_button.setText("Export album…" if mode == "album" else "Export…")
        self.export_button.setToolTip(
            {
                "album": "Restore every picture into a folder, with the same names (Ctrl+E)",
                "picture": "Restore the picture into a picture file (Ctrl+E)",
            }.get(mode, "Restore the whole film into a new file (Ctrl+E)")
        )

    def set_part(self, part: tuple[int, int] | None) -> None:
        """The part marked for export, frames [first, stop) (None: none): its button beside
        Export, for a film."""
        self.part = part
        self.export_part_button.setVisible(part is not None and not self.album_mode)
        if part is not None:
            self.export_part_button.setToolTip(
                f"Restore frames {part[0] + 1} to {part[1]} (the part marked with Go ▸ Mark in /"
                " Mark out) into a new file, with their sound (Ctrl+Alt+E)"
            )

    def _enable_upscaler(self) -> None:
        # Only enlarging has a choice: cleaning at x1 is the film model's work.
        self.upscaler.setEnabled(int(self.upscale.currentData()) > 1)

    def restores_something(self) -> bool:
        s = self.settings()
        return (
            s["colorize"]
            or s["upscale"] > 1
            or s["degrain"] > 0
            or any(s[name] > 0 for name in (*self.film_rows, "dust"))
            or "crop" in s
            or "borders" in s
            or "straighten" in s
        )

    def set_film_open(self, open_: bool) -> None:
        self._film_open = open_  # a job ending gives the buttons back only with a film open
        for b in (
            self.compare_button,
            self.preview_button,
            self.crop_button,
            self.export_button,
            self.export_part_button,
            self.export_picture_button,
        ):
            b.setEnabled(open_)

    # Bar steps per frame, so work inside a frame moves it (a huge picture is one frame for
    # minutes); fewer for a film so long that the bar's int range would not hold them.
    STEPS_PER_FRAME = 1000

    def show_job(
        self,
        what: str,
        done: int,
        total: int,
        fps: float | None,
        eta: float | None,
        partial: float = 0.0,
        unit: str = "frames",
        rate: str = "fps",
    ) -> None:
        """`partial`: frames' worth of work done beyond `done` on the frames in hand (the
        engine's progress events); the bar shows done + partial, the text whole frames (or
        whole `unit`s, with their `rate`: an album counts pictures)."""
        self.note.hide()  # the notes of the job before
        self.progress.show()
        self.progress_label.show()
        self.cancel_button.show()
        self.export_button.setEnabled(False)
        self.export_part_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        self.crop_button.setEnabled(False)
        self.export_picture_button.setEnabled(False)
        for box in (self.fields, self.speed, self.gaps, self.scan):  # reading again stops a job
            box.setEnabled(False)
        total = max(total, 0)
        steps = max(1, min(self.STEPS_PER_FRAME, (2**31 - 1) // max(total, 1)))
        position = min(done + max(partial, 0.0), total)
        self._steps = steps
        self.progress.setRange(0, total * steps)
        self.progress.setValue(round(position * steps) if total else 0)
        parts = [f"{what}: {done} / {total} {unit}" if total else f"{what}…"]
        if fps:
            parts.append(f"{fps:.1f} {rate}")
        if eta is not None:
            parts.append(f"{tc.duration(eta)} left")
        self.progress_label.setText(" · ".join(parts))

    def frames_shown(self) -> float:
        """How many frames' worth the bar shows now (done + partial, to the bar's step)."""
        return self.progress.value() / self._steps

    def show_notes(self, lines: list[str]) -> None:
        """An export's notes under its result: the first NOTE_LINES, and how many more, all
        of them (up to NOTE_TIP_LINES) in the tooltip; none: the note hidden."""
        shown = lines[:NOTE_LINES]
        if len(lines) > NOTE_LINES:
            shown.append(f"… and {len(lines) - NOTE_LINES} more (point here to read them)")
        self.note.setText("\n".join(shown))
        tip = lines[:NOTE_TIP_LINES] + (["…"] if len(lines) > NOTE_TIP_LINES else [])
        self.note.setToolTip("\n".join(tip) if len(lines) > NOTE_LINES else "")
        self.note.setVisible(bool(lines))

    def end_job(self, text: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.progress_label.setText(text)
        self.progress_label.setVisible(bool(text))
        for button in (self.export_button, self.export_part_button, self.preview_button,
                       self.crop_button, self.export_picture_button):  # fmt: skip
            button.setEnabled(self._film_open)
        for box in (self.fields, self.speed, self.gaps, self.scan):
            box.setEnabled(True)
