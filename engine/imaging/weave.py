"""Gate weave: the whole picture jittering a pixel or two from frame to frame, measured and
taken out while the camera's own moves stay.

A film frame is never held in quite the same place: a worn camera or printer gate, a
shrunken print's perforations or a telecine's transport let each frame land a little
left, right, up or down of the last. The picture itself does not move; the frame does.

How it is measured: between each frame and the one before it, the shift of a small grey
copy (`ANALYSIS_WIDTH` wide) by phase correlation, to a fraction of a pixel (a parabola
through the peak, then what is left measured again with the frame moved back). Phase
correlation looks at the whole picture's structure, so grain does not count and something
moving through a still frame counts little. Shifts are kept in fixed point (`STEP` of an
analysis pixel), so that adding them up is exact.

What the frame's place should have been: the path the shifts add up to, and through it,
per axis, the quadratic over the frame's neighbours within its shot (`HALF_WINDOW_S`
either side, as `imaging.flicker` does it, never across a cut), read at the frame. A pan or
a tilt is followed; the jitter around it is taken out.

The correction: each frame moved by the difference (times `strength`), luma and chroma
alike, with a four-tap cubic (Keys, a = -1/2) along each axis; what comes in at an edge
is the picture mirrored there (repeating the last column drew streaks of its grain across
the band; the mirror continues the texture, and on the 1952 film's 5-7 px bands it is hard
to find). Moves are bounded to `MAX_SHIFT` of the width: weave (the 1952 film
among the shared clips: about 1 % of its width at worst) is taken out whole, while a
shaking camera (that film's shot from a driving truck: 3 %) is calmed, not held still, so
the band mirrored at an edge stays narrow (tried: at 3 % the truck's shot was moved up
to 13 px of 432 and the band showed).

Known limits: a frame that also turns or breathes (changes size) is only moved; a shot
where something large moves against a still background is measured by whichever moves
more of the picture; a hand-held camera's shake is taken out along with the weave, up to
the bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from panchro.engine.imaging.flicker import window_fit

ANALYSIS_WIDTH = 320  # px: the grey copy shifts are measured on
HALF_WINDOW_S = 0.75  # seconds either side of a frame that say where it should have been
STEP = 1.0 / 64  # of an analysis pixel: shifts are kept as multiples of this
MAX_SHIFT = 0.02  # of the width: no frame is moved further (weave is smaller; see above)


def half_window(fps: float | None) -> int:
    """Frames either side of a frame whose places say where it should have been."""
    rate = float(fps) if fps and fps > 0 else 24.0
    return max(2, round(rate * HALF_WINDOW_S))


def _peak(a: np.ndarray, b: np.ndarray, taper: np.ndarray) -> tuple[float, float]:
    """(dx, dy) of `b` against `a` by phase correlation, the peak placed by a parabola."""
    h, w = a.shape
    fa = np.fft.rfft2((a - a.mean()) * taper)
    fb = np.fft.rfft2((b - b.mean()) * taper)
    cross = fb * np.conj(fa)
    surface = np.fft.irfft2(cross / np.maximum(np.abs(cross), 1e-12), s=(h, w))
    py, px = np.unravel_index(int(np.argmax(surface)), surface.shape)

    def vertex(m1: float, c: float, p1: float) -> float:
        d = m1 - 2 * c + p1
        return 0.0 if d >= 0 else float(np.clip(0.5 * (m1 - p1) / d, -0.5, 0.5))

    fy = vertex(surface[(py - 1) % h, px], surface[py, px], surface[(py + 1) % h, px])
    fx = vertex(surface[py, (px - 1) % w], surface[py, px], surface[py, (px + 1) % w])
    return (px + w // 2) % w - w // 2 + fx, (py + h // 2) % h - h // 2 + fy


def motion(before: np.ndarray, after: np.ndarray, rounds: int = 2) -> tuple[float, float]:
    """(dx, dy): how far the picture moved from `before` to `after` (grey frames of one
    size, any dtype), right and down, in pixels of that size and multiples of `STEP`.

    A parabola through the correlation's peak is off by up to a quarter of a pixel (the
    peak is not a parabola), so `after` is moved back by the estimate and what is left is
    measured again, `rounds` times: about 0.04 px off on the shared clips' frames with
    noise, against 0.17 px for the parabola alone.
    """
    a = np.asarray(before, np.float64)
    b = np.asarray(after, np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"want two grey frames of one size, got {a.shape} and {b.shape}")
    taper = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    dx, dy = _peak(a, b, taper)
    for _ in range(rounds):
        back = shift_planes(b[None], np.array([-dx]), np.array([-dy]))[0]
        rx, ry = _peak(a, back, taper)
        dx, dy = dx + rx, dy + ry
    return round(dx / STEP) * STEP, round(dy / STEP) * STEP


def centred_targets(path: np.ndarray, half: int) -> np.ndarray:
    """(N, 2): per frame, where the quadratic through its window (t-half..t+half, clipped
    to the sequence) of `path` (N, 2) says it should be, less where it is.

    Each frame's fit is made on the path relative to the frame itself (exact differences
    of multiples of `STEP`), so a stretch of a shot gives its frames the same figures, to
    the bit, whatever point its path was counted from.
    """
    return window_fit(path, half, relative=True)


def corrections(shifts: np.ndarray, half: int, strength: float = 1.0) -> np.ndarray:
    """(N, 2) moves (dx, dy), in the shifts' pixels, that put N consecutive frames of one
    shot where their path's curve says; `shifts` (N - 1, 2) are `motion` from each frame to
    the next. `strength` (0..1) takes that share."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be within 0..1, got {strength}")
    s = np.asarray(shifts, np.float64).reshape(-1, 2)
    path = np.concatenate([np.zeros((1, 2)), np.cumsum(s, axis=0)])  # exact: multiples of STEP
    return strength * centred_targets(path, half)


