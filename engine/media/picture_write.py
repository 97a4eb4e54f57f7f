"""Writing one photograph, whole or not at all, with its metadata.

JPEG and WebP are written by Pillow. PNG and TIFF are written here, in a few
dozen lines each, because Pillow has no 16-bit colour mode and a restored 16-bit
scan must stay 16-bit; writing every PNG and TIFF the same way keeps one path
for 8 and 16 bits and for the metadata. PNG: adaptive filters (Sub, Up or
Paeth, the smallest per row) and zlib. TIFF: Deflate with horizontal
differencing (predictor 2), baseline tags laid out by Pillow's own IFD writer,
which also nests the Exif and GPS IFDs.

What travels: the ICC profile, the resolution (DPI; also in EXIF as
XResolution/YResolution, the only place WebP has for it), the EXIF given
(already cleaned by `picture.clean_exif`: never a thumbnail) with its
PixelXDimension/PixelYDimension brought to the new size and `software` in its
Software tag, for PNG its text chunks with `software` as "Software", and the XMP
packet given (`picture.clean_xmp`) with its size fields brought to the new size:
JPEG's APP1, WebP's XMP chunk, PNG's "XML:com.adobe.xmp" iTXt, TIFF's tag 700.
Everything goes to a temporary name beside the output and is renamed into
place (`fsutil.atomic_write`).
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from panchro.engine.fsutil import atomic_write
from panchro.engine.media.picture import PIXEL_X, PIXEL_Y, SOFTWARE, clean_exif, xmp_for_size

_BAND_BYTES = 8 << 20  # rows filtered or compressed at a time: memory stays flat
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_X_RES, _Y_RES, _RES_UNIT = 282, 283, 296


def write_picture(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    fmt: str,
    quality: int = 95,
    icc: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    exif: Any = None,
    text: dict[str, str] | None = None,
    software: str | None = None,
    xmp: bytes | None = None,
) -> Path:
    """Write `pixels` ((H, W) grey or (H, W, 3) RGB, uint8 or uint16) and `alpha` ((H, W),
    same dtype) to `path` as `fmt` ("JPEG", "PNG", "TIFF", "WEBP"), atomically.

    JPEG takes 8-bit pixels without alpha, WebP 8-bit pixels; `quality` (1..100) is
    theirs. `exif` is a `PIL.Image.Exif` or None; the file's EXIF gets `software` and
    the new size either way. OutputError if the file cannot be written.
    """
    pixels = np.asarray(pixels)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise ValueError(f"want (H, W) or (H, W, 3) pixels, got {pixels.shape}")
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"want uint8 or uint16 pixels, got {pixels.dtype}")
    if alpha is not None and (alpha.shape != pixels.shape[:2] or alpha.dtype != pixels.dtype):
        raise ValueError("alpha must be (H, W) of the pixels' dtype")
    if fmt in ("JPEG", "WEBP") and pixels.dtype != np.uint8:
        raise ValueError(f"{fmt} is written from 8-bit pixels")
    if fmt == "JPEG" and alpha is not None:
        raise ValueError("JPEG has no alpha channel")
    h, w = pixels.shape[:2]
    tags = _exif_out(exif, (w, h), dpi, software)
    packet = xmp_for_size(xmp, w, h)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            if fmt == "PNG":
                _png(fh, pixels, alpha, icc=icc, dpi=dpi, exif=tags, text=text,
                     software=software, xmp=packet)  # fmt: skip
            elif fmt == "TIFF":
                _tiff(fh, pixels, alpha, icc=icc, dpi=dpi, exif=tags, xmp=packet)
            elif fmt in ("JPEG", "WEBP"):
                _pillow(fh, pixels, alpha, fmt, quality=quality, icc=icc, dpi=dpi, exif=tags,
                        xmp=packet)  # fmt: skip
            else:
                raise ValueError(f"unknown picture format {fmt!r}")

    return atomic_write(path, write, what="the picture")


def _exif_out(
    exif: Any, size: tuple[int, int], dpi: tuple[float, float] | None, software: str | None
) -> Any:
    """The EXIF written: a copy of `exif` with the new size, resolution and Software."""
    from PIL import Image

    out = clean_exif(exif) if exif is not None else None
    out = out if out is not None else Image.Exif()
    if software:
        out[SOFTWARE] = ascii_words(software)
    if dpi is not None:
        out[_X_RES], out[_Y_RES], out[_RES_UNIT] = float(dpi[0]), float(dpi[1]), 2
    sub = out.get_ifd(_EXIF_IFD)
    if PIXEL_X in sub or PIXEL_Y in sub:
        sub[PIXEL_X], sub[PIXEL_Y] = size
    return out


def ascii_words(text: str) -> str:
    """`text` in ASCII, as EXIF's Software holds it (Pillow writes "?" for anything else):
    "-2.00°" as "-2.00 deg", "Hôtel" as "Hotel"; what has no ASCII form stays a "?"."""
    import unicodedata

    text = text.replace("°", " deg").replace("×", "x")
    kept = (
        c if c.isascii() else "?"
        for c in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(c)
    )
    return "".join(kept)


def _exif_bytes(exif: Any) -> bytes | None:
    """The TIFF-structured EXIF block, without the "Exif\\0\\0" that JPEG puts before it."""
    if exif is None or not (len(exif) or exif.get_ifd(_EXIF_IFD) or exif.get_ifd(_GPS_IFD)):
        return None
    data = exif.tobytes()
    return data[6:] if data.startswith(b"Exif\x00\x00") else data


# --------------------------------------------------------------------------- JPEG, WebP


def _pillow(
    fh: BinaryIO,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    fmt: str,
    *,
    quality: int,
    icc: bytes | None,
    dpi: tuple[float, float] | None,
    exif: Any,
    xmp: bytes | None = None,
) -> None:
    from PIL import Image

    if alpha is not None:  # WebP: RGBA only
        rgb = pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=2)
        im = Image.fromarray(np.concatenate([rgb, alpha[..., None]], axis=2), "RGBA")
    else:
        im = Image.fromarray(pixels, "L" if pixels.ndim == 2 else "RGB")
    options: dict[str, Any] = {"quality": int(quality)}
    data = _exif_bytes(exif)
    if data:
        options["exif"] = b"Exif\x00\x00" + data
    if icc:
        options["icc_profile"] = icc
    if dpi is not None and fmt == "JPEG":
        options["dpi"] = (round(dpi[0]), round(dpi[1]))
    if xmp:
        options["xmp"] = xmp
    if fmt == "WEBP":
        options["method"] = 4
        # the colour under see-through pixels kept, as PNG and TIFF keep it: libwebp would
        # else throw it away, and the luma the picture had there with it
        options["exact"] = True
    im.save(fh, format=fmt, **options)


# --------------------------------------------------------------------------- PNG


def _chunk(fh: BinaryIO, kind: bytes, data: bytes) -> None:
    fh.write(struct.pack(">I", len(data)) + kind + data)
    fh.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _channels(pixels: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """(H, W, C) samples: grey, grey + alpha, RGB or RGBA."""
    planes = pixels[..., None] if pixels.ndim == 2 else pixels
    if alpha is None:
        return planes
    return np.concatenate([planes, alpha[..., None]], axis=2)


def _png_text(key: str, value: str) -> tuple[bytes, bytes]:
    """A tEXt chunk where Latin-1 holds it, else iTXt (UTF-8)."""
    name = key.encode("latin-1", "replace")[:79] or b"Comment"
    try:
        return b"tEXt", name + b"\0" + value.encode("latin-1")
    except UnicodeEncodeError:
        return b"iTXt", name + b"\0\0\0\0\0" + value.encode("utf-8")


def _png_rows(samples: np.ndarray) -> Iterator[bytes]:
    """The filtered scanlines, in bands: each row with the filter (Sub, Up or Paeth) whose
    bytes sum smallest as signed values, the usual heuristic."""
    h, w, c = samples.shape
    depth = samples.dtype.itemsize
    bpp = c * depth
    row_bytes = w * bpp
    band = max(1, _BAND_BYTES // (row_bytes * 8))
    previous = np.zeros(row_bytes, np.uint8)
    for y0 in range(0, h, band):
        part = samples[y0 : y0 + band]
        if depth == 2:
            part = part.astype(">u2")
        rows = np.ascontiguousarray(part).view(np.uint8).reshape(len(part), row_bytes)
        up_rows = np.concatenate([previous[None], rows[:-1]])
        left = np.zeros_like(rows)
        left[:, bpp:] = rows[:, :-bpp]
        up_left = np.zeros_like(rows)
        up_left[:, bpp:] = up_rows[:, :-bpp]
        a, b, cc = (v.astype(np.int16) for v in (left, up_rows, up_left))
        pa, pb, pc = np.abs(b - cc), np.abs(a - cc), np.abs(a + b - 2 * cc)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up_rows, up_left))
        filtered = np.stack([rows - left, rows - up_rows, rows - paeth])  # filters 1, 2, 4
        cost = np.abs(filtered.view(np.int8).astype(np.int16)).sum(axis=2)
        best = cost.argmin(axis=0)
        out = np.empty((len(rows), row_bytes + 1), np.uint8)
        out[:, 0] = np.array([1, 2, 4], np.uint8)[best]
        out[:, 1:] = filtered[best, np.arange(len(rows))]
        previous = rows[-1].copy()
        yield out.tobytes()


def _png(
    fh: BinaryIO,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    *,
    icc: bytes | None,
    dpi: tuple[float, float] | None,
    exif: Any,
    text: dict[str, str] | None,
    software: str | None,
    xmp: bytes | None = None,
) -> None:
    samples = _channels(pixels, alpha)
    h, w, c = samples.shape
    bits = samples.dtype.itemsize * 8
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    fh.write(b"\x89PNG\r\n\x1a\n")
    _chunk(fh, b"IHDR", struct.pack(">IIBBBBB", w, h, bits, colour_type, 0, 0, 0))
    if icc:
        _chunk(fh, b"iCCP", b"ICC profile\0\0" + zlib.compress(icc, 9))
    if dpi is not None:
        ppm = [max(1, round(d / 0.0254)) for d in dpi]
        _chunk(fh, b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1))
    data = _exif_bytes(exif)
    if data:
        _chunk(fh, b"eXIf", data)
    notes = dict(text or {})
    if software:
        notes["Software"] = software
    for key, value in notes.items():
        _chunk(fh, *_png_text(key, value))
    if xmp:
        # XMP's own rule for PNG: an uncompressed iTXt under this keyword
        _chunk(fh, b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp)
    z = zlib.compressobj(6)
    for band in _png_rows(samples):
        piece = z.compress(band)
        if piece:
            _chunk(fh, b"IDAT", piece)
    _chunk(fh, b"IDAT", z.flush())
    _chunk(fh, b"IEND", b"")


# --------------------------------------------------------------------------- TIFF


def _tiff_strips(samples: np.ndarray, rows: int) -> list[bytes]:
    """Deflate strips of `rows` rows, horizontally differenced (predictor 2), little-endian."""
    strips = []
    for y0 in range(0, samples.shape[0], rows):
        part = samples[y0 : y0 + rows]
        diff = part.copy()
        diff[:, 1:] -= part[:, :-1]  # unsigned: wraps, as the predictor wants
        strips.append(zlib.compress(np.ascontiguousarray(diff.astype(f"<u{diff.itemsize}")), 6))
    return strips


def _tiff(
    fh: BinaryIO,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    *,
    icc: bytes | None,
    dpi: tuple[float, float] | None,
    exif: Any,
    xmp: bytes | None = None,
) -> None:
    from PIL import TiffImagePlugin, TiffTags

    if alpha is not None and pixels.ndim == 2 and pixels.dtype == np.uint16:
        # 16-bit grey + alpha is valid TIFF that few readers take (Pillow does not): RGBA.
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    samples = _channels(pixels, alpha)
    h, w, c = samples.shape
    bits = samples.dtype.itemsize * 8
    rows = max(1, min(h, (1 << 20) // (w * c * samples.dtype.itemsize)))
    strips = _tiff_strips(samples, rows)
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    if exif is not None:
        for tag in exif:
            if tag not in (_EXIF_IFD, _GPS_IFD):
                ifd[tag] = exif[tag]
        for tag in (_EXIF_IFD, _GPS_IFD):  # kept beside IFD0's tags, not among them
            nested = dict(exif.get_ifd(tag))
            if nested:
                ifd[tag] = nested
                ifd.tagtype[tag] = TiffTags.LONG
    ifd[256], ifd[257] = w, h
    ifd[258] = (bits,) * c
    ifd[259] = 8  # Adobe Deflate
    ifd[262] = 1 if c <= 2 else 2  # BlackIsZero or RGB
    ifd[277] = c
    ifd[278] = rows
    ifd[284] = 1  # chunky
    ifd[317] = 2  # horizontal differencing
    ifd[339] = (1,) * c  # unsigned integers
    if alpha is not None:
        ifd[338] = (2,)  # unassociated alpha
    if dpi is not None:
        ifd[_X_RES], ifd[_Y_RES], ifd[_RES_UNIT] = float(dpi[0]), float(dpi[1]), 2
    if icc:
        ifd[34675] = icc
        ifd.tagtype[34675] = TiffTags.UNDEFINED
    if xmp:
        ifd[700] = xmp  # XMLPacket
        ifd.tagtype[700] = TiffTags.BYTE
    # Strip offsets are counted from the end of the directory; Pillow adds its length.
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in strips[:-1]])]).astype(int)
    ifd[273] = tuple(int(o) for o in offsets)
    ifd[279] = tuple(len(s) for s in strips)
    ifd.tagtype[273] = ifd.tagtype[279] = TiffTags.LONG
    head = io.BytesIO()
    head.write(b"II*\x00" + struct.pack("<I", 8))
    head.write(ifd.tobytes(8))
    fh.write(head.getvalue())
    for strip in strips:
        fh.write(strip)
