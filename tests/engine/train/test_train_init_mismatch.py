"""An --init file that does not fit the run says which options would make it fit (the
shipped x4 has 8 blocks, the default preset 4), and another kind of model is named as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from panchro.engine.errors import BadInputError
from panchro.engine.models.colorizer import ColorizerConfig
from panchro.engine.models.refiner import refiner_config
from panchro.engine.models.upscaler import UpscalerConfig, build
from panchro.engine.train.common import init_mismatch, start_from
from tests.makemodels import save_small_colorizer, save_small_upscaler


def test_the_options_that_fit_are_named() -> None:
    shipped_x4 = UpscalerConfig(scale=4, frames=5, channels=32, blocks=8)
    message = init_mismatch(shipped_x4, UpscalerConfig.preset("fast", scale=4))
    assert "blocks 8 (this run: 4)" in message and "pass --blocks 8 to go on" in message
    message = init_mismatch(shipped_x4, UpscalerConfig.preset("fast", scale=2))
    assert "pass --scale 4 and --blocks 8 to go on" in message, message
    tuned = UpscalerConfig(scale=4, blocks=8, res_scale=0.1)
    assert "the --config it was made with" in init_mismatch(tuned, UpscalerConfig(scale=4))
    message = init_mismatch(refiner_config("small"), refiner_config("cpu"))
    assert "holds a refiner unlike" in message and "--config" in message


def test_another_kind_of_model_is_said_plainly() -> None:
    message = init_mismatch(ColorizerConfig.small(), UpscalerConfig.preset("fast", scale=4))
    assert message.startswith("holds a colorizer's weights, not an upscaler's"), message
    assert "Config(" not in message


def test_start_from_refuses_with_the_message(tmp_path: Path) -> None:
    colorizer = save_small_colorizer(tmp_path / "c")
    upscaler = save_small_upscaler(tmp_path / "u", scale=2)  # the small preset: 1 block
    model = build(UpscalerConfig.preset("fast", scale=2))
    with pytest.raises(BadInputError, match="colorizer's weights, not an upscaler's"):
        start_from(model, UpscalerConfig.preset("fast", scale=2), colorizer, print)
    cfg = UpscalerConfig.preset("small", scale=4)
    with pytest.raises(BadInputError, match="pass --scale 2 to go on"):
        start_from(build(cfg), cfg, upscaler, print)
