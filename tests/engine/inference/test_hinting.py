"""Hints turned into chroma (Levin, the hint refiner, over a mode); K modes with hints locked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from panchro.engine.imaging.color import dequantize_chroma
from panchro.engine.imaging.hints import Hints, Point, chroma_of_rgb
from panchro.engine.inference.colorize import load_colorizer, locked_bins, sample_candidates
from panchro.engine.inference.hinting import hinted_chroma, load_hint_refiner
from panchro.engine.models import weights
from panchro.engine.models.refiner import build, refiner_config
from panchro.engine.train.hints import init_from_refiner
from tests.makemodels import TINY28, UNTRAINED, save_small_colorizer, save_small_refiner

RED = (200, 30, 30)


def _luma(h: int = 90, w: int = 120) -> np.ndarray:
    y = np.full((h, w), 0.3, np.float32)
    y[:, w // 2 :] = 0.75
    return y


def test_levin_route_returns_chroma_that_holds_the_hints_at_full_size() -> None:
    y = _luma()
    hints = Hints(points=(Point(0, 20, 40, RED), Point(0, 100, 40, (20, 200, 20))))
    out = hinted_chroma(y, hints, matrix="bt601", working_size=48)
    assert out.shape == (2, 90, 120) and out.dtype == np.float32
    assert np.abs(out[:, 40, 20] - chroma_of_rgb(RED, "bt601")).max() < 0.02
    assert np.abs(out[:, 40, 100] - chroma_of_rgb((20, 200, 20), "bt601")).max() < 0.02
    # no hints: grey
    assert not hinted_chroma(y, Hints(), matrix="bt601").any()


def test_over_a_mode_the_hint_wins_and_the_modes_own_variation_is_kept() -> None:
    y = _luma()
    base = np.zeros((2, 90, 120), np.float32)
    base[0] = 0.2 + 0.05 * np.sin(np.arange(120) / 7.0)  # a blue mode with some variation
    assert np.array_equal(hinted_chroma(y, Hints(), matrix="bt601", base=base), base)
    hints = Hints(points=(Point(0, 20, 40, RED),))
    # without a decay one hint moves the whole picture by its difference, smoothly
    out = hinted_chroma(y, hints, matrix="bt601", base=base, decay=0.0, working_size=60)
    assert np.abs(out[:, 40, 20] - chroma_of_rgb(RED, "bt601")).max() < 0.02
    shift = out[:, 10:80, 5:50] - base[:, 10:80, 5:50]
    assert np.ptp(shift[0]) < 0.01 and np.ptp(shift[1]) < 0.01  # a smooth correction
    # as shipped (MODE_DECAY) the correction stays near its hint: the far side keeps the mode
    local = hinted_chroma(y, hints, matrix="bt601", base=base, working_size=60)
    assert np.abs(local[:, 40, 110] - base[:, 40, 110]).max() < 0.01
    assert local[1, 40, 20] > base[1, 40, 20] + 0.2


def test_the_hint_refiner_starts_as_levin_and_is_used_only_when_trained(tmp_path: Path) -> None:
    ref_path = save_small_refiner(tmp_path / "ref")
    cfg = dataclasses.replace(refiner_config("small"), hint_size=28, point_hints=True)
    model = build(cfg).eval()
    init_from_refiner(model, ref_path, lambda _line: None)
    y = _luma()
    hints = Hints(points=(Point(0, 20, 40, RED),))
    levin = hinted_chroma(y, hints, matrix="bt601", working_size=32)
    learned = hinted_chroma(
        y, hints, matrix="bt601", method="learned", model=model, working_size=32
    )
    np.testing.assert_allclose(learned, levin, atol=1e-6)  # head at zero: Levin exactly
    # weights the stage may load: none, untrained, trained
    path = tmp_path / "hint_refiner.safetensors"
    assert load_hint_refiner(str(path))[0] is False
    weights.save_model(model, cfg, path, card=UNTRAINED)
    got, note = load_hint_refiner(str(path))
    assert got is False and "UNTRAINED" in note
    weights.save_model(model, cfg, path, card={**UNTRAINED, "trained": True})
    got, note = load_hint_refiner(str(path))
    assert isinstance(got, torch.nn.Module) and "hint refiner" in note
    assert load_hint_refiner(str(ref_path))[0] is False  # a plain refiner is not one


def test_k_modes_keep_the_locked_colours_and_vary_the_rest(tmp_path: Path) -> None:
    save_small_colorizer(tmp_path, config=TINY28)
    loaded = load_colorizer(tmp_path / "colorizer.safetensors")
    y = _luma(112, 112)
    hints = Hints(points=(Point(0, 8, 8, RED), Point(0, 100, 60, RED)))
    bins, mask = locked_bins(hints, (112, 112), 28, "bt601")
    assert mask.sum() == 2 and mask[2, 2] and mask[15, 25]
    free = sample_candidates(loaded, y, k=4, seed=3)
    cands = sample_candidates(loaded, y, k=4, seed=3, locked=hints, matrix="bt601")
    for n in range(4):
        assert np.array_equal(cands.bins[n][:, mask], bins[:, mask])
    red = dequantize_chroma(bins[:, 2, 2])
    assert np.abs(red - chroma_of_rgb(RED, "bt601")).max() <= 1 / 64 + 1e-6
    assert not np.array_equal(cands.bins[0], cands.bins[1])  # still K different modes
    # before the first locked cell (raster order) the draws are those of the free samples
    # (as drawn: the despeckle pass afterwards mixes in the neighbours, locked ones too)
    raw = sample_candidates(loaded, y, k=4, seed=3, locked=hints, matrix="bt601", despeckle=0)
    free_raw = sample_candidates(loaded, y, k=4, seed=3, despeckle=0)
    assert np.array_equal(raw.bins[:, :, :2], free_raw.bins[:, :, :2])
    assert not np.array_equal(free.bins, free_raw.bins)  # despeckled by default
    with pytest.raises(Exception, match="locked colours must be"):
        from panchro.engine.inference.sampling import sample_chroma

        sample_chroma(loaded.model, y, k=1, seed=0, fixed=(bins[:, :5], mask))
