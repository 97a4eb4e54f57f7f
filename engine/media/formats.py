"""What Panchro reads and writes, as tables and checks that need no file open.

The codecs and containers a film can be written to, the pixel layouts frames
come in (`Fmt`), FFmpeg's colour codes and the names `MediaInfo` uses for them,
and the largest picture each codec can carry. They live apart from the reading
and writing code so that a restore can refuse a codec, a path or a picture size
before any work starts, and so that reader and writer agree on one table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import av
import numpy as np

from panchro.engine.errors import BadInputError, OutputError

# --------------------------------------------------------------------------- pixels and colour


Fmt = Literal["rgb24", "rgb48", "gray", "gray16", "yuv444p", "yuv444p16"]
CODECS = ("h264", "h265", "prores", "ffv1", "png16", "tiff16", "dpx")

IMAGE_EXTENSIONS = {
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".dpx": "dpx",
}
VIDEO_CONTAINERS = (".mp4", ".mov", ".mkv")

# fmt -> (PyAV pixel format, channels or 0 for a 2-D array, dtype)
_FMTS: dict[str, tuple[str, int, type]] = {
    "rgb24": ("rgb24", 3, np.uint8),
    "rgb48": ("rgb48le", 3, np.uint16),
    "gray": ("gray", 0, np.uint8),
    "gray16": ("gray16le", 0, np.uint16),
    "yuv444p": ("yuv444p", 3, np.uint8),
    "yuv444p16": ("yuv444p16le", 3, np.uint16),
}

# FFmpeg's AVColorSpace / AVColorRange / AVColorPrimaries / AVColorTransferCharacteristic
# codes and the names MediaInfo uses. BT.470BG (5) and SMPTE 170M (6) are the same
# BT.601 matrix; on writing, primaries decide which of the two codes goes back.
_MATRIX_NAMES = {
    0: "rgb",
    1: "bt709",
    4: "fcc",
    5: "bt601",
    6: "bt601",
    7: "smpte240m",
    8: "ycgco",
    9: "bt2020nc",
    10: "bt2020c",
    11: "smpte2085",
    14: "ictcp",
}
_MATRIX_CODES = {"rgb": 0, "bt709": 1, "fcc": 4, "bt601": 6, "smpte240m": 7, "ycgco": 8}
_MATRIX_CODES |= {"bt2020nc": 9, "bt2020c": 10, "smpte2085": 11, "ictcp": 14}
_RANGE_NAMES = {1: "limited", 2: "full"}
_RANGE_CODES = {"limited": 1, "full": 2}
_PRIMARIES_NAMES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "film",
    9: "bt2020",
    10: "smpte428",
    11: "smpte431",
    12: "smpte432",
    22: "ebu3213",
}
_TRANSFER_NAMES = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    9: "log100",
    10: "log316",
    11: "iec61966-2-4",
    12: "bt1361e",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    17: "smpte428",
    18: "arib-std-b67",
}
# swscale's own colour-space constants (SWS_CS_*), which differ from AVColorSpace.
_SWS_CS = {"bt709": 1, "fcc": 4, "bt601": 5, "smpte240m": 7, "bt2020nc": 9, "bt2020c": 9}


def _invert(table: dict[int, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for code, name in table.items():
        out.setdefault(name, code)
    return out


_PRIMARIES_CODES = _invert(_PRIMARIES_NAMES)
_TRANSFER_CODES = _invert(_TRANSFER_NAMES)


def default_matrix(width: int, height: int) -> str:
    """The matrix assumed for untagged YCbCr: BT.709 for HD (720 lines or more), else BT.601."""
    return "bt709" if height >= 720 or width >= 1280 else "bt601"


def _bit_depth(pix_fmt: str) -> int:
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, TypeError):
        return 8


def sws_threads(src: str, dst: str) -> int | None:
    """The threads swscale may convert `src` to `dst` with (PyAV's `threads`; None: as many
    as it likes). One where either side is deeper than 8 bits: FFmpeg 8's swscale, sliced
    across threads, now and then writes rows of such a conversion from memory it has not
    filled (gray16, yuv444p16, yuv420p10 and yuv422p10 from RGB or grey: a frame's row in
    a hundred came back as noise, measured), which one thread never does."""
    return 1 if max(_bit_depth(src), _bit_depth(dst)) > 8 else None


def _code(value: Any, unspecified: int) -> int:
    return unspecified if value is None else int(value)


def _colour_tags(obj: Any) -> dict[str, str | None]:
    return {
        "color_matrix": _MATRIX_NAMES.get(_code(obj.colorspace, 2)),
        "color_range": _RANGE_NAMES.get(_code(obj.color_range, 0)),
        "color_primaries": _PRIMARIES_NAMES.get(_code(obj.color_primaries, 2)),
        "color_transfer": _TRANSFER_NAMES.get(_code(obj.color_trc, 2)),
    }


# --------------------------------------------------------------------------- sizes


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The largest even size within `max_side` that keeps the aspect ratio; never enlarges."""
    if width <= 0 or height <= 0 or max_side < 2:
        raise ValueError(f"bad size {width}x{height} or max_side {max_side}")
    scale = min(1.0, max_side / max(width, height))
    # Round down to even: never past max_side, never larger than the original.
    w = max(2, int(width * scale + 1e-9) // 2 * 2)
    h = max(2, int(height * scale + 1e-9) // 2 * 2)
    return w, h


def even_size(codec: str, width: int, height: int) -> tuple[int, int]:
    """The smallest size at least `width` x `height` that `codec` can hold (4:2:0 needs
    even sides, ProRes 4:2:2 an even width)."""
    if codec in ("h264", "h265"):
        return width + width % 2, height + height % 2
    if codec == "prores":
        return width + width % 2, height
    return width, height


# --------------------------------------------------------------------------- codecs and outputs


_CONTAINERS = {
    "h264": (".mp4", ".mov", ".mkv"),
    "h265": (".mp4", ".mov", ".mkv"),
    "prores": (".mov", ".mkv"),
    "ffv1": (".mkv",),
}
_CODEC_LABEL = {
    "h264": "H.264",
    "h265": "H.265",
    "prores": "ProRes",
    "ffv1": "FFV1",
    "png16": "PNG",
    "tiff16": "TIFF",
    "dpx": "DPX",
}

_SEQUENCE_EXT = {"png16": ".png", "tiff16": ".tif", "dpx": ".dpx"}
# The codecs that write a folder of frames, one file each, rather than a film file.
SEQUENCE_CODECS = tuple(_SEQUENCE_EXT)


def codec_label(codec: str) -> str:
    return _CODEC_LABEL.get(codec, codec)


def sequence_name(index: int, ext: str) -> str:
    """The file name of frame `index` in a png16/tiff16 sequence (`ext` with its dot)."""
    return f"frame_{index:06d}{ext}"


def output_extension(codec: str, path: str | Path) -> str:
    """The extension a file of `codec` written at `path` carries: the path's own for films,
    the frame files' (".png", ".tif") for image sequences."""
    if codec in _SEQUENCE_EXT:
        return _SEQUENCE_EXT[codec]
    return Path(path).suffix.lower()


def _looks_like_sequence(folder: Path) -> bool:
    return all(
        p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
        for p in folder.iterdir()
        if not p.name.startswith(".")
    )


def coded_bits(codec: str, bit_depth: int) -> int:
    """The bits a sample is written with when `bit_depth` is asked of `codec`: DPX, the film
    scanners' and grading suites' exchange format, is written with 10 bits (the scans' own
    depth) unless 12 or 16 are asked, never 8; 16-bit PNG and TIFF frames with 16 whatever
    is asked (their files hold 16, and a restore made at 8 filled them with 8 bits' steps);
    the others as asked."""
    if codec == "dpx":
        return 16 if bit_depth >= 16 else 12 if bit_depth == 12 else 10
    if codec == "prores":  # FFmpeg's ProRes (4:2:2) is 10 bits, whatever is asked
        return 10
    if codec in ("png16", "tiff16"):
        return 16
    return bit_depth


def most_bits(codec: str) -> int:
    """The most bits a sample of `codec` is written with (H.264, H.265 and ProRes: 10)."""
    return 10 if codec in ("h264", "h265", "prores") else 16


def check_codec(codec: str, bit_depth: int) -> None:
    """BadInputError unless `codec` can be written with `bit_depth` bits."""
    if codec not in CODECS:
        raise BadInputError(f"unknown codec {codec!r}; choose one of {', '.join(CODECS)}")
    if codec == "prores" and bit_depth not in (8, 10):  # 8: the default, nothing asked
        raise BadInputError(f"ProRes is written with 10 bits, not {bit_depth}")
    if most_bits(codec) == 10 and bit_depth not in (8, 10):
        raise BadInputError(f"{_CODEC_LABEL[codec]} is written with 8 or 10 bits, not {bit_depth}")
    if bit_depth not in (8, 10, 12, 16):
        raise BadInputError(f"bit depth must be 8, 10, 12 or 16, not {bit_depth}")


def check_codec_path(codec: str, path: Path) -> None:
    """BadInputError unless `codec` fits the name `path` (a container, or a folder for
    frames): an option that cannot be used, so nothing was done (exit 2). OutputError where
    the path holds what must not be replaced."""
    ext = path.suffix.lower()
    if codec in _SEQUENCE_EXT:
        if ext in VIDEO_CONTAINERS:
            raise BadInputError(
                f"{codec} writes a folder of frames; give a folder name, not a {ext} file",
                path=path,
            )
        if path.is_dir() and not _looks_like_sequence(path):
            raise OutputError("is a folder holding other files; refusing to replace it", path=path)
        return
    allowed = _CONTAINERS[codec]
    if ext not in allowed:
        raise BadInputError(
            f"{_CODEC_LABEL[codec]} cannot be written to a '{ext or 'no extension'}' "
            f"file; use {', '.join(allowed)}",
            path=path,
        )
    if path.is_dir():
        raise OutputError("is a folder; give a file name", path=path)


# --------------------------------------------------------------------------- picture size limits


# FFmpeg refuses any picture with (w + 128) x (h + 128) >= (2^31 - 1) / 8 (av_image_check_size),
# whatever the codec: about 268 Mpx.
FFMPEG_MAX_AREA = (2**31 - 1) // 8
# H.264: level 6.2, the highest, allows 139,264 16x16 macroblocks a picture (about 35.6 Mpx,
# e.g. 8192x4352). libx264 writes larger pictures with a warning and players refuse them;
# it refuses outright sides over 16,384 (which is inside the level's own side limit,
# sqrt(8 x 139,264) = 1,055 macroblocks).
H264_MAX_MACROBLOCKS = 139_264
X264_MAX_SIDE = 16_384
# H.265: level 6.2 allows 35,651,584 luma samples a picture (coded in 8-pixel units), sides up
# to sqrt(8 x that) = 16,888. libx265 refuses larger ones unless they fit its level 6.3, which
# players do not know.
HEVC_MAX_LUMA_PS = 35_651_584
HEVC_MAX_SIDE = 16_888
# ProRes: the frame header stores width and height, and the picture header its slice count
# (prores_ks: 8 macroblocks a slice, the row's remainder in power-of-two slices), in 16 bits.
PRORES_MAX_SIDE = 65_535
PRORES_MAX_SLICES = 65_535
# FFmpeg's TIFF encoder asks for twice the raw picture as one packet, counted in an int:
# 16-bit RGB stops at about 178.9 Mpx.
TIFF_MAX_PACKET = 2**31 - 1 - 64 - 16384
# FFV1 has no size limit of its own (the writer picks enough slices), nor has PNG. But
# FFmpeg's FFV1 encoder keeps a worst-case packet buffer resident, about 63 bytes a pixel at
# 8 bits (111 at 16), capped at 2 GB: from about 34 Mpx on it costs 2 GB of memory; a PNG
# sequence is the lean lossless way for huge pictures (measured: `panchro bench huge`).

_SWITCH_HINT = {
    "h264": "h264 (.mp4)",
    "h265": "h265 (.mp4)",
    "prores": "prores (.mov)",
    "ffv1": "ffv1 (.mkv)",
    "png16": "png16 (a folder of frames)",
    "tiff16": "tiff16 (a folder of frames)",
    "dpx": "dpx (a folder of frames)",
}


def _prores_slices(width: int, height: int) -> int:
    mb_width, mb_height = -(-width // 16), -(-height // 16)
    per_row = mb_width // 8 + bin(mb_width % 8).count("1")
    return mb_height * per_row


def frame_size_problem(codec: str, width: int, height: int) -> str | None:
    """Why `codec` cannot carry `width` x `height` pictures (a clause), or None if it can."""
    if (width + 128) * (height + 128) >= FFMPEG_MAX_AREA:
        return "FFmpeg holds no picture over about 268 Mpx"
    if codec == "h264":
        macroblocks = -(-width // 16) * -(-height // 16)
        if macroblocks > H264_MAX_MACROBLOCKS or max(width, height) > X264_MAX_SIDE:
            return (
                f"its highest level (6.2) holds {H264_MAX_MACROBLOCKS:,} macroblocks a picture "
                f"(about 35.6 Mpx, e.g. 8192x4352; this one needs {macroblocks:,}) and the "
                f"encoder at most {X264_MAX_SIDE:,} pixels a side"
            )
    elif codec == "h265":
        luma = -(-width // 8) * 8 * (-(-height // 8) * 8)
        if luma > HEVC_MAX_LUMA_PS or max(width, height) > HEVC_MAX_SIDE:
            return (
                f"its highest level players know (6.2) holds {HEVC_MAX_LUMA_PS:,} pixels a "
                f"picture (e.g. 8192x4352) and at most {HEVC_MAX_SIDE:,} a side"
            )
    elif codec == "prores":
        if max(width, height) > PRORES_MAX_SIDE or _prores_slices(width, height) > (
            PRORES_MAX_SLICES
        ):
            return (
                f"a picture holds at most {PRORES_MAX_SLICES:,} slices of 8 macroblocks "
                f"(about 134 Mpx, e.g. 16384x8176) and {PRORES_MAX_SIDE:,} pixels a side"
            )
    elif codec == "tiff16" and height * width * 6 * 2 + height * 4 > TIFF_MAX_PACKET:
        return "FFmpeg's TIFF writer holds at most about 178 Mpx of 16-bit RGB"
    return None


def check_frame_size(codec: str, width: int, height: int, *, enlarged: bool = False) -> None:
    """BadInputError, before any work, unless `codec` can carry `width` x `height` pictures
    that players open; the message names the codecs that can. `enlarged`: the size comes
    from upscaling, so a smaller factor is a way out too."""
    why = frame_size_problem(codec, width, height)
    if why is None:
        return
    others = [
        _SWITCH_HINT[c] for c in CODECS if c != codec and not frame_size_problem(c, width, height)
    ]
    listed = ", ".join(others[:-1]) + " or " + others[-1] if len(others) > 1 else "".join(others)
    if others and enlarged:
        advice = f"use --codec {listed}, or a smaller --upscale"
    elif others:
        advice = f"use --codec {listed}"
    else:
        advice = "use a smaller --upscale" if enlarged else "no codec here can carry it"
    raise BadInputError(
        f"{_CODEC_LABEL[codec]} cannot carry {width}x{height} pictures "
        f"({width * height / 1e6:.1f} Mpx): {why}; {advice}"
    )


def _ffv1_slices(width: int, height: int, want: int) -> int:
    """The FFV1 slice count to ask for: at least `want`, and enough that no slice is larger than
    FFmpeg's encoder allows (w x h x (bits + 1) x planes <= 2^27, here for 16 bits and three
    planes, which also covers 8 bits and grey). Counts are tried in the encoder's own order
    (rows of slices, then columns up to twice as many), so it accepts the one chosen."""
    first_rows = 2 if width > 352 or height > 288 else 1
    for rows in range(min(first_rows, height), 32):
        for cols in range(rows, 2 * rows):
            if cols > width or rows > height:
                continue
            side_w, side_h = -(-width // cols), -(-height // rows)
            if side_w * side_h * 17 * 3 > 8 << 24:
                continue
            if rows * cols >= want:
                return rows * cols
    return want  # beyond FFmpeg's own limit: let the encoder say so
