"""Line scratches: thin lines down the film that stay in place from frame to frame, found
in each frame's columns and taken out (`--scratches`; the scratches stage,
`restore.scratches`).

A projector's or a printer's gate with grit in it scores the film as it runs through:
a line, light on a print (the emulsion scraped off) or dark (the negative was), a pixel
or a few wide, down much of the frame's height, on frame after frame, wandering by a pixel
or two. The dust stage cannot see it (it is in the same place in the frames either side);
a scratch is found in its own frame instead, as a column brighter (or darker) than the
columns a little to its left and right along much of the frame's height.

Each frame is cut into BANDS bands of rows. In each band, every column's line response is
the mean, over the band's rows, of the pixel less the mean of two side windows of SIDE
pixels, one each side, just further out than the widest scratch; the step across it (right
side less left) is taken the same way, and the line again against windows half as far.
Their median is taken over the frame and the REACH frames either side of it in its shot:
a scratch stays in place while the grain changes and the picture moves, so a line in
fewer than half of them (a thin thing passing) does not stand out of it. A column is a
scratch in a band when its line response stands out by MIN_CONTRAST and by
SCENE_TIMES the mean response of the columns around it (how much the picture itself has of
lines there), the step across it is smaller than the line (the edge of a thing, or of the
frame's black border, is a step, not a line), and it stands out of the nearer windows too
(a bar wider than a scratch does not). A scratch is one in COVER of the bands (wandering
by up to WANDER pixels from one band to the next), not one of a pattern of the picture's
lines (a grid, a fence, stripes: left alone), which is one with lines half as strong on
both sides of it within PATTERN of the width, or two on one side (two scratches side by
side are no pattern), and with none of the other sign LOBE times as strong just beside it
(whose side windows make a faint line of the other sign next to it).

A scratch is taken out, not painted over: across the columns it covers in that frame (and
a pixel more each side), each row's straight line between the pixels either side stands
for the picture without it. The scratch's shape across is the median of the difference
over its rows (the same all down it, unlike the picture's), and how much of it each row
has is that row's difference projected on the shape, smoothed by a running median down
the column (over ROWS of the height) and held to MOST times its middle (a thin stroke of
the picture under it is not more scratch). Only that is subtracted, so the picture's own
grain and detail under a half-transparent scratch stay. The bands where the line stands
out (WEAK of the threshold) are corrected, eased between bands, and those between them
too (the scratch runs on where lettering or foliage hides it), with a strength drawn
between the rows where it was seen; so are rows where an edge of the picture runs beside
it (the line between its sides is false there). Chroma is corrected the same way over the
same pixels (a colour film's scratch is coloured).

What stays: a thin line of the picture that holds still, as tall as a scratch (a mast, a
rope in a still shot, a highlight along an edge) is taken for one and dimmed. Not taken
out: a scratch wider than MAX_WIDTH of the frame, shorter than COVER of the height, over a
picture busier than it across along most of its length (text, foliage), or three or more
evenly spaced within PATTERN of the width (taken for a fence); a light scratch on white
that clipped (nothing of the picture is left under it) leaves a darker line.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

MAX_WIDTH = 0.005  # the widest scratch looked for, as a share of the frame's width (3 px at least)
SIDE = 3  # pixels in each side window a column is compared with
BANDS = 16  # bands of rows a frame's columns are judged in
COVER = 0.4  # a scratch stands out in at least this share of the bands ...
WANDER = 1  # ... moving by up to this many pixels from one band to the next
MIN_CONTRAST = 0.012  # it stands out by at least this much of the range, at strength 1 ...
SCENE_TIMES = 3.0  # ... and by this many times the mean response of the band's columns ...
AROUND = 0.05  # ... this share of the width either side (a busy picture has strong ones)
PEERS = 0.5  # lines of a picture's pattern are as strong as this share of each other's ...
PATTERN = 0.1  # ... within this share of the width: on both sides of one, or two on a side
LOBE = 1.5  # nor, of the other sign within its reach, this many times as strong
STEP = 1.0  # the step across a line is under this many times its contrast (an edge: 2 or more)
NARROW = 0.65  # a line stands out of the nearer side windows by this share of its contrast
REACH = 2  # frames either side whose median a frame's scratches are found in
WEAK = 0.5  # a band is corrected where the line stands out by this share of the threshold
ROWS = 0.04  # the running median down a scratch: this share of the height (9 rows at least)
MOST = 1.5  # a row is taken at most this many times the scratch's middle strength


def widest(width: int) -> int:
    """The widest scratch, in pixels, looked for in a frame `width` pixels wide."""
    return max(3, round(width * MAX_WIDTH))


@dataclass
class Lines:
    """One frame's column responses in each band (BANDS, W): the `line` against the side
    windows just beyond the widest scratch, the `step` across it, and the line against
    windows half as far (`narrow`), which a thing wider than a scratch does not stand out of."""

    line: torch.Tensor
    step: torch.Tensor
    narrow: torch.Tensor

    FIELDS = ("line", "step", "narrow")

    def threshold(self, strength: float) -> torch.Tensor:
        """(BANDS, W): how far each column stands out in each band to be a scratch there."""
        # The picture's own lines around each column, beyond the scratch's own reach.
        near = _around(self.line.abs(), *_ring(self.line.shape[1])).mean(-1)
        return torch.clamp(near * SCENE_TIMES, min=MIN_CONTRAST) / strength

    def standing(self, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(BANDS, W) bool: where a column is a light line, and a dark one, above `level`."""
        c = self.line
        lined = (self.step.abs() < STEP * c.abs()) & (self.narrow * c > NARROW * c * c)
        return (c > level) & lined, (c < -level) & lined


