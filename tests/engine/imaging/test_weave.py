"""Gate weave measured and taken out (`imaging.weave`), on pictures made here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panchro.engine.imaging import weave

HALF = 12


def texture(h: int = 120, w: int = 200, seed: int = 0, fine: float = 0.3) -> np.ndarray:
    """A picture with structure at every scale (blocks, waves and, with `fine`, pixel noise),
    in [0, 1]."""
    rng = np.random.default_rng(seed)
    big = rng.random((h // 8 + 2, w // 8 + 2))
    up = np.kron(big, np.ones((8, 8)))[:h, :w]
    fine = rng.random((h, w)) * fine
    y, x = np.mgrid[0:h, 0:w]
    return ((up * 0.6 + fine + 0.1 * np.sin(x / 7.0) * np.cos(y / 5.0)) / 1.1).astype(np.float32)


def test_motion_finds_a_sub_pixel_shift() -> None:
    img = texture()
    rng = np.random.default_rng(1)
    for dx, dy in ((1.3, -0.6), (-2.7, 0.25), (0.0, 0.0), (4.5, 3.2)):
        moved = weave.shift_planes(img[None], np.array([dx]), np.array([dy]))[0]
        noisy = moved + rng.normal(0, 0.02, img.shape).astype(np.float32)  # grain
        mx, my = weave.motion(img, noisy)
        assert abs(mx - dx) < 0.1 and abs(my - dy) < 0.1, (dx, dy, mx, my)
        assert (mx / weave.STEP).is_integer() and (my / weave.STEP).is_integer()


def test_a_shift_moves_the_picture_and_mirrors_it_at_the_edge() -> None:
    img = texture()
    moved = weave.shift_planes(img[None], np.array([3.0]), np.array([-2.0]))[0]
    np.testing.assert_allclose(moved[10:-10, 13:-10], img[12:-8, 10:-13], atol=1e-6)
    # the band that came in is the picture's edge mirrored (not one column repeated)
    np.testing.assert_allclose(moved[10:-10, :3], img[12:-8, 2::-1], atol=1e-6)
    np.testing.assert_allclose(moved[-2:, 20:-20], img[:-3:-1, 17:-23], atol=1e-6)
    # a fraction of a pixel: where a smooth picture would be (cubic), to 1e-4
    y, x = np.mgrid[0:100, 0:200]
    wave = lambda dx, dy: 0.5 + 0.3 * np.sin((x - dx) / 6.0) * np.cos((y - dy) / 9.0)  # noqa: E731
    there = weave.shift_planes(
        wave(0, 0)[None].astype(np.float32), np.array([0.4]), np.array([-1.7])
    )
    assert np.abs(there[0] - wave(0.4, -1.7))[5:-5, 5:-5].max() < 1e-4


def test_host_arrays_and_tensors_are_moved_alike_to_the_bit() -> None:
    planes = np.stack([texture(seed=s) for s in range(3)])
    dx, dy = np.array([1.37, -0.2, 0.0]), np.array([-0.52, 2.6, 0.0])
    host = weave.shift_planes(planes, dx, dy)
    tensor = weave.shift_planes(torch.from_numpy(planes.copy()), dx, dy)
    assert np.array_equal(host, tensor.numpy())


def test_a_pan_is_kept_and_the_jitter_around_it_goes() -> None:
    n = 80
    rng = np.random.default_rng(2)
    pan = np.stack([np.linspace(0, 40, n), 0.002 * (np.arange(n) - 40) ** 2], axis=1)
    jitter = np.stack([rng.normal(0, 1.0, n), rng.normal(0, 0.5, n)], axis=1)
    steps = lambda p: np.round(np.diff(p, axis=0) / weave.STEP) * weave.STEP  # noqa: E731
    assert np.abs(weave.corrections(steps(pan), HALF)).max() < 0.05  # a pan: nothing to do
    moves = weave.corrections(steps(pan + jitter), HALF)
    left = jitter + moves
    left -= left.mean(axis=0)
    assert np.abs(left).mean() < 0.35 * np.abs(jitter - jitter.mean(axis=0)).mean()
    half = weave.corrections(steps(pan + jitter), HALF, 0.5)
    np.testing.assert_allclose(half, moves / 2, atol=1e-9)
    with pytest.raises(ValueError, match="0..1"):
        weave.corrections(steps(pan), HALF, 2.0)


def test_a_stretch_of_a_shot_gives_its_frames_the_same_moves_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    shifts = np.round(rng.normal(0, 1.5, (299, 2)) / weave.STEP) * weave.STEP
    whole = weave.corrections(shifts, HALF)
    for start, stop in ((0, 8), (100, 108), (290, 300), (37, 38)):
        lo, hi = max(0, start - HALF), min(300, stop + HALF)
        part = weave.corrections(shifts[lo : hi - 1], HALF)
        assert np.array_equal(part[start - lo : stop - lo], whole[start:stop])
