"""SMPTE timecode (HH:MM:SS:FF) as frame counts and back: what a source's first frame is
labelled with, carried onto the restored frames (`MediaInfo.timecode`; `VideoWriter`,
`join_video`, DPX headers), so an edit conformed against the original finds them where
they were; and the app's player and shot strip show the same labels. Pure Python: the app
imports it too.

Timecode counts frames at the nominal rate (the rate rounded: 24 for 24000/1001, 30 for
30000/1001). Drop-frame timecode ("HH:MM:SS;FF", the NTSC 29.97 and 59.94 broadcast
convention) skips the first two (four at 59.94) frame numbers of every minute but each
tenth, so its labels keep to the clock; it is read and written as such.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_TEXT = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def nominal(fps: Fraction) -> int:
    """The frames a timecode second counts: the rate rounded (at least 1)."""
    return max(1, round(float(fps)))


def can_drop(fps: Fraction) -> bool:
    """Whether drop-frame timecode exists at `fps` (the NTSC rates, 30000/1001 and its
    multiples)."""
    n = nominal(fps)
    return n % 30 == 0 and abs(float(fps) - n * 1000 / 1001) < 1e-3


def parse(text: str, fps: Fraction) -> tuple[int, bool]:
    """(frames since 00:00:00:00, drop frame?) of a timecode `text` at `fps`; ValueError for
    text that is not one, or a label that cannot be at this rate."""
    m = _TEXT.match(text.strip())
    if not m:
        raise ValueError(f"not a timecode: {text!r}")
    hh, mm, ss, sep, ff = m.groups()
    h, mi, s, f = int(hh), int(mm), int(ss), int(ff)
    drop = sep in ";," and can_drop(fps)
    n = nominal(fps)
    if mi >= 60 or s >= 60 or f >= n:
        raise ValueError(f"not a timecode at {float(fps):g} fps: {text!r}")
    frames = ((h * 60 + mi) * 60 + s) * n + f
    if drop:
        skip = n // 15  # 2 at 29.97, 4 at 59.94
        if s == 0 and f < skip and mi % 10:
            raise ValueError(f"{text!r} is a label drop-frame timecode skips")
        minutes = h * 60 + mi
        frames -= skip * (minutes - minutes // 10)
    return frames, drop


def label(frames: int, fps: Fraction, drop: bool = False) -> str:
    """The timecode of frame `frames` counted from 00:00:00:00 at `fps` (drop frame where
    asked and the rate has it); hours wrap at 24."""
    n = nominal(fps)
    drop = drop and can_drop(fps)
    frames = int(frames)
    if drop:
        skip = n // 15
        per_ten = 10 * 60 * n - 9 * skip  # frames in ten minutes of drop-frame labels
        per_minute = 60 * n - skip
        tens, rest = divmod(frames, per_ten)
        frames += 9 * skip * tens
        if rest >= skip:
            frames += skip * ((rest - skip) // per_minute)
    seconds, f = divmod(frames, n)
    minutes, s = divmod(seconds, 60)
    hours, mi = divmod(minutes, 60)
    return f"{hours % 24:02d}:{mi:02d}:{s:02d}{';' if drop else ':'}{f:02d}"


def fields(text: str) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, frames) of a timecode `label`."""
    m = _TEXT.match(text)
    if not m:
        raise ValueError(f"not a timecode: {text!r}")
    hh, mm, ss, _, ff = m.groups()
    return int(hh), int(mm), int(ss), int(ff)


def shifted(
    start: str | None, frames: int, fps: Fraction, *, read_at: Fraction | None = None
) -> str | None:
    """The label `frames` (at `fps`) after `start` (a source's first frame's timecode; None:
    none, or one that cannot be read at its rate). `read_at`: the rate `start` counts at
    where it is not `fps` (a film delivered faster than it is shown): the same moment is
    labelled at `fps` (12 frames at 23.976 are 15 at 29.97), drop frame kept where `fps` has
    it, where reading the label at `fps` moved it (00:59:59:12 stayed :12)."""
    if not start:
        return None
    source = fps if read_at is None else Fraction(read_at)
    try:
        first, drop = parse(start, source)
    except ValueError:
        return None
    if source != fps:
        first = round(first * Fraction(fps) / source)
    return label(first + frames, fps, drop)


def of_stream(container: Any, stream: Any) -> str | None:
    """The first frame's timecode, where an opened file has one: on its video `stream`
    (MOV/MP4, whose timecode track FFmpeg reports there; Matroska's tag), on a timecode
    track of its own, or on the file (MXF)."""
    places = [stream, *(s for s in container.streams if s.type == "data"), container]
    for place in places:
        meta = getattr(place, "metadata", None) or {}
        for key in ("timecode", "TIMECODE"):
            value = str(meta.get(key) or "").strip()
            if value:
                return value
    return None
