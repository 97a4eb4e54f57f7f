"""`panchro eval bars`: the same pictures coloured as they are and between black bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.errors import BadInputError
from panchro.engine.evaluate.bars import BLACK, eval_bars, framed
from tests.makemodels import TINY28, save_small_colorizer


def test_framed_puts_the_picture_between_black_bars() -> None:
    luma = np.random.default_rng(0).random((30, 40)).astype(np.float32)
    inside, where = framed(luma, 0.25)
    assert inside.shape == (30, 60) and where == slice(10, 50)
    assert np.array_equal(inside[:, where], luma)
    assert (inside[:, :10] == BLACK).all() and (inside[:, 50:] == BLACK).all()


def test_eval_bars_scores_both_ways_and_leaves_grey_pictures_out(tmp_path: Path) -> None:
    weights = save_small_colorizer(tmp_path / "models", config=TINY28)
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
        Image.fromarray(rgb).save(pictures / f"colour{i}.png")
    Image.fromarray(np.full((48, 64, 3), 128, np.uint8)).save(pictures / "grey.png")
    said: list[str] = []
    # bars of 80 px each side (a quarter of 320): even, so the borders are found exactly
    result = eval_bars(
        [pictures], weights=str(weights), k=2, split="all", share=0.25, say=said.append
    )
    assert result["pictures"] == 3 and len(said) == 3
    for way in ("as_they_are", "between_bars", "inside_borders_found"):
        assert set(result[way]) == {"best", "mean", "colourfulness"}
        assert result[way]["best"] >= result[way]["mean"] > 0
    # coloured inside the borders found: the very colours of the picture as it is
    for figure, value in result["as_they_are"].items():
        assert result["inside_borders_found"][figure] == pytest.approx(value, abs=1e-6)
    assert result["between_bars"] != result["as_they_are"]
    grey = tmp_path / "grey"
    grey.mkdir()
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(grey / "g.png")
    with pytest.raises(BadInputError, match="no colour pictures"):
        eval_bars([grey], weights=str(weights), k=2, split="all", say=said.append)