def _against_sides(y: torch.Tensor, gap: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pixel of (H, W) `y` less the mean of the SIDE pixels from `gap` away on either
    side, and the right side's mean less the left's."""
    w = y.shape[1]
    pad = gap + SIDE
    padded = F.pad(y[None], (pad, pad), mode="replicate")[0]
    box = F.avg_pool1d(padded[:, None], SIDE, stride=1)[:, 0]  # box[i]: y[i-pad .. i-pad+SIDE)
    left = box[:, 1 : 1 + w]  # y[x-gap-SIDE+1 .. x-gap]
    right = box[:, pad + gap : pad + gap + w]  # y[x+gap .. x+gap+SIDE-1]
    return y - (left + right) * 0.5, right - left


def lines(y: torch.Tensor) -> Lines:
    """The column responses (module docstring) of one (H, W) luma plane."""
    w = y.shape[1]
    bands = (BANDS, w)

    def banded(x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x[None, None], bands)[0, 0]

    line, step = _against_sides(y, widest(w) + 1)
    narrow, _ = _against_sides(y, widest(w) // 2 + 1)
    return Lines(banded(line), banded(step), banded(narrow))


def _widen(x: torch.Tensor, by: int) -> torch.Tensor:
    """A bool (..., W) widened by `by` pixels each way along W."""
    if by <= 0:
        return x
    flat = x.reshape(-1, 1, x.shape[-1]).float()
    return (F.max_pool1d(flat, 2 * by + 1, stride=1, padding=by) > 0).reshape(x.shape)


def _ring(width: int) -> tuple[int, int]:
    """The columns around a column that a scratch there does not reach: more than `inner`
    and up to `outer` away, in a frame `width` pixels wide."""
    inner = widest(width) + 1 + SIDE
    return inner, max(3 * inner, round(width * AROUND))


def _around(x: torch.Tensor, inner: int, outer: int) -> torch.Tensor:
    """(BANDS, W, K): for each column of (BANDS, W) `x`, its values over the columns more than
    `inner` and up to `outer` away (zeros beyond the frame's edge)."""
    w = x.shape[1]
    around = F.pad(x, (outer, outer)).unfold(1, 2 * outer + 1, 1)[:, :w]
    ring = torch.ones(2 * outer + 1, dtype=torch.bool, device=x.device)
    ring[outer - inner : outer + inner + 1] = False
    return around[..., ring]


def candidates(found: Lines, strength: float, level: torch.Tensor | None = None) -> torch.Tensor:
    """(2, W) bool: the columns where a light (0) or a dark (1) scratch stands out of the
    responses `found` (by `level`, their `threshold` at `strength` when not given), in COVER
    of the bands, with no line of the picture alike near it."""
    level = found.threshold(strength) if level is None else level
    light, dark = found.standing(level)
    w = found.line.shape[1]
    inner = _ring(w)[0]
    outer = max(4 * inner, round(w * PATTERN))
    strength_of = [
        (found.line * sign).clamp_min(0) * lit for lit, sign in ((light, 1.0), (dark, -1.0))
    ]
    for lit, own, other in ((light, *strength_of), (dark, *strength_of[::-1])):
        # A picture of lines (a grid, a fence, stripes) has others as strong on both sides of
        # each, or two on one side (its last one); two scratches side by side do not.
        top = F.max_pool1d(own[:, None], 3, stride=1, padding=1)[:, 0]
        peaks = torch.where((own >= top) & (own > 0), own, torch.zeros_like(own))
        alike = _around(peaks, inner, outer) >= PEERS * own[..., None]
        half = alike.shape[-1] // 2
        left, right = alike[..., :half].sum(-1), alike[..., half:].sum(-1)
        patterned = (peaks > 0) & (((left > 0) & (right > 0)) | (left > 1) | (right > 1))
        lit &= ~_widen(patterned, widest(w) // 2 + 1)  # the whole line, not its peak alone
        # Beside a strong line, its side windows make a weak one of the other sign.
        near = F.max_pool1d(other[:, None], 2 * inner + 1, stride=1, padding=inner)[:, 0]
        lit &= near < LOBE * own
    bands = _widen(torch.stack([light, dark]), WANDER).float().mean(1)
    return bands >= COVER


def over(seen: list[Lines]) -> Lines:
    """The median of frames' responses: a scratch stays in place while the grain changes
    and the picture moves, so what stands out of it is in most of the frames, in place."""
    stacked = (torch.stack([getattr(x, k) for x in seen]) for k in Lines.FIELDS)
    return Lines(*(x.median(0).values for x in stacked))


def _eased(active: torch.Tensor, height: int) -> torch.Tensor:
    """(height,) weights from a (BANDS,) 0/1 per band: 1 down the bands that are, easing to
    0 over half a band beyond them."""
    x = active[None, None]
    whole = F.interpolate(x, size=height, mode="nearest")
    eased = F.interpolate(x, size=height, mode="linear", align_corners=False)
    return torch.maximum(whole, eased)[0, 0]


def runs(columns: torch.Tensor) -> list[tuple[int, int]]:
    """The (first, last) of each run of True in a (W,) bool (a scratch's columns)."""
    x = columns.to(torch.int8)
    edges = torch.diff(F.pad(x, (1, 1)))
    starts = torch.nonzero(edges == 1).flatten().tolist()
    ends = torch.nonzero(edges == -1).flatten().tolist()
    return [(a, b - 1) for a, b in zip(starts, ends, strict=True)]


def _running_median(d: torch.Tensor, rows: int) -> torch.Tensor:
    """The median of (H, K) `d` down each column over `rows` rows around each row."""
    half = rows // 2
    padded = F.pad(d.T[None], (half, half), mode="replicate")[0]  # (K, H + 2 half)
    return padded.unfold(1, 2 * half + 1, 1).median(-1).values.T


def _between(x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """(H,) `x` drawn straight between its `known` rows (and level beyond them)."""
    at = torch.nonzero(known).flatten()
    rows = torch.arange(len(x), device=x.device)
    right = torch.searchsorted(at, rows).clamp(max=len(at) - 1)
    left = (right - 1).clamp(min=0)
    a, b = at[left], at[right]
    t = ((rows - a).to(x.dtype) / (b - a).clamp(min=1).to(x.dtype)).clamp(0, 1)
    return x[a] + (x[b] - x[a]) * t


def _taken(
    d: torch.Tensor, step: torch.Tensor, seen: torch.Tensor, rows: int
) -> torch.Tensor | None:
    """What a scratch adds to each of its (H, K) pixels, from their difference `d` from the
    line between its sides, the (H,) `step` between those sides, and the rows it was `seen`
    in; None when there is nothing to take."""
    if not bool(seen.any()):
        return None
    # The scratch's shape across: the same all down it, unlike the picture's.
    shape = d[seen].median(0).values
    peak = float(shape.abs().max())
    # Rows with an edge of the picture beside the scratch have a false line under it.
    sure = seen & (step.abs() <= STEP * peak)
    if peak < 1e-4 or not bool(sure.any()):
        return None
    shape = d[sure].median(0).values
    # How much of it each row has (its difference projected on the shape), smoothed down
    # the column; at most MOST times its middle (a strength changes slowly along a
    # scratch); where the picture hides it or an edge runs beside it, drawn between the
    # rows it is sure in.
    share = (d @ shape) / shape.square().sum().clamp_min(1e-12)
    share = _running_median(share[:, None], rows)[:, 0]
    amount = share.clamp(0, float(share[sure].median()) * MOST)
    amount = torch.where(sure, amount, _between(amount, sure))
    return amount[:, None] * shape[None]


@dataclass
class Correction:
    """What is taken out of one frame: runs of columns, each run's (H,) row weights, and its
    rows where the scratch was seen (between those it is taken for hidden by the picture)."""

    runs: list[tuple[int, int]]
    weights: list[torch.Tensor]
    seen: list[torch.Tensor]

    def apply(self, plane: torch.Tensor) -> torch.Tensor:
        """`plane` (H, W) with the scratches' share taken out over the runs."""
        if not self.runs:
            return plane
        h, w = plane.shape
        out = plane.clone()
        rows = max(9, round(h * ROWS)) | 1
        for (a, b), weight, seen in zip(self.runs, self.weights, self.seen, strict=True):
            lo, hi = max(0, a - SIDE), min(w, b + 1 + SIDE)
            left = plane[:, lo:a].mean(1) if a > lo else None
            right = plane[:, b + 1 : hi].mean(1) if hi > b + 1 else None
            if left is None and right is None:
                continue
            left = right if left is None else left
            right = left if right is None else right
            # Each row's line between the side windows' middles: the picture under the scratch.
            x0, x1 = (lo + a - 1) / 2, (b + 1 + hi - 1) / 2
            t = (torch.arange(a, b + 1, device=plane.device, dtype=plane.dtype) - x0) / (x1 - x0)
            base = left[:, None] + (right - left)[:, None] * t[None]
            d = plane[:, a : b + 1] - base
            taken = _taken(d, right - left, seen > 0.5, rows)
            if taken is None:
                continue
            out[:, a : b + 1] = plane[:, a : b + 1] - weight[:, None] * taken
        return out

    def mask(self, h: int, w: int, device: torch.device) -> torch.Tensor:
        """(H, W) bool: the pixels corrected."""
        m = torch.zeros((h, w), dtype=torch.bool, device=device)
        for (a, b), weight in zip(self.runs, self.weights, strict=True):
            m[:, a : b + 1] = (weight > 0)[:, None]
        return m


def correction(y: torch.Tensor, found: Lines, strength: float) -> Correction:
    """Where and how much to correct frame `y` (H, W), from the responses `found` over it
    and the frames around it (`over`)."""
    h = y.shape[0]
    level = found.threshold(strength)
    light, dark = found.standing(level * WEAK)
    scratch = candidates(found, strength, level)
    near = _widen(scratch, WANDER)
    # Per band, the columns where the line stands out near a scratch.
    per_band = (light & near[0][None]) | (dark & near[1][None])  # (BANDS, W)
    columns = _widen(per_band.any(0), 1)  # and the soft edge either side
    found_runs = runs(columns)
    weights, seen = [], []
    for a, b in found_runs:
        active = per_band[:, a : b + 1].any(1).to(y.dtype)
        # A scratch runs on under the picture between the bands it is seen in.
        at = torch.nonzero(active).flatten()
        spanned = torch.zeros_like(active)
        spanned[int(at[0]) : int(at[-1]) + 1] = 1
        weights.append(_eased(spanned, h))
        seen.append(_eased(active, h))
    return Correction(found_runs, weights, seen)


def clean(
    frames: torch.Tensor,
    first: int,
    shot: tuple[int, int],
    targets: range,
    strength: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor, list[Correction]]:
    """Frames `targets` of a run of luma planes `frames` (N, H, W) that begins at frame
    `first`, within a shot of frames shot[0]..shot[1]-1, with their scratches taken out:
    (len(targets), H, W) planes, bool masks of the pixels corrected, and each target's
    `Correction` (for its chroma). A frame's scratches are found in the median of its and
    the frames' REACH either side of it within the shot (or the nearest the run holds,
    where it stops short of them)."""
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"scratch strength must be within 0..1 (above 0), got {strength}")
    n, h, w = frames.shape
    lo, hi = max(shot[0], first), min(shot[1], first + n)
    wanted = range(max(lo, targets.start - REACH), min(hi, targets.stop + REACH))
    found = {t: lines(frames[t - first]) for t in wanted}
    ys, masks, fixes = [], [], []
    for t in targets:
        window = [found[k] for k in range(max(lo, t - REACH), min(hi, t + REACH + 1))]
        fix = correction(frames[t - first], over(window), strength)
        ys.append(fix.apply(frames[t - first]))
        masks.append(fix.mask(h, w, frames.device))
        fixes.append(fix)
    return torch.stack(ys), torch.stack(masks), fixes
