"""The models Panchro knows, by name. An explicit dict: nothing is found by scanning file names.

Each entry says how to build the network from its config and where its weights
live (`panchro.engine.paths.models_dir()` / filename). To add a model (the
refiner, the upscaler), write its module with a frozen config dataclass that
has `to_dict()` / `from_dict()` and a `build(config)`, then add one line to
`REGISTRY` below. An entry exists only once its network does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from panchro.engine.errors import BadInputError
from panchro.engine.models import colorizer, refiner, upscaler
from panchro.engine.paths import models_dir


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str  # under models_dir()
    build_fn: Callable[[Any], nn.Module]
    config_cls: type
    description: str


def _upscaler_spec(scale: int, kind: str) -> ModelSpec:
    name = upscaler.model_name(scale, kind)
    if kind == "sharp":
        what = (
            f"single-frame luma enlargement x{scale} for clean sources (photos, good transfers):"
            " trained on the plain bicubic shrink; keeps grain"
        )
    else:
        what = f"multi-frame luma restoration x{scale}: a window of luma frames -> the middle" + (
            " frame cleaned and enlarged" if scale > 1 else " frame cleaned"
        )
    return ModelSpec(
        name=name,
        filename=f"{name}.safetensors",
        build_fn=upscaler.build,
        config_cls=upscaler.UpscalerConfig,
        description=what,
    )


REGISTRY: dict[str, ModelSpec] = {
    "colorizer": ModelSpec(
        name="colorizer",
        filename="colorizer.safetensors",
        build_fn=colorizer.build,
        config_cls=colorizer.ColorizerConfig,
        description="PixColor-style key-frame colorizer: ResNet conditioning + gated PixelCNN"
        " over 28x28 Cb/Cr, 32 bins each",
    ),
    "refiner": ModelSpec(
        name="refiner",
        filename="refiner.safetensors",
        build_fn=refiner.build,
        config_cls=refiner.RefinerConfig,
        description="refinement U-Net: grey frame at working resolution + 28x28 Cb/Cr hint"
        " -> Cb/Cr at working resolution (a residual on the upsampled hint)",
    ),
    # one network, an entry per scale and kind: the config's model_name says which a file is
    **{
        upscaler.model_name(s, kind): _upscaler_spec(s, kind)
        for kind in upscaler.KINDS
        for s in upscaler.SCALES
        if kind == "film" or s > 1
    },
}


def get_spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise BadInputError(
            f"unknown model {name!r} (known: {', '.join(sorted(REGISTRY))})"
        ) from None


def spec_for_config(config: object) -> ModelSpec:
    """The entry whose config class `config` is an instance of.

    A config class shared by several entries (the upscaler's, one per scale)
    names its entry with a `model_name` property.
    """
    name = getattr(config, "model_name", None)
    if isinstance(name, str) and name in REGISTRY and type(config) is REGISTRY[name].config_cls:
        return REGISTRY[name]
    for spec in REGISTRY.values():
        if type(config) is spec.config_cls:
            return spec
    raise BadInputError(f"no registered model takes a {type(config).__name__}")


def weights_path(name: str, directory: Path | None = None) -> Path:
    return (directory or models_dir()) / get_spec(name).filename
