"""Film flicker: frame-to-frame changes of exposure, measured and evened out.

Old film flickers: a hand-cranked camera's shutter, an uneven printer light, a
print faded unevenly or a projector's lamp make each frame a little lighter or
darker than its neighbours, many times a second. The picture itself does not
change; its brightness does, as a gain (exposure) and an offset (the black level
of the print or the scan) on the whole frame.

How it is measured: each frame's luma histogram, as 13 quantiles (2 % ... 98 %)
of a small grey copy. A histogram does not care where things are, so a pan or
something moving through the frame hardly moves it, while a change of exposure
moves every quantile at once.

What a frame should have been: for each quantile, a quadratic fitted through the
frame's neighbours within its shot (`HALF_WINDOW_S` either side; fewer at the
shot's ends, never across a cut), read at the frame (a Savitzky-Golay smoother). A
curve, not a mean: a fade in or out, or a slow change of light, is followed, and
only the fast wobble around it is taken away.

The correction: the gain and offset that best carry the frame's quantiles onto the
curve's (least squares over the quantiles, reweighted so that the few a moving
object shifted count less), applied to the luma; a gain scales the
chroma too (an exposure change scales R, G and B alike). `strength` takes that
share of it. Where a frame has almost no contrast (black, a title card's flat
ground), only the offset is corrected.

Flicker that differs across the frame (a printer lamp's uneven field, a vignette
breathing, one side of the frame lighter than the other by turns): once the whole
frame is evened out, each frame's light is measured again in a grid of tiles
(`GRID`, means of the same small copy), and each tile held to the running median of
its own means over the frames either side (`FIELD_HALF`). A median, not the curve
the whole frame is held to: something moving through a tile changes its mean over
several frames in a row, which a median of seven follows, while flicker changes it
from one frame to the next, which it does not. What is left is a gain per tile; the
frame's gain field is the smooth surface (a quadratic in x and y) through them,
reweighted as above so that the few tiles where something moved or a highlight
clipped count less, and applied to the luma and the chroma alike.

Known limits: a real, fast change of light (a flash, a lamp switched on, an
explosion) is flicker to this measure and is evened out along with it; a lower
strength keeps more of it. Flicker that differs across the frame is taken out as a
smooth field: a stain smaller than a few tiles breathing is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

QUANTILES = np.linspace(0.02, 0.98, 13)
HALF_WINDOW_S = 0.75  # seconds either side of a frame that say what it should have been
DEGREE = 2  # of the curve through them: follows a fade or a slow change, not the wobble
ANALYSIS_WIDTH = 160  # px: quantiles of a small grey copy (averages grain away, fast)
MIN_SPREAD = 0.03  # quantile spread (of 1) below which a frame's gain is not trusted
GAIN_RANGE = (0.6, 1.6)
MAX_OFFSET = 0.25
ROBUST_ROUNDS = 3
STEP_S = 0.25  # a change of light that lasts this long on both sides is the film's, not flicker
STEP_MIN = 0.06  # ... and is at least this large (of 1, on the mean of the quantiles)
STEP_NOISE = 2.5  # ... and this many times the frame-to-frame wobble around it
GRID = (6, 8)  # rows, columns of tiles whose means say how the light falls across a frame
FIELD_HALF = 3  # frames either side of a frame whose running median a tile is held to
FIELD_RANGE = 0.25  # the most a frame's field moves any pixel's gain
FIELD_RIDGE = 1e-4  # keeps a black frame's fit defined (its field none)


def half_window(fps: float | None) -> int:
    """Frames either side of a frame whose brightness says what it should have been."""
    rate = float(fps) if fps and fps > 0 else 24.0
    return max(2, round(rate * HALF_WINDOW_S))


def step_span(fps: float | None) -> int:
    """Frames a change of light must last on each side to be a step (`steps`)."""
    rate = float(fps) if fps and fps > 0 else 24.0
    return max(3, round(rate * STEP_S))


def steps(q: np.ndarray, span: int) -> np.ndarray:
    """(N,) bool: where the light changes for good (a lamp switched on, the sun behind a
    cloud, the flash of an explosion) before frame t, which `corrections` must keep.

    A step: the median level of the `span` frames from t differs from that of the `span`
    frames before t by at least `STEP_MIN` and `STEP_NOISE` times the frame-to-frame wobble
    on either side, and by more than at any frame within `span` of t. Flicker, a frame or
    two lighter or darker, moves a median of `span` frames little. A frame's verdict needs
    the frames within 2 x `span` of it; none within `span` of the ends is a step.
    """
    q = np.asarray(q, np.float64)
    n = q.shape[0]
    if n < 2 * span + 1:
        return np.zeros(n, bool)
    level = q.mean(axis=1)
    runs = sliding_window_view(level, span)  # runs[i] = level[i : i + span]
    middle = np.median(runs, axis=1)
    mean = runs.mean(axis=1)
    wobble = np.abs(np.diff(runs, axis=1)).mean(axis=1)
    t = np.arange(span, n - span + 1)  # frames with `span` on both sides
    jump = np.abs(middle[t] - middle[t - span])
    noise = np.maximum(wobble[t], wobble[t - span])
    big = np.zeros(n, bool)
    big[t] = (jump >= STEP_MIN) & (jump >= STEP_NOISE * noise)
    # Where: the frame the means before and after part most at (a median's jump is flat
    # for a few frames around a step, a mean's peaks at it), one step within reach.
    parting = np.zeros(n)
    parting[t] = np.abs(mean[t] - mean[t - span])
    around = sliding_window_view(np.pad(parting, span), 2 * span + 1)
    found = big & (np.argmax(around, axis=1) == span)
    found[:span] = False
    found[n - span + 1 :] = False
    return found


def levels(gray: np.ndarray) -> np.ndarray:
    """The (13,) luma quantiles of one grey frame, in [0, 1] (uint8 or [0, 1] floats)."""
    g = np.asarray(gray)
    if g.dtype != np.uint8:
        return np.quantile(g, QUANTILES).astype(np.float64)
    # From the histogram: the order statistics np.quantile interpolates between, 6x faster
    # (a frame's levels are measured twice, by shot detection and by the deflicker stage).
    count = np.cumsum(np.bincount(g.ravel(), minlength=256))
    position = QUANTILES * (g.size - 1)
    below = np.floor(position).astype(np.int64)
    low = np.searchsorted(count, below, side="right")
    high = np.searchsorted(count, np.minimum(below + 1, g.size - 1), side="right")
    return (low + (high - low) * (position - below)) / 255.0


def targets(q: np.ndarray, half: int) -> np.ndarray:
    """What each frame's quantiles should have been: per quantile, the least-squares
    quadratic through frames t-half..t+half (clipped to the sequence) read at t.

    `q` (N, P) quantiles of one shot's consecutive frames. Fades and slow changes of light
    (up to quadratic) pass unchanged, the shot's ends included.
    """
    return window_fit(q, half)


def window_fit(values: np.ndarray, half: int, *, relative: bool = False) -> np.ndarray:
    """(N, P): per frame and column of `values` (N, P), the least-squares quadratic through
    the frame's window (t-half..t+half, clipped to the sequence) read at the frame.

    With `relative`, each frame's fit is made on the values less the frame's own, and that
    is what comes back (the curve less the value): for values in fixed point (`imaging.
    weave`'s path) the differences are exact, so the figures do not depend on what the
    values were counted from.
    """
    x = np.asarray(values, np.float64)
    n = x.shape[0]
    if n <= DEGREE:
        return np.zeros_like(x) if relative else x.copy()
    # Per frame, the normal equations of the fit over its window, centred on the frame
    # (u = (s - t) / half, so the curve is read at u = 0), summed offset by offset from
    # zero-padded copies: each frame's sums in the same order whatever the length of `x`,
    # so a stretch of a shot gives its frames the same figures, to the bit, as the whole.
    u = np.arange(-half, half + 1, dtype=np.float64) / half
    powers = np.stack([u**k for k in range(DEGREE + 1)], axis=1)  # (W, D)
    inside = np.pad(np.ones(n), half)
    padded = np.pad(x, ((half, half), (0, 0)))
    normal = np.zeros((n, DEGREE + 1, DEGREE + 1))
    rhs = np.zeros((n, x.shape[1], DEGREE + 1))
    for k, p in enumerate(powers):
        there = inside[k : k + n, None]
        window = padded[k : k + n] - x if relative else padded[k : k + n]
        normal += there[:, :, None] * np.outer(p, p)
        rhs += (there * window)[:, :, None] * p
    coef = np.linalg.solve(normal[:, None], rhs[..., None])[..., 0]  # (N, P, D)
    return coef[..., 0]


@dataclass(frozen=True)
class Correction:
    """Per frame: luma' = (gain * luma + offset) * field + field offset, chroma' = gain *
    field * chroma, where `field` (N, 7) holds the coefficients of each frame's gain field
    less 1 (`field_map`) and that offset last; None where only the whole frame is evened
    out."""

    gain: np.ndarray  # (N,)
    offset: np.ndarray  # (N,)
    field: np.ndarray | None = None  # (N, 7)

    def __len__(self) -> int:
        return int(self.gain.shape[0])

    def part(self, start: int, stop: int) -> Correction:
        """Frames start..stop-1 of these."""
        field = None if self.field is None else self.field[start:stop]
        return Correction(self.gain[start:stop], self.offset[start:stop], field)


def corrections(
    q: np.ndarray,
    half: int,
    strength: float = 1.0,
    *,
    span: int | None = None,
    tiles: np.ndarray | None = None,
    aspect: float = 0.5625,
) -> Correction:
    """The gain and offset per frame that carry its quantiles onto `targets` (times
    `strength`, 0..1), bounded; offset alone for a frame with too little contrast to tell
    a gain.

    Least squares over the quantiles, reweighted (Cauchy weights, `ROBUST_ROUNDS` rounds) so
    that quantiles moved by the picture rather than the exposure (something bright or dark
    passing through, which moves some quantiles and not the others) count for less.

    With `span` (`step_span`), a lasting change of light (`steps`) parts the shot as a
    cut would: each side is evened out on its own and the step stays where it is.

    With `tiles` (N, R * C), each frame's tile means (`tiles`) of a copy `aspect` (height /
    width) high, each frame's gain field too (`fields`), times `strength`.
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be within 0..1, got {strength}")
    q = np.asarray(q, np.float64)
    goal = np.empty_like(q)
    edges = [0, *np.flatnonzero(steps(q, span)), len(q)] if span else [0, len(q)]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        goal[a:b] = targets(q[a:b], half)
    gain, offset = fit(q, goal)
    gain = 1.0 + strength * (gain - 1.0)
    offset = strength * offset
    field = None
    if tiles is not None:
        evened = np.asarray(tiles, np.float64) * gain[:, None] + offset[:, None]
        field = (strength * fields(evened, edges, aspect)).astype(np.float32)
    return Correction(gain.astype(np.float32), offset.astype(np.float32), field)


