"""A film's frames shown at another rate than its own (`retimed`), one frame in a cycle
left out (`decimated_info`): what `open_source` tells of such a film; and a film delivered
at a faster rate than it is shown at by repeating frames (`Stretch`), what a writer does."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from panchro.engine.errors import BadInputError
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


# --- delivered at a faster rate: frames repeated ("stretch printing") -----------------------

MAX_STRETCH = 4  # a delivery rate at most this many times the shown one (12 fps -> 48)
# The NTSC rates, exactly: 23.976 given as a number means 24000/1001, as broadcast has it.
NTSC = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass(frozen=True)
class Stretch:
    """A film shown at `shown` frames a second, delivered at the faster `deliver` by showing
    some frames twice in a steady cadence, as film labs stretch-printed silent films for
    sound-speed projectors: 18 fps at 24 shows one frame in 3 twice, 16 at 24 one in 2. The
    running time and the motion's speed stay those of the film shown at `shown`; only the
    file's rate is another, for players, editing and broadcast that take 24 or 25 alone.

    Frame `i` of the film fills the delivered frames from `first(i)` to `first(i + 1)`: the
    ones whose time falls on or after its own and before the next frame's. `start` is the
    film's first frame's time in delivered frames (0 for nearly every film)."""

    shown: Fraction
    deliver: Fraction
    start: int = 0

    @property
    def time_base(self) -> Fraction:
        return 1 / self.deliver

    def first(self, index: int) -> int:
        """The first delivered frame that shows frame `index` (counted from the film's start)."""
        return math.ceil(Fraction(index) * self.deliver / self.shown)

    def repeats(self, index: int) -> int:
        """How many delivered frames show frame `index`: 1, 2 (or more, beyond twice the rate)."""
        return self.first(index + 1) - self.first(index)

    def pts(self, index: int) -> list[int]:
        """The delivered frames' times (in `time_base` units) that show frame `index`."""
        first = self.start + self.first(index)
        return list(range(first, first + self.repeats(index)))

    def written(self, first: int, stop: int) -> str:
        """How many frames frames [first, stop) are delivered as, in words."""
        count = self.first(stop) - self.first(first)
        return (
            f"{count} frames written at {float(self.deliver):g} fps for the {stop - first} restored"
        )

    def describe(self) -> str:
        """The cadence in words: "one frame in 3 shown twice"."""
        ratio = self.deliver / self.shown
        p, q = ratio.numerator, ratio.denominator
        rate = f"{float(self.deliver):g} fps from {float(self.shown):g}"
        if p < 2 * q:
            some = "one frame" if p - q == 1 else f"{p - q} frames"
            return f"delivered at {rate}: {some} in {q} shown twice (stretch printing)"
        return f"delivered at {rate}: each frame shown {float(ratio):.3g} times on average"


def stretch_for(info: MediaInfo, deliver: Fraction | float, first_pts: int = 0) -> Stretch:
    """How a film read as `info` is delivered at `deliver` frames a second (`Stretch`);
    `first_pts`, its first frame's time in `info.time_base` units. A film at another rate
    than a steady one, or a rate not above the film's, or beyond `MAX_STRETCH` times it,
    is refused (BadInputError) with the reason."""
    from panchro.engine.errors import BadInputError

    rate = Fraction(deliver).limit_denominator(1001)
    rate = next((r for r in NTSC if abs(rate - r) < Fraction(1, 1000)), rate)
    shown = info.fps
    if info.is_vfr:
        raise BadInputError(
            "a film at a varying frame rate cannot be delivered at another by repeating frames"
        )
    if not rate > shown:
        raise BadInputError(
            f"a delivery rate of {float(rate):g} fps is not above the film's "
            f"{float(shown):.3f}: frames are repeated to deliver it faster, never left out"
        )
    if rate > shown * MAX_STRETCH:
        raise BadInputError(
            f"a delivery rate of {float(rate):g} fps is more than {MAX_STRETCH} times the "
            f"film's {float(shown):.3f}"
        )
    start = round(Fraction(first_pts) * info.time_base * rate)
    return Stretch(shown=shown, deliver=rate, start=start)


def frame_grid(info: MediaInfo, first_pts: int, last_pts: int) -> Stretch | None:
    """A steady film whose file's clock cannot hold its frame step (Matroska counts
    milliseconds: 24 fps is 0, 42, 83, 125 ms...) written on its rate's own grid, each frame
    once (a `Stretch` delivering at the rate it is shown at), so its output has the steady
    rate it had and not one that varies by a tick. None where the times are on the grid
    already, or the rate varies, or is not one a film is made at (a whole number a second,
    or an NTSC one), or the first or last frame (`first_pts`, `last_pts`, in
    `info.time_base` units) lies more than a millisecond off the grid: the sound would move
    against the pictures."""
    fps = info.fps
    if info.is_vfr or fps.denominator not in (1, 1001):
        return None
    if (1 / (fps * info.time_base)).denominator == 1:
        return None
    first = Fraction(first_pts) * info.time_base * fps  # in frames
    start = round(first)
    last = Fraction(last_pts) * info.time_base * fps - start
    off = max(abs(first - start), abs(last - (info.frame_count - 1))) / fps  # in seconds
    if off > Fraction(1, 1000):
        return None
    return Stretch(shown=fps, deliver=fps, start=start)


def fraction_fps(fps: float | Fraction | None) -> Fraction:
    """A frame rate asked for as an exact fraction (23.976 and friends: the NTSC rates);
    24 for None; BadInputError for one not positive."""
    if fps is None:
        return Fraction(24)
    if isinstance(fps, Fraction):
        value = fps
    else:
        value = Fraction(fps).limit_denominator(1_000_000)
        # 23.976 and friends mean the NTSC rates, 24000/1001 etc.
        for base in (24, 30, 48, 60, 120):
            ntsc = Fraction(base * 1000, 1001)
            if abs(float(value) - float(ntsc)) < 2e-3:
                value = ntsc
    if value <= 0:
        raise BadInputError(f"frame rate must be positive, got {fps}")
    return value
