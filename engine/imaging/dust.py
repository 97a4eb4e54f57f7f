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
other way). Every step is a pooling, a gather or arithmetic on each frame alone, so a
frame's result depends only on it and the two neighbours either side, never on how frames
are batched.

Not found: a scratch along the film (it stays in place from frame to frame, as do dust
stuck in the gate for three frames or more and a hair that stays; `imaging.scratches` takes
scratches out), and dirt on two frames running of the first or last two frames of a shot.
"""

from __future__ import annotations

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


def _gather(padded: torch.Tensor, vy: torch.Tensor, vx: torch.Tensor, block: int) -> torch.Tensor:
    """The picture `padded` holds (`_pad`) with each block of block x block pixels taken from
    (vy, vx) away (the block's vector, whole pixels; the edge repeated beyond the frame)."""
    m = REACH_PX
    h, w = padded.shape[0] - 2 * m, padded.shape[1] - 2 * m
    nb, mb = vy.shape
    # Whole blocks copied from a view of every block x block window of the picture (a third
    # quicker than a gather pixel by pixel); where the frame ends inside its last blocks,
    # their rows or columns past it are read from rows and columns added for them only.
    extra_h, extra_w = nb * block - h, mb * block - w
    if extra_h > 0 or extra_w > 0:
        padded = F.pad(padded, (0, max(extra_w, 0), 0, max(extra_h, 0)))
    windows = _windows(padded, block)
    top = torch.arange(0, nb * block, block, device=padded.device)[:, None] + m
    left = torch.arange(0, mb * block, block, device=padded.device)[None, :] + m
    out = windows[top + vy.clamp(-m, m), left + vx.clamp(-m, m)]  # (nb, mb, block, block)
    return out.permute(0, 2, 1, 3).reshape(nb * block, mb * block)[:h, :w]


def _windows(picture: torch.Tensor, side: int) -> torch.Tensor:
    """A view of every side x side window of `picture` (H, W), by its top-left corner:
    (H - side + 1, W - side + 1, side, side); nothing is copied until it is indexed."""
    rows, cols = picture.shape
    return picture.as_strided((rows - side + 1, cols - side + 1, side, side), (cols, 1, cols, 1))


def _per_pixel(grid: torch.Tensor, block: int, h: int, w: int) -> torch.Tensor:
    """A value per block of block x block pixels, given to each of its pixels: (h, w)."""
    return grid.repeat_interleave(block, 0)[:h].repeat_interleave(block, 1)[:, :w]


def _block_costs(target: torch.Tensor, moved: torch.Tensor, block: int) -> torch.Tensor:
    return F.avg_pool2d((target - moved).abs()[None, None], block, ceil_mode=True)[0, 0]


def _capped_costs(target: torch.Tensor, moved: torch.Tensor, cap: float) -> torch.Tensor:
    """Per block of FINE pixels, how far `moved` is from `target`, each pixel counting for
    `cap` at most: a speck, far from whatever lies under it, counts alike for every vector
    tried, so it does not sway which one fits."""
    diff = (target - moved).abs().clamp_max(cap)[None, None]
    return F.avg_pool2d(diff, FINE, ceil_mode=True)[0, 0]


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
            # a whisker against moving: a flat block keeps its place
            costs.append(_block_costs(small_t, moved, BLOCK) + 1e-4 * (abs(dy) + abs(dx)))
            offsets.append((dy, dx))
    best = torch.stack(costs).argmin(0)
    table = torch.tensor(offsets, device=target.device)
    vy, vx = table[best, 0], table[best, 1]
    # Refined at half size, a pixel either way, blocks as large in the frame.
    half = ANALYSIS // 2
    half_t, half_p = _shrink(target, half), _pad(_shrink(other, half))
    block = BLOCK * ANALYSIS // half
    vy, vx = vy * (ANALYSIS // half), vx * (ANALYSIS // half)
    costs, steps = [], []
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            moved = _gather(half_p, vy + ey, vx + ex, block)
            cost = _block_costs(half_t, moved, block)
            costs.append(cost + 1e-4 * (abs(ey) + abs(ex)))
            steps.append((ey, ex))
    best = torch.stack(costs).argmin(0)
    table = torch.tensor(steps, device=target.device)
    return (vy + table[best, 0]) * half, (vx + table[best, 1]) * half


def _finer(
    target: torch.Tensor, padded: torch.Tensor, vy: torch.Tensor, vx: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Vectors for blocks of FINE pixels: each takes whichever of its own block's vector and
    the eight around it fits it best (so an edge between two motions is followed inside a
    block), then the best of that moved by a pixel or none. `padded`: the other picture
    (`_pad`)."""
    big = BLOCK * ANALYSIS
    per = big // FINE
    py = F.pad(vy[None, None].float(), (1, 1, 1, 1), mode="replicate")[0, 0].long()
    px = F.pad(vx[None, None].float(), (1, 1, 1, 1), mode="replicate")[0, 0].long()
    nb, mb = vy.shape
    fine = (-(-target.shape[0] // FINE), -(-target.shape[1] // FINE))  # blocks of FINE px
    rough = (target - _gather(padded, vy, vx, big)).abs().median()
    cap = max(CAP * 1.4826 * float(rough), 0.02)
    costs, cands = [], []
    for oy, ox in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
        cy = _per_pixel(py[1 + oy : 1 + oy + nb, 1 + ox : 1 + ox + mb], per, *fine)
        cx = _per_pixel(px[1 + oy : 1 + oy + nb, 1 + ox : 1 + ox + mb], per, *fine)
        cost = _capped_costs(target, _gather(padded, cy, cx, FINE), cap)
        costs.append(cost + (0.0 if (oy, ox) == (0, 0) else 1e-4))
        cands.append((cy, cx))
    best = torch.stack(costs).argmin(0)
    fy = torch.stack([c[0] for c in cands]).gather(0, best[None])[0]
    fx = torch.stack([c[1] for c in cands]).gather(0, best[None])[0]
    # Then to the pixel: the half-size search moved by two.
    costs, steps = [], []
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            cost = _capped_costs(target, _gather(padded, fy + ey, fx + ex, FINE), cap)
            costs.append(cost + 1e-4 * (abs(ey) + abs(ex)))
            steps.append((ey, ex))
    best = torch.stack(costs).argmin(0)
    table = torch.tensor(steps, device=target.device)
    return fy + table[best, 0], fx + table[best, 1]


def moved_onto(target: torch.Tensor, other: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`other` moved onto `target` (both (H, W)) block by block, and (H, W) bool: where it
    came from outside `other` (what a pan brings in at the edge: nothing to judge by)."""
    vy, vx = motion(target, other)
    padded = _pad(other)
    fy, fx = _finer(target, padded, vy, vx)
    h, w = target.shape
    ys = torch.arange(h, device=target.device)[:, None]
    xs = torch.arange(w, device=target.device)[None, :]
    by, bx = _per_pixel(fy, FINE, h, w) + ys, _per_pixel(fx, FINE, h, w) + xs
    # A pixel of the 3 x 3 around it beyond the edge counts too (the edge is repeated there).
    outside = (by < 1) | (by > h - 2) | (bx < 1) | (bx > w - 2)
    return _gather(padded, fy, fx, FINE), outside


def levels(picture: torch.Tensor) -> torch.Tensor:
    """Nine quantiles of `picture`'s pixels (every 7th): its exposure, for `exposed_as`."""
    return torch.quantile(
        picture.flatten()[::7], torch.linspace(0.1, 0.9, 9, device=picture.device)
    )


def exposed_as(
    moved: torch.Tensor, frame: torch.Tensor, theirs: torch.Tensor | None = None
) -> torch.Tensor:
    """`moved` with the exposure of `frame`: the gain and offset that carry its levels
    (nine quantiles, which something moving in the picture hardly shifts) onto the frame's.
    An old film flickers, and a speck is judged, and filled, against neighbours as bright
    as the frame. `theirs`: the frame's `levels`, where the caller has them already."""
    ours = levels(moved)
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


def _large(mask: torch.Tensor) -> torch.Tensor:
    """The parts of `mask` that belong to a spot too wide to be dirt: one that holds a square
    MAX_SPOT of the frame's width across (looked for on a copy up to ANALYSIS times
    smaller, as coarse as still leaves that square three pixels across)."""
    h, w = mask.shape
    across = MAX_SPOT * w
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
) -> torch.Tensor:
    """(H, W) bool: where `frame` has dirt, judged against its neighbours `a` and `b` already
    moved onto it (`moved_onto`); nothing where `unsure` (H, W) bool (the motion there is
    not known well enough to judge). `measured`: `grain(frame, a)` when the caller has it
    (a median over the frame: measured once).

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
    score = torch.maximum(fine, out3 / threshold(grain(frame3, a3), strength))
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
    core = core & ~_large(core)
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
    found = grown & ~_large(grown) | core
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
) -> tuple[torch.Tensor, torch.Tensor]:
    """`frame` (H, W) with the dirt that its judges `a` and `b` (as read, not yet moved) show
    filled from them, and the (H, W) bool mask of what was filled.

    `before` and `after`, where `a` and `b` are the frames either side: the frames two
    before and two after. Dirt on the same place of this frame and the next (or the one
    before) is then found too (`twins`)."""
    (ma, out_a), (mb, out_b) = moved_onto(frame, a), moved_onto(frame, b)
    own = levels(frame)  # sorted for once: every neighbour is brought to it
    ma, mb = exposed_as(ma, frame, own), exposed_as(mb, frame, own)
    measured = grain(frame, ma)
    noise = noise_floor(measured)
    fit_a, fit_b = misfit(frame, ma, noise), misfit(frame, mb, noise)
    unsure_a, unsure_b = (fit_a > UNSURE * noise) | out_a, (fit_b > UNSURE * noise) | out_b
    mask = spots(frame, ma, mb, strength, unsure_a | unsure_b, measured)
    out = torch.where(mask, (ma + mb) * 0.5, frame)
    sides = ((b, after, a, ma, unsure_a), (a, before, b, mb, unsure_b))
    for twin, far, other, moved, unsure in sides:
        if far is None:
            continue
        found, filled = twins(
            frame, twin, (other, moved), far, strength, unsure, mask, measured, own
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
    own: torch.Tensor | None = None,
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
    on this frame alone; `own`: the frame's `levels`, if known. The far frame is moved only
    where there is such a pixel."""
    limit = threshold(measured, strength)
    near = WEAK * limit
    raw, moved = other
    # As read, each with the frame's exposure: what lies on the same place of the frame.
    own = levels(frame) if own is None else own
    twin, raw, still = (exposed_as(x, frame, own) for x in (twin, raw, far))
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
    mf, out_f = moved_onto(frame, far)
    mf = exposed_as(mf, frame, own)
    noise = noise_floor(measured)
    unsure = unsure | out_f | (misfit(frame, mf, noise) > UNSURE * noise)
    found = spots(frame, moved, mf, strength, unsure, measured) & ~taken
    found = _spread(seeds & found, found)
    return found, (moved + mf) * 0.5


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
    for t in targets:
        frame = frames[t - first]
        pair = judges(t, lo, hi)
        if pair is None:
            out.append(frame)
            masks.append(torch.zeros_like(frame, dtype=torch.bool))
            continue
        beside = pair == (t - 1, t + 1)
        before = frames[t - 2 - first] if beside and t - 2 >= lo else None
        after = frames[t + 2 - first] if beside and t + 2 < hi else None
        cleaned, mask = clean_frame(
            frame,
            frames[pair[0] - first],
            frames[pair[1] - first],
            strength,
            before=before,
            after=after,
        )
        out.append(cleaned)
        masks.append(mask)
    return torch.stack(out), torch.stack(masks)
