"""A faded film's tones stretched to the full range as it is read (`open_source(levels=)`).

A print that has faded, a transfer made with the blacks lifted or the whites held down,
shows its darkest shadows grey and its brightest highlights dull: the picture lies within
part of the range. Film work sets a black and a white point and stretches what lies
between them to the full range. Here the points are the film's own, measured once for the
whole film (`measure`), not shot by shot: a night scene stays darker than a day scene, as
the film has them, and nothing flickers from shot to shot. Whatever the stretch is, every
reader of the film sees it — the app's view, the colour modes drawn, previews, renders —
because it is done as the film is read, like a log scan's conversion (`media.scan`).

How the points are measured: grey copies `ANALYSIS_WIDTH` px wide of `LOOKS` frames spread
over the film (its first and last twentieth left out: leaders, titles, fades), inside its
borders (`imaging.borders`: black bars and frame lines would set the black point), pooled;
the `LOW` and `HIGH` quantiles are the black and white points. Small copies average grain
and specks of dirt away, so one white speck does not hold the white point up.

The stretch is a straight line on each value (RGB, grey, or YCbCr's luma with the chroma
scaled alike: the same stretch of R, G and B), so nothing but the range changes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from panchro.engine.errors import BadInputError

LOOKS = 48  # frames the points are measured on
ANALYSIS_WIDTH = 160  # px: grey copies this wide (grain and specks averaged away)
LOW, HIGH = 0.002, 0.998  # the quantiles taken for the black and white points
MIN_SPAN = 0.2  # a film whose points lie closer than this is too flat to stretch
# A film looks faded (worth saying, and stretching) with its black point this high or its
# white point this low: the shared clips and the sample film, good transfers, measure black
# 0.003-0.09 and white 0.86-0.98; the 1952 film faded as a print fades, 0.22 and 0.72.
FADED_BLACK, FADED_WHITE = 0.12, 0.82
# The midtones' gamma, a third value of the points: the stretched tone t becomes t^(1/g),
# so above 1 lightens the middle greys (a print whose shoulder faded), below 1 darkens them.
MIDTONES = (0.25, 4.0)
PICTURE_WIDTH = 640  # px: a photograph's copy its points are measured on


def check_points(points: Any) -> tuple[float, ...]:
    """(black, white) as floats, 0 <= black < white <= 1 at least MIN_SPAN apart, or (black,
    white, midtones) with midtones within MIDTONES (1: none, left out); else BadInputError
    saying so."""
    try:
        values = [float(v) for v in points]
        if len(values) not in (2, 3):
            raise ValueError
    except (TypeError, ValueError):
        raise BadInputError(
            f"levels must be two numbers, black and white (and the midtones), got {points!r}"
        ) from None
    black, white = values[:2]
    if not (0.0 <= black < white <= 1.0) or white - black < MIN_SPAN:
        raise BadInputError(
            f"levels must be a black and a white point within 0..1, black below white by "
            f"{MIN_SPAN} or more, got {black:g}, {white:g}"
        )
    midtones = values[2] if len(values) == 3 else 1.0
    if not MIDTONES[0] <= midtones <= MIDTONES[1]:
        raise BadInputError(
            f"levels' midtones must be within {MIDTONES[0]:g}..{MIDTONES[1]:g} (1: as they "
            f"are; more lightens them), got {midtones:g}"
        )
    return (black, white) if midtones == 1.0 else (black, white, midtones)


def measure(
    src: Any, borders: tuple[int, int, int, int] | None = None
) -> tuple[float, float] | None:
    """The film's black and white points (module text), read from `src` as it is opened (a
    source opened without levels), inside `borders` (left, top, right, bottom in the film's
    pixels; None: the whole frame). None where the film is too flat to say (MIN_SPAN), or
    no frame decodes."""
    info = src.info
    n = info.frame_count
    width = max(2, min(ANALYSIS_WIDTH, info.width))
    height = max(2, round(width * info.height / max(info.width, 1)))
    skip = n // 20
    picks = np.unique(np.linspace(skip, n - 1 - skip, min(LOOKS, n)).round().astype(int))
    cut = _inside(borders, (info.width, info.height), (width, height))
    values = []
    for index in picks.tolist():
        try:
            grey = src.read_frame(index, fmt="gray16", size=(width, height)).image
        except BadInputError:  # a frame that does not decode says nothing
            continue
        values.append(grey[cut].ravel())
    if not values:
        return None
    return points_of(np.concatenate(values).astype(np.float32) / 65535.0)


def points_of(grey: np.ndarray) -> tuple[float, float] | None:
    """The black and white points (LOW and HIGH quantiles, to 3 decimals) of grey values 0..1
    (a small copy: grain and specks averaged away); None closer than MIN_SPAN."""
    black, white = (round(float(np.quantile(grey, q)), 3) for q in (LOW, HIGH))
    return None if white - black < MIN_SPAN else (black, white)


def picture_points(pixels: np.ndarray, inside: tuple[int, int, int, int] | None = None) -> Any:
    """A photograph's black and white points (`points_of`), judged on a copy PICTURE_WIDTH px
    wide of its grey inside `inside` (left, top, right, bottom margins; None: all of it):
    one picture has fewer pixels to pool than a film's frames, so a larger copy than theirs."""
    from PIL import Image

    h, w = pixels.shape[:2]
    left, top, right, bottom = inside or (0, 0, 0, 0)
    cut = pixels[top : h - bottom, left : w - right].astype(np.float32)
    top_value = 65535.0 if pixels.dtype == np.uint16 else 255.0
    grey = cut if cut.ndim == 2 else cut @ np.array([0.299, 0.587, 0.114], np.float32)
    grey = grey / top_value
    small_w = min(PICTURE_WIDTH, grey.shape[1])
    small_h = max(1, round(small_w * grey.shape[0] / max(grey.shape[1], 1)))
    small = Image.fromarray(grey, "F").resize((small_w, small_h), Image.Resampling.BOX)
    return points_of(np.asarray(small))


