"""Colour maths for the colorizer: YCbCr, chroma quantization, low-resolution chroma.

The PixColor idea: a film's luma is kept as it is, and colour is predicted as
chroma at low resolution (28x28), quantized to 32 levels per channel; the
chroma is then upsampled under the full-resolution luma. This module holds the
numpy side of that convention; `panchro.engine.models.colorizer` mirrors the
bins in torch.

Canonical float representation (used by every function here unless it says
otherwise): YCbCr as float32 (..., 3) with Y in [0, 1] and Cb, Cr in
[-0.5, 0.5]; RGB as float32 (..., 3) in [0, 1] (non-linear, gamma-encoded: the
matrices apply to R'G'B', as in the standards). Integer RGB is full range
(0..2^n - 1). *Coded* YCbCr is what a stream stores: integers with either
limited ("studio", Y 16..235, C 16..240 at 8 bit, scaled by 2^(bits-8)) or full
range (0..2^n - 1, neutral chroma 2^(n-1)), as in ITU-T H.273.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import sys
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from PIL import Image

Range = Literal["limited", "full"]

# Luma weights (Kr, Kb) of each matrix; Kg = 1 - Kr - Kb. H.273 Table 4.
_KR_KB: dict[str, tuple[float, float]] = {
    "bt601": (0.299, 0.114),
    "bt709": (0.2126, 0.0722),
    "bt2020nc": (0.2627, 0.0593),
    "smpte240m": (0.212, 0.087),
    "fcc": (0.30, 0.11),
}
MATRICES = tuple(_KR_KB)

# Names stream tags use for the same matrices (FFmpeg's colorspace names and
# friends). bt2020c (constant luminance) is not a matrix at all, so it is absent.
_ALIASES = {
    "bt601": "bt601",
    "bt470bg": "bt601",
    "smpte170m": "bt601",
    "bt601-6-525": "bt601",
    "bt601-6-625": "bt601",
    "bt709": "bt709",
    "bt2020nc": "bt2020nc",
    "bt2020_ncl": "bt2020nc",
    "bt2020": "bt2020nc",
    "smpte240m": "smpte240m",
    "fcc": "fcc",
}

CHROMA_LEVELS = 32
CHROMA_SIZE = 28


# --------------------------------------------------------------------------- matrices


def _check_matrix(matrix: str) -> str:
    name = _ALIASES.get(matrix.lower())
    if name is None:
        raise ValueError(f"unknown colour matrix {matrix!r}; use one of {', '.join(MATRICES)}")
    return name


def rgb_to_ycbcr_matrix(matrix: str = "bt709") -> np.ndarray:
    """(3, 3) float64 M with [Y, Cb, Cr] = M @ [R, G, B] (canonical float ranges)."""
    kr, kb = _KR_KB[_check_matrix(matrix)]
    kg = 1.0 - kr - kb
    return np.array(
        [
            [kr, kg, kb],
            [-kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), 0.5],
            [0.5, -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))],
        ]
    )


def ycbcr_to_rgb_matrix(matrix: str = "bt709") -> np.ndarray:
    """(3, 3) float64, the inverse of `rgb_to_ycbcr_matrix`."""
    return np.linalg.inv(rgb_to_ycbcr_matrix(matrix))


def matrix_for(color_matrix_tag: str | None, height: int, width: int | None = None) -> str:
    """The matrix to use for a stream: its tag when known, else by size.

    Untagged (or tagged with something that is not a YCbCr matrix we know):
    BT.601 for SD, BT.709 for HD, HD meaning 720 lines or more (or, when
    `width` is given, 1280 columns or more, as `panchro.engine.media` decides).
    """
    if color_matrix_tag:
        name = _ALIASES.get(color_matrix_tag.lower())
        if name is not None:
            return name
    hd = height >= 720 or (width is not None and width >= 1280)
    return "bt709" if hd else "bt601"


# --------------------------------------------------------------------------- int <-> float


def _int_max(dtype: np.dtype, bit_depth: int | None = None) -> float:
    bits = bit_depth if bit_depth is not None else np.dtype(dtype).itemsize * 8
    return float((1 << bits) - 1)


def to_float(arr: np.ndarray, *, bit_depth: int | None = None) -> np.ndarray:
    """Full-range integers (uint8, uint16) -> float32 in [0, 1]; float input -> float32 as is.

    `bit_depth` is for integers that use fewer bits than their type (10-bit in uint16).
    """
    arr = np.asarray(arr)
    if arr.dtype == np.uint8 or arr.dtype == np.uint16:
        return arr.astype(np.float32) * np.float32(1.0 / _int_max(arr.dtype, bit_depth))
    if arr.dtype.kind == "f":
        return arr.astype(np.float32, copy=False)
    raise ValueError(f"expected uint8, uint16 or float pixels, got {arr.dtype}")


def from_float(
    arr: np.ndarray, dtype: np.dtype | type = np.uint8, *, bit_depth: int | None = None
) -> np.ndarray:
    """Float in [0, 1] -> `dtype`: integers rounded to nearest and clipped; floats clipped."""
    arr = np.asarray(arr, dtype=np.float32)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return np.clip(arr, 0.0, 1.0).astype(dt)
    if dt not in (np.uint8, np.uint16):
        raise ValueError(f"expected uint8, uint16 or a float dtype, got {dt}")
    top = _int_max(dt, bit_depth)
    return np.clip(np.rint(arr * np.float32(top)), 0, top).astype(dt)


def _last3(arr: np.ndarray, what: str) -> None:
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ValueError(f"{what} must have 3 channels last, got shape {arr.shape}")


def rgb_to_ycbcr(rgb: np.ndarray, *, matrix: str = "bt709") -> np.ndarray:
    """RGB (..., 3) uint8/uint16/float in [0, 1] -> canonical float32 YCbCr (..., 3)."""
    rgb = np.asarray(rgb)
    _last3(rgb, "rgb")
    m = rgb_to_ycbcr_matrix(matrix).astype(np.float32)
    return to_float(rgb) @ m.T


def ycbcr_to_rgb(ycc: np.ndarray, *, matrix: str = "bt709", clip: bool = True) -> np.ndarray:
    """Canonical float YCbCr (..., 3) -> float32 RGB, clipped to [0, 1] unless `clip=False`.

    Not every YCbCr triple is a colour: out-of-gamut values (e.g. saturated
    chroma under a very dark luma) come out clipped.
    """
    ycc = np.asarray(ycc, dtype=np.float32)
    _last3(ycc, "ycc")
    rgb = ycc @ ycbcr_to_rgb_matrix(matrix).astype(np.float32).T
    return np.clip(rgb, 0.0, 1.0, out=rgb) if clip else rgb


def ycbcr_to_rgb_keep_luma(y: np.ndarray, cbcr: np.ndarray, *, matrix: str = "bt709") -> np.ndarray:
    """Luma (...) and chroma (..., 2) -> float32 RGB (..., 3) in [0, 1] with the luma kept.

    Where a colour falls outside RGB, its chroma is pulled toward grey just enough
    to fit, instead of each channel being clipped (a clipped saturated yellow comes
    out darker than its luma). A chroma-only change of RGB has zero luma, so the
    result's luma is `y` (clipped to [0, 1]) up to float rounding: what an RGB file
    needs to keep a film's promise that colour never changes the luma.
    """
    y = np.clip(np.asarray(y, dtype=np.float32), 0.0, 1.0)[..., None]
    c = np.asarray(cbcr, dtype=np.float32)
    if c.shape[-1] != 2 or c.shape[:-1] != y.shape[:-1]:
        raise ValueError(f"want chroma (..., 2) beside luma {y.shape[:-1]}, got {c.shape}")
    d = c @ ycbcr_to_rgb_matrix(matrix)[:, 1:].astype(np.float32).T  # chroma's part of R, G, B
    # The largest share of the chroma each channel has room for, the smallest of the three
    # (channel by channel: numpy's min over a last axis of 3 is several times slower).
    y0 = y[..., 0]
    scale = np.ones(y0.shape, np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(3):
            dk = d[..., k]
            room = np.where(dk > 0, 1.0 - y0, -y0)
            room /= dk
            room[dk == 0] = np.inf  # no chroma in this channel: no limit (not 0/0)
            np.minimum(scale, room, out=scale)
    np.maximum(scale, 0.0, out=scale)
    rgb = y + scale[..., None] * d
    return np.clip(rgb, 0.0, 1.0, out=rgb)


# --------------------------------------------------------------------------- coded YCbCr


def coded_scale(range_: str, bit_depth: int) -> tuple[float, float, float, float]:
    """(y_offset, y_scale, c_offset, c_scale) mapping canonical floats to codes."""
    if range_ == "limited":
        k = float(1 << (bit_depth - 8))
        return 16.0 * k, 219.0 * k, 128.0 * k, 224.0 * k
    if range_ == "full":
        top = float((1 << bit_depth) - 1)
        return 0.0, top, float(1 << (bit_depth - 1)), top
    raise ValueError(f"range must be 'limited' or 'full', got {range_!r}")


def _bits_of(dtype: np.dtype, bit_depth: int | None) -> int:
    bits = bit_depth if bit_depth is not None else np.dtype(dtype).itemsize * 8
    if not 8 <= bits <= np.dtype(dtype).itemsize * 8:
        raise ValueError(f"bit depth {bits} does not fit {np.dtype(dtype)}")
    return bits


def decode_coded_ycbcr(
    arr: np.ndarray, *, range: Range = "limited", bit_depth: int | None = None
) -> np.ndarray:
    """Coded YCbCr integers (..., 3) -> canonical float32 (Y in [0, 1], C in [-0.5, 0.5]).

    `bit_depth` defaults to the type's (8 for uint8, 16 for uint16); give 10 or
    12 for such values stored unscaled in uint16. Limited-range codes outside
    the nominal range (super-white, super-black) map outside [0, 1] / [-0.5,
    0.5]; nothing is clipped here.
    """
    arr = np.asarray(arr)
    _last3(arr, "coded YCbCr")
    if arr.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"coded YCbCr must be uint8 or uint16, got {arr.dtype}")
    y0, ys, c0, cs = coded_scale(range, _bits_of(arr.dtype, bit_depth))
    offset = np.array([y0, c0, c0], np.float32)
    scale = np.array([1 / ys, 1 / cs, 1 / cs], np.float32)
    return (arr.astype(np.float32) - offset) * scale


def encode_coded_ycbcr(
    ycc: np.ndarray,
    *,
    range: Range = "limited",
    dtype: np.dtype | type = np.uint8,
    bit_depth: int | None = None,
) -> np.ndarray:
    """Canonical float YCbCr (..., 3) -> coded integers, rounded to nearest.

    Values are clipped to what the type holds (0..2^bits - 1), not to the
    nominal limited range, as encoders do.
    """
    ycc = np.asarray(ycc, dtype=np.float32)
    _last3(ycc, "ycc")
    dt = np.dtype(dtype)
    if dt not in (np.uint8, np.uint16):
        raise ValueError(f"coded YCbCr must be uint8 or uint16, got {dt}")
    bits = _bits_of(dt, bit_depth)
    y0, ys, c0, cs = coded_scale(range, bits)
    offset = np.array([y0, c0, c0], np.float32)
    scale = np.array([ys, cs, cs], np.float32)
    return np.clip(np.rint(ycc * scale + offset), 0, (1 << bits) - 1).astype(dt)


def decode_coded_planar(
    images: Sequence[np.ndarray] | np.ndarray,
    *,
    range: Range = "limited",
    bit_depth: int | None = None,
) -> np.ndarray:
    """`decode_coded_ycbcr` of frames (each (H, W, 3)) -> (T, H, W, 3) float32, the same values,
    held planar: a view of (T, 3, H, W) memory.

    For huge frames: each plane is converted straight into the result, with no frame-sized
    temporaries, and a frame's Y plane and its Cb/Cr pair are contiguous slices of it,
    which `np.ascontiguousarray` hands out without copying.
    """
    if not len(images):
        raise ValueError("no frames to decode")
    height, width = images[0].shape[:2]
    out = np.empty((len(images), 3, height, width), np.float32)
    for t, img in enumerate(images):
        img = np.asarray(img)
        _last3(img, "coded YCbCr")
        if img.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"coded YCbCr must be uint8 or uint16, got {img.dtype}")
        if img.shape[:2] != (height, width):
            raise ValueError(f"frame {t} is {img.shape[:2]}, frame 0 {(height, width)}")
        y0, ys, c0, cs = coded_scale(range, _bits_of(img.dtype, bit_depth))
        for k, (offset, scale) in enumerate(((y0, 1 / ys), (c0, 1 / cs), (c0, 1 / cs))):
            # float32 throughout, in the order decode_coded_ycbcr computes: the same bits
            np.subtract(img[..., k], np.float32(offset), out=out[t, k], dtype=np.float32)
            out[t, k] *= np.float32(scale)
    return np.moveaxis(out, 1, -1)


def encode_coded_planar(
    y: np.ndarray,
    cbcr: np.ndarray,
    *,
    range: Range = "limited",
    dtype: np.dtype | type = np.uint8,
    bit_depth: int | None = None,
    band_pixels: int = 1 << 20,
) -> np.ndarray:
    """`encode_coded_ycbcr` of planes, luma (T, H, W) and chroma (T, 2, H, W) -> coded
    (T, H, W, 3), the same values.

    Done a band of about `band_pixels` pixels at a time, so the only temporary is one
    band of floats: joining the planes first cost a frame-sized float copy and two more
    for the arithmetic (7 GB for a 16000x12000 frame).
    """
    dt = np.dtype(dtype)
    if dt not in (np.uint8, np.uint16):
        raise ValueError(f"coded YCbCr must be uint8 or uint16, got {dt}")
    if y.ndim != 3 or cbcr.shape != (y.shape[0], 2, *y.shape[1:]):
        raise ValueError(f"want y (T, H, W) and cbcr (T, 2, H, W), got {y.shape}, {cbcr.shape}")
    bits = _bits_of(dt, bit_depth)
    y0, ys, c0, cs = coded_scale(range, bits)
    top = np.float32((1 << bits) - 1)
    n, height, width = y.shape
    out = np.empty((n, height, width, 3), dt)
    rows = max(1, band_pixels // width)
    band = np.empty((min(rows, height), width), np.float32)
    for t in builtins.range(n):
        planes = ((y[t], y0, ys), (cbcr[t, 0], c0, cs), (cbcr[t, 1], c0, cs))
        for k, (plane, offset, scale) in enumerate(planes):
            for r in builtins.range(0, height, rows):
                src = plane[r : r + rows]
                tmp = band[: len(src)]
                np.multiply(src, np.float32(scale), out=tmp, dtype=np.float32)
                tmp += np.float32(offset)
                np.rint(tmp, out=tmp)
                np.clip(tmp, 0, top, out=tmp)
                out[t, r : r + rows, :, k] = tmp
    return out


# --------------------------------------------------------------------------- chroma bins


def quantize_chroma(cbcr: Any, levels: int = CHROMA_LEVELS) -> Any:
    """Cb/Cr floats in [-0.5, 0.5] (any shape) -> bins in [0, levels): the one chroma encoding.

    Bins are 1/levels wide and centred on (i - levels/2) / levels, so neutral
    grey (0.0) is the centre of bin levels/2 and a grey film stays exactly
    grey. An even number of uniform bins cannot be symmetric and grey-centred
    at once: the price is the top edge, (0.5 - 1/levels, 0.5], which falls into
    the last bin (error up to one bin, only for the most saturated blues and
    reds). Values outside the range go to the end bins.

    A numpy array gives int64 bins computed in float64; a torch tensor (the
    training batches, on their device) gives a LongTensor computed in its own dtype.
    """
    half = levels // 2
    if _is_tensor(cbcr):
        return (cbcr * levels + 0.5).floor().add_(half).clamp_(0, levels - 1).long()
    c = np.asarray(cbcr, dtype=np.float64)
    return np.clip(np.floor(c * levels + 0.5) + half, 0, levels - 1).astype(np.int64)


def dequantize_chroma(bins: Any, levels: int = CHROMA_LEVELS) -> Any:
    """Bins -> their centres, (i - levels/2) / levels, as float32 (numpy or torch, as given)."""
    if _is_tensor(bins):
        if bins.is_floating_point():
            raise ValueError(f"chroma bins must be integers, got {bins.dtype}")
        return (bins.float() - levels // 2) / levels
    b = np.asarray(bins)
    if b.dtype.kind not in "iu":
        raise ValueError(f"chroma bins must be integers, got {b.dtype}")
    return ((b.astype(np.float64) - levels // 2) / levels).astype(np.float32)


def _is_tensor(x: Any) -> bool:
    # Without importing torch here: a tensor is whatever torch says it is, if torch is loaded.
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def encode_bins(bins: np.ndarray) -> str:
    """(2, S, S) chroma bins -> base64 of their uint8 bytes, row-major, Cb plane first.

    The one text form of a colour mode: the protocol's candidates and picks and the
    project file's picks all carry it, so a pick goes from the engine into a project unchanged.
    """
    b = np.asarray(bins)
    if b.ndim != 3 or b.shape[0] != 2 or b.min(initial=0) < 0 or b.max(initial=0) >= CHROMA_LEVELS:
        raise ValueError(f"expected (2, S, S) bins in 0..{CHROMA_LEVELS - 1}, got shape {b.shape}")
    return base64.b64encode(b.astype(np.uint8).tobytes()).decode("ascii")


def decode_bins(text: str, size: int = CHROMA_SIZE) -> np.ndarray:
    """Inverse of `encode_bins`: (2, size, size) uint8; ValueError saying what is wrong."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("not valid base64") from None
    if len(raw) != 2 * size * size:
        raise ValueError(f"holds {len(raw)} bytes, not {2 * size * size} (2x{size}x{size})")
    bins = np.frombuffer(raw, np.uint8).reshape(2, size, size).copy()
    if bins.max() >= CHROMA_LEVELS:
        raise ValueError(f"bins must be below {CHROMA_LEVELS}")
    return bins


