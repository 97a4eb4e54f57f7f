"""Tiny model weights for tests: real networks, small configs, honestly labelled untrained.

Tests that need a colorizer point PANCHRO_MODELS_DIR (or a --weights option) at a
folder made here, so nothing depends on what ships in resources/models.
"""

from __future__ import annotations

from pathlib import Path

import torch

from panchro.engine import weights
from panchro.engine.models.colorizer import ColorizerConfig, build

UNTRAINED = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (test)"}


def save_small_colorizer(folder: Path, *, seed: int = 0, card: dict | None = None) -> Path:
    """`folder/colorizer.safetensors`: the small test config with random weights."""
    torch.manual_seed(seed)
    config = ColorizerConfig.small()
    model = build(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    return weights.save_model(
        model, config, folder / "colorizer.safetensors", card=card or UNTRAINED
    )
