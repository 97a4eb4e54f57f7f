"""Dirt on one picture found by the speck finder (`models.specks`) and filled.

`find_specks(model, y, strength)` -> the (H, W) mask of dirt on a luma plane. The network
runs in float32 (a mask that flips with the precision would make a picture's result depend
on the machine), in tiles with a margin of context (`SpeckConfig.margin`) so a large scan
needs little memory and gives the answer the whole picture would. Dirt on a fine scan is
larger in pixels than the blots the network learnt (0.5-5 px radius), so it is also run on
copies shrunk by 2 and 4 while they keep at least `LEAST_SIDE` pixels on the short side,
and what each finds is joined.

`strength` (0..1] says how sure the network must be: 1 takes every pixel whose logit is
above `THRESHOLD`; lower asks up to `SPAN` more (the plainest dirt only).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from panchro.engine.models.specks import SpeckFinder

# A pixel is dirt where the logit is above this, at strength 1 (chosen on the training
# folders' held-out pictures for the weights of session 38: 2.9 cleans them best, with and
# without grain and faint dirt, and takes 1.9 in 10,000 pixels of them clean) ...
THRESHOLD = 2.9
SPAN = 3.0  # ... and above THRESHOLD + SPAN * (1 - strength) at a lower strength
TILE = 768  # pixels of a tile's own (each has the margin round it as well)
LEAST_SIDE = 384  # a shrunk copy is looked at while its short side keeps this many pixels
SHRINKS = (1, 2, 4)
HALO = 1  # pixels filled round what is found: a blot's faint rim


def threshold(strength: float) -> float:
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"speck strength must be within 0..1 (above 0), got {strength}")
    return THRESHOLD + SPAN * (1.0 - strength)


@torch.no_grad()
def logits(model: SpeckFinder, y: torch.Tensor, tile: int = TILE) -> torch.Tensor:
    """The network's logits (H, W) for luma `y` (H, W), tile by tile."""
    device = next(model.parameters()).device
    h, w = y.shape
    margin = model.config.margin
    out = torch.empty((h, w), dtype=torch.float32)
    tile = max(32, tile - tile % 2)
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            # even origins: the half-resolution level sees the whole picture's grid
            y0, x0 = max(0, top - margin) // 2 * 2, max(0, left - margin) // 2 * 2
            y1, x1 = min(h, top + tile + margin), min(w, left + tile + margin)
            part = y[y0:y1, x0:x1].to(device, torch.float32)[None, None]
            got = model(part)[0, 0].float().cpu()
            b, r = min(h, top + tile), min(w, left + tile)
            out[top:b, left:r] = got[top - y0 : b - y0, left - x0 : r - x0]
    return out


def _shrunk(y: torch.Tensor, k: int) -> torch.Tensor:
    return F.avg_pool2d(y[None, None], k, ceil_mode=True)[0, 0] if k > 1 else y


def find_specks(
    model: SpeckFinder, y: torch.Tensor, strength: float = 1.0, *, tile: int = TILE
) -> torch.Tensor:
    """The (H, W) bool mask of dirt on luma `y` (H, W) in 0..1, its rim included (`HALO`)."""
    h, w = y.shape
    level = threshold(strength)
    y = y.float().cpu().clamp(0.0, 1.0)
    found = torch.zeros((h, w), dtype=torch.bool)
    for k in SHRINKS:
        if k > 1 and min(h, w) // k < LEAST_SIDE:
            break
        here = logits(model, _shrunk(y, k), tile) > level
        if k > 1:
            here = here.repeat_interleave(k, 0).repeat_interleave(k, 1)[:h, :w]
        found |= here
    if HALO and bool(found.any()):
        side = 2 * HALO + 1
        found = F.max_pool2d(found.float()[None, None], side, 1, HALO)[0, 0] > 0
    return found


__all__ = [
    "HALO",
    "LEAST_SIDE",
    "SHRINKS",
    "SPAN",
    "THRESHOLD",
    "find_specks",
    "logits",
    "threshold",
]