def joint_index(bins: np.ndarray, levels: int = CHROMA_LEVELS) -> np.ndarray:
    """(..., 2) Cb/Cr bins -> one index cb * levels + cr in [0, levels^2)."""
    b = np.asarray(bins, dtype=np.int64)
    if b.shape[-1:] != (2,):
        raise ValueError(f"expected Cb/Cr bins in a last axis of 2, got shape {b.shape}")
    return b[..., 0] * levels + b[..., 1]


def split_joint_index(index: np.ndarray, levels: int = CHROMA_LEVELS) -> np.ndarray:
    """Inverse of `joint_index`: (...,) -> (..., 2) int64 Cb/Cr bins."""
    i = np.asarray(index, dtype=np.int64)
    return np.stack([i // levels, i % levels], axis=-1)


# --------------------------------------------------------------------------- low-res chroma


def _check_chroma(cbcr: np.ndarray) -> np.ndarray:
    c = np.asarray(cbcr)
    if c.ndim != 3 or c.shape[-1] != 2:
        raise ValueError(f"chroma must be (H, W, 2), got shape {c.shape}")
    if c.shape[0] < 1 or c.shape[1] < 1:
        raise ValueError(f"chroma image is empty: shape {c.shape}")
    return c.astype(np.float32, copy=False)


def _resize_plane(plane: np.ndarray, width: int, height: int, resample: int) -> np.ndarray:
    # A 2-D float32 array becomes a mode "F" (32-bit float) image: no 8-bit rounding.
    img = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32))
    return np.asarray(img.resize((width, height), resample=resample), dtype=np.float32)


