"""Line scratches down the film (`imaging.scratches`): found in the frames' columns and taken
out with the picture's grain left; a film without them, the picture's own lines, bars,
edges and a thin thing passing left alone; a frame cleaned alike however its frames are
handed over."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panchro.engine.imaging import scratches
from tests.makemedia import scratch, soft_pan

H, W = 144, 256
N = 9


def picture(n: int = N, **kw: float) -> np.ndarray:
    return soft_pan(n, (W, H), **kw)


def run(frames: np.ndarray, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    t = torch.from_numpy(frames)
    y, mask, _ = scratches.clean(t, 0, (0, len(frames)), range(len(frames)), strength)
    return y.numpy(), mask.numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / max(np.mean((a.astype(np.float64) - b) ** 2), 1e-12)))


def test_a_light_and_a_dark_scratch_are_taken_out_and_nothing_else():
    truth = picture()
    dirty = scratch(scratch(truth, 60, 0.2), 170, -0.12, sigma=1.2)
    cleaned, mask = run(dirty)
    columns = np.nonzero(mask.any((0, 1)))[0]
    assert set(range(59, 62)) <= set(columns) and set(range(169, 173)) <= set(columns)
    assert all(55 <= c <= 66 or 164 <= c <= 177 for c in columns), columns
    # Nothing away from the scratches is touched, and most of their error is gone.
    assert np.array_equal(cleaned[~mask], dirty[~mask])
    before, after = psnr(dirty, truth), psnr(cleaned, truth)
    assert after > before + 8, (before, after)


def test_the_grain_under_a_scratch_is_kept():
    truth = picture(grain=0.03)
    dirty = scratch(truth, 100, 0.15, sigma=0.8, drift=0.0)
    cleaned, mask = run(dirty)
    col = slice(99, 102)
    left = cleaned[:, :, col] - truth[:, :, col]
    # What is left is far less than the grain it sits in: the grain was not smoothed away.
    assert np.abs(left).mean() < 0.3 * 0.03
    grain_kept = np.corrcoef(np.diff(cleaned[:, :, 100], axis=1).ravel(),
                             np.diff(truth[:, :, 100], axis=1).ravel())[0, 1]  # fmt: skip
    assert grain_kept > 0.9


def test_a_film_without_scratches_is_left_as_it_is():
    truth = picture()
    cleaned, mask = run(truth)
    assert not mask.any()
    assert np.array_equal(cleaned, truth)


def test_a_scratch_down_part_of_the_frame_is_taken_out_there_only():
    truth = picture()
    dirty = scratch(truth, 80, 0.2, rows=slice(0, 96))
    cleaned, mask = run(dirty)
    rows = np.nonzero(mask[N // 2].any(1))[0]
    assert rows.min() == 0 and 96 <= rows.max() < 96 + H // scratches.BANDS + 2
    assert psnr(cleaned, truth) > psnr(dirty, truth) + 8


def test_a_scratch_is_taken_out_where_a_busy_picture_hides_it_too():
    truth = picture(grain=0.01)
    rng = np.random.default_rng(2)
    busy = slice(56, 88)  # a band of lettering: strokes as strong as the scratch, or more
    for x in range(4, W - 4, 5):
        truth[:, busy, x : x + 2] += rng.choice([-0.3, 0.3])
    truth = np.clip(truth, 0, 1).astype(np.float32)
    dirty = scratch(truth, 120, 0.15, drift=0.0)
    cleaned, mask = run(dirty)
    assert mask[:, busy, 119:122].all()  # corrected through the lettering
    before = np.abs(dirty - truth)[:, busy, 118:123].mean()
    assert np.abs(cleaned - truth)[:, busy, 118:123].mean() < 0.5 * before
    assert np.array_equal(cleaned[:, :, :110], dirty[:, :, :110])  # the strokes stay


def test_beside_a_letters_edge_a_scratch_is_not_taken_out_twice_over():
    truth = picture(grain=0.01)
    truth[:, 40:100, 112:118] -= 0.4  # a letter's stroke, ending a pixel from the scratch
    truth = np.clip(truth, 0, 1).astype(np.float32)
    dirty = scratch(truth, 120.5, 0.15, drift=0.0)
    cleaned, mask = run(dirty)
    assert mask[:, :, 119:122].any()
    # No dark line where the stroke's edge sways a row's share of the scratch.
    assert (cleaned - truth)[:, 40:100, 118:124].min() > -0.06
    assert psnr(cleaned, truth) > psnr(dirty, truth) + 6


def test_a_thin_stroke_of_the_picture_under_a_scratch_keeps_most_of_itself():
    truth = picture(grain=0.01)
    truth = scratch(truth, 150, 0.3, sigma=0.8, rows=slice(50, 80), drift=0.0)  # a thin stroke
    dirty = scratch(truth, 150, 0.1, drift=0.0)
    cleaned, mask = run(dirty)
    assert mask[:, :, 149:152].any()
    assert (cleaned - truth)[:, 50:80, 150].mean() > -0.1  # not taken for more scratch
    assert np.abs(cleaned - truth)[:, 90:, 148:153].mean() < 0.01  # below it, all gone


@pytest.mark.parametrize("apart", [12, 30])
def test_two_scratches_side_by_side_are_both_taken_and_three_evenly_spaced_left(apart: int):
    truth = picture(grain=0.01)
    dirty = scratch(scratch(truth, 100, 0.15, drift=0.0), 100 + apart, 0.15, drift=0.0)
    cleaned, mask = run(dirty)
    columns = set(np.nonzero(mask.any((0, 1)))[0])
    assert {100, 100 + apart} <= columns  # a pair is not a pattern of the picture
    assert psnr(cleaned, truth) > psnr(dirty, truth) + 15
    if 2 * apart <= scratches.PATTERN * W:  # three evenly spaced within reach: a fence's
        assert not run(scratch(dirty, 100 + 2 * apart, 0.15, drift=0.0))[1].any()


@pytest.mark.parametrize(
    "what",
    ["grid", "bar", "edge", "passing"],
)
def test_lines_of_the_picture_are_left_alone(what: str):
    truth = picture(grain=0.01)
    if what == "grid":  # a fence: thin lines every 14 px, as strong as a scratch
        out = truth
        for x in range(20, W - 10, 14):
            out = scratch(out, x, 0.2, drift=0.0)
    elif what == "bar":  # a post three times as wide as a scratch may be
        out = truth.copy()
        out[:, :, 120:128] -= 0.25
    elif what == "edge":  # the frame's black border
        out = truth.copy()
        out[:, :, :12] = 0.0
    else:  # a thin line passing fast, in a new place each frame
        out = truth.copy()
        for k in range(N):
            out[k, :, 30 + 22 * k] += 0.3
    out = np.clip(out, 0, 1).astype(np.float32)
    cleaned, mask = run(out)
    assert not mask.any(), np.nonzero(mask.any((0, 1)))[0]
    assert np.array_equal(cleaned, out)


def test_a_faint_scratch_is_taken_at_full_strength_and_left_at_a_low_one():
    # Faint on a gentle picture: on steep shading the step across is larger than the line.
    truth = picture(grain=0.01, relief=0.02)
    dirty = scratch(truth, 140, 0.05)
    _, full = run(dirty, 1.0)
    _, low = run(dirty, 0.2)
    assert full[:, :, 139:142].any(axis=(1, 2)).all()
    assert not low.any()


def test_a_frame_is_cleaned_alike_however_its_frames_are_handed_over():
    dirty = scratch(scratch(picture(), 60, 0.2), 170, -0.12, sigma=1.2)
    whole, _ = run(dirty)
    frames = torch.from_numpy(dirty)
    for t in range(N):
        lo, hi = max(0, t - scratches.REACH), min(N, t + scratches.REACH + 1)
        one, _, _ = scratches.clean(frames[lo:hi], lo, (0, N), range(t, t + 1))
        assert torch.equal(one[0], torch.from_numpy(whole[t])), t


def test_chroma_is_corrected_over_the_same_pixels():
    truth = picture()
    dirty = scratch(truth, 90, 0.2)
    cb = np.full_like(truth, 0.02)
    scratched_cb = scratch(cb + 0.5, 90, 0.06) - 0.5  # a coloured scratch
    chroma = torch.from_numpy(np.stack([scratched_cb, -cb], axis=1))
    _, mask, fixes = scratches.clean(torch.from_numpy(dirty), 0, (0, N), range(N))
    assert mask.any()
    out = torch.stack(
        [torch.stack([f.apply(p) for p in c]) for f, c in zip(fixes, chroma, strict=True)]
    )
    out = out.numpy()
    assert np.abs(out[:, 0] - cb).max() < 0.015 < np.abs(scratched_cb - cb).max()
    assert np.allclose(out[:, 1], -cb, atol=1e-6)


def test_strength_out_of_range_is_refused():
    with pytest.raises(ValueError, match="strength"):
        run(picture(n=3), strength=0.0)
