"""Decimation: a film telecined to NTSC video back at its own 23.976 pictures a second.

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
video at 29.97 within the film lose a frame in five too.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

CYCLE = 5  # decoded frames in a cycle ...
KEPT = CYCLE - 1  # ... of which the source keeps these
# The rates of NTSC video that a 24 fps film is telecined to, and so decimated from.
NTSC_RATES = (Fraction(30000, 1001), Fraction(30))
STRIDE = 4  # every STRIDE-th pixel either way is compared


def applies(fps: Fraction, field_matched: bool) -> bool:
    """Whether a film read at `fps` is decimated: field matched NTSC video (a PAL transfer
    has no repeated pictures)."""
    return field_matched and any(abs(float(fps / r) - 1) < 0.001 for r in NTSC_RATES)


def frame_count(decoded: int) -> int:
    """Frames of the source for `decoded` frames of the stream."""
    full, rest = divmod(decoded, CYCLE)
    return full * KEPT + rest


def coded_index(index: int, decoded: int) -> int:
    """The decoded frame nearest frame `index` of the source (exact in a last short cycle;
    within a frame elsewhere): where to seek from."""
    full = decoded // CYCLE
    c, k = divmod(index, KEPT)
    if c < full:
        return CYCLE * c + k
    return CYCLE * full + index - full * KEPT


def first_coded(index: int, decoded: int) -> int:
    """The first decoded frame that making frame `index` of the source needs (the frame
    before its cycle)."""
    full = decoded // CYCLE
    c = index // KEPT
    if c < full:
        return max(CYCLE * c - 1, 0)
    return CYCLE * full + index - full * KEPT


def pts(decoded_pts: np.ndarray) -> np.ndarray:
    """The source's pts (in a time base four times finer) for the decoded frames' pts."""
    p = np.asarray(decoded_pts, dtype=np.int64)
    n = len(p)
    full = n // CYCLE
    out = np.empty(frame_count(n), dtype=np.int64)
    step = int(np.median(np.diff(p))) if n > 1 else 1
    for c in range(full):
        base = int(p[CYCLE * c])
        end = int(p[CYCLE * c + CYCLE]) if CYCLE * c + CYCLE < n else base + CYCLE * step
        span = end - base
        out[KEPT * c : KEPT * c + KEPT] = KEPT * base + span * np.arange(KEPT)
    out[full * KEPT :] = KEPT * p[full * CYCLE :]
    return out


def _small(frame: av.VideoFrame) -> np.ndarray:
    """The luma compared, every STRIDE-th pixel either way, as int16."""
    plane = frame.planes[0]
    line = plane.line_size
    raw = np.frombuffer(plane, np.uint8).reshape(frame.height, line)
    step = 2 if frame.format.name.endswith(("10le", "12le", "16le", "10be", "12be", "16be")) else 1
    y = raw[::STRIDE, : frame.width * step : STRIDE * step]
    return y.astype(np.int16)


def decimated(
    frames: Iterator[tuple[int, av.VideoFrame]], decoded: int
) -> Iterator[tuple[int, av.VideoFrame]]:
    """`frames` (decoded index, frame), from the frame before a cycle on (or the first),
    as the source's frames (source index, frame), one in five left out.

    A decoded frame missing from `frames` (it did not decode) is never the one left out,
    and its place in the source is skipped (a gap the caller fills and marks)."""
    full = decoded // CYCLE
    previous: tuple[int, np.ndarray] | None = None
    first_cycle: int | None = None  # the first cycle whole in `frames`
    slots: dict[int, tuple[av.VideoFrame, float]] = {}  # the cycle being gathered
    current = -1

    def flush() -> Iterator[tuple[int, av.VideoFrame]]:
        if current < 0 or current < (first_cycle or 0) or not slots:
            slots.clear()
            return
        scores = [
            slots[i][1] if i in slots else np.inf
            for i in range(CYCLE * current, CYCLE * current + CYCLE)
        ]
        drop = CYCLE * current + int(np.argmin(scores))
        kept = [i for i in range(CYCLE * current, CYCLE * current + CYCLE) if i != drop]
        for k, i in enumerate(kept[:KEPT]):
            if i in slots:
                yield KEPT * current + k, slots[i][0]
        slots.clear()

    try:
        for i, frame in frames:
            if i >= full * CYCLE:  # the last, short cycle: every frame kept
                yield from flush()
                current = -1
                yield full * KEPT + i - full * CYCLE, frame
                continue
            small = _small(frame)
            d = np.inf
            if previous is not None and previous[0] == i - 1:
                d = float(np.abs(small - previous[1]).mean())
            previous = (i, small)
            if first_cycle is None:
                first_cycle = -(-i // CYCLE)
            c = i // CYCLE
            if c != current:
                yield from flush()
                current = c
            slots[i] = (frame, d)
            if len(slots) == CYCLE:
                yield from flush()
                current = -1
        yield from flush()
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
