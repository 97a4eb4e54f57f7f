"""Dirt on single frames (`imaging.dust`): specks found and filled from the frames either side;
dirt on the same place of two frames running, from the frames either side of the two; what
moves, what is large, what stays from frame to frame and a change of light left alone; a
frame cleaned alike however its frames are handed over."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panchro.engine.imaging import dust

H, W = 128, 192


def texture(seed: int = 3) -> np.ndarray:
    """A picture larger than the frames, with edges and smooth parts (0..1)."""
    rng = np.random.default_rng(seed)
    blocks = rng.random((H // 6 + 12, W // 6 + 12))
    big = np.kron(blocks, np.ones((6, 6)))[: H + 60, : W + 60] * 0.55 + 0.2
    yy, xx = np.mgrid[0 : H + 60, 0 : W + 60]
    return big + 0.12 * np.sin(xx / 11.0) * np.cos(yy / 7.0)


def panning(n: int = 5, step: tuple[int, int] = (2, 1), noise: float = 0.01) -> np.ndarray:
    """`n` frames of a camera panning over the texture by `step` (x, y) a frame, with noise."""
    big = texture()
    rng = np.random.default_rng(9)
    frames = [
        big[30 - k * step[1] : 30 - k * step[1] + H, 30 - k * step[0] : 30 - k * step[0] + W]
        for k in range(n)
    ]
    out = np.stack(frames) + rng.normal(0, noise, (n, H, W))
    return np.clip(out, 0, 1).astype(np.float32)


SPECKS = [(20, 30, 2.0, 0.03), (60, 100, 3.0, 0.97), (100, 150, 1.5, 0.97), (40, 170, 2.5, 0.03),
          (90, 40, 2.0, 0.97), (15, 120, 3.0, 0.03)]  # fmt: skip


def specked(frame: np.ndarray, specks: list[tuple[int, int, float, float]] = SPECKS) -> np.ndarray:
    """`frame` with round specks (y, x, radius, value) drawn hard on it."""
    out = frame.copy()
    yy, xx = np.mgrid[0:H, 0:W]
    for y, x, r, v in specks:
        out[(yy - y) ** 2 + (xx - x) ** 2 <= r * r] = v
    return out


def speck_mask(specks: list[tuple[int, int, float, float]] = SPECKS) -> np.ndarray:
    return specked(np.zeros((H, W), np.float32), [(y, x, r, 1.0) for y, x, r, _ in specks]) > 0


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, np.float32))


def test_specks_on_one_frame_are_found_and_filled_and_nothing_else_changes() -> None:
    frames = panning()
    dirty = specked(frames[2])
    cleaned, mask = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]))
    cleaned, mask = cleaned.numpy(), mask.numpy()
    where = speck_mask()
    assert mask[where].all()
    assert np.abs(cleaned - frames[2])[where].max() < 0.08  # what was under them, give or take
    # Filled a pixel wider than found, and nowhere else
    near = torch.nn.functional.max_pool2d(t(where)[None, None], 9, 1, 4)[0, 0].numpy() > 0
    assert not mask[~near].any()
    assert np.array_equal(cleaned[~mask], dirty[~mask])


def test_a_frame_without_dirt_is_left_as_it_is() -> None:
    frames = panning(noise=0.02)
    for k in (1, 2, 3):
        cleaned, mask = dust.clean_frame(t(frames[k]), t(frames[k - 1]), t(frames[k + 1]))
        assert int(mask.sum()) == 0
        assert np.array_equal(cleaned.numpy(), frames[k])


def test_the_edges_of_a_shot_are_judged_from_one_side() -> None:
    assert dust.judges(10, 10, 20) == (11, 12)
    assert dust.judges(19, 10, 20) == (17, 18)
    assert dust.judges(15, 10, 20) == (14, 16)
    assert dust.judges(0, 0, 2) is None  # two frames: nothing to judge by
    frames = panning()
    dirty = specked(frames[0])
    cleaned, mask = dust.clean(t(np.stack([dirty, *frames[1:]])), 0, (0, 5), range(0, 1))
    assert mask[0].numpy()[speck_mask()].all()


@pytest.mark.parametrize("what", ["moving", "flash", "large", "stays"])
def test_what_is_not_dirt_is_left_alone(what: str) -> None:
    frames = panning()
    yy, xx = np.mgrid[0:H, 0:W]
    if what == "moving":  # a small bright thing crossing the frame, 9 px a frame
        for k in range(5):
            frames[k][(np.abs(yy - 60) <= 4) & (np.abs(xx - 40 - 9 * k) <= 4)] = 0.97
    elif what == "flash":  # the whole frame brighter for one exposure
        frames[2] = np.clip(frames[2] + 0.25, 0, 1)
    elif what == "large":  # far too wide a spot to be a speck
        frames[2][(yy - 64) ** 2 + (xx - 96) ** 2 <= 22**2] = 0.97
    else:  # dirt stuck in the gate: the same speck on every frame
        frames = np.stack([specked(f) for f in frames])
    cleaned, mask = dust.clean_frame(
        t(frames[2]), t(frames[1]), t(frames[3]), before=t(frames[0]), after=t(frames[4])
    )
    assert int(mask.sum()) == 0, what
    assert np.array_equal(cleaned.numpy(), frames[2])


def test_dirt_on_the_same_place_of_two_frames_running_is_found_on_both() -> None:
    """Dirt that stayed in the gate for two frames: each of the two has it where the other
    does, so neither is judged by its neighbours alone; the frames either side of the pair
    are what they are judged by."""
    frames = panning(6)
    dirty = frames.copy()
    dirty[2], dirty[3] = specked(frames[2]), specked(frames[3])
    cleaned, mask = dust.clean(t(dirty), 0, (0, 6), range(6))
    where = speck_mask()
    for k in (2, 3):
        assert mask[k].numpy()[where].all(), k
        assert np.abs(cleaned[k].numpy() - frames[k])[where].max() < 0.08
    for k in (0, 1, 4, 5):
        assert int(mask[k].sum()) == 0, k
    # By its neighbours alone (no frame beyond them), such dirt is not found.
    _, alone = dust.clean_frame(t(dirty[2]), t(dirty[1]), t(dirty[3]))
    assert not alone.numpy()[where].any()


def test_dirt_on_three_frames_running_is_left_as_dirt_that_stays_is() -> None:
    frames = panning(7)
    dirty = np.stack([specked(f) if 2 <= k <= 4 else f for k, f in enumerate(frames)])
    _, mask = dust.clean(t(dirty), 0, (0, 7), range(7))
    assert int(mask.sum()) == 0


def test_with_dirt_on_two_frames_a_frame_is_cleaned_alike_however_handed_over() -> None:
    """The stage hands each frame's two neighbours either side over with it (`REACH`)."""
    frames = panning(10)
    dirty = frames.copy()
    for k in (3, 6):
        dirty[k], dirty[k + 1] = specked(frames[k]), specked(frames[k + 1])
    whole, whole_mask = dust.clean(t(dirty), 0, (0, 10), range(10))
    assert whole_mask[3].numpy()[speck_mask()].all()
    for first, stop in ((1, 8), (2, 9), (0, 6), (4, 10)):
        targets = range(max(first + 2, 0), min(stop - 2, 10))
        targets = range(0 if first == 0 else targets.start, 10 if stop == 10 else targets.stop)
        part, part_mask = dust.clean(t(dirty[first:stop]), first, (0, 10), targets)
        assert torch.equal(part, whole[targets.start : targets.stop])
        assert torch.equal(part_mask, whole_mask[targets.start : targets.stop])


