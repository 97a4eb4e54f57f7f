"""The crop stage: the borders round the picture cut away (`imaging.borders` finds them).

It runs after every stage that reads the film itself (the faults, stabilize, deflicker, the
colours), so those see the frames as decoded and a person's colour hints stay in the film's
pixels; and before the upscaler, which then enlarges only the picture. The neighbours a later
stage looks across are cut alike. Cutting is exact, so a resumed chunk gives the frames a
whole run gives.

The colours are made inside the crop all the same: black bars round a picture make the
colorizer's modes bolder and less accurate (`panchro eval bars`), so the colour stage cuts its
key frame and its frames to the picture, colours that, and leaves the borders grey
(`inner`, `paste`). A pick's 28 x 28 grid covers the part of the frame it was drawn on
(`Pick.crop`); `regrid` takes its colours where another crop's picture lies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot

LEAST = 16  # pixels of picture a crop must leave each way


def crop_size(margins: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int]:
    """The size a (left, top, right, bottom) crop leaves of a `width` x `height` frame;
    BadInputError when it would leave less than LEAST pixels either way."""
    left, top, right, bottom = margins
    w, h = width - left - right, height - top - bottom
    if w < LEAST or h < LEAST:
        raise BadInputError(
            f"the crop {left}, {top}, {right}, {bottom} (left, top, right, bottom) leaves "
            f"{max(w, 0)}x{max(h, 0)} of the {width}x{height} frame; it must leave at least "
            f"{LEAST}x{LEAST}"
        )
    return w, h


def cut_planes(planes: Any, margins: tuple[int, int, int, int]) -> Any:
    """Planes (..., H, W), host arrays or tensors, cut to the picture, contiguous."""
    if planes is None:
        return None
    left, top, right, bottom = margins
    h, w = planes.shape[-2:]
    part = planes[..., top : h - bottom, left : w - right]
    return part.contiguous() if hasattr(part, "contiguous") else np.ascontiguousarray(part)


@dataclass
class CropStage:
    """Cuts `margins` (left, top, right, bottom, in the film's pixels) off every frame."""

    margins: tuple[int, int, int, int]

    def __post_init__(self) -> None:
        m = tuple(self.margins)
        if len(m) != 4 or any(not isinstance(v, int | np.integer) or v < 0 for v in m):
            raise BadInputError(f"a crop is four pixel counts of 0 or more, got {self.margins}")
        self.margins = tuple(int(v) for v in m)  # type: ignore[assignment]
        self.key = "crop:{},{},{},{}".format(*self.margins)

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return crop_size(self.margins, width, height)

    def begin_shot(self, shot_index: int, shot: Shot, pick: Any, film: Any) -> None:
        return None

    def process(self, batch: FrameBatch) -> FrameBatch:
        return batch.map_planes(lambda planes: cut_planes(planes, self.margins))


def crop_of(stages: Sequence[Any]) -> tuple[int, int, int, int] | None:
    """The margins a run's stages cut off (its crop stage's), or None: a preview cuts the frame
    as decoded alike, so before and after show the same picture."""
    return next((st.margins for st in stages if isinstance(st, CropStage)), None)


def cut_picture(image: np.ndarray, margins: tuple[int, int, int, int] | None) -> np.ndarray:
    """An (H, W, ...) picture with `margins` cut off (None: as it is)."""
    if margins is None:
        return image
    left, top, right, bottom = margins
    h, w = image.shape[:2]
    return image[top : h - bottom, left : w - right]


Margins = tuple[int, int, int, int]


def scaled_margins(margins: Margins, film_size: tuple[int, int], size: tuple[int, int]) -> Margins:
    """`margins` in a (W, H) `film_size` frame's pixels -> the same borders of that frame read
    at (w, h) `size` (a preview, the key frame the colorizer reads smaller), rounded."""
    (fw, fh), (w, h) = film_size, size
    if (fw, fh) == (w, h):
        return margins
    left, top, right, bottom = margins
    x0, x1 = round(left * w / fw), round((fw - right) * w / fw)
    y0, y1 = round(top * h / fh), round((fh - bottom) * h / fh)
    return (x0, y0, w - max(x1, x0 + 1), h - max(y1, y0 + 1))


def read_size(full: tuple[int, int], crop: Margins | None, side: int) -> tuple[int, int]:
    """The (W, H) a frame of `full` size is read at so that its picture inside `crop` is at
    most `side` pixels across (never enlarged); cut with `scaled_margins(crop, full, size)`."""
    from panchro.engine import media

    w, h = full if crop is None else crop_size(crop, *full)
    fw, fh = media.fit_size(w, h, side)
    if (fw, fh) == (w, h):
        return full
    return round(full[0] * fw / w), round(full[1] * fh / h)


def inner(planes: Any, margins: Margins | None) -> Any:
    """Planes (..., H, W) cut to the picture, a view (None: as they are)."""
    if margins is None:
        return planes
    left, top, right, bottom = margins
    h, w = planes.shape[-2:]
    return planes[..., top : h - bottom, left : w - right]


def paste(part: Any, margins: Margins | None, size: tuple[int, int]) -> Any:
    """Chroma planes (..., 2, h, w) of the picture inside `margins` -> (..., 2, H, W) of the
    (W, H) frame, the borders neutral (grey): what the colour stage gives a whole frame."""
    if margins is None:
        return part
    w, h = size
    shape = (*part.shape[:-2], h, w)
    if isinstance(part, np.ndarray):
        out: Any = np.zeros(shape, part.dtype)
    else:
        import torch

        out = torch.zeros(shape, dtype=part.dtype, device=part.device)
    inner(out, margins)[...] = part
    return out


def regrid(
    grid: np.ndarray,
    film_size: tuple[int, int],
    drawn: Margins | None,
    wanted: Margins | None,
) -> np.ndarray:
    """A (C, h, w) grid of colours laid over the part of a (W, H) frame inside `drawn` -> the
    (C, h, w) grid over the part inside `wanted` (None: the whole frame), bilinear between
    cell centres, the edge cells' colours carried past the edge. A pick drawn on the whole
    frame and rendered inside a crop keeps its colours where they were on the picture."""
    drawn = drawn or (0, 0, 0, 0)
    wanted = wanted or (0, 0, 0, 0)
    if tuple(drawn) == tuple(wanted):
        return grid
    g = np.asarray(grid, np.float32)
    rows, cols = g.shape[-2:]
    fw, fh = film_size
    if fw <= 0 or fh <= 0:
        raise ValueError(f"regridding a pick needs the frame's size, got {film_size}")

    def where(n: int, full: int, a0: int, a1: int, b0: int, b1: int) -> np.ndarray:
        # cell centres of the wanted part, in the drawn grid's cell coordinates
        span_a, span_b = full - a0 - a1, full - b0 - b1
        centres = b0 + (np.arange(n) + 0.5) * span_b / n
        return np.clip((centres - a0) * n / span_a - 0.5, 0.0, n - 1)

    ys = where(rows, fh, drawn[1], drawn[3], wanted[1], wanted[3])
    xs = where(cols, fw, drawn[0], drawn[2], wanted[0], wanted[2])
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, rows - 1), np.minimum(x0 + 1, cols - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = g[..., y0, :][..., x0] * (1 - fx) + g[..., y0, :][..., x1] * fx
    bottom = g[..., y1, :][..., x0] * (1 - fx) + g[..., y1, :][..., x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


@contextlib.contextmanager
def cropped(
    stages: Sequence[Any], margins: Margins | None, *, cut: bool = True
) -> Iterator[list[Any]]:
    """`stages` cutting `margins` off, as `build_stages` places a crop (a photograph's own
    border, found when it is read): the colour stage colours the picture inside them, a crop
    stage goes before the upscaler (not with `cut` False: the picture whole, the border left
    grey, as a hint editor shows it). The stages are shared (an album's pictures), so the
    colour stage's crop is set back afterwards. None, or nothing to cut: `stages` as they are."""
    if margins is None or not any(margins) or any(isinstance(st, CropStage) for st in stages):
        yield list(stages)
        return
    margins = tuple(int(v) for v in margins)  # type: ignore[assignment]
    lent = [(st, st.crop) for st in stages if hasattr(st, "crop")]
    at = next((i for i, st in enumerate(stages) if st.key.startswith("upscale")), len(stages))
    for st, _ in lent:
        st.crop = margins
    try:
        yield [*stages[:at], CropStage(margins), *stages[at:]] if cut else list(stages)
    finally:
        for st, old in lent:
            st.crop = old
