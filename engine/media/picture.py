"""One photograph read whole, with what a photo carries besides its pixels.

A film frame is read by FFmpeg as planar YCbCr (`media.source`); a photograph
is read here, by Pillow, because a photo is more than pixels: its ICC profile,
its resolution (DPI), its EXIF (date, camera, description) and an alpha
channel all have to reach the restored copy, and Pillow reads them from JPEG,
PNG, TIFF, WebP and BMP alike. Pillow gives 16-bit colour only as 8 bits, so
the pixels of 16-bit colour PNG/TIFF come from FFmpeg instead (its metadata
still from Pillow).

What `read_picture` decides, so every caller gets the same picture:

* Palette pictures become RGB (RGBA when the palette has transparency), CMYK
  becomes RGB (through its ICC profile when it has one, the profile then
  dropped: the pixels are sRGB), 1-bit becomes grey; the notes say so.
* The EXIF orientation is applied to the pixels and the tag set to 1: the
  picture is restored upright (the colorizer learnt skies at the top) and the
  result shows the same in a viewer that reads the tag and in one that does
  not. Pillow already does this for TIFF; here it is done for every format
  and for the 16-bit pixels FFmpeg reads, so all of them agree.
* The EXIF that travels (`clean_exif`) is the description, camera, dates,
  authorship and GPS; never the embedded thumbnail (IFD1), whose pixels are
  the grey original, nor the maker note (cameras keep previews there), nor the
  tags that describe the stored pixel layout of a TIFF.
* The XMP packet travels too (`clean_xmp`: title, keywords, rights, whatever an
  archive wrote there), without its thumbnails (`xmp:Thumbnails` holds a JPEG of
  the grey original) and with `tiff:Orientation` 1, as the pixels are upright.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.errors import BadInputError

# Extensions read as one photograph, and those written (with Pillow's format names).
PICTURE_INPUTS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")
PICTURE_OUTPUTS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}
LOSSY = ("JPEG", "WEBP")  # the formats --quality is for; the others are lossless
EIGHT_BIT_ONLY = ("JPEG", "WEBP")
# The largest side each output format stores (WebP: 14 bits; JPEG: 16 bits).
MAX_SIDE = {"JPEG": 65_535, "WEBP": 16_383, "PNG": 2**31 - 1, "TIFF": 2**31 - 1}

# IFD0 tags that describe the picture rather than its stored layout: the ones carried.
_KEEP_IFD0 = frozenset(
    {
        0x010D,  # DocumentName
        0x010E,  # ImageDescription
        0x010F,  # Make
        0x0110,  # Model
        0x0112,  # Orientation (1 once the pixels are turned: `read_picture`)
        0x0131,  # Software (replaced by the writer's note)
        0x0132,  # DateTime
        0x013B,  # Artist
        0x013C,  # HostComputer
        0x4746,  # Rating
        0x4749,  # RatingPercent
        0x8298,  # Copyright
        0x9C9B,  # XPTitle
        0x9C9C,  # XPComment
        0x9C9D,  # XPAuthor
        0x9C9E,  # XPKeywords
        0x9C9F,  # XPSubject
    }
)
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
# Left out of the Exif IFD: the maker note (may hold a preview of the original) and the
# pointer to the interoperability IFD (its offsets would not survive a new file).
_DROP_EXIF = frozenset({0x927C, 0xA005})
PIXEL_X, PIXEL_Y = 0xA002, 0xA003  # the Exif IFD's own record of the picture's size
SOFTWARE = 0x0131
ORIENTATION = 0x0112
_X_RESOLUTION = 282


@dataclass
class Picture:
    """A photograph in memory: pixels, alpha, depth and the metadata that travels.

    `pixels` is (H, W) grey or (H, W, 3) RGB, uint8 or uint16 (`bits`) as stored
    (full range, gamma-encoded). `alpha` is (H, W) of the same dtype, or None.
    """

    path: str
    format: str  # Pillow's name: "JPEG", "PNG", "TIFF", "WEBP", "BMP"
    pixels: np.ndarray
    alpha: np.ndarray | None
    bits: int  # 8 or 16
    icc: bytes | None = None
    dpi: tuple[float, float] | None = None
    exif: Any = None  # PIL.Image.Exif (cleaned: see `clean_exif`), or None
    text: dict[str, str] = field(default_factory=dict)  # PNG text chunks
    notes: list[str] = field(default_factory=list)
    xmp: bytes | None = None  # the XMP packet (cleaned: see `clean_xmp`), or None

    @property
    def grey(self) -> bool:
        return self.pixels.ndim == 2

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def is_picture_path(path: str | os.PathLike[str]) -> bool:
    """Whether `path` names one photograph (by its extension; a folder never does)."""
    p = Path(path)
    return p.suffix.lower() in PICTURE_INPUTS and not p.is_dir()


def picture_format(path: str | os.PathLike[str]) -> str:
    """The format a picture written at `path` takes (from its extension), or BadInputError
    (a name that cannot be used: nothing done, exit 2, as a film's name its codec refuses)."""
    ext = Path(path).suffix.lower()
    if ext not in PICTURE_OUTPUTS:
        shown = f"'{ext}'" if ext else "a name without an extension"
        raise BadInputError(
            f"{shown} is not a picture format Panchro writes; use "
            + ", ".join(PICTURE_OUTPUTS)
            + " (or .mp4, .mov, .mkv for a one-frame film)",
            path=path,
        )
    return PICTURE_OUTPUTS[ext]


def icc_colour_space(icc: bytes | None) -> str | None:
    """The data colour space an ICC profile describes ("RGB", "GRAY", "CMYK", ...)."""
    if not icc or len(icc) < 20:
        return None
    return icc[16:20].decode("latin-1").strip() or None


# --------------------------------------------------------------------------- reading


def _rawmode(im: Any) -> str:
    """How the file stores its samples ("RGB;16B", "I;16", ...): Pillow's tile rawmode."""
    tile = getattr(im, "tile", None) or []
    if not tile:
        return ""
    args = tile[0].args if hasattr(tile[0], "args") else tile[0][3]
    if isinstance(args, tuple):
        args = args[0] if args else ""
    return args if isinstance(args, str) else ""


def _sixteen_bit_colour(im: Any) -> bool:
    """A 16-bit colour (or grey + alpha) file, which Pillow would hand over as 8 bits."""
    return not im.mode.startswith("I") and ";16" in _rawmode(im)


def _truncated(path: Path, im: Any) -> BadInputError:
    size = path.stat().st_size
    what = f"a {im.format} of {im.width}x{im.height}" if im is not None else "a picture"
    return BadInputError(
        f"is {what} cut short: the file ends (at {size:,} bytes) before the picture's data "
        "does; use a complete copy",
        path=path,
    )


def read_picture(path: str | os.PathLike[str]) -> Picture:
    """The photograph at `path`, pixels and metadata; BadInputError says why not.

    A file that is not a picture, a truncated one (what is there is said) and one
    too large to hold are refused; awkward modes are converted (module docstring).
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path).expanduser()
    if not os.path.lexists(p):
        raise BadInputError("does not exist", path=p)
    if p.is_dir():
        raise BadInputError("is a folder; give one picture", path=p)
    if not os.access(p, os.R_OK):
        raise BadInputError("cannot be read (permission denied)", path=p)
    if p.stat().st_size == 0:
        raise BadInputError("is empty (0 bytes)", path=p)
    im = None
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 Mpx on; a big scan is no decompression bomb. Its words on
            # a damaged EXIF block are said in the picture's notes, not on the terminal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
            with _open_upright(p) as im:
                pic = _read_open(p, im)
    except UnidentifiedImageError:
        kind = _magic_kind(p)
        if kind is not None:
            raise BadInputError(
                f"is a {kind} whose picture cannot be found: cut short or damaged; use a "
                "complete copy",
                path=p,
            ) from None
        raise BadInputError(
            f"has a {p.suffix} name but is not a picture (no JPEG, PNG, TIFF, WebP or BMP "
            "data in it)",
            path=p,
        ) from None
    except Image.DecompressionBombError as err:
        raise BadInputError(f"is too large to read ({err})", path=p) from None
    except OSError as err:
        if "truncated" in str(err) or "broken data stream" in str(err):
            raise _truncated(p, im) from None
        raise BadInputError(f"cannot be read as a picture ({err})", path=p) from None
    except (ValueError, SyntaxError) as err:
        raise BadInputError(f"cannot be read as a picture ({err})", path=p) from None
    return pic


# A file's first bytes -> its format: a file that has them but that Pillow cannot open is
# damaged, not something else.
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"), (b"II+\x00", "TIFF"), (b"MM\x00+", "TIFF"), (b"BM", "BMP"),
)  # fmt: skip


def _magic_kind(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


_LIBTIFF = threading.Lock()


def _open_upright(path: Path) -> Any:
    """`Image.open(path)`; an uncompressed TIFF stored turned (orientation 5 to 8) opened to
    be read by libtiff, since Pillow's own reader of it turns its size and not its samples:
    the picture comes out in stripes."""
    from PIL import Image, TiffImagePlugin

    im = Image.open(path)
    if im.format != "TIFF" or getattr(im, "_compression", None) != "raw":
        return im
    if _orientation_of_tiff(im) not in (5, 6, 7, 8):
        return im
    im.close()
    with _LIBTIFF:  # Pillow reads the switch as a file is opened: held for that alone
        TiffImagePlugin.READ_LIBTIFF = True
        try:
            return Image.open(path)
        finally:
            TiffImagePlugin.READ_LIBTIFF = False


def _read_open(path: Path, im: Any) -> Picture:
    """Pixels and metadata of an opened Pillow image (module docstring: what is converted)."""
    notes: list[str] = []
    if getattr(im, "n_frames", 1) > 1:
        notes.append(f"{im.n_frames} pictures in the file: the first is restored")
    sixteen = _sixteen_bit_colour(im)  # before getexif(), which may load the pixels
    info = dict(im.info)
    icc = info.get("icc_profile") or None
    dpi = _dpi(info.get("dpi"))
    if im.format == "TIFF" and _X_RESOLUTION not in getattr(im, "tag_v2", {}):
        dpi = None  # Pillow's 1 dpi where the TIFF says nothing: a 300-px scan 300 inches wide
    elif im.format in ("JPEG", "MPO") and info.get("jfif_unit", 0) == 0 and not _exif_sizes(im):
        dpi = None  # Pillow's 72 dpi where a JPEG with EXIF says nothing: not the file's
    try:
        exif = clean_exif(im.getexif())
    except Exception as err:  # noqa: BLE001 - a broken EXIF block costs the EXIF, not the photo
        exif = None
        notes.append(f"the EXIF cannot be read ({err}) and was left out")
    text = {
        str(k): str(v)
        for k, v in (getattr(im, "text", None) or {}).items()
        if not str(k).startswith("Raw profile type") and k != "XML:com.adobe.xmp"
    }
    xmp = clean_xmp(info.get("xmp"))
    fmt = im.format or "?"
    # Pillow's TIFF reader turns the picture by its tag itself (and drops the tag).
    turn = 1 if fmt == "TIFF" else _orientation(exif)
    if exif is not None and ORIENTATION in exif:
        exif[ORIENTATION] = 1
    if sixteen:
        stored = im.size if fmt != "TIFF" else _stored_size(im)
        pixels, alpha = _sixteen_bit_pixels(path, stored)
        if fmt == "TIFF":
            turn = _orientation_of_tiff(im)
        pixels, alpha = orient(pixels, turn), None if alpha is None else orient(alpha, turn)
        return Picture(str(path), fmt, pixels, alpha, 16, icc, dpi, exif, text, notes, xmp)
    im.load()
    mode = im.mode
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
        notes.append("palette picture converted to " + ("RGBA" if has_alpha else "RGB"))
    elif mode == "1":
        im = im.convert("L")
        notes.append("1-bit picture read as 8-bit grey")
    elif mode == "CMYK":
        im, icc = _from_cmyk(im, icc, notes)
    elif mode in ("LAB", "YCbCr", "HSV", "RGBX", "RGBa", "La"):
        im = im.convert("RGBA" if mode in ("RGBa", "La") else "RGB")
        notes.append(f"{mode} picture converted to {im.mode}")
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        a = np.asarray(im)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise BadInputError(f"holds 32-bit values {a.min()}..{a.max()}", path=path)
        pixels = np.ascontiguousarray(orient(a.astype(np.uint16), turn))
        return Picture(str(path), fmt, pixels, None, 16, icc, dpi, exif, text, notes, xmp)
    if mode == "F":
        raise BadInputError("holds floating-point samples, which Panchro does not read", path=path)
    if mode not in ("L", "LA", "RGB", "RGBA"):
        im = im.convert("RGB")
        notes.append(f"{mode} picture converted to RGB")
        mode = "RGB"
    a = orient(np.asarray(im), turn)
    alpha = None
    if mode in ("LA", "RGBA"):
        alpha = np.ascontiguousarray(a[..., -1])
        a = a[..., 0] if mode == "LA" else a[..., :3]
    pixels = np.ascontiguousarray(a, dtype=np.uint8)
    return Picture(str(path), fmt, pixels, alpha, 8, icc, dpi, exif, text, notes, xmp)


def _orientation(exif: Any) -> int:
    value = exif.get(ORIENTATION, 1) if exif is not None else 1
    return int(value) if value in range(1, 9) else 1


def _orientation_of_tiff(im: Any) -> int:
    """A TIFF's orientation as stored (Pillow hands its size over already turned)."""
    value = getattr(im, "tag_v2", {}).get(ORIENTATION, 1)
    return int(value) if value in range(1, 9) else 1


def _stored_size(im: Any) -> tuple[int, int]:
    w, h = im.size
    return (h, w) if _orientation_of_tiff(im) in (5, 6, 7, 8) else (w, h)


def orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Samples (H, W, ...) as stored -> upright, for an EXIF orientation 1..8 (as Pillow's
    `ImageOps.exif_transpose`)."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return a.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(a, -1)
    if orientation == 7:
        return a[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(a, 1)
    return a


def _from_cmyk(im: Any, icc: bytes | None, notes: list[str]) -> tuple[Any, bytes | None]:
    """RGB from CMYK: through the picture's own profile to sRGB when it has one."""
    if icc and icc_colour_space(icc) == "CMYK":
        try:
            import io

            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            rgb = ImageCms.profileToProfile(im, src, srgb, outputMode="RGB")
            notes.append("CMYK picture converted to sRGB through its colour profile")
            return rgb, None
        except Exception as err:  # noqa: BLE001 - a broken profile: fall back, and say so
            notes.append(f"CMYK picture's colour profile cannot be used ({err})")
    notes.append("CMYK picture converted to RGB without a colour profile")
    return im.convert("RGB"), None


def _sixteen_bit_pixels(path: Path, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """16-bit colour (or grey + alpha) pixels, read by FFmpeg: (H, W, 3) and alpha or None."""
    from panchro.engine.media.stills import _decode_still

    frame = _decode_still(path)
    if (frame.width, frame.height) != size:
        raise BadInputError(
            f"FFmpeg reads it as {frame.width}x{frame.height}, its header says {size[0]}x{size[1]}",
            path=path,
        )
    has_alpha = any(c.is_alpha for c in frame.format.components)
    if has_alpha:
        a = frame.reformat(format="rgba64le", threads=1).to_ndarray()  # `sws_threads`
        return np.ascontiguousarray(a[..., :3]), np.ascontiguousarray(a[..., 3])
    return np.ascontiguousarray(frame.reformat(format="rgb48le", threads=1).to_ndarray()), None


def _exif_sizes(im: Any) -> bool:
    """Whether the EXIF of an opened picture gives its resolution."""
    try:
        return _X_RESOLUTION in im.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block gives nothing
        return False


def _dpi(value: Any) -> tuple[float, float] | None:
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not (x > 0 and y > 0):
        return None
    # PNG stores pixels a metre: 300 dpi comes back as 299.9994. Keep the round figure.
    return tuple(float(round(v)) if abs(v - round(v)) < 0.01 else v for v in (x, y))  # type: ignore[return-value]


def clean_exif(exif: Any) -> Any:
    """A new `PIL.Image.Exif` with what travels to the restored picture, or None if nothing.

    IFD0's descriptive tags (`_KEEP_IFD0`), the Exif IFD without the maker note, and
    the GPS IFD. Pillow writes no IFD1, so the embedded thumbnail never follows.
    """
    from PIL import Image

    if exif is None:
        return None
    out = Image.Exif()
    for tag in _KEEP_IFD0:
        if tag in exif:
            out[tag] = exif[tag]
    try:
        sub = {k: v for k, v in exif.get_ifd(_EXIF_IFD).items() if k not in _DROP_EXIF}
        gps = dict(exif.get_ifd(_GPS_IFD))
    except Exception:  # noqa: BLE001 - a broken sub-IFD: keep what IFD0 had
        sub, gps = {}, {}
    if sub:
        out.get_ifd(_EXIF_IFD).update(sub)
    if gps:
        out.get_ifd(_GPS_IFD).update(gps)
    return out if len(out) or sub or gps else None


# An element (with its content) whose name ends in ":Thumbnails", e.g. xmp:Thumbnails.
_XMP_THUMBNAILS = re.compile(
    rb"<(?P<tag>[\w.-]+:Thumbnails)\b[^>]*?(?:/>|>.*?</(?P=tag)\s*>)", re.DOTALL
)


def _xmp_set(xmp: bytes, name: bytes, value: int) -> bytes:
    """`name` (e.g. b"tiff:Orientation") set to `value` where the packet has it, in either
    of RDF's forms: an attribute name="6" or an element <name>6</name>."""
    n = re.escape(name)
    v = str(int(value)).encode()
    xmp = re.sub(rb"(\b" + n + rb"\s*=\s*)([\"'])[^\"']*\2", rb"\g<1>\g<2>" + v + rb"\g<2>", xmp)
    return re.sub(rb"(<" + n + rb">)[^<]*(</" + n + rb">)", rb"\g<1>" + v + rb"\g<2>", xmp)


def clean_xmp(xmp: Any) -> bytes | None:
    """The XMP packet that travels to the restored picture, or None if there is none: its
    thumbnails left out (their pixels are the grey original) and `tiff:Orientation` 1 (the
    pixels are read upright). Text that is not an XMP packet is dropped."""
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if not isinstance(xmp, bytes) or b"xmpmeta" not in xmp and b"rdf:RDF" not in xmp:
        return None
    xmp = _XMP_THUMBNAILS.sub(b"", xmp)
    return _xmp_set(xmp, b"tiff:Orientation", 1)


def xmp_for_size(xmp: bytes | None, width: int, height: int) -> bytes | None:
    """The packet's record of the picture's size (EXIF's pixel dimensions, TIFF's width and
    length) brought to `width` x `height`, where it has one."""
    if xmp is None:
        return None
    for name, value in (
        (b"exif:PixelXDimension", width),
        (b"exif:PixelYDimension", height),
        (b"tiff:ImageWidth", width),
        (b"tiff:ImageLength", height),
    ):
        xmp = _xmp_set(xmp, name, value)
    return xmp


def check_picture_size(fmt: str, width: int, height: int) -> None:
    """BadInputError, before any work, when `fmt` cannot store a `width` x `height` picture."""
    top = MAX_SIDE[fmt]
    if max(width, height) > top:
        raise BadInputError(
            f"a {width}x{height} picture is too large for {fmt} (at most {top:,} pixels a "
            "side); write .png or .tif, or use a smaller --upscale"
        )