def downsample_chroma(cbcr: np.ndarray, size: int = CHROMA_SIZE) -> np.ndarray:
    """(H, W, 2) chroma -> (size, size, 2) float32 by area averaging (anti-aliased).

    The whole frame is squeezed to a square whatever its aspect, as PixColor
    works on a 224x224 resize of the frame; `upsample_chroma` stretches it back.
    Each output pixel is the mean of the input area it covers (partial pixels
    weighted), so a constant stays that constant and the mean is kept.
    """
    c = _check_chroma(cbcr)
    h, w = c.shape[:2]
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    if h % size == 0 and w % size == 0:
        blocks = c.reshape(size, h // size, size, w // size, 2)
        return blocks.mean(axis=(1, 3), dtype=np.float64).astype(np.float32)
    planes = [_resize_plane(c[..., k], size, size, Image.Resampling.BOX) for k in range(2)]
    return np.stack(planes, axis=-1)


# Above this RMS chroma (of 1) that the luma does not explain, a picture may be in colour
# (`colour_figures`). Measured: Set5's and Set14's colour photos 0.015-0.13; grey and toned
# (sepia) pictures with independent RGB noise of 10 levels 0.008 on a 128-px picture (less on
# larger ones, their means taken over more pixels), with a colour cast 0.001.
IN_COLOUR_RMS = 0.012
# The copy of a picture (or a film's key frame) its colours are judged on, pixels across: the
# app's grid, the colour modes and the restore judge alike, whatever size each reads it at.
JUDGED_SIDE = 256
# But an aged black-and-white print's stains (paper yellowed towards an edge, foxing, a water
# mark) are colour its luma does not explain too (0.015-0.04), all of one brownish hue: they lie
# along one line of the Cb/Cr plane, where a colour photograph's colours spread across it as
# well (above this spread), or point more than one way round the neutral (their hues, where
# strong, less concentrated than this: orange earth and blue water lie on one line, on both
# sides of grey). Measured (docs/experiments/in_colour.py), see README "Photos".
IN_COLOUR_SPREAD = 0.009
IN_COLOUR_ONE_HUE = 0.98
STRONG_CHROMA = 0.05  # the chroma (of 1) of an area whose hue counts
# A picture of a few flat colours (a title card, a poster: blue ground, red bar, yellow
# letters) has each colour at its own luma, so the luma "explains" them as a toning's curve
# would; but a toning's colours all point one way round grey. Strong colours over this share
# of the picture, pointing several ways (their hues less concentrated than MANY_HUES), are
# a colour picture's whatever the luma explains.
STRONG_SHARE = 0.1
MANY_HUES = 0.9
# A dark picture's colours are as dark: its chroma is judged as if its mean luma were at least
# this (the gain at most DARK_GAIN), so a night scene in colour is not taken for grey.
JUDGED_LUMA = 0.2
DARK_GAIN = 4.0
Figures = tuple[float, float, float, float]  # `colour_figures`' answer


def in_colour(rgb: np.ndarray) -> bool:
    """Whether an (H, W, 3) RGB picture is in colour beyond doubt: colours of its own, of more
    than one hue (`colour_figures`). Not grey, nor a toned or tinted print, nor grey with a cast
    or colour noise, nor an aged print's yellowing and stains."""
    return in_colour_by(colour_figures(rgb))


def in_colour_by(figures: Figures) -> bool:
    """`in_colour` from `colour_figures`' answer."""
    rms, spread, one_hue, strong = figures
    if strong > STRONG_SHARE and one_hue < MANY_HUES:
        return True
    return rms > IN_COLOUR_RMS and (spread > IN_COLOUR_SPREAD or one_hue < IN_COLOUR_ONE_HUE)


def one_hue_by(figures: Figures) -> bool:
    """From `colour_figures`' answer: colours of its own that its luma does not explain, but
    not `in_colour_by` (an old print's stains, or a colour picture of few colours)."""
    return figures[0] > IN_COLOUR_RMS and not in_colour_by(figures)


def out_of_register(ycc: np.ndarray) -> np.ndarray:
    """(H, W, 3) YCbCr with the chroma that the colour channels' misregistration makes taken
    out: a grey picture scanned with red, green and blue a pixel or two apart (a telecine's
    registration, a lens's lateral colour, growing towards the edges) has colour along its
    edges, red one side and cyan the other, in proportion to the luma's slope there. So the
    chroma's part that is a linear function of the slope (and of the slope times the
    distance from the middle) is fitted over the picture and taken away; a colour picture's
    colours are not such a function (an object's two sides slope opposite ways)."""
    y = ycc[..., 0].astype(np.float64)
    if min(y.shape) < 3:
        return ycc
    gy, gx = np.gradient(y)
    h, w = y.shape
    yy, xx = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    slopes = np.stack([gx, gy, gx * xx, gy * yy], axis=-1).reshape(-1, 4)
    design = np.concatenate([slopes, np.ones((len(slopes), 1))], axis=1)
    chroma = ycc[..., 1:].reshape(-1, 2).astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, chroma, rcond=None)
    out = ycc.astype(np.float32, copy=True)
    out[..., 1:] -= (slopes @ coef[:4]).reshape(h, w, 2).astype(np.float32)
    return out


