"""`panchro bench upscale --kind`: the film or the sharp x2 timed, each its shipped weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from panchro.engine.bench.models import _bench_model

SHIPPED = Path(__file__).resolve().parents[3] / "resources" / "models"


def test_the_kind_picks_the_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(SHIPPED))
    film, said = _bench_model(2, torch.device("cpu"))
    sharp, said_sharp = _bench_model(2, torch.device("cpu"), "sharp")
    assert said == "upscaler_x2 weights" and said_sharp == "upscaler_x2_sharp weights"
    assert film.config.frames == 5 and sharp.config.frames == 1
    assert sharp.config.blocks == 8  # the 32 x 8 network shipped in session 23
