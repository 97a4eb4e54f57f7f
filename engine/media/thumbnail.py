"""A photograph shrunk for looking at: the album grid's thumbnails and the picture in view.

The GUI never gets a picture at full resolution: the engine sends previews sized to
the view. A preview has to be quick (an album of a hundred scans fills its grid one
thumbnail after another), so it is not `read_picture`'s whole decode: a JPEG is
decoded at 1/2, 1/4 or 1/8 of its size straight away (Pillow's `draft`, the
decoder's own scaling), 16-bit samples are shown at 8 bits, and nothing of the
metadata is kept but the orientation. It is turned upright as `read_picture` turns
the picture, so the grid, the colour modes and the restored picture all stand the
same way. A file Pillow cannot read that way goes through `read_picture`, which
either reads it (a 16-bit colour TIFF) or says in its words why it cannot (a JPEG
cut short, a text file named .jpg): that reason is what the grid shows.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.media.picture import ORIENTATION, orient, read_picture

_SIXTEEN = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def picture_preview(
    path: str | os.PathLike[str], max_side: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """(RGB uint8 (h, w, 3) upright, its longest side at most `max_side`, the picture's own
    upright (width, height)); BadInputError (from `read_picture`) when it cannot be read."""
    p = Path(path).expanduser()
    try:
        return _quick(p, max_side)
    except Exception:  # noqa: BLE001 - the whole reader decides, and words the reason
        pic = read_picture(p)
    a = pic.pixels
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    return fit_preview(a, max_side), pic.size


def _quick(p: Path, max_side: int) -> tuple[np.ndarray, tuple[int, int]]:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(p) as im:
            fmt = im.format
            # Pillow's TIFF reader turns the picture by its tag itself (media.picture).
            turn = 1 if fmt == "TIFF" else _orientation(im)
            stored = im.size
            if fmt == "JPEG" and im.mode in ("L", "RGB", "YCbCr"):
                im.draft(im.mode if im.mode == "L" else "RGB", (max_side, max_side))
            im.load()
            a = _eight_bit(im)
    w, h = stored
    upright = (h, w) if turn in (5, 6, 7, 8) else (w, h)
    return fit_preview(orient(a, turn), max_side), upright


def _orientation(im: Any) -> int:
    value = im.getexif().get(ORIENTATION, 1)
    return int(value) if value in range(1, 9) else 1


def _eight_bit(im: Any) -> np.ndarray:
    """The loaded picture as 8-bit grey (h, w) or RGB (h, w, 3); alpha and palettes dropped
    the way a viewer shows them (over black), 16-bit grey shown by its high byte."""
    if im.mode in _SIXTEEN:
        a = np.asarray(im).astype(np.int64)
        return np.clip(a >> 8, 0, 255).astype(np.uint8)
    if im.mode == "F":
        raise ValueError("floating-point samples")  # read_picture refuses them, in words
    if im.mode != "L":
        im = im.convert("RGB")
    return np.asarray(im)


def fit_preview(a: np.ndarray, max_side: int) -> np.ndarray:
    """`a` (grey or RGB uint8) shrunk so its longest side is at most `max_side`, as RGB."""
    from PIL import Image

    h, w = a.shape[:2]
    scale = min(1.0, max_side / max(h, w, 1))
    image = Image.fromarray(np.ascontiguousarray(a))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)
