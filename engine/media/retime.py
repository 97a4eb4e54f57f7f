"""A film's frames shown at another rate than its own (`retimed`), and one frame in a cycle
left out (`decimated_info`): what `open_source` tells of such a film."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from panchro.engine.media import decimate as _decimate
from panchro.engine.media.info import MediaInfo


def retimed(info: MediaInfo, fps: Fraction) -> MediaInfo:
    """A video's `info` with its frames shown at `fps` a second instead of its own rate
    (after any repeats are left out): a silent film transferred at sound speed runs too
    fast, and is shown at the speed it was shot at. Every frame is kept, each on screen
    longer (or shorter), the film as much longer; its sound and subtitles are left out,
    since they would no longer fit. A rate within a millionth of its own changes nothing."""
    own = info.fps
    if abs(float(fps / own) - 1.0) < 1e-6:
        return info
    stretch = own / fps
    return replace(
        info,
        fps=fps,
        time_base=info.time_base * stretch,
        duration_s=info.duration_s * float(stretch),
        audio=(),
        subtitles=(),
        chapters=0,  # their times are the file's
        timecode=None,  # its labels count the file's rate
        retimed_from=own,
        retimed_streams=len(info.audio) + len(info.subtitles),
    )


def retimed_note(info: MediaInfo) -> str | None:
    """What showing a video at another rate did, in words (None when it keeps its own)."""
    if info.retimed_from is None:
        return None
    own, now = float(info.retimed_from), float(info.fps)
    note = f"shown at {now:.3f} fps instead of the file's {own:.3f} ({own / now:.3f} times as long)"
    n = info.retimed_streams
    if n:
        note += (
            f"; its {n} sound and subtitle stream{'s' if n > 1 else ''} left out:"
            " they would no longer fit the pictures"
        )
    return note


def decimated_info(info: MediaInfo, cycle: int) -> MediaInfo:
    """`info` with one frame in `cycle` left out: the film at its own rate, as long."""
    kept = cycle - 1
    expected = info.expected_frames
    return replace(
        info,
        frame_count=_decimate.frame_count(info.frame_count, cycle),
        expected_frames=_decimate.frame_count(expected, cycle) if expected else None,
        fps=info.fps * Fraction(kept, cycle),
        time_base=info.time_base / kept,
        timecode=None,  # its labels count frames that are no longer there
    )