def _keys(t: Any) -> list[Any]:
    """The four weights of Keys' cubic (a = -1/2) for samples at -1, 0, 1, 2 around a point
    `t` (0..1) past sample 0."""
    t2, t3 = t * t, t * t * t
    return [
        -0.5 * t3 + t2 - 0.5 * t,
        1.5 * t3 - 2.5 * t2 + 1.0,
        -1.5 * t3 + 2.0 * t2 + 0.5 * t,
        0.5 * t3 - 0.5 * t2,
    ]


def shift_planes(
    planes: Any,
    dx: np.ndarray,
    dy: np.ndarray,
    inside: tuple[int, int, int, int] | None = None,
) -> Any:
    """Planes (T, ..., H, W) with frame i's picture moved by (dx[i], dy[i]) pixels, right and
    down: host arrays or torch tensors (float). What comes in at an edge is the picture
    mirrored there. `inside` (left, top, right, bottom margins): only the picture within
    them is moved, its own edge mirrored, the margins left as they are (a scan's border that
    a crop cuts off afterwards must not come into the picture).

    A plane that holds one value (a black-and-white film's chroma) is left as it is, and not
    copied: moving it changes nothing but the last bit, and it is two thirds of the work.
    Planes that are all flat come back as the very object given.
    """
    left, top, right, bottom = inside or (0, 0, 0, 0)
    h, w = planes.shape[-2:]
    region = (..., slice(top, h - bottom), slice(left, w - right))
    out = None
    for i in range(len(dx)):
        frame = planes[i]
        if float(frame.max()) == float(frame.min()):
            continue
        if out is None:
            out = planes.clone() if not isinstance(planes, np.ndarray) else planes.copy()
        picture = frame[region]
        out[i][region] = _shift_axis(_shift_axis(picture, float(dx[i]), -1), float(dy[i]), -2)
    return planes if out is None else out


def _shift_axis(plane: Any, s: float, axis: int) -> Any:
    """`plane` moved by `s` pixels along `axis` (the content at x goes to x + s)."""
    if s == 0.0:
        return plane
    whole = int(np.floor(s))
    t = 1.0 - (s - whole)  # the source point x - s lies t past sample x - whole - 1
    weights = _keys(t)
    pad = abs(whole) + 3
    size = plane.shape[axis]
    if isinstance(plane, np.ndarray):
        widths = [(0, 0)] * plane.ndim
        widths[axis] = (pad, pad)
        padded = np.pad(plane, widths, mode="symmetric")
        cut = [slice(None)] * plane.ndim

        def take(start: int) -> Any:
            cut[axis] = slice(start, start + size)
            return padded[tuple(cut)]

    else:
        import torch

        first = plane.narrow(axis, 0, pad).flip(axis)
        last = plane.narrow(axis, size - pad, pad).flip(axis)
        padded = torch.cat([first, plane, last], dim=axis)

        def take(start: int) -> Any:
            return padded.narrow(axis, start, size)

    base = pad - whole - 1  # where sample x - whole - 1 of position x lies in `padded`
    result = take(base - 1) * weights[0]
    for j, wj in zip(range(0, 3), weights[1:], strict=True):
        result += take(base + j) * wj
    return result
