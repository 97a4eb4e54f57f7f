"""Colour from a reference picture: a colour photo of the same scene, place or era lends its
colours to a grey frame by correspondence (issue 18, item 3).

The grey frame and the reference are both seen at the colorizer's chroma grid
(28 x 28 cells, each picture squeezed to a square, as the colorizer sees it).
Each cell gets a feature vector:

- the colorizer's conditioning features of the cell (what its ResNet learned
  to say about the grey picture there; the reference is greyed first, so both
  sides are described from luma alone), L2-normalised;
- the cell's luma statistics: mean, spread, and the mean of its 3 x 3
  neighbourhood, standardised over both pictures together.

Every frame cell then takes a softmax-weighted mean of the reference cells'
chroma, weighted by feature similarity and, a little, by nearness of place (a
reference of the same framing then lends each place its own colour; a mirrored
one still works, 0.4 dB worse than without the pull) (an attention over the reference, as
exemplar-based colorization does with deep features: He et al. 2018, "Deep
exemplar-based colorization", without their trained similarity network). The
result is a 28 x 28 chroma hint, the same thing a pick is: the refiner carries
it to full resolution and through the shot, and hints can correct it after.

A reference that does not fit (another scene) must not paint the shot: with 784
reference cells, some cell always looks like any frame cell, so the best match alone
says little. What does: the round trip. Each frame cell's best reference cell is
matched back to its best frame cell; for a picture of the same scene most round
trips come home (within 2 cells), for another scene few do (measured on the 7 colour
clips: 0.54-0.90 of the cells for frame 0 of the same shot, 0.49-0.73 mirrored,
0.17-0.35 for another clip's frame). The colours are scaled by how far that share
is between FIT_LOW and FIT_HIGH: full above, none (grey) below, and `match_reference`
says so, so the app and the summary can tell the person.

`panchro eval hints --reference` measures it against the automatic mode and
grey (docs/hints.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import rgb_to_ycbcr

GRID = 28
# Chosen with `panchro eval hints --reference` on the 7 colour clips of the shared data
# (docs/hints.md): temperature 0.02 / 0.05 / 0.1 gave 29.07 / 28.52 / 28.20 dB without a
# position pull; a pull of 1 gave 31.17 dB (same framing) and cost 0.4 dB with the reference
# mirrored (28.46 against 28.86), where a pull of 16 gained 0.2 more and lost 0.7 mirrored.
TEMPERATURE = 0.02  # of the softmax over similarities: lower = take the best match
LUMA_WEIGHT = 0.5  # how much the luma statistics count beside the learned features
POSITION_WEIGHT = 1.0  # pull towards the same place in the reference (same framing)
# The round-trip share below which a reference lends nothing, and above which all it has.
# Chosen between the figures in the module's docstring (tuned on the same clips: optimistic).
FIT_LOW, FIT_HIGH = 0.30, 0.45


def _square(plane: np.ndarray, size: int) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(plane, np.float32))
    t = t[None, None] if t.dim() == 2 else t[None]
    return F.interpolate(t, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def _luma_features(luma: np.ndarray) -> torch.Tensor:
    """(GRID * GRID, 3): each cell's mean, spread and neighbourhood mean."""
    fine = _square(luma, GRID * 4)
    mean = F.avg_pool2d(fine, 4)
    spread = (F.avg_pool2d(fine * fine, 4) - mean * mean).clamp_min(0).sqrt()
    around = F.avg_pool2d(F.pad(mean, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    return torch.cat([mean, spread, around], 1)[0].reshape(3, -1).T


def _learned_features(colorizer: Any, luma: np.ndarray) -> torch.Tensor | None:
    if colorizer is None:
        return None
    cfg = colorizer.config
    param = next(colorizer.parameters())
    x = _square(np.clip(luma, 0, 1), cfg.image_size).to(param.device, param.dtype)
    with torch.inference_mode():
        feats = colorizer.condition(x).float()
    if feats.shape[-1] != GRID:
        feats = F.interpolate(feats, size=(GRID, GRID), mode="bilinear", align_corners=False)
    return F.normalize(feats[0].reshape(feats.shape[1], -1).T.cpu(), dim=1)


REFERENCE_SIDE = 512  # the reference is only ever seen at the 28 x 28 grid: no need for more


def load_reference(path: str | Path) -> np.ndarray:
    """A colour picture file -> RGB uint8 (h, w, 3), upright (EXIF orientation applied) and
    at most REFERENCE_SIDE px a side; BadInputError for a file that is not a colour picture."""
    from PIL import Image, ImageOps

    p = Path(path)
    if not p.is_file():
        raise BadInputError("the reference picture does not exist", path=p)
    try:
        with Image.open(p) as im:
            im = ImageOps.exif_transpose(im)
            im.thumbnail((REFERENCE_SIDE, REFERENCE_SIDE), Image.Resampling.LANCZOS)
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as err:
        raise BadInputError(f"the reference cannot be read as a picture ({err})", path=p) from None
    if min(rgb.shape[:2]) < 8:
        raise BadInputError("the reference picture is too small (under 8 px a side)", path=p)
    spread = rgb.astype(np.int16)
    if int(np.abs(spread - spread.mean(axis=2, keepdims=True)).max()) <= 2:
        raise BadInputError("the reference picture is grey: it has no colour to lend", path=p)
    return rgb


@dataclass(frozen=True)
class ReferenceMatch:
    """What a reference lends a frame: the chroma hint (2, 28, 28), already scaled by
    `strength`; `fit`, the share of cells whose round trip came home."""

    hint: np.ndarray
    fit: float
    strength: float

    def note(self) -> str | None:
        """A line for the person when the picture lent less than all its colours."""
        if self.strength >= 1.0:
            return None
        share = f"{self.fit:.0%} of the frame's places found their way back"
        if self.strength <= 0.0:
            return f"the reference picture does not fit this shot ({share}): left grey"
        return f"the reference picture fits this shot poorly ({share}): its colours weakened"


def reference_chroma(
    luma: np.ndarray,
    reference_rgb: np.ndarray,
    *,
    colorizer: Any | None = None,
    matrix: str = "bt601",
    temperature: float = TEMPERATURE,
    luma_weight: float = LUMA_WEIGHT,
    position_weight: float = POSITION_WEIGHT,
) -> np.ndarray:
    """A grey frame's luma (H, W) in [0, 1] + a colour reference (h, w, 3) uint8 sRGB ->
    the frame's chroma hint (2, 28, 28), Cb/Cr in [-0.5, 0.5] under the film's `matrix`
    (grey where the reference does not fit: `match_reference`)."""
    return match_reference(
        luma,
        reference_rgb,
        colorizer=colorizer,
        matrix=matrix,
        temperature=temperature,
        luma_weight=luma_weight,
        position_weight=position_weight,
    ).hint


def round_trip_share(sim: torch.Tensor, reach: float = 2.0) -> float:
    """Of the frame cells (rows of `sim`, frame x reference similarities on the GRID), the
    share whose best reference cell's best frame cell lies within `reach` cells of them, or
    is no better a match for it than they are (a flat area: many cells tie for best)."""
    n = sim.shape[0]
    cells = torch.arange(n)
    there = sim.argmax(1)
    back = sim.argmax(0)[there]
    dy = (cells // GRID - back // GRID).float()
    dx = (cells % GRID - back % GRID).float()
    near = (dy * dy + dx * dx).sqrt() <= reach
    tied = sim[cells, there] >= sim.max(0).values[there] - 1e-6
    return float((near | tied).float().mean())


def match_reference(
    luma: np.ndarray,
    reference_rgb: np.ndarray,
    *,
    colorizer: Any | None = None,
    matrix: str = "bt601",
    temperature: float = TEMPERATURE,
    luma_weight: float = LUMA_WEIGHT,
    position_weight: float = POSITION_WEIGHT,
) -> ReferenceMatch:
    """`reference_chroma` with how well the reference fits (module docstring).

    `colorizer`: the colorizer network (its conditioning features describe the cells);
    without it the luma statistics alone decide the matches.
    """
    ref = np.asarray(reference_rgb)
    if ref.ndim != 3 or ref.shape[-1] != 3 or min(ref.shape[:2]) < 8:
        raise ValueError(f"the reference must be an RGB picture of 8 px or more, got {ref.shape}")
    if temperature <= 0:
        raise ValueError(f"temperature must be above 0, got {temperature}")
    ycc = rgb_to_ycbcr(ref, matrix=matrix)
    ref_luma = np.clip(ycc[..., 0], 0, 1)
    ref_chroma = _square(np.moveaxis(ycc[..., 1:], -1, 0), GRID)[0].reshape(2, -1).T
    lf_t, lf_r = _luma_features(luma), _luma_features(ref_luma)
    both = torch.cat([lf_t, lf_r])
    mu, sd = both.mean(0), both.std(0).clamp_min(1e-3)
    lf_t, lf_r = (lf_t - mu) / sd, (lf_r - mu) / sd
    # similarity: learned cosine (when there is a colorizer) minus scaled luma distance
    sim = -luma_weight * torch.cdist(lf_t, lf_r) ** 2 / lf_t.shape[1]
    ft, fr = _learned_features(colorizer, luma), _learned_features(colorizer, ref_luma)
    if ft is not None and fr is not None:
        sim = sim + ft @ fr.T
    fit = round_trip_share(sim)  # by content alone: the place pull is no evidence of a fit
    strength = min(max((fit - FIT_LOW) / (FIT_HIGH - FIT_LOW), 0.0), 1.0)
    if position_weight:
        yy, xx = torch.meshgrid(torch.arange(GRID), torch.arange(GRID), indexing="ij")
        pos = torch.stack([yy.reshape(-1), xx.reshape(-1)], 1).float() / GRID
        sim = sim - position_weight * torch.cdist(pos, pos) ** 2
    weights = torch.softmax(sim / temperature, dim=1)
    hint = (weights @ ref_chroma).T.reshape(2, GRID, GRID).clamp(-0.5, 0.5) * strength
    return ReferenceMatch(np.ascontiguousarray(hint.numpy(), dtype=np.float32), fit, strength)


__all__ = [
    "FIT_HIGH",
    "FIT_LOW",
    "GRID",
    "LUMA_WEIGHT",
    "POSITION_WEIGHT",
    "REFERENCE_SIDE",
    "TEMPERATURE",
    "ReferenceMatch",
    "load_reference",
    "match_reference",
    "reference_chroma",
    "round_trip_share",
]
