"""The fit stage: each frame brought to a delivery size (HD 1080, UHD 2160), its pixels square.

A restored film goes to players, editing and broadcast that expect a standard size: a 4:3
film fits 1440 x 1080 inside HD, a widescreen one 1920 x 804, and with `frame` the whole
1920 x 1080 frame is written, the picture in its middle on black (pillarbox or letterbox),
as television delivers it. The film's pixel aspect is taken into account (a DVD's 720 x 576
is 768 x 576 of square pixels at 4:3), so what is written has square pixels and says so.
Rotation is a player's: the size is fitted as the picture is shown, and written as stored.

It runs last, after the upscaler: the model adds detail at ×2 or ×4, and this scales what
comes out (bicubic, antialiased when it shrinks) to the size asked for. Enlarge first where
the size is well above the film's. Resizing is exact arithmetic on the CPU, so a resumed
chunk gives the frames a whole run gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot

# Delivery sizes the app offers by name (the box a picture is fitted inside).
SIZES = {"hd": (1920, 1080), "uhd": (3840, 2160)}
LEAST, MOST = 64, 8192  # a box's sides


def fitted(
    width: int, height: int, box: tuple[int, int], pixel_aspect: Fraction
) -> tuple[int, int]:
    """The even size, in square pixels, of a `width` x `height` picture of `pixel_aspect`
    fitted inside `box` (as large as fits, its shape kept)."""
    shape = Fraction(width) * pixel_aspect / height
    bw, bh = box
    if shape >= Fraction(bw, bh):
        w, h = bw, round(bw / shape)
    else:
        w, h = round(bh * shape), bh
    return max(2, w - w % 2), max(2, h - h % 2)


def check_box(box: Any) -> tuple[int, int]:
    """A (width, height) box of LEAST..MOST pixels, even (what a 4:2:0 codec writes)."""
    try:
        w, h = (int(v) for v in box)
    except (TypeError, ValueError):
        raise BadInputError(f"a delivery size is a width and a height, got {box!r}") from None
    if not (LEAST <= w <= MOST and LEAST <= h <= MOST) or w % 2 or h % 2:
        raise BadInputError(
            f"a delivery size must be even, {LEAST} to {MOST} pixels each way, got {w}x{h}"
        )
    return w, h


@dataclass
class FitStage:
    """Resizes every frame to fit `box` (width, height, as the picture is shown), square
    pixels; with `frame`, the whole box written, the picture in its middle on black. The
    film's pixel aspect and rotation come from `set_film`, before any size is asked."""

    box: tuple[int, int]
    frame: bool = False
    pixel_aspect: Fraction = field(default=Fraction(1))
    rotation: int = 0
    device: str | None = None  # where it resizes (the other stages' device)
    square_pixels = True  # the writer tags what this writes as square

    def __post_init__(self) -> None:
        self.box = check_box(self.box)
        self._keyed()

    def _keyed(self) -> None:
        w, h = self.box
        self.key = f"fit:{w}x{h}:{'frame' if self.frame else 'picture'}:sar={self.pixel_aspect}"

    def set_film(self, info: Any) -> None:
        """The film's pixel aspect and rotation (`MediaInfo`)."""
        sar = getattr(info, "sample_aspect_ratio", None)
        self.pixel_aspect = Fraction(sar) if sar and float(sar) > 0 else Fraction(1)
        self.rotation = int(getattr(info, "rotation", 0) or 0) % 360
        self._keyed()

    def _stored_box(self) -> tuple[int, int]:
        w, h = self.box
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def picture_size(self, width: int, height: int) -> tuple[int, int]:
        """The picture's size inside the box, as stored."""
        if self.rotation in (90, 270):  # fitted as shown: the stored height is shown across
            h, w = fitted(height, width, self.box, 1 / self.pixel_aspect)
            return w, h
        return fitted(width, height, self.box, self.pixel_aspect)

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return self._stored_box() if self.frame else self.picture_size(width, height)

    def begin_shot(self, shot_index: int, shot: Shot, pick: Any, film: Any) -> None:
        return None

    @property
    def resident_on(self) -> Any:
        """The torch device planes may stay on: wherever the other stages run."""
        from panchro.engine.inference.device import resolve_device

        return resolve_device(self.device)

    def process(self, batch: FrameBatch) -> FrameBatch:
        width, height = batch.size
        w, h = self.picture_size(width, height)
        y = _resize(batch.y, (h, w), self.resident_on)
        cbcr = _resize(batch.cbcr, (h, w), self.resident_on)
        if self.frame:
            bw, bh = self._stored_box()
            left, top = (bw - w) // 2 & ~1, (bh - h) // 2 & ~1  # even: 4:2:0 chroma lines up
            y = _placed(y, (bh, bw), top, left)
            cbcr = _placed(cbcr, (bh, bw), top, left)
        return batch.replace(y=y, cbcr=cbcr)


def _resize(planes: Any, size: tuple[int, int], device: Any) -> Any:
    """Planes (..., H, W) float32 resized to `size` (height, width): bicubic, antialiased;
    host arrays resized on `device` and handed back as host arrays, tensors where they are."""
    import torch
    import torch.nn.functional as F

    if tuple(planes.shape[-2:]) == size:
        return planes
    host = not isinstance(planes, torch.Tensor)
    t = torch.as_tensor(np.ascontiguousarray(planes, dtype=np.float32), device=device) if host \
        else planes.float()  # fmt: skip
    lead = t.shape[:-2]
    t = t.reshape(-1, 1, *t.shape[-2:])
    out = F.interpolate(t, size=size, mode="bicubic", antialias=True, align_corners=False)
    out = out.reshape(*lead, *size)
    return out.cpu().numpy() if host else out


def _placed(planes: Any, size: tuple[int, int], top: int, left: int) -> Any:
    """Planes (..., h, w) in the middle of black (0: luma black, chroma neutral) of `size`:
    host arrays or tensors, as given."""
    import torch

    shape = (*planes.shape[:-2], *size)
    if isinstance(planes, torch.Tensor):
        out = torch.zeros(shape, dtype=planes.dtype, device=planes.device)
    else:
        out = np.zeros(shape, dtype=planes.dtype)
    h, w = planes.shape[-2:]
    out[..., top : top + h, left : left + w] = planes
    return out


def fitted_before(stages: Any, picture: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    """A preview's frame before (coded, (H, W, C)) as the fit stage among `stages` places the
    restored one in `after`: the picture resized (nearest) to the size it fills and put where
    it lies, the bars `after`'s own coded black; None without a fit stage."""
    from panchro.engine.restore.batch import _resize_nearest

    stage = next((st for st in stages if isinstance(st, FitStage)), None)
    if stage is None:
        return None
    w, h = stage.picture_size(picture.shape[1], picture.shape[0])
    out = after.copy()
    top, left = (out.shape[0] - h) // 2 & ~1, (out.shape[1] - w) // 2 & ~1
    out[top : top + h, left : left + w] = _resize_nearest(picture, w, h)
    return out
