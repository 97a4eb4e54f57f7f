"""What is known about the open film and the engine, in words: the facts panel, the
shot under the playhead, and the texts they show (also the cut-short warning and the
models' line in the status bar). Like `widgets`, they only show things and forward clicks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from panchro.engine.service.protocol import flicker_grade, survey_words
from panchro.gui import timecode as tc
from panchro.gui.crop import borders_text


class ElidedLabel(QLabel):
    """One line that shortens itself in the middle ('bw_a-bom…part.mp4') to fit its width."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        super().setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width()))


class FactsPanel(QGroupBox):
    """What the engine found out about the film."""

    FIELDS = (
        ("file", "File"),
        ("kind", "Kind"),
        ("size", "Size"),
        ("rate", "Frame rate"),
        ("duration", "Duration"),
        ("frames", "Frames"),
        ("codec", "Video"),
        ("colour", "Colour"),
        ("audio", "Audio"),
        ("subtitles", "Subtitles"),
        ("flicker", "Flicker"),
        ("damage", "Damage"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Film", parent)
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.values: dict[str, QLabel] = {}
        for key, title in self.FIELDS:
            value = ElidedLabel("–") if key == "file" else QLabel("–")
            value.setWordWrap(key != "file")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            form.addRow(title + ":", value)
            self.values[key] = value
        self._path = ""  # the film whose facts these are

    def clear(self) -> None:
        self._path = ""
        for label in self.values.values():
            label.setText("–")
            label.setToolTip("")

    def set_info(self, info: dict[str, Any]) -> None:
        for key, text in describe_film(info).items():
            self.values[key].setText(text)
        path = str(info.get("path", ""))
        self.values["file"].setToolTip(path)
        if path != self._path:  # the same film read again (its fields): its measure stands
            self.set_flicker(None, measured=False)
            self.set_survey(None, measured=False)
        self._path = path

    def set_borders(
        self, borders: tuple[int, int, int, int] | None, width: int, height: int
    ) -> None:
        """The border round the picture found as the shots are found: the Size line says
        what is inside it, its tooltip the pixels and where to cut them."""
        label = self.values["size"]
        base = label.text().split("; picture ", 1)[0]
        label.setText(base + borders_text(borders, width, height))
        if borders and any(borders):
            sides = ", ".join(
                f"{side} {v}" for side, v in zip(("left", "top", "right", "bottom"), borders,
                                                  strict=True) if v
            )  # fmt: skip
            label.setToolTip(
                f"Black or white borders round the picture, found on 12 frames: {sides} px.\n"
                "Restore panel ▸ Crop cuts them off."
            )
        else:
            label.setToolTip("")

    def measuring(self) -> None:
        """Flicker and damage being measured around known shots (a project's, as it opens):
        said, where a dash read as nothing to say."""
        for key in ("flicker", "damage"):
            if self.values[key].text() == "–":
                self.values[key].setText("measuring…")

    def set_flicker(self, level: float | None, *, measured: bool = True) -> None:
        """How much the film flickers (the `shots` answer's `flicker`), once shots are found."""
        label = self.values["flicker"]
        label.setText(flicker_text(level) if measured else "–")
        label.setToolTip(
            "How far Restore panel ▸ Deflicker would move each frame's brightness, in grey levels\n"
            "of 255 (the median over the film). Measured as the shots are found."
        )

    def set_levels(
        self, levels: list[float] | None, faded: bool, *, stretched: list[float] | None
    ) -> None:
        """The film's black and white points as measured (the `shots` answer's `levels`),
        said after its Damage where it looks `faded`, or where they are `stretched`."""
        self._levels = (levels, faded, stretched)
        self._show_damage()

    def set_survey(self, survey: dict[str, Any] | None, *, measured: bool = True) -> None:
        """The line scratches and dirt seen around a few shots' key frames (the `shots`
        answer's `survey`), once shots are found: one short line (the panels above Restore
        fit a 1000-px window), the whole in its tooltip."""
        self._survey = (survey, measured)
        if not measured:
            self._levels = (None, False, None)
        self._show_damage()

    def _show_damage(self) -> None:
        survey, measured = getattr(self, "_survey", (None, False))
        levels, faded, stretched = getattr(self, "_levels", (None, False, None))
        label = self.values["damage"]
        text = damage_text(survey) if measured else "–"
        fade = levels_text(levels, faded, stretched)
        label.setText(f"{text}; {fade}" if fade and measured else fade or text)
        words = survey_words(survey) if measured else ("–", "–")
        label.setToolTip(
            f"Line scratches: {words[0]}.\nDirt: {words[1]}.\n"
            "Looked for around the key frames of a few shots (up to 6) as the shots are\n"
            "found: thin lines down the film that stay in place (Restore panel ▸ Scratches takes\n"
            "them out) and specks on single frames (Restore panel ▸ Dust fills them)."
            + (
                f"\nLevels: the darkest and lightest tones across the film lie at "
                f"{_percent(levels[0])} and {_percent(levels[1])} of the range"
                + (
                    " (faded); Colour ▸\nStretch the film's faded levels makes them black and "
                    "white."
                    if faded or stretched
                    else "."
                )
                if levels
                else ""
            )
        )


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def levels_text(levels: list[float] | None, faded: bool, stretched: list[float] | None) -> str:
    """ "faded (22–72 %)", "levels stretched (22–72 %)" or "": what the facts' Damage line
    says of the film's measured levels (short: the line has room for two rows; the tooltip
    says the rest)."""
    shown = stretched or levels
    if not shown or not (stretched or faded):
        return ""
    span = f"{shown[0] * 100:.0f}–{shown[1] * 100:.0f} %"
    return f"levels stretched ({span})" if stretched else f"faded ({span})"


def describe_film(info: dict[str, Any]) -> dict[str, str]:
    """The facts panel's rows, as text, from the engine's MediaInfo dict."""
    path = str(info.get("path", ""))
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or path
    kind = str(info.get("kind", "") or "?")
    container = _container_name(info.get("container"), name)
    width, height = info.get("width"), info.get("height")
    size = f"{width} × {height}" if width and height else "?"
    sar = info.get("sample_aspect_ratio")
    if sar and str(sar) not in ("1", "1/1", "1:1", "1.0", "0/1", "None"):
        size += f", pixel aspect {sar}"
    rotation = info.get("rotation")
    if rotation:
        size += f", rotated {rotation}°"
    fps = tc.to_float(info.get("fps_float", info.get("fps"))) or 0.0
    dur = tc.to_float(info.get("duration_s"))
    codec = ", ".join(
        str(v)
        for v in (
            info.get("codec"),
            info.get("pix_fmt"),
            f"{info['bit_depth']} bit" if info.get("bit_depth") else None,
        )
        if v
    )
    if info.get("interlaced"):
        codec += "; " + _scan_text(info)
    elif "repeated frames left out" in str(info.get("deinterlace") or ""):
        # The transfer showed one frame in N twice; the film's own rate is shown above.
        cycle = str(info["deinterlace"]).split("(one in ", 1)[1].split(":", 1)[0]
        codec += f"; one frame in {cycle} was a repeat — left out as it is read"
    colour_bits = [
        f"{label} {info[key]}"
        for key, label in (
            ("color_matrix", "matrix"),
            ("color_range", "range"),
            ("color_primaries", "primaries"),
            ("color_transfer", "transfer"),
        )
        if info.get(key)
    ]
    rate = tc.frame_rate(fps, bool(info.get("is_vfr"))) if fps else "–"
    own = tc.to_float(info.get("retimed_from_float", info.get("retimed_from")))
    if own:  # shown at another speed than the file's (Restore panel ▸ Fields, fps)
        rate += f" (the file's own: {tc.frame_rate(own, False)})"
    elif info.get("rate_from_files"):  # a DPX scan's own rate, from its headers
        rate += " (as the DPX files say)"
    left_out = int(info.get("retimed_streams") or 0)
    gone = (
        f"{left_out} sound and subtitle stream{'s' if left_out > 1 else ''} left out: the film"
        " is shown at another speed"
        if left_out
        else None
    )
    return {
        "file": name,
        "kind": kind + (f" ({container})" if container else ""),
        "size": size,
        "rate": rate,
        "duration": (tc.duration(dur) if dur is not None else "?")
        + (f", timecode from {info['timecode']}" if info.get("timecode") else ""),
        "frames": _frames_text(info),
        "codec": codec or "–",
        "colour": (", ".join(colour_bits) or "untagged") + _scan_said(info),
        "audio": _streams(info.get("audio") or [], _audio_text) or gone or "none",
        "subtitles": _streams(info.get("subtitles") or [], _subtitle_text) or "none",
    }


def damage_text(survey: dict[str, Any] | None) -> str:
    """ "3 scratch lines, dirt (50.7 in 10,000 px); Restore panel ▸ Scratches, Dust", "none seen in
    6 shots", ...: the facts' Damage line from the `shots` answer's `survey`."""
    if not survey or not survey.get("looked"):
        return "too short to tell"
    lines, dirty = int(survey["lines"]), int(survey["dirty"])
    found, rows = [], []
    if lines:
        found.append(f"{lines} scratch line{'s' if lines != 1 else ''}")
        rows.append("Scratches")
    if dirty:
        found.append(f"dirt ({float(survey['specks']) * 1e4:.1f} in 10,000 px)")
        rows.append("Dust")
    if not found:
        looked = int(survey["looked"])
        return f"none seen in {looked} shot{'s' if looked != 1 else ''}"
    return ", ".join(found) + "; Restore panel ▸ " + ", ".join(rows)


def flicker_text(level: float | None) -> str:
    """ "strong — 2.4 grey levels a frame; Restore panel ▸ Deflicker evens it out", ..."""
    grade = flicker_grade(level)
    if grade is None or level is None:
        return "too short to tell"
    if grade == "little or none":
        return f"{grade} ({level:.1f} grey levels a frame)"
    return f"{grade} — {level:.1f} grey levels a frame; Restore panel ▸ Deflicker evens it out"


def _scan_text(info: dict[str, Any]) -> str:
    """ "interlaced, top field first — deinterlaced as it is read (bwdif)", for an
    interlaced film (the engine's `interlaced`, `field_order`, `deinterlace`)."""
    order = info.get("field_order")
    text = "interlaced" + (f", {order}" if order not in (None, "progressive") else "")
    said = str(info.get("deinterlace") or "")
    if said.startswith("field matched"):
        how = "field matched"
        if "decimated to" in said:  # the tape's repeated pictures left out
            how += ", the tape's repeats left out,"
        if "telecined to video" in said:  # found so by the engine
            return text + f" — a film telecined to video: {how} as it is read"
        return text + f" — {how} as it is read (Restore panel ▸ Fields)"
    if said.startswith("deinterlaced"):
        return text + " — deinterlaced as it is read (bwdif)"
    if "pictures are progressive" in said:  # a film transfer coded as interlaced video
        return "flagged " + text + ", but the pictures are progressive — read as they are"
    return text + " — not deinterlaced"


def _frames_text(info: dict[str, Any]) -> str:
    """ "1,500"; for a file cut short, "40 of 132 (the file is cut short)"; for a folder whose
    numbering skips, "19 (1 frame number missing: 10)"."""
    count = info.get("frame_count")
    if not isinstance(count, int):
        return "?"
    missing, shown = _gaps(info)
    if missing:
        s = "s" if missing != 1 else ""
        held = _held(info)
        done = ", held" if held == missing else ", closed up" if not held else ""
        return f"{count:,} ({missing:,} frame number{s} missing: {shown}{done})"
    if not info.get("truncated"):
        return f"{count:,}"
    expected = info.get("expected_frames")
    of = f" of {expected:,}" if isinstance(expected, int) and expected > 0 else ""
    return f"{count:,}{of} (the file is cut short)"


def _gaps(info: dict[str, Any]) -> tuple[int, str]:
    """How many frame numbers a folder's numbering skips (the engine's `missing_numbers`) and
    the first three runs, "10, 57–59, …"."""
    runs = info.get("missing_numbers") or []
    return sum(int(b) - int(a) + 1 for a, b in runs), _runs_text(runs)


def _runs_text(runs: list, plus: int = 0) -> str:
    """The first three runs (first, last) as "10, 57–59, …", each number `plus` more."""
    shown = [(int(a) + plus, int(b) + plus) for a, b in runs[:3]]
    text = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in shown)
    return text + (", …" if len(runs) > 3 else "")


def numbering_warning(info: dict[str, Any]) -> str:
    """What the window says about a folder of frames whose numbering skips (the engine's
    `missing_numbers`), or "": a file lost in copying or a frame the scanner dropped would
    otherwise make a shorter film without a word."""
    missing, shown = _gaps(info)
    if not missing:
        return ""
    s, are = ("s", "are") if missing != 1 else ("", "is")
    held = _held(info)
    if held == missing:
        where = "its place" if missing == 1 else "each missing frame's place"
        at = _runs_text(info.get("held_frames") or [], plus=1)  # counted from 1, as shown
        done = (
            f"the frame before a gap is shown again in {where} (frame{'s' if held != 1 else ''}"
            f" {at} of the film), so the film keeps its length and every frame its time "
            "(Restore panel ▸ Gaps closes them up)"
        )
    elif held:
        done = (
            f"{held:,} {'is' if held == 1 else 'are'} held by the frame before their gap; the "
            "gaps longer than 10 seconds are closed up"
        )
    else:
        done = (
            "the frames either side of a gap are read one after the other, so the film is that "
            "much shorter (Restore panel ▸ Gaps holds the frame before)"
        )
    return (
        f"Frame number{s} {shown} {are} missing from this folder's numbering "
        f"({missing:,} in all): {done}. Look for a file lost in copying."
    )


def _scan_said(info: dict[str, Any]) -> str:
    """What the Colour line adds about how the scan's values are read (the engine's `scan`,
    `log_scan`)."""
    said = str(info.get("scan") or "")
    if info.get("log_scan"):
        how = "brought to video levels as it is read" if said else "read as coded"
        extra = said.partition(", then ")[2]  # a negative as well
        return f"; a log scan ({info['log_scan']}), {how}" + (f", then {extra}" if extra else "")
    return f"; {said} as it is read" if said else ""


def log_warning(info: dict[str, Any]) -> str:
    """What the window says about a DPX scan coded in log (the engine's `log_scan`), or ""."""
    coding = info.get("log_scan")
    if not coding:
        return ""
    if info.get("scan"):
        return (
            f"This scan is coded in log ({coding}): Panchro brings it to video levels as it "
            "reads it, so it looks as the film does and takes colour as pictures do "
            "(Restore panel ▸ Scan ▸ As coded reads it as it is)."
        )
    return (
        f"This scan is coded in log ({coding}) and read as coded (Restore panel ▸ Scan), so its "
        "frames look flat and pale and are restored so. The colorizer learned from pictures "
        "at video levels: Restore panel ▸ Scan ▸ Automatic brings it to them."
    )


def _held(info: dict[str, Any]) -> int:
    """How many of the film's frames show the frame before a gap again (the engine's
    `held_frames`)."""
    return sum(int(b) - int(a) + 1 for a, b in info.get("held_frames") or [])


def reason_after(text: str, name: str) -> str:
    """The engine's error for the file `name` without the path it begins with: "Could not
    open a.mp4: /home/…/a.mp4: is not a video file…" named the file twice."""
    marker = f"{name}: "
    at = text.find(marker)
    starts_with_path = text.startswith(("/", "\\", "~")) or text[1:3] in (":\\", ":/")
    return text[at + len(marker) :] if name and at >= 0 and starts_with_path else text


def cut_short_note(info: dict[str, Any]) -> str:
    """ "" for a whole film; for one cut short: "Cut short: 40 of 132 frames can be read"."""
    if not info.get("truncated"):
        return ""
    count = info.get("frame_count")
    expected = info.get("expected_frames")
    of = f" of {expected:,}" if isinstance(expected, int) and expected > 0 else ""
    return f"Cut short: {count if isinstance(count, int) else 0:,}{of} frames can be read"


def truncation_warning(info: dict[str, Any]) -> str:
    """What the window says about a film cut short (the engine's `truncated`), or "".

    Such a file (a copy interrupted part way) opens and plays to the cut; an export of it
    is a shorter film. Both counts are named when the file's header says how many frames
    it should have (`expected_frames`).
    """
    if not info.get("truncated"):
        return ""
    count = info.get("frame_count")
    count = count if isinstance(count, int) else 0
    expected = info.get("expected_frames")
    path = str(info.get("path", ""))
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or "this film"
    if isinstance(expected, int) and expected > 0:
        read = f"{count:,} of {expected:,} frames can be read"
    else:
        read = f"only {count:,} frames can be read (the file does not say how many it had)"
    return (
        f"This file is cut short: {read}. An export of {name} will be a shorter film "
        f"of {count:,} frames; for the whole film, open a complete copy."
    )


def _container_name(container: Any, filename: str) -> str | None:
    """FFmpeg names demuxers by family ('mov,mp4,m4a,3gp,3g2,mj2'); show the file's own."""
    if not container:
        return None
    names = str(container).split(",")
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix in names else names[0]


def _streams(streams: Sequence[Any], describe: Callable[[dict[str, Any]], str]) -> str:
    lines = []
    for s in streams:
        lines.append(describe(s) if isinstance(s, dict) else str(s))
    return "\n".join(lines)


def _audio_text(s: dict[str, Any]) -> str:
    parts = [str(s.get("codec") or "audio")]
    channels = s.get("channels")
    layout = s.get("layout") or s.get("channel_layout")
    if layout:
        parts.append(str(layout))
    elif channels:
        parts.append(f"{channels} ch")
    rate = s.get("sample_rate")
    if rate:
        parts.append(f"{int(rate) / 1000:g} kHz")
    if s.get("language"):
        parts.append(str(s["language"]))
    if s.get("title"):
        parts.append(f"“{s['title']}”")
    return ", ".join(parts)


def _subtitle_text(s: dict[str, Any]) -> str:
    parts = [str(s.get("codec") or "subtitles")]
    if s.get("language"):
        parts.append(str(s["language"]))
    if s.get("title"):
        parts.append(f"“{s['title']}”")
    return ", ".join(parts)


# The film's stages a shot can leave out (the engine's `shots.SHOT_STAGES`), with what in a
# picture they would take for a fault.
LEAVE_OUT = (
    ("scratches", "Scratch removal", "a line meant: a rope, a mast, a pole"),
    ("dust", "Dust removal", "specks meant: snow, rain, sparks, stars"),
    ("stabilize", "Stabilizing", "a shake meant: a blast, a hand-held camera"),
    ("deflicker", "Deflicker", "changes of light meant: a flash, lightning, a lamp"),
)


class ShotPanel(QGroupBox):
    """The shot under the playhead: where it starts and ends, its key frame, and the film's
    stages it leaves out (*Leave out*: `leaveOutChanged(stage, left_out)`)."""

    keyFrameRequested = Signal(int)
    hintsRequested = Signal()
    leaveOutChanged = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Shot", parent)
        layout = QVBoxLayout(self)
        self.text = QLabel("No shots yet.")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_button = QPushButton("Go to key frame")
        self.key_button.setToolTip("The frame the colour modes are sampled from")
        self.key_button.setEnabled(False)
        self.key_button.clicked.connect(lambda: self.keyFrameRequested.emit(self._key))
        self.hints_button = QPushButton("Colour hints…")
        self.hints_button.setToolTip("Put colours on the key frame with points and strokes (H)")
        self.hints_button.setEnabled(False)
        self.hints_button.clicked.connect(self.hintsRequested)
        self.leave_button = QToolButton()
        self.leave_button.setText("Leave out")
        self.leave_button.setToolTip(
            "Leave some of the film's restoration out of this shot: where the picture holds "
            "what a stage would take for a fault"
        )
        self.leave_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.leave_button.setEnabled(False)
        menu = QMenu(self.leave_button)
        self.leave_actions: dict[str, QAction] = {}
        for name, label, meant in LEAVE_OUT:
            a = menu.addAction(f"{label} ({meant})")
            a.setCheckable(True)
            a.toggled.connect(lambda on, name=name: self._toggled(name, on))
            self.leave_actions[name] = a
        self.leave_button.setMenu(menu)
        self._showing = False
        buttons = QHBoxLayout()
        buttons.addWidget(self.key_button)
        buttons.addWidget(self.hints_button)
        buttons.addWidget(self.leave_button)
        buttons.addStretch(1)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self._key = 0

    def _toggled(self, name: str, on: bool) -> None:
        if not self._showing:  # a person's choice, not the panel following the playhead
            self.leaveOutChanged.emit(name, on)

    def show_shot(self, n: int | None, count: int, shot: dict[str, Any] | None, fps: float) -> None:
        off = set((shot or {}).get("off") or ())
        self._showing = True
        try:
            for name, a in self.leave_actions.items():
                a.setChecked(name in off)
        finally:
            self._showing = False
        if n is None or shot is None:
            self.text.setText("No shots yet." if count == 0 else "–")
            self.key_button.setEnabled(False)
            self.hints_button.setEnabled(False)
            self.leave_button.setEnabled(False)
            return
        start, end = int(shot["start"]), int(shot["end"])
        self._key = int(shot.get("key_frame", start))
        frames = end - start
        seconds = frames / fps if fps else 0.0
        self.text.setText(
            f"Shot {n + 1} of {count}\n"
            f"Frames {start + 1}–{end} ({frames} frames, {tc.duration(seconds)})\n"
            f"Key frame {self._key + 1}" + (f"\nLeaves out: {leaves_out(off)}" if off else "")
        )
        self.key_button.setEnabled(True)
        self.hints_button.setEnabled(True)
        self.leave_button.setEnabled(True)
        self.leave_button.setText("Leave out ✓" if off else "Leave out")


def leaves_out(off: set[str] | list[str]) -> str:
    """The stages a shot leaves out, in words ("dust removal, deflicker")."""
    return ", ".join(label.lower() for name, label, _ in LEAVE_OUT if name in off)


def describe_models(models: dict[str, Any]) -> tuple[str, str]:
    """Short status-bar text ('Models: none ready (5 missing)') and a tooltip naming each."""
    if not models:
        return "Models: unknown", ""
    statuses = {n: str((m or {}).get("status", "missing")) for n, m in models.items()}
    ready = sorted(n for n, st in statuses.items() if st == "ready")
    counts: dict[str, int] = {}
    for st in statuses.values():
        if st != "ready":
            counts[st] = counts.get(st, 0) + 1
    rest = ", ".join(f"{n} {st}" for st, n in sorted(counts.items()))
    if not counts:
        head = "Models: all ready"
    elif ready:
        head = f"Models: {', '.join(ready)} ready ({rest})"
    else:
        head = f"Models: none ready ({rest})"
    return head, "\n".join(f"{n}: {st}" for n, st in sorted(statuses.items()))
