"""Contact sheets: rows of pictures in one PNG, written atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from panchro.engine.errors import OutputError
from panchro.engine.fsutil import atomic_write


def _thumb(rgb: np.ndarray, height: int) -> Image.Image:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr * 255), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr)
    width = max(8, round(img.width * height / img.height))
    return img.resize((width, height), Image.Resampling.LANCZOS)


def write_sheet(rows: Sequence[Sequence[np.ndarray]], out: Path, *, height: int = 128) -> Path:
    """A PNG contact sheet: one row of images per entry, each scaled to `height`, 4 px gaps."""
    gap = 4
    thumbs = [[_thumb(im, height) for im in row] for row in rows]
    width = max(sum(t.width for t in row) + gap * (len(row) + 1) for row in thumbs)
    sheet = Image.new("RGB", (width, gap + len(thumbs) * (height + gap)), (32, 32, 32))
    for r, row in enumerate(thumbs):
        x = gap
        for t in row:
            sheet.paste(t, (x, gap + r * (height + gap)))
            x += t.width + gap
    save_png_atomically(sheet, out)
    return out


def save_png_atomically(img: Image.Image, out: Path) -> None:
    out = Path(out)
    if not out.parent.is_dir():
        raise OutputError("the folder does not exist", path=out)
    atomic_write(out, lambda tmp: img.save(tmp, format="PNG"), what="the image")
