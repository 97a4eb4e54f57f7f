"""A scanned print's skew: how far it lies turned on the scanner, found from its straight edges
(the paper's, the picture's) and taken out (`straighten`).

A print laid on a scanner by hand is rarely square to it, so its picture and its paper border
run at a small angle, and no row or column of the scan is all border: `borders.picture_borders`
then cuts only the lines wholly outside the paper and leaves white wedges at the corners. The
angle is the one at which the picture's edges line up with the rows and columns: the grey
copy's horizontal edges (|dy|) summed along each row, and its vertical edges (|dx|) down each
column, are most concentrated (the sum of their squares greatest) when the lines they make
lie along the rows and columns, as a text scanner's deskew measures a page (projection
profiles). Searched on a copy at most ANALYSIS px long and softened (SOFTEN), over the
whole copy but the corners a turn brings in, ±MAX_ANGLE in steps of STEP, then refined
around the best in tenths of that. A picture with no straight edges to go by (the best angle
no better than square by a margin, GAIN), or with no border round it once turned (a print's
edge is what is turned square, not a tilted horizon), is said to be square.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from panchro.engine.imaging.borders import picture_borders

ANALYSIS = 480  # px, the long side of the copy the angle is found on
MAX_ANGLE = 6.0  # degrees either way: a print laid by hand; more is another matter
STEP = 0.25  # degrees, the first search's step (refined to STEP / 10)
LEAST = 0.15  # degrees: a turn smaller than this is left alone (it moves no pixel by half)
GAIN = 1.02  # the best angle's concentration over square's, to be believed
SOFTEN = 1.0  # px, the Gaussian the copy is softened by before it is scored


def _inside(size: tuple[int, int], angle: float) -> np.ndarray:
    """(H, W) bool: the pixels of a copy of size (W, H) turned by `angle` that come from the
    copy, not from the corners the turn brings in."""
    ones = Image.new("L", size, 255)
    return np.asarray(ones.rotate(angle, Image.Resampling.BILINEAR, fillcolor=0)) == 255


def _score(grey: Image.Image, angle: float, keep: np.ndarray) -> float:
    """How concentrated the edges of `grey` turned by `angle` degrees are along its rows and
    columns, counting only the edges between pixels of `keep` that the turn took from the
    picture: the whole picture but its corners, so a print's edges near the scan's own are
    counted, and the corners the turn brings in are not taken for edges."""
    turned = np.asarray(grey.rotate(angle, Image.Resampling.BILINEAR), np.float32)
    inside = keep & _inside(grey.size, angle)
    dy = (np.abs(np.diff(turned, axis=0)) * (inside[1:] & inside[:-1])).sum(axis=1)
    dx = (np.abs(np.diff(turned, axis=1)) * (inside[:, 1:] & inside[:, :-1])).sum(axis=0)
    h, w = turned.shape
    return float((dy**2).sum() / w**2 + (dx**2).sum() / h**2)


def find_skew(grey: np.ndarray) -> float:
    """The angle in degrees (counter-clockwise, as PIL turns) that makes a grey (H, W) uint8
    scan square: 0.0 when it is square, or has no straight edges to say."""
    h, w = grey.shape
    scale = min(1.0, ANALYSIS / max(h, w))
    img = Image.fromarray(np.ascontiguousarray(grey))
    if scale < 1.0:
        img = img.resize((max(8, round(w * scale)), max(8, round(h * scale))), Image.Resampling.BOX)
    # A turn softens the picture a little (bilinear), which would hold the angle at 0 where
    # sharp specks of dust or fine grain carry more than the edges do: scored on a copy
    # softened more than any turn softens it.
    copy = img
    img = img.filter(ImageFilter.GaussianBlur(SOFTEN))
    # the same pixels scored at every angle: those every turn searched takes from the picture
    keep = _inside(img.size, MAX_ANGLE + STEP) & _inside(img.size, -MAX_ANGLE - STEP)
    square = _score(img, 0.0, keep)
    angles = np.arange(-MAX_ANGLE, MAX_ANGLE + STEP / 2, STEP)
    scores = [_score(img, float(a), keep) for a in angles]
    best = float(angles[int(np.argmax(scores))])
    fine = np.arange(best - STEP, best + STEP + STEP / 20, STEP / 10)
    fine_scores = [_score(img, float(a), keep) for a in fine]
    k = int(np.argmax(fine_scores))
    angle = round(float(fine[k]), 2)
    if fine_scores[k] < GAIN * square or abs(angle) < LEAST:
        return 0.0
    # A print's edge is what is turned square: a photo with no border round it once turned
    # (a tilted horizon, a leaning wall) is not turned by it.
    turned = straighten(np.asarray(copy), angle)
    return angle if any(picture_borders(turned)) else 0.0


def edge_colour(plane: np.ndarray) -> float:
    """The median of a plane's outermost rows and columns: what a straightened scan's new
    corners are filled with (the lid or the paper there), so a crop takes them as border."""
    ring = np.concatenate([plane[0], plane[-1], plane[:, 0], plane[:, -1]])
    return float(np.median(ring))


def straighten(pixels: np.ndarray, angle: float) -> np.ndarray:
    """(H, W) or (H, W, C) uint8/uint16 samples turned `angle` degrees about the centre (bicubic,
    the same size), the corners it brings in filled with each channel's `edge_colour`."""
    if not angle:
        return pixels
    planes = pixels[..., None] if pixels.ndim == 2 else pixels
    top = float(np.iinfo(pixels.dtype).max)
    out = np.empty_like(planes)
    for c in range(planes.shape[-1]):
        plane = planes[..., c]
        img = Image.fromarray(plane.astype(np.float32))
        turned = img.rotate(angle, Image.Resampling.BICUBIC, fillcolor=edge_colour(plane))
        out[..., c] = np.clip(np.asarray(turned) + 0.5, 0, top).astype(pixels.dtype)
    return out[..., 0] if pixels.ndim == 2 else out