def test_a_lower_strength_takes_only_the_plainest_specks() -> None:
    frames = panning()
    faint = [(y, x, r, 0.5) for y, x, r, _ in SPECKS]  # about a quarter of the range away
    dirty = specked(frames[2], faint)
    _, full = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]), strength=1.0)
    _, low = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]), strength=0.3)
    assert int(full.sum()) > 0
    assert int(low.sum()) < int(full.sum())


def test_a_frame_is_cleaned_alike_however_its_frames_are_handed_over() -> None:
    frames = np.stack([specked(f, SPECKS[k % 3 :: 3]) for k, f in enumerate(panning(8))])
    whole, whole_mask = dust.clean(t(frames), 0, (0, 8), range(0, 8))
    for first, stop in ((2, 7), (3, 6), (0, 4)):
        part, part_mask = dust.clean(
            t(frames[first:stop]), first, (0, 8), range(first + 1, stop - 1)
        )
        assert torch.equal(part, whole[first + 1 : stop - 1])
        assert torch.equal(part_mask, whole_mask[first + 1 : stop - 1])


def test_chroma_under_a_speck_comes_from_around_it() -> None:
    plane = torch.full((H, W), 0.1)
    plane[50:54, 50:54] = -0.4  # a coloured speck
    mask = torch.zeros((H, W), dtype=torch.bool)
    mask[49:55, 49:55] = True
    filled = dust.fill_around(plane, mask)
    assert torch.allclose(filled[mask], torch.tensor(0.1))
    assert torch.equal(filled[~mask], plane[~mask])


def test_a_soft_speck_goes_with_its_fading_rim() -> None:
    frames = panning(noise=0.005)
    yy, xx = np.mgrid[0:H, 0:W]
    blob = 0.7 * np.exp(-((yy - 64) ** 2 + (xx - 90) ** 2) / (2 * 1.6**2))
    dirty = np.clip(frames[2] + blob, 0, 1).astype(np.float32)
    cleaned, _ = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]))
    laid = np.abs(dirty - frames[2]) > 0.02
    assert laid.sum() > 40
    assert np.abs(cleaned.numpy() - frames[2])[laid].max() < 0.03