def _inside(
    borders: tuple[int, int, int, int] | None, film: tuple[int, int], small: tuple[int, int]
) -> tuple[slice, slice]:
    """The rows and columns of a `small` copy inside `borders` (film pixels), rounded in."""
    if borders is None or not any(borders):
        return slice(None), slice(None)
    left, top, right, bottom = borders
    sx, sy = small[0] / film[0], small[1] / film[1]
    x0, y0 = int(np.ceil(left * sx)), int(np.ceil(top * sy))
    x1 = small[0] - int(np.ceil(right * sx))
    y1 = small[1] - int(np.ceil(bottom * sy))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return slice(None), slice(None)
    return slice(y0, y1), slice(x0, x1)


def faded(points: tuple[float, float] | None) -> bool:
    """Whether a film with these measured points looks faded (FADED_BLACK, FADED_WHITE)."""
    return points is not None and (points[0] >= FADED_BLACK or points[1] <= FADED_WHITE)


def describe(points: tuple[float, ...]) -> str:
    """The points in words: "black at 12 %, white at 83 % of the range" (", midtones 1.30")."""
    said = f"black at {points[0]:.0%}, white at {points[1]:.0%} of the range".replace("%", " %")
    return said + (f", midtones {points[2]:.2f}" if len(points) > 2 else "")


def stretch(image: np.ndarray, fmt: str, points: tuple[float, ...], *, limited: bool) -> np.ndarray:
    """`image` (one of `formats.Fmt`'s layouts, channels last) with `points` stretched to
    black and white. `limited`: a YCbCr layout's codes are at video range (16..235 in 8
    bits); RGB and grey are always full range. Done by tables of every code's new value
    (`_tables`: an 8-bit 1080p YCbCr frame in about 12 ms on these cores (grey 3), where the
    arithmetic took 35)."""
    tables = _tables(tuple(points), image.dtype.str, fmt.startswith("yuv"), limited)
    if len(tables) == 1:
        return tables[0][image]
    out = np.empty_like(image)
    for c in range(image.shape[-1]):  # a plane at a time: a 2-D index is the quick one
        out[..., c] = tables[min(c, 1)][image[..., c]]
    return out


@lru_cache(maxsize=16)
def _tables(
    points: tuple[float, ...], dtype: str, yuv: bool, limited: bool
) -> tuple[np.ndarray, ...]:
    """Every code's stretched value: one table (RGB, grey), or luma's and chroma's (YCbCr,
    the chroma about its middle by the same gain, as R, G and B stretched alike make it; the
    midtones, a curve, on the luma alone)."""
    black, white = points[:2]
    gamma = points[2] if len(points) > 2 else 1.0
    gain = 1.0 / (white - black)
    kind = np.dtype(dtype)
    top = 65535 if kind == np.uint16 else 255
    codes = np.arange(top + 1, dtype=np.float64)
    if not yuv:
        return (_back(_midtones((codes / top - black) * gain, gamma) * top, kind, top),)
    step = 256 if kind == np.uint16 else 1  # 8-bit codes times this
    low, span = (16 * step, 219 * step) if limited else (0, top)
    mid = 128 * step
    luma = _midtones(((codes - low) / span - black) * gain, gamma) * span + low
    chroma = (codes - mid) * gain + mid
    return _back(luma, kind, top), _back(chroma, kind, top)


def _midtones(tone: np.ndarray, gamma: float) -> np.ndarray:
    """Stretched tones (0 black, 1 white; beyond them kept as they are) through the midtones'
    curve: none for 1, else t^(1/gamma) between black and white."""
    if gamma == 1.0:
        return tone
    return np.clip(tone, 0.0, 1.0) ** (1.0 / gamma)


def _back(out: np.ndarray, dtype: Any, top: int) -> np.ndarray:
    return np.clip(np.rint(out), 0, top).astype(dtype)
