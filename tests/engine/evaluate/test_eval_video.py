"""`panchro eval video`: the steadiness figures can tell steady colour from flicker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from panchro.engine.evaluate import video as ev
from tests.makemedia import make_video
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner


def _clip(t: int = 8) -> ev.Clip:
    rng = np.random.default_rng(0)
    coarse = rng.random((3, 4, 3)).astype(np.float32) * 0.6 + 0.2
    base = np.kron(coarse, np.ones((8, 8, 1), np.float32))  # smooth colour patches
    rgb = np.stack([np.roll(base, i, axis=1) for i in range(t)])  # a slow pan
    from panchro.engine.imaging import color

    ycc = color.rgb_to_ycbcr(rgb, matrix=ev.MATRIX)
    return ev.Clip("pan", rgb, ycc[..., 0], np.moveaxis(ycc[..., 1:], -1, 1))


def test_the_film_itself_scores_as_steady_as_itself() -> None:
    clip = _clip()
    got = ev.score(clip, clip.chroma)
    assert got["flicker_ratio"] == pytest.approx(1.0)
    assert got["chroma_psnr"] > 60 and got["ciede2000"] < 0.5
    assert got["cdc"] == pytest.approx(ev.cdc(clip.rgb), abs=2e-3)


def test_a_flickering_colouring_fails_both_measures() -> None:
    clip = _clip()
    rng = np.random.default_rng(1)
    # Each frame's colour pushed a different way, as independent samples would.
    shift = rng.normal(0, 0.08, (clip.chroma.shape[0], 2, 1, 1)).astype(np.float32)
    flickering = np.clip(clip.chroma + shift, -0.5, 0.5)
    steady = np.clip(clip.chroma + shift[:1], -0.5, 0.5)  # one colour shift for all frames
    bad, good = ev.score(clip, flickering), ev.score(clip, steady)
    assert bad["flicker_ratio"] > 1.5 > 1.1 >= good["flicker_ratio"]
    assert bad["cdc"] > 2 * good["cdc"]


def test_js_divergence_bounds() -> None:
    p = np.array([1.0, 0.0])
    q = np.array([0.0, 1.0])
    assert ev.js_divergence(p, p) == 0.0
    assert ev.js_divergence(p, q) == pytest.approx(1.0)


def test_eval_video_end_to_end(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", frames=10, size=(64, 48), audio=False)
    models = tmp_path / "m"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    lines: list[str] = []
    got = ev.eval_video(
        [tmp_path], refiner=str(models / "refiner.safetensors"),
        colorizer=str(models / "colorizer.safetensors"), frames=10, per_frame=4, out=lines.append,
    )  # fmt: skip
    assert got["clips"] == 1 and clip.name in lines[0]
    for row in ("oracle", "sampled", "per-frame", "10 hints"):
        assert np.isfinite(got[row]["chroma_psnr"]) and got[row]["frames"] > 1
    # the key frame's hints carried through the clip: one hint for all, as steady as a pick
    assert got["10 hints"]["flicker_ratio"] < got["per-frame"]["flicker_ratio"]
    assert got["per-frame"]["frames"] == 4
    assert any(line.startswith("oracle") for line in lines)