def test_a_speck_of_one_pixel_is_found() -> None:
    frames = panning(noise=0.005)
    dots = [(y, x, 0.5, 0.95 if k % 2 else 0.05) for k, (y, x, _, _) in enumerate(SPECKS)]
    dirty = specked(frames[2], dots)
    assert int((dirty != frames[2]).sum()) == len(dots)
    cleaned, mask = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]))
    assert mask.numpy()[dirty != frames[2]].all()


def test_the_first_frame_of_a_fast_pan_keeps_what_leaves_the_picture() -> None:
    # Judged against the two after it, whose pictures have moved on: what they lack at the
    # edge is not known, however alike the two are there.
    frames = panning(step=(7, 3), noise=0.01)
    cleaned, mask = dust.clean(t(frames[:3]), 0, (0, 5), range(0, 1))
    assert int(mask.sum()) == 0


def test_how_far_a_block_misfits_hardly_counts_a_speck() -> None:
    frames = panning()
    noise = 0.01 * 2**0.5
    exact = t(frames[2])
    with_speck = t(specked(frames[2]))
    off = t(np.roll(frames[2], (3, 3), axis=(0, 1)))  # every block moved wrong by 3 px
    assert float(dust.misfit(with_speck, exact, noise).max()) < dust.UNSURE * noise
    assert float(dust.misfit(off, exact, noise).median()) > dust.UNSURE * noise


def test_a_speck_across_an_edge_is_filled_on_both_sides() -> None:
    # On the dark side it stands out too little to be found alone; it is taken as the rim
    # of what the bright side shows.
    rng = np.random.default_rng(2)
    picture = np.where(np.arange(W + 20)[None, :] < 100, 0.12, 0.8) * np.ones((H, 1))
    frames = np.stack([picture[:, 10 - k : 10 - k + W] for k in range(3)])
    frames = (frames + rng.normal(0, 0.005, frames.shape)).astype(np.float32)
    dirty = specked(frames[1], [(64, 91, 4.5, 0.03)])
    cleaned, mask = dust.clean_frame(t(dirty), t(frames[0]), t(frames[2]))
    assert mask.numpy()[speck_mask([(64, 91, 4.5, 0.0)])].all()


def test_the_tip_of_something_swinging_is_not_dirt() -> None:
    # A bright rod swinging about its foot (an ear, an arm): its tip is where both
    # neighbours show the background, but around the tip the rod itself has moved too.
    frames = panning(noise=0.005) * 0.3
    yy, xx = np.mgrid[0:H, 0:W]
    for k, angle in enumerate((0.55, 0.25, -0.05, -0.35, -0.65)):
        along = (yy - 100) * -np.cos(angle) + (xx - 96) * np.sin(angle)
        across = (yy - 100) * np.sin(angle) + (xx - 96) * np.cos(angle)
        frames[k][(along > 0) & (along < 60) & (np.abs(across) < 2.5)] = 0.95
    cleaned, mask = dust.clean_frame(t(frames[2]), t(frames[1]), t(frames[3]))
    assert int(mask.sum()) == 0


def test_a_faint_speck_on_a_film_without_grain_is_found() -> None:
    frames = panning(noise=0.003)
    dirty = specked(frames[2], [(64, 90, 2.5, 0.0)])
    dirty[speck_mask([(64, 90, 2.5, 0.0)])] = frames[2][speck_mask([(64, 90, 2.5, 0.0)])] + 0.07
    _, mask = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]))
    assert mask.numpy()[speck_mask([(64, 90, 2.5, 0.0)])].all()


def test_a_hair_is_followed_from_its_plain_part_into_its_faint_one() -> None:
    frames = panning(noise=0.003)
    dirty = frames[2].copy()
    dirty[40:48, 90] += 0.4  # plain
    dirty[48:70, 90] += 0.035  # too faint to be found alone
    _, mask = dust.clean_frame(t(np.clip(dirty, 0, 1)), t(frames[1]), t(frames[3]))
    m = mask.numpy()
    assert m[40:48, 90].all()
    assert m[48:52, 90].all()  # the faint part next to it, taken as its rim
    assert not m[60:70, 90].any()  # beyond the rim's reach: left


def test_on_a_flickering_film_a_speck_is_filled_as_bright_as_its_frame() -> None:
    frames = panning(noise=0.003)
    frames[2] = np.clip(frames[2] * 1.1, 0, 1)  # this exposure a tenth brighter
    dirty = specked(frames[2])
    cleaned, mask = dust.clean_frame(t(dirty), t(frames[1]), t(frames[3]))
    where = speck_mask()
    assert mask.numpy()[where].all()
    assert np.abs(cleaned.numpy() - frames[2])[where].mean() < 0.02