def tiles(gray: np.ndarray) -> np.ndarray:
    """(R * C,) the means of a grey frame's tiles (`GRID`, row by row), in [0, 1] (uint8 or
    [0, 1] floats)."""
    g = np.asarray(gray, np.float64)
    if np.asarray(gray).dtype == np.uint8:
        g = g / 255.0
    rows, cols = GRID
    # A copy fewer pixels high or wide than the grid: each pixel stands for several tiles.
    g = np.repeat(g, -(-rows // g.shape[0]), axis=0)
    g = np.repeat(g, -(-cols // g.shape[1]), axis=1)
    r = np.linspace(0, g.shape[0], rows + 1).round().astype(np.int64)
    c = np.linspace(0, g.shape[1], cols + 1).round().astype(np.int64)
    sums = np.add.reduceat(np.add.reduceat(g, r[:-1], axis=0), c[:-1], axis=1)
    return (sums / np.outer(np.diff(r), np.diff(c))).ravel()


def field_terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(..., 6): the terms of the quadratic in x and y a gain field is made of (x from -1 at
    the left edge to 1 at the right, y as far in the same units, 0 at the middle)."""
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)


def _tile_terms(aspect: float) -> np.ndarray:
    rows, cols = GRID
    x = (np.arange(cols) + 0.5) / cols * 2 - 1
    y = ((np.arange(rows) + 0.5) / rows * 2 - 1) * aspect
    xx, yy = np.meshgrid(x, y)
    return field_terms(xx.ravel(), yy.ravel())


def running_median(values: np.ndarray, half: int) -> np.ndarray:
    """(N, K): per column, the median of the frames t-k..t+k, k = `half` or as many as
    there are on both sides of t. Centred, so that a run of frames getting steadily lighter
    or darker (a fade, a pan to the sky) is its own median, to a shot's ends."""
    v = np.asarray(values, np.float64)
    n = v.shape[0]
    out = v.copy()
    for k in range(1, min(half, (n - 1) // 2) + 1):
        out[k : n - k] = np.median(sliding_window_view(v, 2 * k + 1, axis=0), axis=-1)
    return out


def fields(m: np.ndarray, edges: list[int], aspect: float) -> np.ndarray:
    """(N, 7): each frame's gain field less 1 (6 coefficients, `field_map`) and an offset,
    that carry its tile means `m` (N, R * C, the whole frame evened out) onto the running
    median of each tile's (`FIELD_HALF` either side, within the parts `edges` cut the shot
    into): least squares over the tiles, weighted by their light (a dark tile's gain says
    little), reweighted (Cauchy, `ROBUST_ROUNDS` rounds) so that tiles moved by the picture
    count less. The offset takes what the whole frame's evening out left of the black level
    (a bright thing passing moves the quantiles), which a gain field could only bend to. A
    frame's field depends only on the frames within `FIELD_HALF` of it."""
    m = np.asarray(m, np.float64)
    goal = np.empty_like(m)
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        goal[a:b] = running_median(m[a:b], FIELD_HALF)
    miss = goal - m
    gains = _tile_terms(aspect)[None] * m[:, :, None]  # (N, K, 6): gain - 1 -> miss
    design = np.concatenate([gains, np.ones_like(m)[:, :, None]], axis=2)
    ridge = FIELD_RIDGE * np.eye(design.shape[2])
    # Weighed from the start by how far each tile's miss is from the frame's middle one,
    # not from a plain fit: a quadratic bends to a few far tiles in a corner (something
    # bright passing there), and a reweighting that starts from that bend keeps it.
    left = np.abs(miss - np.median(miss, axis=1, keepdims=True))
    for _ in range(ROBUST_ROUNDS + 1):
        scale = np.maximum(1.4826 * np.median(left, axis=1), 1e-3)
        weight = 1.0 / (1.0 + (left / (2.0 * scale[:, None])) ** 2)
        weighted = (design * weight[:, :, None]).transpose(0, 2, 1)  # (N, P, K)
        coef = np.linalg.solve(weighted @ design + ridge, weighted @ miss[:, :, None])[..., 0]
        left = np.abs(np.einsum("nkp,np->nk", design, coef) - miss)
    return coef


def field_map(coef: np.ndarray, height: int, width: int, like: Any = None) -> Any:
    """(N, height, width) float32: each frame's gain field (the first 6 of `coef`'s
    columns, `fields`) over a frame of that size, 1 where there is none, held within 1 +-
    `FIELD_RANGE`. A torch tensor on `like`'s device where `like` is one (the planes it is
    to multiply)."""
    c = np.asarray(coef, np.float64)
    x = (np.arange(width) + 0.5) / width * 2 - 1
    y = ((np.arange(height) + 0.5) / height * 2 - 1) * (height / width)
    # Separably: a row's terms in x, those times y and y squared (the frame's pixels once).
    along = (c[:, 0, None] + c[:, 1, None] * x + c[:, 3, None] * x * x).astype(np.float32)
    by_y = (c[:, 2, None] + c[:, 4, None] * x).astype(np.float32)
    by_y2 = c[:, 5].astype(np.float32)
    y = y.astype(np.float32)
    if like is not None and not isinstance(like, np.ndarray):
        import torch

        along, by_y, by_y2, y = (
            torch.as_tensor(a, device=like.device) for a in (along, by_y, by_y2, y)
        )
        out = y[None, :, None] * by_y[:, None, :]
        out += along[:, None, :]
        out += by_y2[:, None, None] * (y * y)[None, :, None]
        return out.clamp_(-FIELD_RANGE, FIELD_RANGE).add_(1.0)
    # In place: at 4K a frame's map is 33 MB, and each temporary another pass over it.
    out = np.multiply(y[None, :, None], by_y[:, None, :])
    out += along[:, None, :]
    out += by_y2[:, None, None] * (y * y)[None, :, None]
    np.clip(out, -FIELD_RANGE, FIELD_RANGE, out=out)
    out += 1.0
    return out


def fit(q: np.ndarray, goal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame (row), the bounded gain and offset carrying quantiles `q` onto `goal`:
    reweighted least squares (`corrections`); offset alone where `q` has too little spread."""
    flat = q[:, -1] - q[:, 0] < MIN_SPREAD
    weight = np.ones_like(q)
    for _ in range(ROBUST_ROUNDS + 1):
        total = weight.sum(axis=1)
        qm = (weight * q).sum(axis=1) / total
        gm = (weight * goal).sum(axis=1) / total
        dq = q - qm[:, None]
        var = (weight * dq * dq).sum(axis=1)
        cov = (weight * dq * (goal - gm[:, None])).sum(axis=1)
        gain = np.clip(np.where(flat, 1.0, cov / np.maximum(var, 1e-12)), *GAIN_RANGE)
        offset = gm - gain * qm
        miss = np.abs(gain[:, None] * q + offset[:, None] - goal)
        scale = np.maximum(1.4826 * np.median(miss, axis=1), 1e-3)  # of 1: a quarter level
        weight = 1.0 / (1.0 + (miss / (2.0 * scale[:, None])) ** 2)
    return gain, np.clip(offset, -MAX_OFFSET, MAX_OFFSET)


def wobble(q: np.ndarray, centre: np.ndarray) -> float:
    """How far (of 1) evening out would move the middle frame of a window of 2 half + 1
    frames' quantiles `q` towards the curve through them (`centre_weights(half)`): a frame's
    flicker as `shots.CutAnalysis` and `survey.flicker_around` measure it."""
    half = len(q) // 2
    mid = q[half][None]
    gain, offset = fit(mid, (centre @ q)[None])
    return float(np.abs((gain - 1) * mid + offset).mean())


def centre_weights(half: int) -> np.ndarray:
    """(2 half + 1,) weights: their sum with a whole window's values is the value at its
    centre of the quadratic through them (`targets` away from a shot's ends)."""
    u = np.arange(-half, half + 1, dtype=np.float64) / half
    powers = np.stack([u**k for k in range(DEGREE + 1)], axis=1)  # (W, D)
    return np.linalg.solve(powers.T @ powers, powers.T)[0]


def flicker_of(q: np.ndarray, half: int) -> float:
    """How much a shot's brightness wobbles: the mean distance (of 1) of its frames'
    quantiles from what they should have been (`targets`); about 0 for a steady film."""
    q = np.asarray(q, np.float64)
    if q.shape[0] < 3:
        return 0.0
    return float(np.abs(q - targets(q, half)).mean())
