"""The one list of the models Panchro knows, as plain data: no torch, no network code.

Each entry names a model, its weights file (under `panchro.engine.paths.models_dir()`), the
module that holds its network's code, and a line about it. `registry.py` builds its
`REGISTRY` (how to build each network, its config class) from `MODELS`; the engine process
reads `MODELS` directly, so its reader thread can check names and files without importing
torch. To add a model, add its entry here and, for a new code module, one line to
`registry._CODE`.
"""

from __future__ import annotations

from dataclasses import dataclass

# The upscaler's scales and kinds: one network, one entry per (scale, kind) below.
# What a model was trained to undo. "film": blur, grain, noise, dust, compression (the
# robust path, and the only one at x1); "sharp": the plain bicubic shrink of clean
# pictures (the benchmarks' degradation: sharper on clean sources, it keeps grain).
UPSCALER_SCALES = (1, 2, 4)
UPSCALER_KINDS = ("film", "sharp")


@dataclass(frozen=True)
class ModelEntry:
    name: str
    filename: str  # under models_dir()
    module: str  # the module that holds the network's code
    description: str


def upscaler_name(scale: int, kind: str = "film") -> str:
    """The name of the upscaler for `scale` and `kind`: "upscaler_x2", "upscaler_x4_sharp"."""
    return f"upscaler_x{scale}" + ("_sharp" if kind == "sharp" else "")


def _upscaler(scale: int, kind: str) -> ModelEntry:
    name = upscaler_name(scale, kind)
    if kind == "sharp":
        what = (
            f"single-frame luma enlargement x{scale} for clean sources (photos, good transfers):"
            " trained on the plain bicubic shrink; keeps grain"
        )
    else:
        what = f"multi-frame luma restoration x{scale}: a window of luma frames -> the middle" + (
            " frame cleaned and enlarged" if scale > 1 else " frame cleaned"
        )
    return ModelEntry(name, f"{name}.safetensors", "panchro.engine.models.upscaler", what)


_ENTRIES = (
    ModelEntry(
        name="colorizer",
        filename="colorizer.safetensors",
        module="panchro.engine.models.colorizer",
        description="PixColor-style key-frame colorizer: ResNet conditioning + gated PixelCNN"
        " over 28x28 Cb/Cr, 32 bins each",
    ),
    ModelEntry(
        name="refiner",
        filename="refiner.safetensors",
        module="panchro.engine.models.refiner",
        description="refinement U-Net: grey frame at working resolution + 28x28 Cb/Cr hint"
        " -> Cb/Cr at working resolution (a residual on the upsampled hint)",
    ),
    ModelEntry(
        name="hint_refiner",
        filename="hint_refiner.safetensors",
        module="panchro.engine.models.refiner",
        description="the refiner with a person's colour hints as inputs: grey + Levin's"
        " propagation of the hints + the sparse hint map -> Cb/Cr at working resolution",
    ),
    ModelEntry(
        name="speck_finder",
        filename="speck_finder.safetensors",
        module="panchro.engine.models.specks",
        description="dust and hairs on one grey picture (a photograph has no neighbouring"
        " frames to judge them against): luma -> a logit per pixel",
    ),
    # A sharp upscaler enlarges: there is no sharp x1.
    *(
        _upscaler(s, kind)
        for kind in UPSCALER_KINDS
        for s in UPSCALER_SCALES
        if kind == "film" or s > 1
    ),
)

MODELS: dict[str, ModelEntry] = {e.name: e for e in _ENTRIES}
