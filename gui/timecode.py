"""Text for times, rates and sizes as a person reads them. Pure Python, no Qt."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from panchro.engine import timecode as smpte


def timecode(seconds: float, fps: float, start: str | None = None) -> str:
    """HH:MM:SS:FF at the film's nominal rate, e.g. '00:01:02:12'; from `start`, the film's
    own label for its first frame (`info["timecode"]`, drop frame too), where it has one."""
    if fps <= 0:
        return "00:00:00:00"
    # Real frames counted and labelled at the nominal rate (non-drop), so at 23.976 fps
    # every frame still gets its own code. Rounding, not flooring: a frame's time arrives
    # rounded (PTS in a time base, JSON floats), and 25/24 s must read as frame 25, not 24.
    frames = round(max(0.0, seconds) * fps)
    rate = Fraction(fps).limit_denominator(1_000_000)
    return smpte.shifted(start, frames, rate) or smpte.label(frames, rate)


def duration(seconds: float) -> str:
    """'1:02:03.5', '2:03.5' or '3.50 s'."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h >= 1:
        return f"{int(h)}:{int(m):02d}:{s:04.1f}"
    return f"{int(m)}:{s:04.1f}"


def frame_rate(fps: Any, is_vfr: bool = False) -> str:
    """'24 fps', '23.976 fps', with ', variable' for VFR films."""
    value = to_float(fps)
    if value is None or value <= 0:
        text = "unknown"
    elif abs(value - round(value)) < 1e-3:
        text = f"{round(value)} fps"
    else:
        text = f"{value:.3f} fps"
    return text + (" (variable)" if is_vfr else "")


def to_float(value: Any) -> float | None:
    """A number from 24, 23.976, '24000/1001' or '24'; None when it is none of those."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:
                num, den = text.split("/", 1)
                return float(num) / float(den) if float(den) else None
            return float(text)
        except ValueError:
            return None
    if isinstance(value, dict) and "num" in value and "den" in value:
        den = to_float(value["den"])
        num = to_float(value["num"])
        return num / den if num is not None and den else None
    return None
