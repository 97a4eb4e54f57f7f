"""One frame of a film before and after the stages, for looking at (the app's compare view,
a hint's preview): `preview_frame`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.restore.batch import FrameBatch, Stage, check_result, frame_batch, tell_film
from panchro.engine.restore.crop import CropStage, crop_of
from panchro.engine.shots import Shot

if TYPE_CHECKING:
    from panchro.engine.media import Reading
    from panchro.engine.project import Pick


@dataclass(frozen=True)
class PreviewFrame:
    """One frame before and after the stages, for looking (the compare view)."""

    index: int
    before: np.ndarray  # (H, W, 3) float32 RGB in [0, 1], the frame as decoded
    after: np.ndarray  # (H', W', 3) float32 RGB in [0, 1], after the stages
    luma_diff: np.ndarray  # (H, W) float32 |Y_after - Y_before| at the input size
    pick: Pick | None  # the pick used (made by a stage when the shot had none)
    # The frame as its file holds it, when reading changes its values (levels stretched, a
    # log scan brought to video levels, a negative turned): what `before` was before that
    # (`as_coded`); None when reading changes nothing, or it was not asked for.
    coded: np.ndarray | None = None
    read_as: str = ""  # what reading does to the values, in words, when `coded` is given


PREVIEW_CONTEXT = 2  # neighbours on each side, for stages that look across frames


def preview_frame(
    input: str | os.PathLike[str],
    index: int,
    stages: Sequence[Stage],
    *,
    shot: Shot | None = None,
    pick: Pick | None = None,
    context: int | None = None,
    reading: Reading | None = None,
    as_coded: bool = False,
) -> PreviewFrame:
    """Frame `index` through `stages` exactly as a render would treat it, with up to
    `context` neighbours on each side from its shot (the whole film when `shot` is None;
    None: as many as the stages look across, at least PREVIEW_CONTEXT); 0 when no stage
    looks across frames (colour alone), which saves their work. `as_coded`: also the frame
    as its file holds it, when reading changes its values (`PreviewFrame.coded`), so a
    compare shows what levels or a scan's reading did too."""
    from panchro.engine import media
    from panchro.engine.imaging import color

    with (reading or media.Reading()).open(input) as src:
        info = src.info
        tell_film(stages, info)
        n = info.frame_count
        if not 0 <= index < n:
            raise BadInputError(f"frame {index} is outside the film (0..{n - 1})", path=input)
        shot = shot or Shot(0, n, index)
        if not shot.start <= index < shot.end <= n:
            raise BadInputError(f"frame {index} is not in shot {shot.start}..{shot.end - 1}")
        if context is None:
            widest = max((int(getattr(st, "context", 0)) for st in stages), default=0)
            context = max(PREVIEW_CONTEXT, widest)
        lo = max(shot.start, index - context)
        hi = min(shot.end, index + context + 1)
        fmt = "yuv444p16" if info.bit_depth > 8 else "yuv444p"
        frames = list(src.frames(lo, hi, fmt=fmt, conceal=True))
        matrix = color.matrix_for(info.color_matrix, info.height, info.width)
        range_ = info.coded_range
        used = pick
        for stage in stages:  # while the film is open: a stage may read the key frame
            chosen = stage.begin_shot(0, shot, used, src)
            if chosen is not None:
                used = chosen
        ycc = color.decode_coded_ycbcr(np.stack([f.image for f in frames]), range=range_)
        batch = frame_batch(frames, ycc, info.time_base, 0, matrix)
        before = batch
        for stage in stages:  # the film still open: a stage may read around the batch
            w, h = stage.output_size(*batch.size)
            result = stage.process(batch)
            check_result(stage, batch, result, (w, h))
            batch = result
    margins = crop_of(stages)
    if margins is not None:  # before and after the same picture, for the compare view
        before = CropStage(margins).process(before)
    coded, read_as = None, ""
    if as_coded and (info.scan or info.levels is not None):
        read_as = "; ".join(
            ([info.scan] if info.scan else [])
            + ([f"levels stretched from {info.levels[0]:.0%}–{info.levels[1]:.0%}"]
               if info.levels is not None else [])
        )  # fmt: skip
        coded = _as_coded(input, index, reading or media.Reading(), margins, matrix, range_)
    k = index - lo
    y_in, y_out = before.y[k], batch.y[k]
    if y_out.shape != y_in.shape:  # compare the luma at the film's own size
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(y_out, np.float32))
        y_cmp = np.asarray(img.resize(y_in.shape[::-1], Image.Resampling.BOX), np.float32)
    else:
        y_cmp = y_out

    def rgb(b: FrameBatch) -> np.ndarray:
        planes = np.concatenate([b.y[k][..., None], np.moveaxis(b.cbcr[k], 0, -1)], -1)
        return color.ycbcr_to_rgb(planes, matrix=matrix)

    return PreviewFrame(
        index=index,
        before=rgb(before),
        after=rgb(batch),
        luma_diff=np.abs(y_cmp - y_in).astype(np.float32),
        pick=used,
        coded=coded,
        read_as=read_as,
    )


def _as_coded(
    input: str | os.PathLike[str],
    index: int,
    reading: Reading,
    margins: tuple[int, int, int, int] | None,
    matrix: str,
    range_: str,
) -> np.ndarray:
    """Frame `index` read with the same frames but its values as the file holds them: no
    levels stretched, a scan's values as coded; cut as `before` is. RGB (H, W, 3) in [0, 1]."""
    from panchro.engine.imaging import color

    with reading.but(scan="coded", levels=None).open(input) as src:
        info = src.info
        fmt = "yuv444p16" if info.bit_depth > 8 else "yuv444p"
        frames = list(src.frames(index, index + 1, fmt=fmt, conceal=True))
        ycc = color.decode_coded_ycbcr(np.stack([f.image for f in frames]), range=range_)
        batch = frame_batch(frames, ycc, info.time_base, 0, matrix)
    if margins is not None:
        batch = CropStage(margins).process(batch)
    planes = np.concatenate([batch.y[0][..., None], np.moveaxis(batch.cbcr[0], 0, -1)], -1)
    return color.ycbcr_to_rgb(planes, matrix=matrix)
