"""RGB from YCbCr with the luma kept: a colour outside RGB loses saturation, not brightness."""

from __future__ import annotations

import numpy as np

from panchro.engine.imaging import color


def test_luma_is_kept_even_outside_the_gamut() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(4000).astype(np.float32)
    cbcr = (rng.random((4000, 2)) - 0.5).astype(np.float32)  # many fall outside RGB
    for matrix in ("bt601", "bt709"):
        rgb = color.ycbcr_to_rgb_keep_luma(y, cbcr, matrix=matrix)
        assert rgb.min() >= 0.0 and rgb.max() <= 1.0
        back = color.rgb_to_ycbcr(rgb, matrix=matrix)
        np.testing.assert_allclose(back[..., 0], y, atol=1e-5)
        # Inside the gamut it is the plain conversion.
        plain = color.ycbcr_to_rgb(
            np.concatenate([y[:, None], cbcr], -1), matrix=matrix, clip=False
        )
        inside = ((plain >= 0) & (plain <= 1)).all(-1)
        np.testing.assert_allclose(rgb[inside], plain[inside], atol=1e-6)
        # Outside, the hue's direction stays: chroma is only scaled down.
        out = ~inside
        kept = color.rgb_to_ycbcr(rgb[out], matrix=matrix)[..., 1:]
        cross = kept[:, 0] * cbcr[out, 1] - kept[:, 1] * cbcr[out, 0]
        np.testing.assert_allclose(cross, 0, atol=1e-5)


def test_clipped_yellow_would_be_darker() -> None:
    """Why: plain clipping of a saturated yellow under bright luma changes the luma."""
    y = np.array([0.9], np.float32)
    cbcr = np.array([[-0.45, 0.2]], np.float32)
    clipped = color.ycbcr_to_rgb(np.concatenate([y[:, None], cbcr], -1), matrix="bt601")
    kept = color.ycbcr_to_rgb_keep_luma(y, cbcr, matrix="bt601")
    assert abs(color.rgb_to_ycbcr(clipped, matrix="bt601")[0, 0] - 0.9) > 0.01
    assert abs(color.rgb_to_ycbcr(kept, matrix="bt601")[0, 0] - 0.9) < 1e-5


def test_keep_luma_equals_the_plain_formula_to_the_bit_edges_included() -> None:
    """The channel-by-channel form is a faster way to the same numbers: the smallest room
    over R, G, B of the plain formula, with black, white and chroma-free pixels in it."""
    rng = np.random.default_rng(5)
    y = rng.random((64, 64), np.float32)
    y[:8], y[8:16] = 0.0, 1.0
    c = ((rng.random((64, 64, 2), np.float32) - 0.5) * 0.8).astype(np.float32)
    c[::5, :, :] = 0.0
    c[1::7, :, 0] = 0.0
    for matrix in ("bt601", "bt709"):
        yy = np.clip(y, 0.0, 1.0)[..., None]
        d = c @ color.ycbcr_to_rgb_matrix(matrix)[:, 1:].astype(np.float32).T
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(d > 0, (1.0 - yy) / d, np.where(d < 0, -yy / d, np.inf))
        plain = np.clip(yy + np.clip(room.min(-1, keepdims=True), 0.0, 1.0) * d, 0.0, 1.0)
        got = color.ycbcr_to_rgb_keep_luma(y, c, matrix=matrix)
        assert np.array_equal(got, plain), matrix
