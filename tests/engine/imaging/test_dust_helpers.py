"""The dust stage's building blocks against plain ways of computing the same: the quicker
ones (running maxima by doubling, masks dilated as bytes, blocks copied whole, the ring's
average only where a speck is) must give the same values to the bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from panchro.engine.imaging import dust


def _max_plain(x: torch.Tensor, k: int) -> torch.Tensor:
    """The k x k maximum with the edge repeated, one window position after another."""
    r = k // 2
    p = F.pad(x.float()[None, None], (r, r, r, r), mode="replicate")[0, 0]
    h, w = x.shape
    out = torch.full((h, w), -float("inf"))
    for dy in range(k):
        for dx in range(k):
            out = torch.maximum(out, p[dy : dy + h, dx : dx + w])
    return out


@pytest.mark.parametrize("k", [1, 3, 5, 7, 9, 11, 15])
@pytest.mark.parametrize("shape", [(37, 53), (8, 5), (64, 64)])
def test_running_maxima_and_dilations_are_the_plain_ones(k: int, shape: tuple[int, int]) -> None:
    g = torch.Generator().manual_seed(k * 100 + shape[0])
    x = torch.rand(shape, generator=g)
    assert torch.equal(dust._max3(x, k), _max_plain(x, k))
    mask = torch.rand(shape, generator=g) > 0.97
    mask[0, -1] = True  # one at the edge, repeated beyond it
    got = dust._dilate(mask, k)
    assert got.dtype == torch.bool and torch.equal(got, _max_plain(mask, k) > 0)


def _gather_plain(padded: torch.Tensor, vy: torch.Tensor, vx: torch.Tensor, block: int):
    m = dust.REACH_PX
    h, w = padded.shape[0] - 2 * m, padded.shape[1] - 2 * m
    out = torch.empty(h, w)
    for y in range(h):
        for x in range(w):
            dy = int(vy[y // block, x // block].clamp(-m, m))
            dx = int(vx[y // block, x // block].clamp(-m, m))
            out[y, x] = padded[y + m + dy, x + m + dx]
    return out


@pytest.mark.parametrize(("shape", "block"), [((40, 48), 8), ((37, 53), 8), ((45, 27), 16)])
def test_blocks_are_taken_from_where_their_vectors_say(shape: tuple[int, int], block: int) -> None:
    g = torch.Generator().manual_seed(shape[1])
    picture = torch.rand(shape, generator=g)
    padded = dust._pad(picture)
    grid = (-(-shape[0] // block), -(-shape[1] // block))
    # Vectors that reach past the frame's edges, and past what may be reached (clamped).
    vy = torch.randint(-40, 41, grid, generator=g)
    vx = torch.randint(-40, 41, grid, generator=g)
    got = dust._gather(padded, vy, vx, block)
    assert got.shape == shape
    assert torch.equal(got, _gather_plain(padded, vy, vx, block))


def test_the_ring_is_averaged_where_specks_are_as_over_the_whole_frame() -> None:
    rng = np.random.default_rng(3)
    frame, a, b = (torch.from_numpy(rng.random((70, 90), dtype=np.float32)) for _ in range(3))
    found = torch.zeros(70, 90, dtype=torch.bool)
    found[10:13, 20:22] = True
    found[0, 0] = found[69, 45] = found[40, 89] = True  # at the edges too
    got = dust._ring_misfit(frame, a, b, found)
    # The whole frame's average, as it was computed before: pools over every pixel.
    near = _max_plain(found, 2 * dust.RING + 1) > 0
    ring = (near & ~(_max_plain(found, 2 * dust.RING_IN + 1) > 0)).float()
    off = torch.maximum((frame - a).abs(), (frame - b).abs()) * ring
    side = 2 * dust.RING + 3
    num = F.avg_pool2d(off[None, None], side, stride=1, padding=side // 2)[0, 0]
    den = F.avg_pool2d(ring[None, None], side, stride=1, padding=side // 2)[0, 0]
    whole = torch.where(den > 0, num / den.clamp_min(1e-6), torch.zeros_like(num))
    assert torch.equal(got[found], whole[found]) and bool((got[found] > 0).all())
    assert bool((got[~found] == 0).all())
    assert torch.equal(dust._ring_misfit(frame, a, b, found & False), torch.zeros(70, 90))


def test_a_frames_levels_given_or_not_bring_a_neighbour_alike() -> None:
    rng = np.random.default_rng(5)
    frame = torch.from_numpy(rng.random((30, 40), dtype=np.float32))
    other = frame * 0.9 + 0.03
    assert torch.equal(
        dust.exposed_as(other, frame), dust.exposed_as(other, frame, dust.levels(frame))
    )
    assert float((dust.exposed_as(other, frame) - frame).abs().max()) < 1e-5


@pytest.mark.parametrize("shape", [(64, 96), (45, 70)])
def test_blocks_with_a_rim_hold_the_blocks_moved_a_pixel_more(shape: tuple[int, int]) -> None:
    g = torch.Generator().manual_seed(shape[0])
    picture = torch.rand(shape, generator=g)
    padded = dust._pad(picture)
    grid = (-(-shape[0] // 8), -(-shape[1] // 8))
    vy = torch.randint(-20, 21, grid, generator=g)
    vx = torch.randint(-20, 21, grid, generator=g)
    around = dust._blocks(padded, vy, vx, 8, rim=1)
    for ey in (-1, 0, 1):
        for ex in (-1, 0, 1):
            moved = around[:, :, 1 + ey : 9 + ey, 1 + ex : 9 + ex]
            as_picture = moved.permute(0, 2, 1, 3).reshape(grid[0] * 8, grid[1] * 8)
            want = dust._gather(padded, vy + ey, vx + ex, 8)
            assert torch.equal(as_picture[: shape[0], : shape[1]], want)


@pytest.mark.parametrize("shape", [(64, 96), (45, 70), (5, 3)])
def test_block_costs_are_the_means_over_each_blocks_pixels_in_the_frame(
    shape: tuple[int, int],
) -> None:
    g = torch.Generator().manual_seed(shape[1])
    target, moved = torch.rand(shape, generator=g), torch.rand(shape, generator=g)
    blocks, weights = dust._as_blocks(target, 8)
    moved_blocks, _ = dust._as_blocks(moved, 8)
    for cap in (None, 0.2):
        diff = (target - moved).abs()
        diff = diff if cap is None else diff.clamp_max(cap)
        # The plain way: a pool over the frame whose last blocks hold what the frame has.
        want = F.avg_pool2d(diff[None, None], 8, ceil_mode=True)[0, 0]
        got = dust._mean_blocks(blocks, moved_blocks, weights, cap)
        assert got.shape == want.shape and torch.allclose(got, want, atol=1e-6)


def test_parts_of_a_frame_are_moved_as_the_same_parts_of_the_whole() -> None:
    rng = np.random.default_rng(8)
    base = np.kron(rng.random((50, 75), dtype=np.float32), np.ones((4, 4), np.float32))
    target = torch.from_numpy(base[20:180, 10:270].copy())
    other = torch.from_numpy(base[17:177, 14:274].copy())  # moved by (3, -4)
    [(whole, out_whole)], _ = dust.moved_parts(target, other)
    windows = [(0, 96, 32, 160), (64, 160, 128, 260), (128, 160, 0, 260)]
    parts, _ = dust.moved_parts(target, other, windows)
    for (r0, r1, c0, c1), (moved, outside) in zip(windows, parts, strict=True):
        assert torch.equal(moved, whole[r0:r1, c0:c1])
        assert torch.equal(outside, out_whole[r0:r1, c0:c1])
    assert float((whole[8:-8, 8:-8] - target[8:-8, 8:-8]).abs().mean()) < 0.01  # it found it


def test_dirt_on_two_frames_is_looked_for_around_its_seeds_or_on_the_whole_frame() -> None:
    seeds = torch.zeros(1080, 1920, dtype=torch.bool)
    seeds[500, 700] = seeds[520, 760] = True  # one tile and the next: joined
    seeds[50, 1900] = True  # at the edge
    parts = dust._parts(seeds)
    assert len(parts) == 2
    m = dust.AROUND
    for y, x in ((500, 700), (520, 760), (50, 1900)):  # each with AROUND px about it
        assert any(
            r0 <= max(y - m, 0) and min(y + m, 1080) <= r1 and c0 <= max(x - m, 0)
            and min(x + m, 1920) <= c1
            for r0, r1, c0, c1 in parts
        )  # fmt: skip
    for r0, r1, c0, c1 in parts:
        assert r0 % (dust.BLOCK * dust.ANALYSIS) == 0 and c0 % (dust.BLOCK * dust.ANALYSIS) == 0
        assert 0 <= r0 < r1 <= 1080 and 0 <= c0 < c1 <= 1920
    seeds[::100, ::100] = True  # seeds all over: the whole frame
    assert dust._parts(seeds) == [(0, 1080, 0, 1920)]
