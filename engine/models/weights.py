"""Model weights on disk: safetensors only, with the config and the training facts inside.

A weights file is self-describing. Its safetensors metadata holds
  format          "panchro.weights.v1"
  model           the registry name ("colorizer")
  config          the config dataclass as JSON, enough to rebuild the network
  card            JSON training facts: trained (bool), scale ("cpu-reduced" | "full"),
                  steps, data, and whatever else the trainer measured
  panchro_version the version that wrote it
Pickles (.pt, .pth, .ckpt) are never opened: unpickling runs arbitrary code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from panchro.engine import __version__
from panchro.engine.errors import BadInputError, ModelMissingError, OutputError
from panchro.engine.fsutil import atomic_write
from panchro.engine.models.registry import REGISTRY, get_spec, spec_for_config, weights_path

FORMAT = "panchro.weights.v1"
SCALES = ("cpu-reduced", "full")
SUFFIX = ".safetensors"


def save_model(model: nn.Module, config: Any, path: str | Path, *, card: dict[str, Any]) -> Path:
    """Write `model`'s weights with `config` and `card` to `path`, atomically.

    `card` must hold trained (bool), scale (one of SCALES), steps (int) and data (str).
    """
    spec = spec_for_config(config)
    if getattr(model, "config", config) != config:
        raise ValueError("the model was built from another config than the one given")
    _check_card(card)
    path = Path(path)
    if path.suffix != SUFFIX:
        raise OutputError(f"weights files end in {SUFFIX}", path=path)
    if not path.parent.is_dir():
        raise OutputError("the folder does not exist", path=path)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "model": spec.name,
        "config": json.dumps(config.to_dict()),
        "card": json.dumps(card),
        "panchro_version": __version__,
    }
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata=metadata), what="weights")
    return path


def train_command(model: str) -> str:
    """The command that trains the registry model `model`.

    The upscalers upscaler_x1/x2/x4 share one trainer, chosen by its --scale.
    """
    scale = model.removeprefix("upscaler_x")
    sharp = scale.endswith("_sharp")
    scale = scale.removesuffix("_sharp")
    if model.startswith("upscaler_x") and scale.isdigit():
        return f"panchro train upscaler --scale {scale}" + (" --kind sharp" if sharp else "")
    # the trainers named for what they learn from, not for the model they make
    return f"panchro train {TRAINERS.get(model, model)}"


TRAINERS = {"hint_refiner": "hints", "speck_finder": "specks"}


def read_meta(path: str | Path, *, expect: str | None = None) -> dict[str, Any]:
    """The metadata of a weights file, parsed, without loading its tensors.

    -> {"model": str, "config": dict, "card": dict, "format": str, "panchro_version": str}
    """
    path = Path(path)
    _refuse_non_safetensors(path)
    if not path.is_file():
        what = f"weights for the {expect} model are missing" if expect else "no weights file here"
        hint = f" (train them with `{train_command(expect)}`)" if expect else ""
        raise ModelMissingError(what + hint, path=path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            raw = f.metadata() or {}
    except Exception as err:  # safetensors raises its own error types for every kind of damage
        raise BadInputError(f"corrupt weights file ({_first_line(err)})", path=path) from None
    if raw.get("format") != FORMAT:
        raise BadInputError(
            f"not a Panchro weights file (format {raw.get('format')!r}, expected {FORMAT!r})",
            path=path,
        )
    try:
        meta = {
            "format": raw["format"],
            "model": raw["model"],
            "config": json.loads(raw["config"]),
            "card": json.loads(raw["card"]),
            "panchro_version": raw.get("panchro_version", "unknown"),
        }
    except (KeyError, json.JSONDecodeError) as err:
        raise BadInputError(f"damaged metadata in weights file ({err})", path=path) from None
    if not isinstance(meta["config"], dict) or not isinstance(meta["card"], dict):
        raise BadInputError("damaged metadata in weights file (config/card)", path=path)
    if meta["model"] not in REGISTRY:
        raise BadInputError(f"weights of an unknown model {meta['model']!r}", path=path)
    if expect is not None and meta["model"] != expect:
        raise BadInputError(f"these are {meta['model']} weights, not {expect}", path=path)
    return meta


def load_model(
    name_or_path: str | Path, device: str | torch.device | None = None
) -> tuple[nn.Module, Any, dict[str, Any]]:
    """A registry name ("colorizer") or a .safetensors path -> (model in eval mode, config, meta).

    Raises ModelMissingError when the file is absent, BadInputError when it is not
    safetensors, is damaged, or does not match its config or this version.
    """
    if isinstance(name_or_path, str) and name_or_path in REGISTRY:
        expect: str | None = name_or_path
        path = weights_path(name_or_path)
    else:
        expect, path = None, Path(name_or_path)
    meta = read_meta(path, expect=expect)
    spec = get_spec(meta["model"])
    try:
        config = spec.config_cls.from_dict(meta["config"])
    except (TypeError, ValueError) as err:
        raise BadInputError(
            f"its config does not fit this version of Panchro: {_first_line(err)}", path=path
        ) from None
    model = spec.build_fn(config)
    try:
        state = load_file(str(path), device="cpu")
    except Exception as err:
        raise BadInputError(f"corrupt weights file ({_first_line(err)})", path=path) from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise BadInputError(
            f"the weights do not match their config: {_first_line(err)}", path=path
        ) from None
    model.to(device or "cpu").eval()
    return model, config, meta


def _check_card(card: dict[str, Any]) -> None:
    if not isinstance(card.get("trained"), bool):
        raise ValueError("card['trained'] must be true or false")
    if card.get("scale") not in SCALES:
        raise ValueError(f"card['scale'] must be one of {SCALES}")
    if not isinstance(card.get("steps"), int) or card["steps"] < 0:
        raise ValueError("card['steps'] must be a count of training steps")
    if not isinstance(card.get("data"), str):
        raise ValueError("card['data'] must say what the model was trained on")
    json.dumps(card)  # raises TypeError early for values the metadata cannot hold


def _refuse_non_safetensors(path: Path) -> None:
    if path.suffix != SUFFIX:
        raise BadInputError(
            f"weights must be a {SUFFIX} file; pickled checkpoints are never loaded", path=path
        )


def _first_line(err: BaseException) -> str:
    """An exception's message on one line, short enough for a status bar."""
    line = " ".join(part.strip() for part in str(err).splitlines() if part.strip())
    line = line or type(err).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def model_status(name: str, directory: Path | None = None) -> dict[str, Any]:
    """What the engine can say about a model's weights without loading them.

    {"status": "missing" | "untrained" | "ready" | "corrupt", "path": str, "meta": dict | None}
    "untrained" means the file says `trained: false` (e.g. a CPU smoke run);
    "corrupt" carries an "error" line instead of pretending the file is absent.
    """
    path = weights_path(name, directory)
    result: dict[str, Any] = {"name": name, "path": str(path), "meta": None}
    if not path.is_file():
        return {**result, "status": "missing"}
    try:
        meta = read_meta(path, expect=name)
    except BadInputError as err:
        return {**result, "status": "corrupt", "error": str(err)}
    except Exception as err:  # a status never raises over a file it could not read
        return {**result, "status": "corrupt", "error": f"cannot check: {_first_line(err)}"}
    status = "ready" if meta["card"].get("trained") is True else "untrained"
    return {**result, "status": status, "meta": meta}
