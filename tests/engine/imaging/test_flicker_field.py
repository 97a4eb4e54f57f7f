"""Flicker that differs across the frame (`imaging.flicker`'s tiles and gain field), on
frames made here: taken out of a moving picture, and what is not flicker left alone."""

from __future__ import annotations

import numpy as np
import torch

from panchro.engine.evaluate.clips import psnr
from panchro.engine.evaluate.deflicker import even_out
from panchro.engine.imaging import degrade, flicker
from panchro.engine.shots import Shot
from tests.makemedia import soft_pan

SIZE = (192, 108)
HALF = 12
SPAN = 6


def measured(frames: np.ndarray, strength: float = 1.0) -> flicker.Correction:
    q = np.stack([flicker.levels(f) for f in frames])
    tiles = np.stack([flicker.tiles(f) for f in frames])
    aspect = frames.shape[1] / frames.shape[2]
    return flicker.corrections(q, HALF, strength, span=SPAN, tiles=tiles, aspect=aspect)


def field_change(frames: np.ndarray) -> np.ndarray:
    """(N,): the most the field (and its offset) moves any pixel of each frame (of 1)."""
    c = measured(frames)
    assert c.field is not None
    evened = frames * c.gain[:, None, None] + c.offset[:, None, None]
    h, w = frames.shape[1:]
    fielded = evened * flicker.field_map(c.field, h, w) + c.field[:, 6, None, None]
    return np.abs(fielded - evened).max(axis=(1, 2))


def test_tiles_are_the_means_of_a_grid_of_the_frame() -> None:
    rows, cols = flicker.GRID
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (rows * 5, cols * 4), dtype=np.uint8)
    expected = (grey / 255.0).reshape(rows, 5, cols, 4).mean(axis=(1, 3)).ravel()
    np.testing.assert_allclose(flicker.tiles(grey), expected, atol=1e-12)
    np.testing.assert_allclose(flicker.tiles(grey / 255.0), expected, atol=1e-12)
    # a copy smaller than the grid: each pixel stands for the tiles over it
    tiny = np.array([[0.1, 0.5], [0.9, 0.3]])
    got = flicker.tiles(tiny).reshape(rows, cols)
    assert got[0, 0] == 0.1 and got[0, -1] == 0.5 and got[-1, 0] == 0.9 and got[-1, -1] == 0.3


def test_flicker_across_the_frame_is_taken_out_of_a_moving_picture() -> None:
    clip = soft_pan(60, SIZE, step=1, grain=0.01, relief=0.15)
    laid = degrade.uneven_flicker(clip, np.random.default_rng(3), 0.08)
    shots = [Shot(0, 60, 30)]
    whole = even_out(laid, shots, 24, field=False)
    evened = even_out(laid, shots, 24)
    assert psnr(whole, clip) < psnr(laid, clip) + 4  # the frame's mean alone: a little
    assert psnr(evened, clip) > psnr(whole, clip) + 1.5  # the field: most of the rest
    assert psnr(even_out(clip, shots, 24), clip) > 60  # a pan without flicker: as it was


def test_something_bright_passing_through_a_corner_is_not_flicker() -> None:
    """A bright patch crossing the top of a still picture in eight frames (it changes each
    tile it passes for a frame or three, which a median of seven does not follow): the
    tiles it is in are left out of the fit, and what its light did to the whole frame's
    levels is taken back as an offset, not bent into the field."""
    frames = soft_pan(40, SIZE, step=0, grain=0.01, relief=0.15)
    for k in range(14, 22):
        x = 8 * (k - 14)
        frames[k, 4:28, x : x + 24] = 0.97
    shots = [Shot(0, 40, 20)]
    whole = np.abs(even_out(frames, shots, 24, field=False) - frames)
    evened = np.abs(even_out(frames, shots, 24) - frames)
    assert evened.max() < 0.01  # two grey levels at most: the film as it was
    assert evened.mean() < whole.mean()


def test_a_fade_sweeping_across_the_frame_keeps_its_light_to_the_shots_ends() -> None:
    """Light growing faster on the left than on the right, frame after frame: each tile
    gets steadily lighter, which is its own running median, to the first and last frame."""
    still = soft_pan(1, SIZE, grain=0.01, relief=0.15)[0]
    x = np.linspace(-1, 1, SIZE[0])
    frames = np.stack([still * (0.5 + 0.015 * k * (1.5 - x / 2))[None] for k in range(30)])
    assert field_change(frames).max() < 1e-3


