"""Dust and dirt: specks on one frame only, found against the frames either side and filled
from them (`--dust`; the dust stage, `restore.dust`).

A speck of dirt on the print, or a spot of emulsion lost, is on one frame and gone on the
next. Each neighbour is first moved onto the frame block by block (`moved_onto`: a search
on quarter-size copies, refined at half size, then per 8-pixel block among the vectors
around it and to the pixel) and given the frame's exposure (`exposed_as`: old films
flicker). A pixel is then taken for dirt when it is brighter than all the 3 x 3 pixels
around it in both moved neighbours, or darker than all of them (the 3 x 3 absorbs what the
blocks miss by a pixel), by more than MIN_CONTRAST and GRAIN_TIMES the frame's grain -
judged on the pixels and again on 3 x 3 means, where a faint speck wider than a pixel
stands out - while the two neighbours agree there and their blocks fit the frame. A
speck's fainter rim is followed from it. A spot is left alone, all of it, when it is too
wide to be dirt (a flash, a bird crossing the frame in one exposure), when it is like the
frame's own pixels around it (an edge whose motion was missed), or when the moved
neighbours do not fit the frame around it (the tip of something swinging). What is taken
is replaced by the mean of the two moved neighbours, a pixel wider than found, so its
soft edge goes with it.

Frame t is judged from t - 1 and t + 1 within its shot; the first and last frames of a
shot from the two after or before them; a shot of fewer than three frames is left as it
is. Dirt stuck in the gate for two frames is on the same place of t and t + 1, so neither
is judged by its neighbours alone: where t stands out from t - 1 as dirt does while t + 1
(as read) is like it there, t is judged against t - 1 and t + 2 (`twins`; and the same the
other way), in the parts of the frame around such pixels only (`_parts`: the frame beyond
is moved onto those parts as they would be moved with the whole). Every step is a
pooling, a gather or arithmetic on each frame alone, so a frame's result depends only on
it and the two neighbours either side, never on how frames are batched.

Not found: a scratch along the film (it stays in place from frame to frame, as do dust
stuck in the gate for three frames or more and a hair that stays; `imaging.scratches` takes
scratches out), and dirt on two frames running of the first or last two frames of a shot.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
import torch.nn.functional as F

ANALYSIS = 4  # motion first measured on copies this many times smaller
BLOCK = 8  # a motion block's side, in those small copies' pixels (32 px in the frame)
SEARCH = 6  # how far a block is looked for, in those pixels (24 px in the frame)
MIN_CONTRAST = 0.05  # a speck stands out by at least this much (of the 0..1 range) ...
GRAIN_TIMES = 5.5  # ... and by this many times the frame's measured grain, at strength 1
NOISE_FLOOR = 0.015  # the least a frame's grain is reckoned to be, judging how neighbours fit
AGREE = 0.5  # the neighbours differ there by under this share of how far the speck stands out
WEAK = 0.5  # a speck's fainter rim: pixels standing out by this share of the threshold
CORE_GROW = 2  # steps a speck's rim is grown by before the speck is judged ...
GROW = 6  # ... and after, from what is kept
MAX_SPOT = 0.04  # a spot wider than this share of the frame's width is not dirt
HALO = 1  # pixels filled around what is found
REACH_PX = 32  # no vector reaches further (SEARCH * ANALYSIS and a few pixels of refining)
FINE = 8  # the blocks a frame is finally moved by, each with a vector of a block around it
SELF_RADIUS = 3  # a speck is compared with the frame's own pixels this far around it ...
SELF = 0.5  # ... and stands out from them by this share of the threshold
RING_IN = 1  # a speck's surroundings: the pixels more than this far from it ...
RING = 4  # ... and up to this far
RING_TIMES = 3.0  # ... where the moved neighbours fit the frame within this many grains
SPREAD_STEPS = 256  # a spot's parts are joined over at most this many pixels
UNSURE = 2.0  # blocks still this many grains apart once moved are not judged ...
CAP = 3.0  # ... each pixel counting for this many grains at most (also choosing vectors)
TILE = 128  # dirt on two frames is judged in tiles of this many pixels that hold a seed ...
AROUND = 128  # ... each with at least this much of the frame around it (a multiple of 32)


def judges(t: int, first: int, end: int) -> tuple[int, int] | None:
    """The two frames frame `t` is judged against, within frames first..end-1 (its shot);
    None when the shot has fewer than three frames."""
    if end - first < 3:
        return None
    if t - 1 >= first and t + 1 < end:
        return t - 1, t + 1
    return (t + 1, t + 2) if t - 1 < first else (t - 2, t - 1)


def _shrink(x: torch.Tensor, k: int) -> torch.Tensor:
    return F.avg_pool2d(x[None, None], k, ceil_mode=True)[0, 0] if k > 1 else x


def _pad(image: torch.Tensor) -> torch.Tensor:
    """`image` with REACH_PX pixels of its edge repeated around it, for `_gather`."""
    m = REACH_PX
    return F.pad(image[None, None], (m, m, m, m), mode="replicate")[0, 0].contiguous()


def _gather(
    padded: torch.Tensor,
    vy: torch.Tensor,
    vx: torch.Tensor,
    block: int,
    origin: tuple[int, int] = (0, 0),
    size: tuple[int, int] | None = None,
) -> torch.Tensor:
    """The picture `padded` holds (`_pad`) with each block of block x block pixels taken from
    (vy, vx) away (the block's vector, whole pixels; the edge repeated beyond the frame).
    `origin`, `size`: only the part of the frame from that pixel on, that large (its blocks
    counted from it), as the same part of the whole frame's result."""
    m = REACH_PX
    r0, c0 = origin
    h, w = (
        size if size is not None else (padded.shape[0] - 2 * m - r0, padded.shape[1] - 2 * m - c0)
    )
    nb, mb = vy.shape
    out = _blocks(padded, vy, vx, block, origin)
    return out.permute(0, 2, 1, 3).reshape(nb * block, mb * block)[:h, :w]


def _blocks(
    padded: torch.Tensor,
    vy: torch.Tensor,
    vx: torch.Tensor,
    block: int,
    origin: tuple[int, int] = (0, 0),
    rim: int = 0,
) -> torch.Tensor:
    """What `_gather` gives, block by block: (nb, mb, side, side) for blocks of `block` px
    and `rim` pixels more on each side (side = block + 2 rim), so that the block moved by up
    to `rim` pixels more is a slice of it. Vectors reach REACH_PX - rim pixels at most
    (more than the searches reach: SEARCH * ANALYSIS and a few pixels of refining)."""
    m = REACH_PX
    full_h, full_w = padded.shape[0] - 2 * m, padded.shape[1] - 2 * m
    r0, c0 = origin
    nb, mb = vy.shape
    # Whole blocks copied from a view of every window of the picture (a third quicker than
    # a gather pixel by pixel); where the frame ends inside its last blocks, their rows or
    # columns past it are read from rows and columns added for them only.
    extra_h, extra_w = r0 + nb * block - full_h, c0 + mb * block - full_w
    if extra_h > 0 or extra_w > 0:
        padded = F.pad(padded, (0, max(extra_w, 0), 0, max(extra_h, 0)))
    windows = _windows(padded, block + 2 * rim)
    reach = m - rim
    top = torch.arange(0, nb * block, block, device=padded.device)[:, None] + reach + r0
    left = torch.arange(0, mb * block, block, device=padded.device)[None, :] + reach + c0
    return windows[top + vy.clamp(-reach, reach), left + vx.clamp(-reach, reach)]


def _as_blocks(picture: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`picture` (H, W) as (nb, mb, block, block) blocks, and where the frame ends inside
    its last blocks, (nb, mb, block, block) weights: one over the count of the block's
    pixels in the frame on each of them, 0 past them (None where every block is whole)."""
    h, w = picture.shape
    nb, mb = -(-h // block), -(-w // block)
    weights = None
    if (nb * block, mb * block) != (h, w):
        grow = (0, mb * block - w, 0, nb * block - h)
        picture = F.pad(picture, grow)
        weights = F.pad(torch.ones(h, w, device=picture.device), grow)
        weights = weights.reshape(nb, block, mb, block).permute(0, 2, 1, 3)
        weights = (weights / weights.sum((2, 3), keepdim=True)).contiguous()
    return picture.reshape(nb, block, mb, block).permute(0, 2, 1, 3), weights


def _mean_blocks(
    target: torch.Tensor, moved: torch.Tensor, weights: torch.Tensor | None, cap: float | None
) -> torch.Tensor:
    """(nb, mb): the mean size of the difference of each block (`_as_blocks`) over the
    frame's pixels, each counting for `cap` at most (None: no cap). With a cap, a speck, far
    from whatever lies under it, counts alike for every vector tried, so it does not sway
    which one fits."""
    diff = (target - moved).abs_()
    if cap is not None:
        diff = diff.clamp_max_(cap)
    if weights is None:
        return diff.mean((2, 3))
    return diff.mul_(weights).sum((2, 3))


def _windows(picture: torch.Tensor, side: int) -> torch.Tensor:
    """A view of every side x side window of `picture` (H, W), by its top-left corner:
    (H - side + 1, W - side + 1, side, side); nothing is copied until it is indexed."""
    rows, cols = picture.shape
    return picture.as_strided((rows - side + 1, cols - side + 1, side, side), (cols, 1, cols, 1))


def _per_pixel(grid: torch.Tensor, block: int, h: int, w: int) -> torch.Tensor:
    """A value per block of block x block pixels, given to each of its pixels: (h, w)."""
    return grid.repeat_interleave(block, 0)[:h].repeat_interleave(block, 1)[:, :w]


def motion(target: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per block of `target` (H, W), where its content lies in `other`: (vy, vx) in whole
    pixels of the frame, each (ceil(H / b), ceil(W / b)) for blocks of b = BLOCK * ANALYSIS
    pixels."""
    small_t, small_o = _shrink(target, ANALYSIS), _shrink(other, ANALYSIS)
    h, w = small_t.shape
    s = SEARCH
    padded = F.pad(small_o[None, None], (s, s, s, s), mode="replicate")[0, 0]
    costs, offsets = [], []
    for dy in range(-s, s + 1):
        for dx in range(-s, s + 1):
            moved = padded[s + dy : s + dy + h, s + dx : s + dx + w]
            cost = F.avg_pool2d((small_t - moved).abs()[None, None], BLOCK, ceil_mode=True)
            # a whisker against moving: a flat block keeps its place
            costs.append(cost[0, 0] + 1e-4 * (abs(dy) + abs(dx)))
            offsets.append((dy, dx))
    best = torch.stack(costs).argmin(0)
    table = torch.tensor(offsets, device=target.device)
    vy, vx = table[best, 0], table[best, 1]
    # Refined at half size, a pixel either way, blocks as large in the frame.
    half = ANALYSIS // 2
    half_t, half_p = _shrink(target, half), _pad(_shrink(other, half))
    block = BLOCK * ANALYSIS // half
    vy, vx = vy * (ANALYSIS // half), vx * (ANALYSIS // half)
    blocks, weights = _as_blocks(half_t, block)
    around = _blocks(half_p, vy, vx, block, rim=1)
    costs, steps = [], []
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            moved = around[:, :, 1 + ey : 1 + ey + block, 1 + ex : 1 + ex + block]
            costs.append(_mean_blocks(blocks, moved, weights, None) + 1e-4 * (abs(ey) + abs(ex)))
            steps.append((ey, ex))
    best = torch.stack(costs).argmin(0)
    table = torch.tensor(steps, device=target.device)
    return (vy + table[best, 0]) * half, (vx + table[best, 1]) * half


def _cap(target: torch.Tensor, rough: torch.Tensor) -> float:
    """How much a pixel may count for at most when `_finer` chooses vectors: a few times the
    robust spread of the difference from `rough`, the other picture moved by the blocks'
    first vectors."""
    return max(CAP * 1.4826 * float((target - rough).abs().median()), 0.02)


def _finer(
    target: torch.Tensor,
    padded: torch.Tensor,
    vy: torch.Tensor,
    vx: torch.Tensor,
    cap: float,
    window: tuple[int, int, int, int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Vectors for blocks of FINE pixels: each takes whichever of its own block's vector and
    the eight around it fits it best (so an edge between two motions is followed inside a
    block), then the best of that moved by a pixel or none. `padded`: the other picture
    (`_pad`); `cap`: `_cap`; `window`: rows r0..r1 and columns c0..c1 of the frame, the
    first of each a multiple of BLOCK * ANALYSIS: the blocks there, as the whole frame's."""
    big = BLOCK * ANALYSIS
    per = big // FINE
    r0, r1, c0, c1 = window
    part = target[r0:r1, c0:c1]
    py = F.pad(vy[None, None].float(), (1, 1, 1, 1), mode="replicate")[0, 0].long()
    px = F.pad(vx[None, None].float(), (1, 1, 1, 1), mode="replicate")[0, 0].long()
    b0, b1, d0, d1 = r0 // big, -(-r1 // big), c0 // big, -(-c1 // big)
    blocks, weights = _as_blocks(part, FINE)
    fine = blocks.shape[:2]
    costs, cands = [], []
    for oy, ox in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
        cy = _per_pixel(py[1 + oy + b0 : 1 + oy + b1, 1 + ox + d0 : 1 + ox + d1], per, *fine)
        cx = _per_pixel(px[1 + oy + b0 : 1 + oy + b1, 1 + ox + d0 : 1 + ox + d1], per, *fine)
        cost = _mean_blocks(blocks, _blocks(padded, cy, cx, FINE, (r0, c0)), weights, cap)
        costs.append(cost + (0.0 if (oy, ox) == (0, 0) else 1e-4))
        cands.append((cy, cx))
    best = torch.stack(costs).argmin(0)
    fy = torch.stack([c[0] for c in cands]).gather(0, best[None])[0]
    fx = torch.stack([c[1] for c in cands]).gather(0, best[None])[0]
    # Then to the pixel: the half-size search moved by two, each a slice of blocks taken
    # with a pixel more around them.
    around = _blocks(padded, fy, fx, FINE, (r0, c0), rim=1)
    costs, steps = [], []
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            moved = around[:, :, 1 + ey : 1 + ey + FINE, 1 + ex : 1 + ex + FINE]
            cost = _mean_blocks(blocks, moved, weights, cap)
            costs.append(cost + 1e-4 * (abs(ey) + abs(ex)))
            steps.append((ey, ex))
    best = torch.stack(costs).argmin(0)
    table = torch.tensor(steps, device=target.device)
    return fy + table[best, 0], fx + table[best, 1]


def moved_onto(target: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`other` moved onto `target` (both (H, W)) block by block, and (H, W) bool: where it
    came from outside `other` (what a pan brings in at the edge: nothing to judge by)."""
    return moved_parts(target, other)[0][0]


def moved_parts(
    target: torch.Tensor,
    other: torch.Tensor,
    windows: list[tuple[int, int, int, int]] | None = None,
) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor]:
    """`moved_onto` for parts of the frame only: `windows` (rows r0..r1, columns c0..c1, r0
    and c0 multiples of BLOCK * ANALYSIS), each as that part of the whole frame's result
    (the whole frame when None). The first search and the vectors' cap are the whole
    frame's either way; the rest costs in proportion to the parts' size. Also `other` moved
    onto the whole frame by the first search's vectors: its `levels` are near those of the
    whole result (what a pan brings in and takes out is in both; the blocks' vectors
    differ by a few pixels at most), for `exposed_as`."""
    h, w = target.shape
    vy, vx = motion(target, other)
    padded = _pad(other)
    rough = _gather(padded, vy, vx, BLOCK * ANALYSIS)
    cap = _cap(target, rough)
    out = []
    for r0, r1, c0, c1 in windows or [(0, h, 0, w)]:
        fy, fx = _finer(target, padded, vy, vx, cap, (r0, r1, c0, c1))
        ys = torch.arange(r0, r1, device=target.device)[:, None]
        xs = torch.arange(c0, c1, device=target.device)[None, :]
        by = _per_pixel(fy, FINE, r1 - r0, c1 - c0) + ys
        bx = _per_pixel(fx, FINE, r1 - r0, c1 - c0) + xs
        # A pixel of the 3 x 3 around it beyond the edge counts too (the edge is repeated).
        outside = (by < 1) | (by > h - 2) | (bx < 1) | (bx > w - 2)
        out.append((_gather(padded, fy, fx, FINE, (r0, c0), (r1 - r0, c1 - c0)), outside))
    return out, rough


def levels(picture: torch.Tensor) -> torch.Tensor:
    """Nine quantiles of `picture`'s pixels (every 7th): its exposure, for `exposed_as`."""
    return torch.quantile(
        picture.flatten()[::7], torch.linspace(0.1, 0.9, 9, device=picture.device)
    )


def exposed_as(
    moved: torch.Tensor,
    frame: torch.Tensor,
    theirs: torch.Tensor | None = None,
    ours: torch.Tensor | None = None,
) -> torch.Tensor:
    """`moved` with the exposure of `frame`: the gain and offset that carry its levels
    (nine quantiles, which something moving in the picture hardly shifts) onto the frame's.
    An old film flickers, and a speck is judged, and filled, against neighbours as bright
    as the frame. `theirs`: the frame's `levels`, where the caller has them already; `ours`:
    those of `moved`, where the caller has them (a frame as read, whose levels are sorted
    once for every frame it is compared with) or near them (`moved_parts`), else sorted
    here. Not those of a neighbour as read for it moved: on a pan it shows more, or less,
    of the sky than the frame does."""
    ours = levels(moved) if ours is None else ours
    theirs = levels(frame) if theirs is None else theirs
    spread = float(((ours - ours.mean()) ** 2).sum())
    if spread < 1e-8:
        return moved
    gain = float(((ours - ours.mean()) * (theirs - theirs.mean())).sum()) / spread
    gain = min(max(gain, 0.8), 1.25)
    return (moved - float(ours.mean())) * gain + float(theirs.mean())


def misfit(target: torch.Tensor, moved: torch.Tensor, noise: float) -> torch.Tensor:
    """(H, W): how far each pixel's block (of BLOCK * ANALYSIS pixels) still differs from
    `target` once moved, as the mean size of the difference with each pixel's share capped
    at a few grains (so a speck in the block hardly counts; large where one vector does not
    fit the block)."""
    block = BLOCK * ANALYSIS
    cap = max(CAP * noise, 1e-3)
    cost = F.avg_pool2d((target - moved).abs().clamp_max(cap)[None, None], block, ceil_mode=True)
    return _per_pixel(cost[0, 0], block, *target.shape)


def _max3(x: torch.Tensor, k: int = 3) -> torch.Tensor:
    """The largest of the k x k pixels around each (the edge repeated beyond the frame),
    as rows then columns: on a CPU several times quicker than a max pool."""
    r = k // 2
    h, w = x.shape
    rows = _running_max(_repeat_edges(x, r, 1), k, w, 1)
    return _running_max(_repeat_edges(rows, r, 0), k, h, 0)


def _dilate(mask: torch.Tensor, k: int = 3) -> torch.Tensor:
    """(H, W) bool: where any of the k x k pixels around is in `mask` (bool): `_max3` on the
    mask itself, a byte a pixel (several times quicker than on it as floats)."""
    return _max3(mask, k)


def _repeat_edges(x: torch.Tensor, r: int, axis: int) -> torch.Tensor:
    """`x` with its first and last row (axis 0) or column (axis 1) repeated r times beyond
    it; any dtype (a replicate pad takes no bool)."""
    if r == 0:
        return x
    n = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = r
    first, last = x.narrow(axis, 0, 1).expand(shape), x.narrow(axis, n - 1, 1).expand(shape)
    return torch.cat([first, x, last], axis)


def _running_max(p: torch.Tensor, k: int, n: int, axis: int) -> torch.Tensor:
    """The largest of each k values running along `axis` of `p`, the first n of them: by
    doubling (windows of 2, 4, 8 ... then two overlapping ones), about log2(k) passes where
    one window after another took k - 1 (windows 7, 9 and more wide are common here)."""
    span = 1
    while 2 * span <= k:
        size = p.shape[axis] - span
        p = torch.maximum(p.narrow(axis, 0, size), p.narrow(axis, span, size))
        span *= 2
    if span < k:
        p = torch.maximum(p.narrow(axis, 0, n), p.narrow(axis, k - span, n))
    return p.narrow(axis, 0, n)


def _min3(x: torch.Tensor) -> torch.Tensor:
    return -_max3(-x)


def grain(frame: torch.Tensor, moved: torch.Tensor) -> float:
    """How much a frame differs from a moved neighbour by grain and noise alone: a robust
    standard deviation of the difference (the median of its size, scaled)."""
    return float((frame - moved).abs().median()) * 1.4826


def noise_floor(measured: float) -> float:
    """A frame's `grain`, but never below NOISE_FLOOR (a film without grain still has its
    8-bit steps, its coding's noise and motion that blocks follow only to the pixel)."""
    return max(measured, NOISE_FLOOR)


def threshold(noise: float, strength: float) -> float:
    """How far a pixel must stand out to be taken for dirt where the frame's grain is
    `noise` (`grain`), at `strength` (0..1]: a lower strength takes only the plainest specks."""
    strength = max(strength, 1e-3)
    return max(MIN_CONTRAST / strength, GRAIN_TIMES / strength * noise)


def _mean3(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x[None, None], 3, stride=1, padding=1, count_include_pad=False)[0, 0]


def _outside(frame: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """How far each pixel of `frame` lies above the brightest, or below the darkest, of
    the 3 x 3 pixels around it in both `a` and `b` (0 or less: within them)."""
    top = torch.maximum(_max3(a), _max3(b))
    bottom = torch.minimum(_min3(a), _min3(b))
    return torch.maximum(frame - top, bottom - frame)


def _grow(seeds: torch.Tensor, within: torch.Tensor, steps: int) -> torch.Tensor:
    for _ in range(steps):
        seeds = seeds | _dilate(seeds) & within
    return seeds


def _spread(seeds: torch.Tensor, within: torch.Tensor) -> torch.Tensor:
    """`seeds` grown over the whole of each spot of `within` they are in."""
    if not bool(seeds.any()):
        return seeds
    for _ in range(SPREAD_STEPS):
        grown = seeds | _dilate(seeds) & within
        if torch.equal(grown, seeds):
            break
        seeds = grown
    return seeds


def _large(mask: torch.Tensor, width: int | None = None) -> torch.Tensor:
    """The parts of `mask` that belong to a spot too wide to be dirt: one that holds a square
    MAX_SPOT of the frame's width across (looked for on a copy up to ANALYSIS times
    smaller, as coarse as still leaves that square three pixels across). `width`: the
    frame's, where `mask` is a part of it (from a column that is a multiple of ANALYSIS)."""
    h, w = mask.shape
    across = MAX_SPOT * (w if width is None else width)
    q = int(min(ANALYSIS, max(1, across // 3)))
    small = (
        F.max_pool2d(mask[None, None].float(), q, ceil_mode=True)[0, 0] if q > 1 else mask.float()
    )
    side = max(3, int(round(across / q)) | 1)
    core = -_max3(-small, side)
    return _per_pixel(_spread(core > 0, small > 0), q, h, w)


def _ring_misfit(
    frame: torch.Tensor, a: torch.Tensor, b: torch.Tensor, found: torch.Tensor
) -> torch.Tensor:
    """For each pixel `found`, how far the worse of `a` and `b` is from `frame` on average
    over the ring of pixels 2 to RING away from what is found near it (0 where there is no
    ring, and at every pixel not found)."""
    near = _dilate(found, 2 * RING + 1)
    ring = (near & ~_dilate(found, 2 * RING_IN + 1)).float()
    off = torch.maximum((frame - a).abs(), (frame - b).abs()) * ring
    out = torch.zeros_like(frame)
    ys, xs = torch.nonzero(found, as_tuple=True)
    if len(ys) == 0:
        return out
    # Averaged over the window around each pixel found, and only there (a few in 10,000 of
    # the frame's pixels): the same sums, in the same order, as a pool over the whole frame.
    side = 2 * RING + 3

    def around(x: torch.Tensor) -> torch.Tensor:
        p = F.pad(x[None, None], (side // 2,) * 4)[0, 0]
        return F.avg_pool2d(_windows(p, side)[ys, xs][:, None], side)[:, 0, 0, 0]

    num, den = around(off), around(ring)
    out[ys, xs] = torch.where(den > 0, num / den.clamp_min(1e-6), torch.zeros_like(num))
    return out


def spots(
    frame: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    strength: float = 1.0,
    unsure: torch.Tensor | None = None,
    measured: float | None = None,
    measured3: float | None = None,
    width: int | None = None,
) -> torch.Tensor:
    """(H, W) bool: where `frame` has dirt, judged against its neighbours `a` and `b` already
    moved onto it (`moved_onto`); nothing where `unsure` (H, W) bool (the motion there is
    not known well enough to judge). `measured`: `grain(frame, a)` when the caller has it
    (a median over the frame: measured once); `measured3` the same of the two 3 x 3 means.
    Where the three are a part of the frames (`twins`): both, and the frame's `width`.

    Judged twice: pixel by pixel, and on the three frames each averaged over 3 x 3 pixels,
    whose grain is a third as strong, so a faint speck wider than a pixel stands out
    there. Each scale has its own threshold from its own grain."""
    if measured is None:
        measured = grain(frame, a)
    out = _outside(frame, a, b)
    limit = threshold(measured, strength)
    fine = out / limit
    frame3, a3, b3 = _mean3(frame), _mean3(a), _mean3(b)
    out3 = _outside(frame3, a3, b3)
    if measured3 is None:
        measured3 = grain(frame3, a3)
    score = torch.maximum(fine, out3 / threshold(measured3, strength))
    agree = _mean3((a - b).abs()) < AGREE * torch.maximum(out, out3)
    if unsure is not None:
        agree = agree & ~unsure
    found = (score > 1.0) & agree
    if not bool(found.any()):
        return found
    # A speck's rim, beside what is found: judged against the moved neighbours' own pixels,
    # with no 3 x 3 leeway (which an edge beside the speck would spoil).
    off = frame - (a + b) * 0.5
    rim = (score > WEAK) & agree | (off.abs() > WEAK * limit) & ((a - b).abs() < AGREE * off.abs())
    if unsure is not None:
        rim = rim & ~unsure
    # Each spot's core (what is found and its rim's first pixels) is judged whole ...
    core = _grow(found, rim, CORE_GROW)
    core = core & ~_large(core, width)
    # ... by the frame's own pixels around it, from which dirt stands out too (a moving edge
    # the motion missed is like the rest of the object it belongs to) ...
    far = SELF_RADIUS * 2 + 1
    inf = torch.tensor(float("inf"), device=frame.device)
    around_top = _max3(torch.where(core, -inf, frame), far)
    around_bottom = -_max3(torch.where(core, -inf, -frame), far)
    alone = torch.maximum(frame - around_top, around_bottom - frame) > SELF * MIN_CONTRAST
    # ... and by how well the neighbours fit the frame around it, as grain lets them: where
    # they do not, the motion was missed there (the tip of an ear that moved), and what
    # differs is the picture, not dirt on it. Such a spot is left, all of it.
    misfits = core & (_ring_misfit(frame, a, b, core) >= RING_TIMES * noise_floor(measured))
    core = core & ~_spread(misfits, core)
    core = _grow(core & alone, core, CORE_GROW)
    # Then the rim is followed further from what is kept (the faint tail of a hair).
    grown = _grow(core, rim, GROW)
    found = grown & ~_large(grown, width) | core
    if HALO:
        found = _dilate(found, 2 * HALO + 1)
    return found


def clean_frame(
    frame: torch.Tensor,
    a: torch.Tensor,
    b: torch.Tensor,
    strength: float = 1.0,
    *,
    before: torch.Tensor | None = None,
    after: torch.Tensor | None = None,
    known: Sequence[torch.Tensor | None] = (),
) -> tuple[torch.Tensor, torch.Tensor]:
    """`frame` (H, W) with the dirt that its judges `a` and `b` (as read, not yet moved) show
    filled from them, and the (H, W) bool mask of what was filled.

    `before` and `after`, where `a` and `b` are the frames either side: the frames two
    before and two after. Dirt on the same place of this frame and the next (or the one
    before) is then found too (`twins`). `known`: the `levels` of frame, a, b, before and
    after, as far as the caller has them (a frame judges, and is judged by, up to four
    others: its levels are sorted once)."""
    lv = [*known, *[None] * (5 - len(known))]  # those missing: sorted by `twins` if needed
    own = levels(frame) if lv[0] is None else lv[0]
    (ma, out_a), (mb, out_b) = moved_onto(frame, a), moved_onto(frame, b)
    # By their own levels once moved: as read, a pan's neighbour shows more, or less, of
    # the sky than the frame does, and its levels would say it was exposed otherwise.
    ma, mb = exposed_as(ma, frame, own), exposed_as(mb, frame, own)
    measured = grain(frame, ma)
    noise = noise_floor(measured)
    fit_a, fit_b = misfit(frame, ma, noise), misfit(frame, mb, noise)
    unsure_a, unsure_b = (fit_a > UNSURE * noise) | out_a, (fit_b > UNSURE * noise) | out_b
    mask = spots(frame, ma, mb, strength, unsure_a | unsure_b, measured)
    out = torch.where(mask, (ma + mb) * 0.5, frame)
    sides = (
        (b, after, a, ma, unsure_a, (own, lv[2], lv[1], lv[4])),
        (a, before, b, mb, unsure_b, (own, lv[1], lv[2], lv[3])),
    )
    for twin, far, other, moved, unsure, known_here in sides:
        if far is None:
            continue
        found, filled = twins(
            frame, twin, (other, moved), far, strength, unsure, mask, measured, known_here
        )
        out = torch.where(found, filled, out)
        mask = mask | found
    return out, mask


def twins(
    frame: torch.Tensor,
    twin: torch.Tensor,
    other: tuple[torch.Tensor, torch.Tensor],
    far: torch.Tensor,
    strength: float,
    unsure: torch.Tensor,
    taken: torch.Tensor,
    measured: float,
    known: Sequence[torch.Tensor | None] = (),
) -> tuple[torch.Tensor, torch.Tensor]:
    """Dirt on the same place of `frame` and its neighbour `twin` (dirt stuck in the gate
    for two frames: the same place of the frame, whatever the picture did): (H, W) bool of
    where, and what fills it. Judged as a speck on one frame is (`spots`), against the
    neighbour on the other side and the frame beyond `twin`, both moved onto the frame; kept
    only where it holds a pixel that stands out from the other neighbour as dirt does while
    `twin` is like the frame there and neither the other neighbour nor the far frame is
    (on a pan, dirt stuck for three frames or more lies elsewhere once they are moved).

    `other`: that neighbour as read and moved onto the frame; `far` as read; `unsure`:
    where the other neighbour is not known well enough to judge by; `taken`: what was found
    on this frame alone; `known`: the `levels` of the frame, twin, other and far frame as
    read, as far as known. The far frame is moved, and judged, only around such pixels
    (`_parts`), and brought to the frame's exposure by its levels moved as a whole
    (`moved_parts`)."""
    limit = threshold(measured, strength)
    near = WEAK * limit
    raw, moved = other
    lv = [*known, *[None] * (4 - len(known))]
    lv = [levels(x) if v is None else v for v, x in zip(lv, (frame, twin, raw, far), strict=True)]
    own = lv[0]
    # As read, each with the frame's exposure: what lies on the same place of the frame.
    as_read = zip((twin, raw, far), lv[1:], strict=True)
    twin, raw, still = (exposed_as(x, frame, own, v) for x, v in as_read)
    beyond = torch.maximum(frame - _max3(moved), _min3(moved) - frame)  # `_outside`, one side
    seeds = (beyond > limit) & ((frame - twin).abs() < near)
    seeds = seeds & ((frame - raw).abs() >= near) & ((frame - still).abs() >= near)
    seeds = seeds & ~unsure & ~taken
    if not bool(seeds.any()):
        return seeds, frame
    # ... and standing out from the frame's own pixels around it, as dirt does (`spots`):
    # most frames have a pixel or two that a neighbour's motion missed, and those are like
    # the rest of the thing they belong to. Only then is the far frame moved.
    far_side = SELF_RADIUS * 2 + 1
    inf = torch.tensor(float("inf"), device=frame.device)
    speck = _dilate(seeds, 2 * CORE_GROW + 1)  # with the rim the seeds miss
    top = _max3(torch.where(speck, -inf, frame), far_side)
    bottom = -_max3(torch.where(speck, -inf, -frame), far_side)
    seeds = seeds & (torch.maximum(frame - top, bottom - frame) > SELF * MIN_CONTRAST)
    if not bool(seeds.any()):
        return seeds, frame
    h, w = frame.shape
    parts = _parts(seeds)
    noise = noise_floor(measured)
    measured3 = grain(_mean3(frame), _mean3(moved))  # the whole frame's, as `spots` measures
    found, filled = torch.zeros_like(seeds), frame.clone()
    moved_far, rough = moved_parts(frame, far, parts)
    # the whole frame's own levels where it is whole, as `clean_frame` brings its neighbours
    far_levels = None if parts == [(0, h, 0, w)] else levels(rough)
    for (r0, r1, c0, c1), (mf, out_f) in zip(parts, moved_far, strict=True):
        at = (slice(r0, r1), slice(c0, c1))
        here, moved_here = frame[at], moved[at]
        mf = exposed_as(mf, here, own, far_levels)
        doubt = unsure[at] | out_f | (misfit(here, mf, noise) > UNSURE * noise)
        part = spots(here, moved_here, mf, strength, doubt, measured, measured3, w) & ~taken[at]
        part = _spread(seeds[at] & part, part)
        found[at] |= part
        filled[at] = torch.where(part, (moved_here + mf) * 0.5, filled[at])
    return found, filled


def _parts(seeds: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """Where `twins` looks further around `seeds` (H, W) bool: each TILE x TILE tile that
    holds one, with AROUND pixels of the frame about it or more (a spot's widest and what
    judging it looks at around it), overlapping ones joined where that costs no more;
    the whole frame once they would cover half of it. (r0, r1, c0, c1) each, r0 and c0
    multiples of TILE."""
    h, w = seeds.shape
    step = BLOCK * ANALYSIS
    # A spot may be as wide as MAX_SPOT of the frame's width, and is judged by what lies
    # around it: half as much again about each tile (more than AROUND on a wide frame).
    m = max(AROUND, -(-int(MAX_SPOT * w * 1.5) // step) * step)
    hit = F.max_pool2d(seeds[None, None].float(), TILE, ceil_mode=True)[0, 0] > 0
    boxes = [
        (max(ty * TILE - m, 0), min((ty + 1) * TILE + m, h),
         max(tx * TILE - m, 0), min((tx + 1) * TILE + m, w))
        for ty, tx in torch.nonzero(hit).tolist()
    ]  # fmt: skip

    def area(box: tuple[int, int, int, int]) -> int:
        return (box[1] - box[0]) * (box[3] - box[2])

    if len(boxes) * (TILE + 2 * m) ** 2 > 4 * h * w:
        return [(0, h, 0, w)]  # too many to be worth joining: the whole frame
    joined = True
    while joined:
        joined = False
        for i, j in itertools.combinations(range(len(boxes)), 2):
            p, q = boxes[i], boxes[j]
            both = (min(p[0], q[0]), max(p[1], q[1]), min(p[2], q[2]), max(p[3], q[3]))
            if area(both) <= area(p) + area(q):
                boxes[i] = both
                del boxes[j]
                joined = True
                break
    if sum(area(box) for box in boxes) * 2 > h * w:
        return [(0, h, 0, w)]
    return boxes


def fill_around(plane: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """`plane` (H, W) with the pixels under `mask` (H, W) bool replaced by the mean of the
    unmasked pixels near them (for chroma, which the neighbours' luma says nothing of)."""
    if not bool(mask.any()):
        return plane
    keep = (~mask).to(plane.dtype)
    for side in (7, 15, 31):
        num = F.avg_pool2d((plane * keep)[None, None], side, stride=1, padding=side // 2)
        den = F.avg_pool2d(keep[None, None], side, stride=1, padding=side // 2)
        if bool((den[0, 0][mask] > 0).all()):
            break
    near = num[0, 0] / den[0, 0].clamp_min(1e-6)
    return torch.where(mask & (den[0, 0] > 0), near, plane)


def clean(
    frames: torch.Tensor,
    first: int,
    shot: tuple[int, int],
    targets: range,
    strength: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames `targets` of a run of luma planes `frames` (N, H, W) that begins at frame
    `first`, within a shot of frames shot[0]..shot[1]-1, with their dirt filled: (len(targets),
    H, W) planes and their (len(targets), H, W) bool masks. Each target is judged against
    the frames `judges` names; where the run stops short of them (it does not reach the
    shot's edge), against the nearest the run holds. A frame with a neighbour either side
    and a second beyond it, within the run, is also looked at for dirt on it and a
    neighbour alike (`twins`)."""
    lo, hi = max(shot[0], first), min(shot[1], first + len(frames))
    out, masks = [], []
    sorted_levels: dict[int, torch.Tensor] = {}

    def levels_of(k: int | None) -> torch.Tensor | None:
        if k is None:
            return None
        if k not in sorted_levels:
            sorted_levels[k] = levels(frames[k - first])
        return sorted_levels[k]

    for t in targets:
        frame = frames[t - first]
        pair = judges(t, lo, hi)
        if pair is None:
            out.append(frame)
            masks.append(torch.zeros_like(frame, dtype=torch.bool))
            continue
        beside = pair == (t - 1, t + 1)
        k_before = t - 2 if beside and t - 2 >= lo else None
        k_after = t + 2 if beside and t + 2 < hi else None
        cleaned, mask = clean_frame(
            frame,
            frames[pair[0] - first],
            frames[pair[1] - first],
            strength,
            before=None if k_before is None else frames[k_before - first],
            after=None if k_after is None else frames[k_after - first],
            known=[levels_of(k) for k in (t, *pair, k_before, k_after)],
        )
        out.append(cleaned)
        masks.append(mask)
    return torch.stack(out), torch.stack(masks)
