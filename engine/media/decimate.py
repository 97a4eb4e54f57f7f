"""Decimation: frames a transfer repeated, left out — a film telecined to NTSC video back
at its own 23.976 pictures a second, and a film whose transfer shows one frame in N twice
(`find_repeats`, below) back at its own rate. Both can apply, one over the other.

Field matching (`deinterlace`) gives every frame of a 3:2 pulldown whole, but one frame
in five is then the picture before it again (AA BB BC CD DD matched is A B B C D, or
A B C C D). A *decimated* source leaves that frame out: of each cycle of five decoded
frames (counted from the film's first frame), the one most like the frame before it (its
luma, every fourth pixel either way, mean absolute difference) goes; the cycle's first
frame is compared with the last of the cycle before, and the film's first frame always
stays. A last cycle of fewer than five frames keeps them all. So frame j of the source is
the (j mod 4)-th kept frame of cycle j div 4, and which one depends only on the decoded
frames 5c-1 .. 5c+4: decoding from frame 5c-1 on gives cycle c as a whole pass does.

Timing: the kept frames of a cycle are spread evenly over the time the cycle's five took,
in a time base four times finer than the film's (so every pts is a whole number and none
moves by rounding): pts = 4 * pts(5c) + k * (pts(5c + 5) - pts(5c)). The film lasts as
long as before; its sound and subtitles keep their times.

A cut that breaks the cadence (an edit made on video) can leave a cycle with two repeats
or none: one frame goes all the same, as a fixed-cycle decimator does. Stretches shot on
video at 29.97 within the film lose a frame in five too. The same holds for a cycle of N
(3-6) frames, one left out: the time base is then N-1 times finer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction

import av
import numpy as np

CYCLE = 5  # decoded frames in a telecine's cycle, of which the source keeps all but one
# The rates of NTSC video that a 24 fps film is telecined to, and so decimated from.
NTSC_RATES = (Fraction(30000, 1001), Fraction(30))
STRIDE = 4  # every STRIDE-th pixel either way is compared


def telecine_cycle(fps: Fraction, field_matched: bool) -> int | None:
    """CYCLE where a film read at `fps` is decimated after field matching (NTSC video; a
    PAL transfer has no repeated pictures), else None."""
    if field_matched and any(abs(float(fps / r) - 1) < 0.001 for r in NTSC_RATES):
        return CYCLE
    return None


def frame_count(decoded: int, cycle: int = CYCLE) -> int:
    """Frames of the source for `decoded` frames of the stream."""
    full, rest = divmod(decoded, cycle)
    return full * (cycle - 1) + rest


def coded_index(index: int, decoded: int, cycle: int = CYCLE) -> int:
    """The decoded frame nearest frame `index` of the source (exact in a last short cycle;
    within a frame elsewhere): where to seek from."""
    full, kept = decoded // cycle, cycle - 1
    c, k = divmod(index, kept)
    if c < full:
        return cycle * c + k
    return cycle * full + index - full * kept


def first_coded(index: int, decoded: int, cycle: int = CYCLE) -> int:
    """The first decoded frame that making frame `index` of the source needs (the frame
    before its cycle)."""
    full, kept = decoded // cycle, cycle - 1
    c = index // kept
    if c < full:
        return max(cycle * c - 1, 0)
    return cycle * full + index - full * kept


def pts(decoded_pts: np.ndarray, cycle: int = CYCLE) -> np.ndarray:
    """The source's pts (in a time base `cycle - 1` times finer) for the decoded frames'."""
    p = np.asarray(decoded_pts, dtype=np.int64)
    n, kept = len(p), cycle - 1
    full = n // cycle
    out = np.empty(frame_count(n, cycle), dtype=np.int64)
    step = int(np.median(np.diff(p))) if n > 1 else 1
    for c in range(full):
        base = int(p[cycle * c])
        end = int(p[cycle * c + cycle]) if cycle * c + cycle < n else base + cycle * step
        out[kept * c : kept * c + kept] = kept * base + (end - base) * np.arange(kept)
    out[full * kept :] = kept * p[full * cycle :]
    return out


def small_luma(frame: av.VideoFrame) -> np.ndarray:
    """The luma compared, every STRIDE-th pixel either way, as int16."""
    plane = frame.planes[0]
    raw = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
    wide = 2 if frame.format.name.endswith(("10le", "12le", "16le", "10be", "12be", "16be")) else 1
    return raw[::STRIDE, : frame.width * wide : STRIDE * wide].astype(np.int16)


def decimated(
    frames: Iterator[tuple[int, av.VideoFrame]], decoded: int, cycle: int = CYCLE
) -> Iterator[tuple[int, av.VideoFrame]]:
    """`frames` (decoded index, frame), from the frame before a cycle on (or the first),
    as the source's frames (source index, frame), one in `cycle` left out.

    A decoded frame missing from `frames` (it did not decode) is never the one left out,
    and its place in the source is skipped (a gap the caller fills and marks)."""
    full, kept = decoded // cycle, cycle - 1
    previous: tuple[int, np.ndarray] | None = None
    first_cycle: int | None = None  # the first cycle whole in `frames`
    slots: dict[int, tuple[av.VideoFrame, float]] = {}  # the cycle being gathered
    current = -1

    def flush() -> Iterator[tuple[int, av.VideoFrame]]:
        if current < 0 or current < (first_cycle or 0) or not slots:
            slots.clear()
            return
        places = range(cycle * current, cycle * current + cycle)
        scores = [slots[i][1] if i in slots else np.inf for i in places]
        drop = cycle * current + int(np.argmin(scores))
        for k, i in enumerate([i for i in places if i != drop][:kept]):
            if i in slots:
                yield kept * current + k, slots[i][0]
        slots.clear()

    try:
        for i, frame in frames:
            if i >= full * cycle:  # the last, short cycle: every frame kept
                yield from flush()
                current = -1
                yield full * kept + i - full * cycle, frame
                continue
            small = small_luma(frame)
            d = np.inf
            if previous is not None and previous[0] == i - 1:
                d = float(np.abs(small - previous[1]).mean())
            previous = (i, small)
            if first_cycle is None:
                first_cycle = -(-i // cycle)
            c = i // cycle
            if c != current:
                yield from flush()
                current = c
            slots[i] = (frame, d)
            if len(slots) == cycle:
                yield from flush()
                current = -1
        yield from flush()
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()


# ------------------------------------------------------------- cycles one over another

# A telecined film whose pictures repeat too (a silent film shot at 18 pictures a second,
# telecined for NTSC): one frame in five left out of the decoded frames, then one in N of
# what is left. Each function below takes the cycles in that order.


def counts(decoded: int, cycles: Sequence[int]) -> list[int]:
    """The frame count before each cycle is applied, and after the last."""
    out = [decoded]
    for c in cycles:
        out.append(frame_count(out[-1], c))
    return out


def first_coded_of(index: int, decoded: int, cycles: Sequence[int]) -> int:
    """`first_coded` through every cycle: the first decoded frame frame `index` needs."""
    n = counts(decoded, cycles)
    for k in range(len(cycles) - 1, -1, -1):
        index = first_coded(index, n[k], cycles[k])
    return index


def coded_index_of(index: int, decoded: int, cycles: Sequence[int]) -> int:
    """`coded_index` through every cycle."""
    n = counts(decoded, cycles)
    for k in range(len(cycles) - 1, -1, -1):
        index = coded_index(index, n[k], cycles[k])
    return index


def pts_of(decoded_pts: np.ndarray, cycles: Sequence[int]) -> np.ndarray:
    """`pts` through every cycle (the time base finer by the product of cycle - 1)."""
    p = np.asarray(decoded_pts, dtype=np.int64)
    for c in cycles:
        p = pts(p, c)
    return p


def decimated_by(
    frames: Iterator[tuple[int, av.VideoFrame]], decoded: int, cycles: Sequence[int]
) -> Iterator[tuple[int, av.VideoFrame]]:
    """`decimated` through every cycle (`frames` from `first_coded_of` on)."""
    n = counts(decoded, cycles)
    for k, c in enumerate(cycles):
        frames = decimated(frames, n[k], c)
    return frames


# --------------------------------------------------------------------------- repeats

# A film shot at fewer pictures a second than the video it was transferred to often has
# one frame in N shown twice (20 fps in 24: one in five; 18: one in four; 16: one in
# three). Each cycle of N frames then holds one frame much like the one before it, at the
# same place cycle after cycle while the picture moves.
REPEAT_CYCLES = (3, 4, 5, 6)
REPEAT_RUN = 60  # frames a run of the check (every cycle divides it), from a multiple of it
REPEAT_RUNS = 3
CLEAR = 0.25  # a repeat differs from the frame before by under this share of the others
MOVING = 0.5  # a cycle whose other frames differ by less (grey levels) is too still to tell
MOVING_AT_LEAST = 6  # moving cycles needed to say anything
CLEAR_SHARE = 0.7  # of the moving cycles, this share must hold a clear repeat ...
SAME_PLACE = 0.8  # ... and of those, this share at one place in the cycle
FIRST_LOOK = 20  # frames from the middle a first look at a decimated film's frames takes


def _repeat_place(window: np.ndarray) -> int | None:
    """The place of a clear repeat in one cycle's differences, None if there is none; -1
    where the cycle is too still to tell."""
    if not np.all(np.isfinite(window)):
        return -1
    k = int(np.argmin(window))
    others = np.delete(window, k)
    if float(np.median(others)) < MOVING:
        return -1
    return (
        k
        if window[k] < CLEAR * float(np.median(others)) and window[k] < 0.5 * others.min()
        else None
    )


def repeat_cycle(runs: list[np.ndarray]) -> int | None:
    """The cycle N (REPEAT_CYCLES) in which one frame repeats the frame before it, from
    `runs` of frame-to-frame differences (each run's first difference is its first frame
    against the frame before it; runs start at multiples of every N), or None."""
    best: tuple[float, int] | None = None
    for n in REPEAT_CYCLES:
        places: list[int] = []
        moving = 0
        for d in runs:
            for c in range(len(d) // n):
                place = _repeat_place(d[c * n : c * n + n])
                if place == -1:
                    continue
                moving += 1
                if place is not None:
                    places.append(place)
        if moving < MOVING_AT_LEAST or len(places) < CLEAR_SHARE * moving:
            continue
        same = max(places.count(k) for k in set(places))
        if same < SAME_PLACE * len(places):
            continue
        share = len(places) / moving
        if best is None or share > best[0]:
            best = (share, n)
    return None if best is None else best[1]


def may_repeat(steps: Sequence[float]) -> bool:
    """Whether short stretches of frame-to-frame differences (a first look; stretches
    parted by NaN) show two clear repeats a cycle apart (a multiple of one of
    REPEAT_CYCLES) in one of them."""
    d = np.asarray(steps, dtype=np.float64)
    for part in np.split(d, np.flatnonzero(np.isnan(d))):
        part = part[np.isfinite(part)]
        if len(part) < 2 * min(REPEAT_CYCLES):
            continue
        med = float(np.median(part))
        if med < MOVING:
            continue
        gaps = np.diff(np.flatnonzero(part < CLEAR * med))
        if any(g % n == 0 for g in gaps for n in REPEAT_CYCLES):
            return True
    return False


def repeat_runs(frame_count: int) -> list[int]:
    """Where the runs of the check start: multiples of REPEAT_RUN at a quarter, a half
    and three quarters of the film (fewer when it is short)."""
    starts = set()
    for k in range(1, REPEAT_RUNS + 1):
        start = frame_count * k // (REPEAT_RUNS + 1) // REPEAT_RUN * REPEAT_RUN
        start = min(start, max(0, (frame_count - 1) // REPEAT_RUN * REPEAT_RUN - REPEAT_RUN))
        starts.add(max(start, 0))
    return sorted(starts)


def find_repeats(
    frames_at: Callable[[int], Iterator[av.VideoFrame]],
    frame_count: int,
    *,
    first_look: bool = False,
) -> int | None:
    """`repeat_cycle` of up to REPEAT_RUNS runs of REPEAT_RUN frames (`frames_at(i)`
    decodes from frame i on; each run also decodes the frame before it). `first_look`:
    first FIRST_LOOK frames from the middle, and only where `may_repeat` sees repeats
    there, the runs."""
    if first_look:
        middle = max(0, frame_count // 2 - FIRST_LOOK // 2)
        if not may_repeat(_steps(frames_at, middle, min(FIRST_LOOK, frame_count - middle))):
            return None
    runs = [
        np.asarray(([] if start > 0 else [np.inf]) + _steps(frames_at, max(start - 1, 0),
                                                             REPEAT_RUN + (start > 0)))
        for start in repeat_runs(frame_count)
    ]  # fmt: skip
    return repeat_cycle(runs)


def _steps(
    frames_at: Callable[[int], Iterator[av.VideoFrame]], start: int, count: int
) -> list[float]:
    """The frame-to-frame differences of `count` frames from `start` on."""
    d: list[float] = []
    previous: np.ndarray | None = None
    frames = frames_at(start)
    try:
        for taken, frame in enumerate(frames, 1):
            small = small_luma(frame)
            if previous is not None:
                d.append(float(np.abs(small - previous).mean()))
            previous = small
            if taken >= count:
                break
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    return d
