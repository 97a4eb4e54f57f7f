"""Small synthetic photographs for tests, with what real photos carry.

A scan or a camera file is more than pixels: EXIF (with an embedded thumbnail of
the picture as taken, and a maker note), an ICC profile, a resolution, an alpha
channel, a palette, CMYK, 16 bits. Each helper here writes one such file in
milliseconds, so no test needs a photo from outside the repository.
"""

from __future__ import annotations

import functools
import io
import struct
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageCms

THUMBNAIL_MARK = b"PANCHRO-TEST-THUMBNAIL"  # in the thumbnail's JPEG comment: findable bytes
MAKER_NOTE = b"PANCHRO-TEST-MAKERNOTE preview of the original"


def photo_pixels(
    size: tuple[int, int] = (96, 64), *, grey: bool = True, seed: int = 0
) -> np.ndarray:
    """uint8 (h, w) or (h, w, 3): gradients, a bright disc and a little noise."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = 0.2 + 0.6 * x / max(w - 1, 1) + 0.1 * np.sin(y / 5.0)
    img[(x - w / 3) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 4) ** 2] = 0.95
    img = img + np.random.default_rng(seed).normal(0, 0.02, img.shape)
    grey_img = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    if grey:
        return grey_img
    rgb = np.stack([grey_img, (grey_img * 0.8).astype(np.uint8), 255 - grey_img], axis=-1)
    return np.ascontiguousarray(rgb)


def snapshot_pixels(size: tuple[int, int] = (96, 64)) -> np.ndarray:
    """uint8 (h, w, 3): a colour snapshot, beyond doubt (`color.in_colour`): red, green and
    blue bands, over a little of `photo_pixels`' shading."""
    w, h = size
    shade = photo_pixels(size).astype(np.float32) / 255.0
    bands = np.array([(170, 60, 60), (60, 150, 60), (60, 90, 200)], np.float32)
    rgb = bands[np.arange(w) * 3 // w][None, :, :] * (0.8 + 0.4 * shade[..., None])
    return np.clip(rgb, 0, 255).astype(np.uint8)


@functools.cache
def srgb_profile() -> bytes:
    # Made once: LittleCMS stamps a new profile with the time, so two made a second apart
    # differ (a test comparing an output's profile with a fresh one failed on that).
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _thumbnail_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buf, "JPEG", comment=THUMBNAIL_MARK)
    return buf.getvalue()


def exif_with_thumbnail(
    *, orientation: int = 6, description: str = "Grandma at the lake, 1950"
) -> bytes:
    """An APP1 EXIF block ("Exif\\0\\0" + TIFF): camera, dates, description, orientation, a
    maker note, the picture's size in the Exif IFD, and an IFD1 with a JPEG thumbnail."""
    exif = Image.Exif()
    exif[0x010F] = "Kodak"
    exif[0x0110] = "Brownie Hawkeye"
    exif[0x0132] = "1950:07:14 15:30:00"
    exif[0x010E] = description
    exif[0x0112] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[0x9003] = "1950:07:14 15:30:00"  # DateTimeOriginal
    sub[0x927C] = MAKER_NOTE
    sub[0xA002], sub[0xA003] = 96, 64
    data = exif.tobytes()[6:]  # the TIFF structure
    order = "<" if data[:2] == b"II" else ">"
    ifd0 = struct.unpack(order + "I", data[4:8])[0]
    count = struct.unpack(order + "H", data[ifd0 : ifd0 + 2])[0]
    next_at = ifd0 + 2 + 12 * count
    thumb = _thumbnail_jpeg()
    ifd1 = len(data) + len(data) % 2
    body = bytearray(data + b"\0" * (len(data) % 2))
    body[next_at : next_at + 4] = struct.pack(order + "I", ifd1)
    thumb_at = ifd1 + 2 + 3 * 12 + 4
    entries = [(0x0103, 3, 1, 6), (0x0201, 4, 1, thumb_at), (0x0202, 4, 1, len(thumb))]
    body += struct.pack(order + "H", len(entries))
    for tag, typ, n, value in entries:
        packed = struct.pack(order + ("Hxx" if typ == 3 else "I"), value)
        body += struct.pack(order + "HHI", tag, typ, n) + packed
    body += struct.pack(order + "I", 0) + thumb
    return b"Exif\x00\x00" + bytes(body)


def camera_jpeg(path: Path, *, grey: bool = True, size: tuple[int, int] = (96, 64)) -> Path:
    """A JPEG as a camera or a scanner writes it: EXIF with a thumbnail, sRGB ICC, 300 dpi."""
    Image.fromarray(photo_pixels(size, grey=grey)).save(
        path,
        "JPEG",
        quality=92,
        exif=exif_with_thumbnail(),
        icc_profile=srgb_profile(),
        dpi=(300, 300),
    )
    return path


def png(path: Path, pixels: np.ndarray, alpha: np.ndarray | None = None) -> Path:
    """A plain PNG of uint8 pixels (grey or RGB), with alpha if given (Pillow writes it)."""
    im = Image.fromarray(pixels)
    if alpha is not None:
        im.putalpha(Image.fromarray(alpha))
    im.save(path, "PNG")
    return path


def palette_png(path: Path) -> Path:
    """A palette PNG whose index 0 is transparent."""
    im = Image.fromarray(photo_pixels(grey=False)).convert("P", palette=Image.Palette.ADAPTIVE)
    im.save(path, "PNG", transparency=0)
    return path


def cmyk_jpeg(path: Path) -> Path:
    """A CMYK JPEG (Adobe's kind, as print workflows leave them), without a profile."""
    Image.fromarray(photo_pixels(grey=False)).convert("CMYK").save(path, "JPEG", quality=95)
    return path


def sixteen_bit(path: Path, *, grey: bool) -> np.ndarray:
    """A 16-bit PNG or TIFF (by `path`'s extension) written by FFmpeg; returns its samples."""
    from tests.makemedia import write_still

    base = photo_pixels(grey=grey).astype(np.uint16) * 257
    samples = base ^ np.random.default_rng(1).integers(0, 256, base.shape, dtype=np.uint16)
    write_still(path, samples)
    return samples
