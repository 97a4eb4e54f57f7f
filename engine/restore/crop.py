"""The crop stage: the borders round the picture cut away (`imaging.borders` finds them).

It runs after every stage that reads the film itself (the faults, stabilize, deflicker, the
colours of a shot's key frame), so those see the frames as decoded and a person's colour
hints stay in the film's pixels; and before the upscaler, which then enlarges only the
picture. The neighbours a later stage looks across are cut alike. Cutting is exact, so a
resumed chunk gives the frames a whole run gives.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _cut(planes: Any, margins: tuple[int, int, int, int]) -> Any:
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
        return batch.map_planes(lambda planes: _cut(planes, self.margins))


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
