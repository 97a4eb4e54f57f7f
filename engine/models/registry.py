"""The models Panchro knows, with their code: how to build each network, its config class.

The names, weights files and descriptions are `panchro.engine.models.names.MODELS` (plain
data, no torch); `REGISTRY` adds to each the network's code, found through `_CODE` by the
module the entry names. Nothing is found by scanning file names. To add a model (the refiner,
the upscaler), write its module with a frozen config dataclass that has `to_dict()` /
`from_dict()` and a `build(config)`, add its entry to `names.MODELS` and, for a new module,
one line to `_CODE` below. An entry exists only once its network does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from panchro.engine.errors import BadInputError
from panchro.engine.models import colorizer, refiner, specks, upscaler
from panchro.engine.models.names import MODELS
from panchro.engine.paths import models_dir


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str  # under models_dir()
    build_fn: Callable[[Any], nn.Module]
    config_cls: type
    description: str


# The code behind each module that `names.MODELS` points at: (build, config class).
_CODE: dict[str, tuple[Callable[[Any], nn.Module], type]] = {
    colorizer.__name__: (colorizer.build, colorizer.ColorizerConfig),
    refiner.__name__: (refiner.build, refiner.RefinerConfig),
    specks.__name__: (specks.build, specks.SpeckConfig),
    # one network, an entry per scale and kind: the config's model_name says which a file is
    upscaler.__name__: (upscaler.build, upscaler.UpscalerConfig),
}

REGISTRY: dict[str, ModelSpec] = {
    entry.name: ModelSpec(
        name=entry.name,
        filename=entry.filename,
        build_fn=_CODE[entry.module][0],
        config_cls=_CODE[entry.module][1],
        description=entry.description,
    )
    for entry in MODELS.values()
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
