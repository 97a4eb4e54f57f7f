"""Chroma that obeys a person's hints: on a still, on a shot's key frame, and with a colour mode.

Three ways to turn hints into chroma, all at a working resolution (short side
`WORKING_SIZE`) and brought back to full size guided by the luma:

- "levin": Levin et al. 2004 alone (`imaging.levin`): the hints spread over
  similar luma and stop at edges. Needs no model.
- "learned": the hint refiner (a Refiner with point inputs, Zhang et al. 2017's
  idea of a network fed the grey picture plus a sparse hint map and mask) starts
  from Levin's answer and corrects it with what it learned of how colour sits on
  objects. Needs its weights; without them, "levin" is used and said.
- with a `base` (a colour mode the colorizer drew and the refiner carried to the
  frame): only the hints' *difference* from the mode is spread, with a decay, so
  the hints win where they disagree with the mode and the rest of the mode stays
  (`MODE_DECAY`).

The luma is never touched: every function here returns chroma only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from panchro.engine.imaging import levin
from panchro.engine.imaging.color import downsample_chroma
from panchro.engine.imaging.guided import guided_upsample
from panchro.engine.imaging.hints import Hints, rasterize
from panchro.engine.inference.refine import GUIDE_EPS, GUIDE_RADIUS, working_shape

WORKING_SIZE = 160  # Levin's system has a row per pixel: 160 solves in ~0.3 s a frame on a CPU
# How fast a hint's correction of a colour mode fades beyond its object: the pull towards
# "no correction" at every pixel. With none, one point or stroke moves the whole picture by
# its difference (the only spread of one constraint is everywhere): a stroke on the sky turned
# faces blue. At 1e-3 its correction reaches about 30 px of the 160-px working picture, further
# where the luma is even, and stops at edges: on Set14's img_005 one stroke changes 7.6 % of
# the picture (by more than 0.03), against all of it at 0 (docs/hints.md, "Hints over a mode").
MODE_DECAY = 1e-3
METHODS = ("levin", "learned")
# What a note says of how hints colour, in words a person reads (the method named for those
# who look it up).
SPREAD = "colour hints spread along the picture's edges (Levin et al. 2004)"


def _low(luma: np.ndarray, shape: tuple[int, int]) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(luma, dtype=np.float32))[None, None]
    if tuple(t.shape[-2:]) == shape:
        return t.clamp(0.0, 1.0)
    return F.interpolate(t, size=shape, mode="bilinear", antialias=True, align_corners=False).clamp(
        0.0, 1.0
    )


def _enlarge(full: torch.Tensor, low: torch.Tensor, chroma_low: np.ndarray) -> np.ndarray:
    src = torch.from_numpy(np.ascontiguousarray(chroma_low, dtype=np.float32))[None]
    if tuple(full.shape[-2:]) == tuple(low.shape[-2:]):
        return src[0].numpy()
    up = guided_upsample(full, low, src, GUIDE_RADIUS, GUIDE_EPS)
    return up[0].numpy()


def hinted_chroma(
    luma: np.ndarray,
    hints: Hints,
    *,
    matrix: str,
    method: str = "levin",
    model: Any | None = None,
    base: np.ndarray | None = None,
    decay: float = MODE_DECAY,
    working_size: int = WORKING_SIZE,
) -> np.ndarray:
    """Luma (H, W) float in [0, 1] + hints (in this frame's pixels) -> chroma (2, H, W) float32.

    Without `base`: the hints alone, by `method` ("learned" needs `model`, a hint
    refiner). With `base` (2, H, W), a colour mode's chroma: the base plus the
    hints' correction, spread with `decay`; there `method` is not used.
    """
    y = np.asarray(luma, dtype=np.float32)
    if y.ndim != 2:
        raise ValueError(f"luma must be (H, W), got shape {y.shape}")
    if method not in METHODS:
        raise ValueError(f"unknown hint method {method!r} (use one of {METHODS})")
    height, width = y.shape
    shape = working_shape(height, width, working_size)
    full = torch.from_numpy(np.clip(y, 0.0, 1.0))[None, None]
    low = _low(y, shape)
    target, mask = rasterize(hints, frame_size=(width, height), shape=shape, matrix=matrix)
    luma_low = low[0, 0].numpy()
    if base is not None:
        b = np.asarray(base, dtype=np.float32)
        if b.shape != (2, height, width):
            raise ValueError(f"base must be (2, {height}, {width}), got shape {b.shape}")
        base_low = _low_chroma(b, shape)
        delta_target = np.where(mask, target - base_low, 0.0)
        delta = levin.propagate(luma_low, delta_target, mask, decay=decay)
        return np.clip(b + _enlarge(full, low, delta), -0.5, 0.5).astype(np.float32)
    chroma_low = levin.propagate(luma_low, target, mask)
    if method == "learned":
        if model is None:
            raise ValueError("the learned method needs the hint refiner's model")
        chroma_low = learned_correction(model, luma_low, chroma_low, target, mask)
    return np.clip(_enlarge(full, low, chroma_low), -0.5, 0.5).astype(np.float32)


def _low_chroma(chroma: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(chroma, dtype=np.float32))[None]
    if tuple(t.shape[-2:]) == shape:
        return chroma
    return F.interpolate(t, size=shape, mode="bilinear", antialias=True, align_corners=False)[
        0
    ].numpy()


def learned_correction(
    model: Any, luma_low: np.ndarray, levin_low: np.ndarray, target: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """The hint refiner over Levin's answer, all at working resolution -> (2, h, w) float32."""
    dev = next(model.parameters()).device
    grey = torch.from_numpy(np.ascontiguousarray(luma_low, np.float32))[None, None].to(dev)
    base = torch.from_numpy(np.ascontiguousarray(levin_low, np.float32))[None].to(dev)
    points = torch.from_numpy(
        np.concatenate([target * mask, mask[None].astype(np.float32)]).astype(np.float32)
    )[None].to(dev)
    model.eval()
    with torch.inference_mode():
        out = model(grey, base, points=points)
    return out[0].float().cpu().numpy()


def load_hint_refiner(path: str | None = None, device: str | None = None) -> tuple[Any, str]:
    """(the trained hint refiner, or False when there is none, a line saying which method
    hints use). Untrained or unreadable weights are not used, and the line says so."""
    from pathlib import Path

    from panchro.engine.inference.device import resolve_device
    from panchro.engine.models import registry
    from panchro.engine.models.weights import load_model

    p = Path(path) if path else registry.weights_path("hint_refiner")
    if not p.is_file():
        return False, f"{SPREAD} (no hint refiner weights to refine them)"
    try:
        model, cfg, meta = load_model(p, device=resolve_device(device))
    except Exception as err:  # noqa: BLE001 - any unreadable file: fall back, and say why
        return False, f"{SPREAD} (the hint refiner cannot be used: {err})"
    if not getattr(cfg, "point_hints", False):
        return False, f"{SPREAD} ({p} is not a hint refiner)"
    if (meta.get("card") or {}).get("trained") is not True:
        return False, f"{SPREAD} (the hint refiner at {p} is UNTRAINED)"
    model.eval()
    return model, f"{SPREAD}, then refined by the trained hint refiner ({p.name})"


def chroma_at_hint_size(chroma: np.ndarray, size: int) -> np.ndarray:
    """Full chroma (2, H, W) -> (2, size, size) by area, the whole frame squeezed to a square:
    how a key frame's hinted colours become the shot's hint for the refiner."""
    small = downsample_chroma(np.moveaxis(np.asarray(chroma, np.float32), 0, -1), size)
    return np.ascontiguousarray(np.moveaxis(small, -1, 0))


__all__ = [
    "METHODS",
    "MODE_DECAY",
    "WORKING_SIZE",
    "chroma_at_hint_size",
    "hinted_chroma",
    "learned_correction",
    "load_hint_refiner",
]