def test_running_median_is_centred_to_the_ends() -> None:
    ramp = np.linspace(0, 1, 20)[:, None] ** 2
    np.testing.assert_array_equal(flicker.running_median(ramp, 3), ramp)
    spiky = np.full((9, 1), 0.5)
    spiky[4] = 0.9  # one frame lighter: its median is its neighbours'
    assert flicker.running_median(spiky, 3)[4, 0] == 0.5
    assert flicker.running_median(spiky, 3)[0, 0] == 0.5  # the first frame: itself alone


def test_a_stretch_of_a_shot_gives_its_frames_the_same_fields_to_the_bit() -> None:
    """What a resumed chunk, a preview or a cluster worker measures: only the frames within
    reach of its own (as the deflicker stage reaches), yet the fields a whole run gives."""
    clip = soft_pan(160, SIZE, step=1, grain=0.01, relief=0.15)
    frames = degrade.uneven_flicker(clip, np.random.default_rng(4), 0.06)
    frames[80:] = np.clip(frames[80:] * 1.6, 0, 1)  # a lamp switched on: a step
    q = np.stack([flicker.levels(f) for f in frames])
    tiles = np.stack([flicker.tiles(f) for f in frames])
    kw = {"span": SPAN, "aspect": SIZE[1] / SIZE[0]}
    whole = flicker.corrections(q, HALF, tiles=tiles, **kw)
    assert whole.field is not None and flicker.steps(q, SPAN)[80]
    reach = HALF + 2 * SPAN + flicker.FIELD_HALF
    # (93, 101): its first frames' fields reach frames whose windows reach the step
    for start, stop in ((0, 8), (40, 48), (74, 82), (80, 88), (93, 101), (150, 160), (77, 78)):
        lo, hi = max(0, start - reach), min(len(q), stop + reach)
        part = flicker.corrections(q[lo:hi], HALF, tiles=tiles[lo:hi], **kw)
        assert part.field is not None
        np.testing.assert_array_equal(part.field[start - lo : stop - lo], whole.field[start:stop])
        assert part.part(start - lo, stop - lo).gain.tobytes() == whole.gain[start:stop].tobytes()


def test_strength_takes_a_share_of_the_field_too() -> None:
    clip = soft_pan(40, SIZE, step=1, grain=0.01, relief=0.15)
    laid = degrade.uneven_flicker(clip, np.random.default_rng(5), 0.08)
    full, half = measured(laid).field, measured(laid, 0.5).field
    assert full is not None and half is not None
    share = np.abs(half[:, :6]).sum() / np.abs(full[:, :6]).sum()
    assert 0.4 < share < 0.6


def test_the_field_map_on_a_device_is_the_host_one_and_bounded() -> None:
    rng = np.random.default_rng(6)
    coef = rng.normal(0, 0.05, (3, 7))
    coef[2, 0] = 1.0  # far beyond what a field may do
    host = flicker.field_map(coef, 36, 64)
    device = flicker.field_map(coef, 36, 64, torch.zeros(1))
    assert host.shape == (3, 36, 64) and host.dtype == np.float32
    np.testing.assert_allclose(device.numpy(), host, atol=1e-6)
    assert host[2].min() == host[2].max() == 1 + flicker.FIELD_RANGE
    assert np.array_equal(flicker.field_map(np.zeros((1, 7)), 4, 4), np.ones((1, 4, 4)))
    # the terms: x runs from the left edge (-1) to the right (1), y as far, 0 at the middle
    tilt = np.zeros((1, 7))
    tilt[0, 1] = 0.1
    row = flicker.field_map(tilt, 10, 100)[0, 5]
    assert row[0] < 0.91 and row[-1] > 1.09 and abs(row[49] + row[50] - 2) < 1e-6


def test_black_frames_get_no_field() -> None:
    frames = np.zeros((20, 54, 96))
    c = measured(frames)
    assert c.field is not None and np.all(np.isfinite(c.field))
    assert np.abs(c.field).max() < 1e-9
