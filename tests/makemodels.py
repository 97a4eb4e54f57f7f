"""Tiny model weights for tests: real networks, small configs, honestly labelled untrained.

Tests that need a colorizer point PANCHRO_MODELS_DIR (or a --weights option) at a
folder made here, so nothing depends on what ships in resources/models.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from panchro.engine.models import weights
from panchro.engine.models.colorizer import ColorizerConfig, build

UNTRAINED = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (test)"}


# The smallest colorizer with the real 28 x 28 chroma (what picks and the refiner take).
TINY28 = ColorizerConfig(
    image_size=112,
    chroma_size=28,
    stem_channels=8,
    resnet_widths=(8,),
    resnet_blocks=(1,),
    context_dilations=(2,),
    cond_channels=8,
    norm_groups=4,
    embed_dim=4,
    pixelcnn_channels=8,
    pixelcnn_layers=2,
    kernel_size=3,
    head_channels=8,
    dropout=0.0,
)


def save_small_colorizer(
    folder: Path,
    *,
    seed: int = 0,
    card: dict | None = None,
    config: ColorizerConfig | None = None,
) -> Path:
    """`folder/colorizer.safetensors`: a small config (default: 8 x 8 chroma) with random
    weights; pass `config=TINY28` for one whose chroma is the real 28 x 28."""
    torch.manual_seed(seed)
    config = config or ColorizerConfig.small()
    model = build(config).eval()
    folder.mkdir(parents=True, exist_ok=True)
    return weights.save_model(
        model, config, folder / "colorizer.safetensors", card=card or UNTRAINED
    )


def save_small_refiner(folder: Path, *, seed: int = 0, hint_size: int = 28) -> Path:
    """`folder/refiner.safetensors`: the small refiner config with a 28 x 28 hint (as picks
    are; or `hint_size`), random weights, untrained."""
    from panchro.engine.models.refiner import build as build_refiner
    from panchro.engine.models.refiner import refiner_config

    torch.manual_seed(seed)
    config = dataclasses.replace(refiner_config("small"), hint_size=hint_size)
    model = build_refiner(config).eval()
    with torch.no_grad():  # its head starts at zero; give it something to say
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    folder.mkdir(parents=True, exist_ok=True)
    return weights.save_model(model, config, folder / "refiner.safetensors", card=UNTRAINED)


def save_small_upscaler(folder: Path, *, scale: int = 2, seed: int = 0, kind: str = "film") -> Path:
    """`folder/upscaler_x{scale}[_sharp].safetensors`: the small preset (a 3-frame window for
    film, one frame for sharp), random weights nudged off bicubic, untrained."""
    from panchro.engine.models.upscaler import UpscalerConfig
    from panchro.engine.models.upscaler import build as build_upscaler

    torch.manual_seed(seed)
    config = UpscalerConfig.preset("small", scale=scale, kind=kind)
    model = build_upscaler(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    folder.mkdir(parents=True, exist_ok=True)
    return weights.save_model(
        model, config, folder / f"{config.model_name}.safetensors", card=UNTRAINED
    )


def save_small_set(folder: Path) -> Path:
    """`folder` holding a small colorizer (28 x 28 chroma), refiner and film x2 upscaler, all
    untrained: every model a restore with colour and x2 loads."""
    save_small_colorizer(folder, config=TINY28)
    save_small_refiner(folder)
    save_small_upscaler(folder, scale=2)
    return folder


def save_small_speck_finder(folder: Path) -> Path:
    """`folder/speck_finder.safetensors`: the small speck finder trained for two steps on a few
    made pictures (its card honestly says so: trained, 2 steps), for tests of the stage around
    it; what it finds is no better than chance."""
    from PIL import Image

    from panchro.engine.train.specks import train_speck_finder
    from tests.engine.train.test_train_refiner import picture

    folder.mkdir(parents=True, exist_ok=True)
    pictures = folder / "speck_pictures"
    pictures.mkdir(exist_ok=True)
    for i in range(6):
        Image.fromarray(picture(i)).save(pictures / f"p{i}.png")
    path = folder / "speck_finder.safetensors"
    train_speck_finder(
        [pictures], folder / "speck_run", steps=2, size=32, batch=2, config="small",
        sample_every=2, val_fraction=0.3, export=path, print_fn=None,
    )  # fmt: skip
    return path


def engine_with(models: Path | None, log: Path) -> Any:
    """An engine process (`EngineClient`) whose models are those of the folder `models`
    (None: the shipped ones), its log at `log`: `$PANCHRO_MODELS_DIR` set only while it
    starts, since the child takes it then."""
    import os

    from panchro.engine.service.client import EngineClient

    before = os.environ.get("PANCHRO_MODELS_DIR")
    if models is not None:
        os.environ["PANCHRO_MODELS_DIR"] = str(models)
    try:
        return EngineClient.start(stderr=log)
    finally:
        if before is None:
            os.environ.pop("PANCHRO_MODELS_DIR", None)
        else:
            os.environ["PANCHRO_MODELS_DIR"] = before


def engine_with_small_models(folder: Path) -> Any:
    """An engine process whose colorizer (28 x 28 chroma) and refiner are small and
    untrained, saved into `folder` (its log there too)."""
    save_small_colorizer(folder, config=TINY28)
    save_small_refiner(folder)
    return engine_with(folder, folder / "engine.log")
