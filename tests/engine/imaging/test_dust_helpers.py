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