def colour_figures(rgb: np.ndarray) -> Figures:
    """What tells a colour picture from a grey, toned or stained one, measured on area means
    of the picture cut to about 32 px a side (which average colour noise away), the fringes
    of channels out of register taken out (`out_of_register`) and a dark picture's chroma
    brightened as its luma would be (to JUDGED_LUMA, at most DARK_GAIN):

    - the RMS chroma (of 1) that its luma does not explain (a toning's colour is a function
      of the density, a colour photograph's is not);
    - that chroma's RMS across the line it spreads most along;
    - how concentrated the hues of its strongly coloured areas are, 0..1 (1: all one hue,
      or none strong);
    - the share of its areas that are strongly coloured."""
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[-1] != 3:
        return 0.0, 0.0, 1.0, 0.0
    step = max(1, max(a.shape[:2]) // 32)
    h, w = (a.shape[0] // step) * step, (a.shape[1] // step) * step
    full = out_of_register(rgb_to_ycbcr(to_float(a[:h, :w]), matrix="bt601"))
    f = full.reshape(h // step, step, w // step, step, 3).mean(axis=(1, 3))
    ycc = f.reshape(-1, 3)
    gain = float(np.clip(JUDGED_LUMA / max(float(ycc[:, 0].mean()), 1e-6), 1.0, DARK_GAIN))
    ycc[:, 1:] *= gain
    bins = np.clip((ycc[:, 0] * 32).astype(np.int64), 0, 31)
    counts = np.bincount(bins, minlength=32)
    means = (
        np.stack([np.bincount(bins, ycc[:, k], minlength=32) for k in (1, 2)], axis=-1)
        / np.maximum(counts, 1)[:, None]
    )
    rest = ycc[:, 1:] - means[bins]  # the chroma that the luma does not explain
    rms = float(np.sqrt((rest**2).sum(axis=1).mean()))
    strong = ycc[np.hypot(ycc[:, 1], ycc[:, 2]) > STRONG_CHROMA, 1:]
    share = len(strong) / max(len(ycc), 1)
    one_hue = 1.0
    if len(strong) > 3:
        unit = strong / np.hypot(strong[:, 0], strong[:, 1])[:, None]
        one_hue = float(np.hypot(*unit.mean(axis=0)))
    if len(rest) < 3:
        return rms, 0.0, one_hue, share
    least = np.linalg.eigvalsh(np.cov(rest.T))[0]  # the variance across its main line
    return rms, float(np.sqrt(max(float(least), 0.0))), one_hue, share


def upsample_chroma(
    cbcr_small: np.ndarray, shape: tuple[int, int], *, method: str = "bicubic"
) -> np.ndarray:
    """(h, w, 2) chroma -> (H, W, 2) float32 for `shape` = (H, W), clipped to [-0.5, 0.5].

    `method` is "bicubic" (sharper, may overshoot; hence the clip) or
    "bilinear". Pixel centres are aligned (half-pixel convention), so a
    downsample followed by an upsample does not shift the image.
    """
    c = _check_chroma(cbcr_small)
    height, width = shape
    if height < 1 or width < 1:
        raise ValueError(f"bad output shape {shape}")
    modes = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}
    if method not in modes:
        raise ValueError(f"method must be 'bicubic' or 'bilinear', got {method!r}")
    planes = [_resize_plane(c[..., k], width, height, modes[method]) for k in range(2)]
    return np.clip(np.stack(planes, axis=-1), -0.5, 0.5)


def merge_luma_chroma(y: np.ndarray, cbcr: np.ndarray, *, matrix: str = "bt709") -> np.ndarray:
    """Full-resolution luma (H, W) in [0, 1] and chroma of any size (h, w, 2) -> RGB float32.

    The chroma is upsampled to the luma's size when it is smaller; the luma is
    kept exactly, as a colorization must never change the film's luma.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 2:
        raise ValueError(f"luma must be (H, W), got shape {y.shape}")
    c = _check_chroma(cbcr)
    if c.shape[:2] != y.shape:
        c = upsample_chroma(c, y.shape)
    return ycbcr_to_rgb(np.concatenate([y[..., None], c], axis=-1), matrix=matrix)


def merge_prediction(
    y: np.ndarray, chroma_small: np.ndarray, *, matrix: str = "bt601"
) -> np.ndarray:
    """True luma (H, W) and predicted chroma (c, c, 2) -> RGB float32 (H, W, 3) in [0, 1].

    The chroma is upsampled bilinearly (half-pixel centres) to the luma's size.
    """
    up = upsample_chroma(np.asarray(chroma_small, np.float32), y.shape, method="bilinear")
    return ycbcr_to_rgb(np.concatenate([y[..., None], up], axis=-1), matrix=matrix)
