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
