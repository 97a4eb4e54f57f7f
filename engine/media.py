"""Film I/O with PyAV: open and probe a film, stream or seek its frames, encode the result.

A *source* is a video file, a folder of numbered stills (PNG/TIFF/JPEG/DPX, 8 or
16 bit, natural sort order: "f2" before "f10") or a single image (one frame).

Timing is the film's own. For a video file, `open_source` demuxes the video
stream once without decoding and keeps a *packet index* (presentation
timestamps sorted, keyframes): it gives the exact frame count, tells a
variable frame rate apart, and lets `Source.read_frame` seek to the keyframe at
or before a frame and decode forward to it. Frame ``i`` is always the frame
with the i-th smallest pts; a stream of frames yields them in that order with
their exact pts. The index is cached per file (path, size, mtime), so `probe`
followed by `open_source` demuxes once. For stills, ``pts = index`` in a time
base of ``1/fps`` (default 24 fps).

Decisions worth knowing:

* A truncated file (an MP4 whose moov index is missing) cannot be opened and
  says so. A file that is cut short but still has its index (moov at the front,
  Matroska, MPEG-TS) opens and plays to the last good frame: the packet index
  leaves out the partial packet at the cut, and the frames there that cannot be
  decoded any more (checked by decoding the last two GOPs), with a logged
  warning, so `frame_count` is what streaming really yields. Such a file is
  `MediaInfo.truncated`, with `expected_frames` the count its header promises
  (MP4's sample count, Matroska's NUMBER_OF_FRAMES or DURATION tag at the film's
  pace) where it says; the callers decide what to do (`panchro restore` refuses
  unless told). An MPEG-TS cut at a packet boundary looks whole: it has no
  header to tell. A frame that fails
  to decode in the middle of a film raises `BadInputError` naming the frame: a
  restoration silently missing frames is worse than a stop. The restore
  pipeline asks for `frames(conceal=True)` instead: the run goes on, the last
  good frame stands in for the broken one (marked `damaged`), and the summary
  lists it.
* Where seeking does not land where the index says (MPEG-PS re-times packets
  after a seek; raw .h264/.hevc streams have no timestamps at all), the source
  notices on the first seek and decodes from the start from then on: slower,
  never wrong.
* ``gray``/``gray16`` are luma expanded to full range (0 is black). ``yuv444p``
  and ``yuv444p16`` are the coded values untouched (chroma upsampled), in the
  range and matrix the source's tags say. Untagged YCbCr is read as BT.709 from
  720 lines up and BT.601 below, limited range (full range for ``yuvj`` formats).
* `rotation` is the clockwise rotation (0/90/180/270) a player applies to show
  the coded picture upright; frames are returned as coded, and a `VideoWriter`
  given a `source` writes the same display matrix back.

Writing (`VideoWriter`): H.264/H.265 (8 or 10 bit 4:2:0), ProRes 422 HQ
(10 bit 4:2:2), FFV1 (lossless; keeps the layout it is given: RGB, grey or
YCbCr 4:4:4, 8 or 16 bit) into .mp4/.mov/.mkv chosen by the output's extension,
or 16-bit PNG/TIFF sequences into a folder. The output video stream uses the
time base and the pts it is given, so a variable-frame-rate film keeps its
timing. What the muxers then do: MP4/MOV store a timescale of their own (the
time base's denominator, doubled until it reaches 10000) — every pts is kept
exactly as a time; Matroska stores milliseconds — times are kept to the
millisecond, which is all the format can hold.

Audio and subtitle streams of `source` are copied packet by packet, never
re-encoded, with their timestamps. This happens in the same single pass as
the video encode: before each encoded video packet is muxed, the source's
audio/subtitle packets up to that time are muxed, and FFmpeg's interleaver
orders them. One pass instead of "encode, then remux the encoded file" avoids
writing a possibly huge ProRes/FFV1 film twice. Timestamp shifting is off
(``avoid_negative_ts=disabled``), so an AAC priming packet at -21 ms stays
there. Text subtitles change format where the container demands it (MP4/MOV
hold only mov_text, Matroska no mov_text: SubRip/ASS), cue text and times
kept; the MP4 muxer also adds empty end-of-cue samples of its own. Any other
stream the output container cannot hold is refused up front with the stream
named, never dropped silently. Chapters are copied too.

Every output is written under a temporary name in the destination folder,
flushed to disk and renamed into place; an aborted writer removes its
temporaries and leaves the output path as it was. An output never replaces an
input (`check_output_path`).

Chunks: a film can also be written as separately encoded pieces (each
`VideoWriter(remux=False)`, so each starts on a keyframe) and joined by
`join_video`, which copies their video packets and remuxes the source's audio
and subtitles as above; image sequences are joined by `join_sequence`. The
resumable restore jobs (`panchro.engine.restore.jobs`) are built on this.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from dataclasses import replace as dc_replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av
import av.error
import numpy as np
from av.subtitles.subtitle import SubtitleSet
from av.video.reformatter import Interpolation, VideoReformatter

from panchro.engine.errors import BadInputError, OutputError

log = logging.getLogger(__name__)

Fmt = Literal["rgb24", "rgb48", "gray", "gray16", "yuv444p", "yuv444p16"]
CODECS = ("h264", "h265", "prores", "ffv1", "png16", "tiff16")

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


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: str
    codec: str
    language: str | None
    title: str | None
    channels: int | None = None
    sample_rate: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    path: str
    kind: str  # "video" | "frames" | "image"
    container: str | None  # e.g. "mov,mp4,m4a,3gp,3g2,mj2"; None for frames/image
    codec: str  # video codec name, or "png"/"tiff"/"jpeg"/"dpx" for stills
    width: int  # coded size (before rotation)
    height: int
    pix_fmt: str
    bit_depth: int
    frame_count: int  # exact (from the packet index), not estimated
    fps: Fraction  # average frame rate
    is_vfr: bool
    duration_s: float
    time_base: Fraction
    sample_aspect_ratio: Fraction
    rotation: int  # clockwise degrees a player applies, from the display matrix; 0 if none
    color_matrix: str | None  # "bt709", "bt601", "bt2020nc", ... None if untagged
    color_range: str | None  # "limited" | "full" | None
    color_primaries: str | None
    color_transfer: str | None
    audio: tuple[StreamInfo, ...]
    subtitles: tuple[StreamInfo, ...]
    other_streams: tuple[StreamInfo, ...]
    # The file is cut short: `frame_count` frames are there, fewer than it was made with.
    truncated: bool = False
    # How many frames the container's header promises (frame count, or duration x rate)
    # when the file is truncated and the header says; None otherwise.
    expected_frames: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: Fractions as "num/den" strings, each with a `<name>_float` beside it."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Fraction):
                out[key] = f"{value.numerator}/{value.denominator}"
                out[f"{key}_float"] = float(value)
            elif isinstance(value, tuple):
                out[key] = list(value)
            else:
                out[key] = value
        return out


@dataclass
class Frame:
    index: int
    pts: int
    time_base: Fraction
    image: np.ndarray
    # True when the frame could not be decoded and `image` repeats the nearest good
    # frame (only with `Source.frames(conceal=True)`).
    damaged: bool = False

    @property
    def time_s(self) -> float:
        return float(self.pts * self.time_base)


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The largest even size within `max_side` that keeps the aspect ratio; never enlarges."""
    if width <= 0 or height <= 0 or max_side < 2:
        raise ValueError(f"bad size {width}x{height} or max_side {max_side}")
    scale = min(1.0, max_side / max(width, height))
    # Round down to even: never past max_side, never larger than the original.
    w = max(2, int(width * scale + 1e-9) // 2 * 2)
    h = max(2, int(height * scale + 1e-9) // 2 * 2)
    return w, h


def _fraction_fps(fps: float | Fraction | None) -> Fraction:
    if fps is None:
        return Fraction(24)
    if isinstance(fps, Fraction):
        value = fps
    else:
        value = Fraction(fps).limit_denominator(1_000_000)
        # 23.976 and friends mean the NTSC rates, 24000/1001 etc.
        for base in (24, 30, 48, 60, 120):
            ntsc = Fraction(base * 1000, 1001)
            if abs(float(value) - float(ntsc)) < 2e-3:
                value = ntsc
    if value <= 0:
        raise BadInputError(f"frame rate must be positive, got {fps}")
    return value


# --------------------------------------------------------------------------- errors


def _ff_reason(exc: BaseException) -> str:
    """FFmpeg's own words for an error, without the call that failed."""
    if isinstance(exc, av.error.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _mp4_without_moov(path: Path) -> bool:
    """True for an ISO-BMFF file (ftyp first) whose top-level boxes hold no moov."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[4:8] != b"ftyp":
                return False
            pos = 0
            while pos + 8 <= size:
                fh.seek(pos)
                hdr = fh.read(16)
                box = int.from_bytes(hdr[0:4], "big")
                kind = hdr[4:8]
                if box == 1 and len(hdr) >= 16:
                    box = int.from_bytes(hdr[8:16], "big")
                elif box == 0:
                    box = size - pos
                if kind == b"moov":
                    return False
                if box < 8:
                    break
                pos += box
            return True
    except OSError:
        return False


def _check_readable_file(path: Path) -> None:
    if not os.path.lexists(path):
        raise BadInputError("does not exist", path=path)
    if not path.exists():
        raise BadInputError("is a broken symbolic link", path=path)
    if not os.access(path, os.R_OK):
        raise BadInputError("cannot be read (permission denied)", path=path)
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except PermissionError:
        raise BadInputError("cannot be read (permission denied)", path=path) from None
    except OSError as exc:
        raise BadInputError(f"cannot be read ({_ff_reason(exc)})", path=path) from None
    if size == 0:
        raise BadInputError("is empty (0 bytes)", path=path)


def _open_container(path: Path, what: str = "a video file") -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except PermissionError:
        raise BadInputError("cannot be read (permission denied)", path=path) from None
    except FileNotFoundError:
        raise BadInputError("does not exist", path=path) from None
    except av.error.InvalidDataError:
        if _mp4_without_moov(path):
            raise BadInputError(
                "is an MP4/MOV file without its index (moov atom missing): "
                "it is truncated or was never finished",
                path=path,
            ) from None
        raise BadInputError(f"is not {what} PyAV can read (invalid data)", path=path) from None
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInputError(f"cannot be opened ({_ff_reason(exc)})", path=path) from None


# --------------------------------------------------------------------------- packet index


@dataclass(frozen=True)
class _PacketIndex:
    """What demuxing the video stream (without decoding) tells about its frames."""

    pts: np.ndarray  # int64, sorted: frame i is shown at pts[i] * time_base
    key_pts: np.ndarray  # int64, sorted pts of keyframes
    key_seek: np.ndarray  # int64, the timestamp to seek to for each keyframe (its dts)
    last_duration: int  # display time of the last frame, in time_base units
    synthetic: bool  # the stream carried no timestamps; pts were made up, seeking is off
    truncated: bool  # the file ends before the stream does (see `_build_index`)
    expected: int | None = None  # frames the header promises, when truncated and it says

    def lookup(self, pts: int | None) -> int | None:
        if pts is None or not len(self.pts):
            return None
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and int(self.pts[i]) == pts else None

    def key_for(self, index: int) -> int:
        """Position in key_pts of the keyframe at or before frame `index`."""
        k = int(np.searchsorted(self.key_pts, self.pts[index], side="right")) - 1
        return max(k, 0)


_INDEX_CACHE: OrderedDict[tuple, _PacketIndex] = OrderedDict()
_INDEX_CACHE_LOCK = threading.Lock()
_INDEX_CACHE_SIZE = 16


def _index_key(path: Path, stream_index: int) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, stream_index)


def _packet_index(path: Path, stream_index: int, rate: Fraction | None) -> _PacketIndex:
    key = _index_key(path, stream_index)
    with _INDEX_CACHE_LOCK:
        cached = _INDEX_CACHE.get(key)
        if cached is not None:
            _INDEX_CACHE.move_to_end(key)
            return cached
    index = _build_index(path, stream_index, rate)
    with _INDEX_CACHE_LOCK:
        _INDEX_CACHE[key] = index
        while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
    return index


def _tag(meta: dict[str, str], name: str) -> str | None:
    """A Matroska statistics tag, whatever its case or language suffix ("DURATION-eng")."""
    for key, value in meta.items():
        if key.upper().split("-")[0] == name:
            return value
    return None


def _declared_frames(stream: Any) -> int:
    """The frame count the header gives (MP4/MOV sample count, AVI length, Matroska's
    NUMBER_OF_FRAMES tag); 0 where it gives none."""
    if stream.frames:
        return int(stream.frames)
    text = _tag(dict(stream.metadata or {}), "NUMBER_OF_FRAMES")
    return int(text) if text and text.strip().isdigit() else 0


def _declared_seconds(stream: Any) -> float | None:
    """The stream's length from Matroska's DURATION tag ("01:02:03.041000000"), if any.

    Only this tag counts: FFmpeg estimates other streams' durations from the bit
    rate or the file's end, which says nothing about what the file was made with.
    """
    text = _tag(dict(stream.metadata or {}), "DURATION")
    m = re.fullmatch(r"(\d+):(\d\d):(\d\d(?:\.\d+)?)", (text or "").strip())
    if not m:
        return None
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])


def _build_index(path: Path, stream_index: int, rate: Fraction | None) -> _PacketIndex:
    pts: list[int | None] = []
    keys: list[tuple[int | None, int | None]] = []  # (pts, dts) of keyframes
    last_duration = 0
    truncated = False
    corrupt_tail = 0  # packets flagged corrupt at the end (a partial last packet)
    seen = 0  # packets demuxed, those an edit list discards included (the header counts them)
    container = _open_container(path)
    try:
        stream = container.streams[stream_index]
        declared = _declared_frames(stream)
        declared_s = _declared_seconds(stream)
        # The whole file's length (any stream): only to say how much a cut file lost.
        file_s = container.duration / av.time_base if container.duration else None
        for other in container.streams:
            if other.index != stream_index:
                other.discard = av.stream.Discard.all  # lets demuxers skip their data
        demux = container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                truncated = True
                log.warning(
                    "%s: the video stream breaks off after %d frames (%s); "
                    "using the frames before the break",
                    path,
                    len(pts),
                    _ff_reason(exc),
                )
                break
            if packet.size == 0 and packet.pts is None and packet.dts is None:
                continue  # PyAV's end-of-stream flush packet
            seen += 1
            if packet.is_discard:
                continue  # dropped by the decoder (e.g. before an edit list's start)
            ts = packet.pts if packet.pts is not None else packet.dts
            pts.append(ts)
            corrupt_tail = corrupt_tail + 1 if packet.is_corrupt else 0
            if packet.is_keyframe:
                keys.append((ts, packet.dts))
            if packet.duration:
                last_duration = int(packet.duration)
        time_base = stream.time_base or Fraction(1, 90000)
    finally:
        container.close()
    discarded = seen - len(pts)
    if corrupt_tail:
        # Partial packets where the file was cut: not frames (decoding skips them too).
        cut = set(pts[-corrupt_tail:])
        pts = pts[:-corrupt_tail]
        keys = [k for k in keys if k[0] not in cut]
    if corrupt_tail or 0 < seen - corrupt_tail < declared:
        truncated = True

    synthetic = any(t is None for t in pts)
    if synthetic:
        # An elementary stream without timestamps: frames get evenly spaced pts,
        # and random access decodes from the start (no way to seek precisely).
        step = max(1, round(1 / ((rate or Fraction(24)) * time_base)))
        arr = np.arange(len(pts), dtype=np.int64) * step
        return _PacketIndex(arr, arr[:1].copy(), arr[:1].copy(), step, True, truncated)
    arr = np.sort(np.asarray(pts, dtype=np.int64))
    if not keys and len(arr):
        keys = [(int(arr[0]), None)]
    keys.sort(key=lambda k: k[0])
    key_pts = np.asarray([k[0] for k in keys], dtype=np.int64)
    key_seek = np.asarray([k[1] if k[1] is not None else k[0] for k in keys], dtype=np.int64)
    if not last_duration and len(arr) > 1:
        last_duration = int(np.median(np.diff(arr)))
    # Two frames of slack: the tag's length and the packets' may round apart.
    tagged = _frames_in(declared_s, arr, time_base, last_duration) if declared_s and len(arr) else 0
    if not declared and tagged >= len(arr) + 2:
        truncated = True
    index = _PacketIndex(arr, key_pts, key_seek, last_duration, False, truncated)
    if truncated and len(arr):
        index = _trim_undecodable_tail(path, stream_index, index)
        index = _drop_after_tail_gap(path, index)
    expected = None
    if truncated and declared:
        expected = declared - discarded
    elif truncated and (declared_s or file_s) and len(index.pts):
        expected = _frames_in(declared_s or file_s, index.pts, time_base, last_duration)
    if expected is not None and expected <= len(index.pts):
        expected = None  # the header cannot tell how much is missing
    return dc_replace(index, expected=expected)


def _frames_in(seconds: float, pts: np.ndarray, time_base: Fraction, last_duration: int) -> int:
    """How many frames `seconds` of film hold at the pace of the frames `pts` (sorted)."""
    if len(pts) > 2 and not _is_vfr(pts):
        # The mean step, not the median: Matroska's milliseconds make 24 fps 41, 42, 42 ms.
        step = float((pts[-1] - pts[0]) * time_base) / (len(pts) - 1)
        return round(seconds / step)
    shown = float((pts[-1] - pts[0] + last_duration) * time_base)
    return round(len(pts) * seconds / shown) if shown > 0 else len(pts)


def _drop_after_tail_gap(path: Path, index: _PacketIndex) -> _PacketIndex:
    """A cut-off film at a steady frame rate keeps it: frames after a gap at the very end
    are dropped.

    With B-frames, a picture coded before the cut can be shown after pictures
    coded after it, which are lost: the film would end on a jump and a held
    frame. Only a gap within the last two GOPs of an otherwise steady film counts;
    a variable frame rate is the film's own timing and stays as it is.
    """
    pts = index.pts
    if len(pts) < 4:
        return index
    steps = np.diff(pts).astype(np.float64)
    med = float(np.median(steps))
    uneven = np.nonzero(np.abs(steps - med) > max(1.0, 0.01 * med))[0]
    if not len(uneven):
        return index
    tail = int(index.key_pts[max(0, len(index.key_pts) - 2)]) if len(index.key_pts) else 0
    first = int(uneven[0])
    if pts[first] < tail:
        return index
    log.warning(
        "%s: the file is cut short; %d frame(s) after a gap the cut left are dropped",
        path,
        len(pts) - first - 1,
    )
    kept = pts[: first + 1]
    key_keep = np.isin(index.key_pts, kept)
    return dc_replace(
        index, pts=kept, key_pts=index.key_pts[key_keep], key_seek=index.key_seek[key_keep]
    )


def _trim_undecodable_tail(path: Path, stream_index: int, index: _PacketIndex) -> _PacketIndex:
    """Drop the last frames a cut-off file lists but cannot show.

    Frames at the end of a cut-off file may lose their references. Decoding
    the last two GOPs exactly as `Source` will (same decoder set-up) tells
    which frames really come out.
    """
    k = max(0, len(index.key_pts) - 2)
    first = int(index.key_pts[k]) if k > 0 else int(index.pts[0])
    shown: set[int] = set()
    decoder = _VideoDecoder(path, stream_index, index, _SeekPolicy(index))
    try:
        decoder._position(k, by_pts=False)  # landing early is harmless here; late is not
        shown.update(f.pts for f in decoder._decoded() if f.pts is not None)
    except av.error.FFmpegError:
        pass
    finally:
        decoder.close()
    keep = np.array([p < first or int(p) in shown for p in index.pts], dtype=bool)
    if keep.all():
        return index
    log.warning(
        "%s: the file is cut short; its last %d listed frame(s) cannot be decoded",
        path,
        int((~keep).sum()),
    )
    pts = index.pts[keep]
    key_keep = np.isin(index.key_pts, pts)
    return _PacketIndex(
        pts, index.key_pts[key_keep], index.key_seek[key_keep], index.last_duration, False, True
    )


def _is_vfr(pts: np.ndarray) -> bool:
    if len(pts) < 3:
        return False
    diffs = np.diff(pts).astype(np.float64)
    med = float(np.median(diffs))
    # One tick of slack: 23.976 fps in Matroska's milliseconds alternates 41/42.
    tol = max(1.0, 0.01 * med)
    return bool(np.any(np.abs(diffs - med) > tol))


# --------------------------------------------------------------------------- probing


def _stream_info(stream: Any) -> StreamInfo:
    meta = dict(stream.metadata or {})
    language = stream.language or meta.get("language")
    if language in ("und", ""):
        language = None
    ctx = getattr(stream, "codec_context", None)
    codec_obj = getattr(stream, "codec", None)  # data streams have neither
    codec = (
        (ctx.name if ctx is not None else None)
        or getattr(codec_obj, "name", None)
        or getattr(stream, "name", None)
        or "unknown"
    )
    channels = sample_rate = None
    if stream.type == "audio" and ctx is not None:
        channels = int(ctx.channels) if ctx.channels else None
        sample_rate = int(ctx.sample_rate) if ctx.sample_rate else None
    return StreamInfo(
        index=stream.index,
        type=stream.type,
        codec=codec,
        language=language,
        title=meta.get("title"),
        channels=channels,
        sample_rate=sample_rate,
    )


def _bit_depth(pix_fmt: str) -> int:
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, TypeError):
        return 8


def _code(value: Any, unspecified: int) -> int:
    return unspecified if value is None else int(value)


def _colour_tags(obj: Any) -> dict[str, str | None]:
    return {
        "color_matrix": _MATRIX_NAMES.get(_code(obj.colorspace, 2)),
        "color_range": _RANGE_NAMES.get(_code(obj.color_range, 0)),
        "color_primaries": _PRIMARIES_NAMES.get(_code(obj.color_primaries, 2)),
        "color_transfer": _TRANSFER_NAMES.get(_code(obj.color_trc, 2)),
    }


def _pick_video_stream(container: Any) -> Any | None:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _decode_first(container: Any, stream: Any, path: Path) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise BadInputError(
            f"the video stream cannot be decoded ({_ff_reason(exc)})", path=path
        ) from None
    raise BadInputError("the video stream has no decodable frame", path=path)


def _probe_video(path: Path) -> tuple[MediaInfo, _PacketIndex, int]:
    container = _open_container(path)
    try:
        fmt_name = container.format.name
        if fmt_name == "image2" or fmt_name.endswith("_pipe"):
            raise _IsImage()  # a still picture whatever its name (png_pipe, webp_pipe...)
        stream = _pick_video_stream(container)
        if stream is None:
            has_audio = bool(container.streams.audio)
            raise BadInputError(
                "has no video stream" + (" (it holds only audio)" if has_audio else ""),
                path=path,
            )
        if stream.codec_context is None:
            raise BadInputError(
                f"its video codec ({getattr(stream.codec, 'name', 'unknown')}) "
                "has no decoder in this FFmpeg build",
                path=path,
            )
        time_base = stream.time_base or Fraction(1, 90000)
        nominal = stream.average_rate or stream.guessed_rate
        first = _decode_first(container, stream, path)
        audio = tuple(_stream_info(s) for s in container.streams.audio)
        subtitles = tuple(_stream_info(s) for s in container.streams.subtitles)
        other = tuple(
            _stream_info(s)
            for s in container.streams
            if s.index != stream.index and s.type not in ("audio", "subtitle")
        )
        sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
        ctx_tags = _colour_tags(stream.codec_context)
        frame_tags = _colour_tags(first)
        tags = {k: ctx_tags[k] or frame_tags[k] for k in ctx_tags}
        pix_fmt = stream.codec_context.pix_fmt or first.format.name
        codec = stream.codec_context.name
        stream_index = stream.index
        width, height = (
            stream.codec_context.width or first.width,
            (stream.codec_context.height or first.height),
        )
        rotation = (-int(first.rotation)) % 360
    finally:
        container.close()

    index = _packet_index(path, stream_index, nominal)
    n = len(index.pts)
    if n == 0:
        raise BadInputError("contains no video frames", path=path)
    span = int(index.pts[-1] - index.pts[0])
    is_vfr = _is_vfr(index.pts)
    if n > 1 and span > 0:
        measured = Fraction(n - 1) / (span * time_base)
        fps = measured.limit_denominator(1_000_000)
        if not is_vfr and nominal and abs(float(nominal / measured) - 1) < 0.01:
            fps = Fraction(nominal)
    else:
        fps = Fraction(nominal) if nominal else Fraction(24)
    duration_s = float((span + index.last_duration) * time_base)
    info = MediaInfo(
        path=str(path),
        kind="video",
        container=fmt_name,
        codec=codec,
        width=int(width),
        height=int(height),
        pix_fmt=pix_fmt,
        bit_depth=_bit_depth(pix_fmt),
        frame_count=n,
        fps=fps,
        is_vfr=is_vfr,
        duration_s=duration_s,
        time_base=Fraction(time_base),
        sample_aspect_ratio=Fraction(sar) if sar else Fraction(1),
        rotation=rotation,
        audio=audio,
        subtitles=subtitles,
        other_streams=other,
        truncated=index.truncated,
        expected_frames=index.expected,
        **tags,
    )
    return info, index, stream_index


class _IsImage(Exception):
    """The file opened as a still picture rather than a video."""


def _natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _list_images(folder: Path) -> list[Path]:
    try:
        entries = list(os.scandir(folder))
    except PermissionError:
        raise BadInputError("folder cannot be read (permission denied)", path=folder) from None
    files = [
        Path(e.path)
        for e in entries
        if not e.name.startswith(".")
        and Path(e.name).suffix.lower() in IMAGE_EXTENSIONS
        and e.is_file()
    ]
    return sorted(files, key=lambda p: _natural_key(p.name))


def frame_files(folder: str | Path) -> list[Path]:
    """The frames of a folder source, in the order `open_source` reads them."""
    return _list_images(Path(folder))


def _image_size(path: Path) -> tuple[int, int] | None:
    """The size from the file's header alone (Pillow reads lazily); None if Pillow can't."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - any reader failure means "ask FFmpeg instead"
        return None


def _decode_still(path: Path) -> av.VideoFrame:
    if not os.access(path, os.R_OK):
        raise BadInputError("cannot be read (permission denied)", path=path)
    if path.stat().st_size == 0:
        raise BadInputError("is empty (0 bytes)", path=path)
    container = _open_container(path, what="an image")
    try:
        stream = _pick_video_stream(container)
        if stream is None:
            raise BadInputError("is not an image PyAV can read", path=path)
        try:
            for frame in container.decode(stream):
                return frame
        except av.error.FFmpegError as exc:
            raise BadInputError(
                f"cannot be decoded as an image ({_ff_reason(exc)})", path=path
            ) from None
        raise BadInputError("holds no picture", path=path)
    finally:
        container.close()


def _still_codec(frame_path: Path) -> str:
    return IMAGE_EXTENSIONS.get(frame_path.suffix.lower(), frame_path.suffix.lower().lstrip("."))


def _probe_stills(path: Path, files: list[Path], kind: str, fps: Fraction) -> MediaInfo:
    first = _decode_still(files[0])
    width, height = first.width, first.height
    if kind == "frames":
        for f in files[1:]:
            size = _image_size(f)
            if size is None:
                fr = _decode_still(f)
                size = (fr.width, fr.height)
            if size != (width, height):
                raise BadInputError(
                    f"frame sizes differ: {f.name} is {size[0]}x{size[1]} but "
                    f"{files[0].name} is {width}x{height}",
                    path=path,
                )
    n = len(files)
    pix_fmt = first.format.name
    return MediaInfo(
        path=str(path),
        kind=kind,
        container=None,
        codec=_still_codec(files[0]),
        width=width,
        height=height,
        pix_fmt=pix_fmt,
        bit_depth=_bit_depth(pix_fmt),
        frame_count=n,
        fps=fps,
        is_vfr=False,
        duration_s=float(n / fps),
        time_base=1 / fps,
        sample_aspect_ratio=Fraction(1),
        rotation=0,
        audio=(),
        subtitles=(),
        other_streams=(),
        **_colour_tags(first),
    )


# --------------------------------------------------------------------------- conversion


class _Converter:
    """Decoded frames to numpy arrays in one of the `Fmt` layouts (one swscale context)."""

    def __init__(self, width: int, height: int) -> None:
        self._reformatter = VideoReformatter()
        self._default_matrix = default_matrix(width, height)

    def __call__(self, frame: av.VideoFrame, fmt: str, size: tuple[int, int] | None) -> np.ndarray:
        if fmt not in _FMTS:
            raise ValueError(f"unknown fmt {fmt!r}; use one of {', '.join(_FMTS)}")
        pix, _, _ = _FMTS[fmt]
        width, height = size if size is not None else (frame.width, frame.height)
        if width <= 0 or height <= 0:
            raise ValueError(f"bad size {size}")
        same_size = (width, height) == (frame.width, frame.height)
        name = frame.format.name
        if same_size and name == pix:
            return frame.to_ndarray(channel_last=True)
        if same_size and name in ("rgb48be", "gray16be") and pix in ("rgb48le", "gray16le"):
            return frame.to_ndarray().astype(np.uint16)  # native order; no swscale needed
        src_cs, src_range = self._source_colour(frame)
        if pix.startswith("yuv"):
            dst_cs, dst_range = src_cs, src_range  # keep the coded values
        else:
            dst_cs, dst_range = src_cs, 2  # RGB and grey are full range
        if same_size:
            interp = Interpolation.BILINEAR
        elif width * height < frame.width * frame.height:
            interp = Interpolation.AREA
        else:
            interp = Interpolation.BICUBIC
        out = self._reformatter.reformat(
            frame,
            width=width,
            height=height,
            format=pix,
            src_colorspace=src_cs,
            dst_colorspace=dst_cs,
            src_color_range=src_range,
            dst_color_range=dst_range,
            # No ACCURATE_RND here: it doubles the cost (5x for 16-bit RGB) for +-1 level.
            interpolation=interp,
        )
        return out.to_ndarray(channel_last=True)

    def _source_colour(self, frame: av.VideoFrame) -> tuple[int, int]:
        matrix = _MATRIX_NAMES.get(_code(frame.colorspace, 2))
        cs = _SWS_CS.get(matrix or "", _SWS_CS[self._default_matrix])
        rng = _code(frame.color_range, 0)
        if rng not in (1, 2):
            rng = 2 if frame.format.name.startswith("yuvj") else 1
        return cs, rng


# --------------------------------------------------------------------------- decoding


class _SeekPolicy:
    """How seeking in a file lands, learnt as it is used (shared per Source)."""

    def __init__(self, index: _PacketIndex) -> None:
        self.seek_ok = not index.synthetic
        # Seek to a keyframe's pts first. MP4 with B-frames lists dts shifted by the
        # edit list, so seeking to the keyframe's demuxed dts lands a whole GOP early
        # (twice the decoding for every scrub). A format where the pts seek lands past
        # the keyframe falls back to its dts, for good.
        self.by_pts = True


# Codecs whose decoders honour `skip_frame = NONREF` by dropping only frames that no
# other frame refers to, so skipping them before the target cannot change the target.
# Not HEVC: its "sub-layer non-reference" pictures may still be referenced from a higher
# temporal sub-layer, which a skip would leave without its reference.
_SKIP_NONREF_CODECS = frozenset({"h264", "mpeg2video"})


class _VideoDecoder:
    """One open container that decodes the video stream from any frame on."""

    def __init__(
        self,
        path: Path,
        stream_index: int,
        index: _PacketIndex,
        policy: _SeekPolicy,
        *,
        tolerant: bool = False,
    ) -> None:
        self.path = path
        self.index = index
        self.policy = policy
        # Tolerant: a packet the decoder rejects is skipped (its frame is missing from
        # the output) instead of ending the stream with an error.
        self.tolerant = tolerant
        self._stream_index = stream_index
        self._open()

    def _open(self) -> None:
        self.container = _open_container(self.path)
        self.stream = self.container.streams[self._stream_index]
        self.stream.thread_type = "AUTO"
        self.fresh = True  # at the start of the file: frame 0 needs no seek

    def close(self) -> None:
        self.container.close()

    def _decoded(self, skip_before: int | None = None) -> Iterator[av.VideoFrame]:
        """Frames from the current position to the end, flushing the decoder at the end.

        With `skip_before` (a pts), frames nothing refers to are not decoded until
        the first packet shown at or after it: they would be thrown away anyway, and
        on a long GOP they are most of the work of reaching a frame.
        """
        self.fresh = False
        ctx = self.stream.codec_context
        skipping = skip_before is not None and ctx.name in _SKIP_NONREF_CODECS
        if skipping:
            ctx.skip_frame = "NONREF"
        try:
            yield from self._demuxed_frames(skip_before if skipping else None)
        finally:
            if skipping:
                ctx.skip_frame = "DEFAULT"

    def _demuxed_frames(self, skip_before: int | None) -> Iterator[av.VideoFrame]:
        demux = self.container.demux(self.stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                return
            except av.error.FFmpegError:
                # Cut-off file: the index stops at the same place; drain what the decoder holds.
                with contextlib.suppress(av.error.FFmpegError):
                    yield from self.stream.decode(None)
                return
            if packet.is_corrupt and self.index.lookup(packet.pts) is None:
                continue  # a partial packet where the file was cut: not in the index
            if skip_before is not None and (packet.pts is None or packet.pts >= skip_before):
                # Decode order: every packet from here on may be a frame to show.
                self.stream.codec_context.skip_frame = "DEFAULT"
                skip_before = None
            if not self.tolerant:
                yield from self.stream.decode(packet)
                continue
            try:
                decoded = self.stream.decode(packet)
            except av.error.FFmpegError as exc:
                log.warning(
                    "%s: video data near pts %s cannot be decoded (%s); the frame is skipped",
                    self.path,
                    packet.pts,
                    _ff_reason(exc),
                )
                continue
            yield from decoded

    def _position(self, k: int, *, by_pts: bool | None = None) -> bool:
        """Get ready to decode from keyframe `k`; True if that took a seek."""
        if k > 0 and self.policy.seek_ok:
            by_pts = self.policy.by_pts if by_pts is None else by_pts
            ts = self.index.key_pts[k] if by_pts else self.index.key_seek[k]
            self.container.seek(int(ts), stream=self.stream, backward=True)
            return True
        if not self.fresh:
            # Reopening is the one sure way back to the first frame in every format.
            self.container.close()
            self._open()
        return False

    def frames_from(self, target: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """(index, frame) for frame `target` and every later frame, in order."""
        idx = self.index
        n = len(idx.pts)
        k = idx.key_for(target) if self.policy.seek_ok else 0
        # Frames are told apart by their pts, so skipping some is safe only with real ones.
        skip_before = None if idx.synthetic else int(idx.pts[target])
        while True:
            seeked = self._position(k)
            first = True
            expected = None if seeked else 0
            last = -1
            retry = False
            try:
                for frame in self._decoded(skip_before):
                    i = None if idx.synthetic else idx.lookup(frame.pts)
                    if first and seeked:
                        first = False
                        if i is None:
                            # After a seek the timestamps no longer match the index (MPEG-PS
                            # does this): from now on this file is decoded from its start.
                            log.info("%s: seeking is not exact; decoding from the start", self.path)
                            self.policy.seek_ok = False
                            k, retry = 0, True
                            break
                        if i > target:
                            # Landed past the target: seek by dts, then a keyframe earlier.
                            if self.policy.by_pts:
                                log.info("%s: seeking by pts overshoots; seeking by dts", self.path)
                                self.policy.by_pts = False
                            else:
                                k -= 1
                            retry = True
                            break
                    if i is None or i <= last:
                        # No pts, one not in the index, or a repeated one: count on.
                        i = expected if expected is not None else last + 1
                    last = i
                    expected = i + 1
                    if i >= n:
                        return
                    if i >= target:
                        yield i, frame
            except av.error.FFmpegError as exc:
                raise BadInputError(
                    f"decoding failed near frame {last + 1} of {n} ({_ff_reason(exc)})",
                    path=self.path,
                ) from None
            if retry:
                continue
            # A seek that gave nothing at all: try a keyframe earlier. A target the decoder
            # never outputs must not make every read rescan the whole film.
            if seeked and last < 0:
                k -= 1
                continue
            return


class Source:
    """An opened film. Use as a context manager, or call `close()`.

    `frames()` opens its own decoder per call, so streaming (e.g. shot
    detection) and `read_frame` (scrubbing) can run side by side; `read_frame`
    is serialised by a lock and keeps its decoder between calls, so stepping
    forward continues decoding instead of seeking.
    """

    info: MediaInfo

    def __init__(
        self,
        info: MediaInfo,
        *,
        files: list[Path] | None = None,
        index: _PacketIndex | None = None,
        stream_index: int = 0,
    ) -> None:
        self.info = info
        self._path = Path(info.path)
        self._files = files
        self._index = index
        self._stream_index = stream_index
        self._lock = threading.Lock()
        self._cursor: _VideoDecoder | None = None
        self._policy = _SeekPolicy(index) if index is not None else None
        self._cursor_iter: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._cursor_last = -1
        self._cursor_converter: _Converter | None = None
        self._closed = False

    # context manager
    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop_cursor()

    def _drop_cursor(self) -> None:
        if self._cursor_iter is not None:
            self._cursor_iter.close()  # type: ignore[attr-defined]
            self._cursor_iter = None
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        self._cursor_last = -1

    def _check_range(self, index: int) -> int:
        n = self.info.frame_count
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"frame index must be an int, got {type(index).__name__}")
        if not 0 <= index < n:
            raise IndexError(f"frame {index} is outside 0..{n - 1}")
        return int(index)

    def _pts(self, index: int) -> int:
        if self._index is not None:
            return int(self._index.pts[index])
        return index

    def pts_of(self, index: int) -> int:
        """The pts of frame `index`, in `info.time_base` units (known without decoding)."""
        return self._pts(self._check_range(index))

    def frames(
        self,
        start: int = 0,
        stop: int | None = None,
        *,
        fmt: Fmt = "rgb24",
        size: tuple[int, int] | None = None,
        conceal: bool = False,
    ) -> Iterator[Frame]:
        """Frames start..stop-1 in presentation order, decoded one at a time.

        By default a frame of a video file that fails to decode raises
        BadInputError. With `conceal`, every index start..stop-1 is yielded
        anyway: a frame the decoder cannot give repeats the last good frame
        before it (the first good one after it at the start of the range),
        with `damaged=True`, so the count and the timing of the film stay whole.
        Frames decoded after a damaged one may show the damage (the codec's own
        concealment); they are not marked.
        """
        if self._closed:
            raise ValueError("source is closed")
        n = self.info.frame_count
        stop = n if stop is None else min(int(stop), n)
        if start >= stop:
            return iter(())
        self._check_range(start)
        if fmt not in _FMTS:
            raise ValueError(f"unknown fmt {fmt!r}; use one of {', '.join(_FMTS)}")
        if self._files is not None:
            return self._still_frames(start, stop, fmt, size)
        if conceal:
            return self._concealed_frames(start, stop, fmt, size)
        return self._video_frames(start, stop, fmt, size)

    def _video_frames(
        self, start: int, stop: int, fmt: str, size: tuple[int, int] | None, tolerant: bool = False
    ) -> Iterator[Frame]:
        assert self._index is not None
        assert self._policy is not None
        decoder = _VideoDecoder(
            self._path, self._stream_index, self._index, self._policy, tolerant=tolerant
        )
        convert = _Converter(self.info.width, self.info.height)
        tb = self.info.time_base
        try:
            for i, frame in decoder.frames_from(start):
                if i >= stop:
                    return
                yield Frame(i, self._pts(i), tb, convert(frame, fmt, size))
        finally:
            decoder.close()

    def _concealed_frames(
        self, start: int, stop: int, fmt: str, size: tuple[int, int] | None
    ) -> Iterator[Frame]:
        """Every frame of start..stop-1; the ones that do not decode repeat a good neighbour."""
        tb = self.info.time_base
        expected = start
        last: np.ndarray | None = None
        frames = self._video_frames(start, stop, fmt, size, tolerant=True)
        try:
            for frame in frames:
                if frame.index < expected:
                    continue  # a repeated timestamp: the index already gave this frame
                fill = last if last is not None else frame.image
                for j in range(expected, frame.index):
                    yield Frame(j, self._pts(j), tb, fill, damaged=True)
                yield frame
                last = frame.image
                expected = frame.index + 1
        finally:
            frames.close()
        if expected < stop:
            if last is None:
                raise BadInputError(
                    f"no frame of {start}..{stop - 1} can be decoded", path=self._path
                )
            for j in range(expected, stop):
                yield Frame(j, self._pts(j), tb, last, damaged=True)

    def _still_frames(
        self, start: int, stop: int, fmt: str, size: tuple[int, int] | None
    ) -> Iterator[Frame]:
        assert self._files is not None
        convert = _Converter(self.info.width, self.info.height)
        for i in range(start, stop):
            yield self._still_frame(i, fmt, size, convert)

    def _still_frame(
        self, i: int, fmt: str, size: tuple[int, int] | None, convert: _Converter
    ) -> Frame:
        assert self._files is not None
        path = self._files[i]
        try:
            frame = _decode_still(path)
        except FileNotFoundError:
            raise BadInputError("disappeared while the film was open", path=path) from None
        if (frame.width, frame.height) != (self.info.width, self.info.height):
            raise BadInputError(
                f"is {frame.width}x{frame.height}, the film is "
                f"{self.info.width}x{self.info.height}",
                path=path,
            )
        return Frame(i, i, self.info.time_base, convert(frame, fmt, size))

    def read_frame(
        self, index: int, *, fmt: Fmt = "rgb24", size: tuple[int, int] | None = None
    ) -> Frame:
        """Frame `index`: seek to the keyframe at or before it and decode forward."""
        index = self._check_range(index)
        if fmt not in _FMTS:
            raise ValueError(f"unknown fmt {fmt!r}; use one of {', '.join(_FMTS)}")
        with self._lock:
            if self._closed:
                raise ValueError("source is closed")
            if self._files is not None:
                if self._cursor_converter is None:
                    self._cursor_converter = _Converter(self.info.width, self.info.height)
                return self._still_frame(index, fmt, size, self._cursor_converter)
            return self._read_video_frame(index, fmt, size)

    def _read_video_frame(self, index: int, fmt: str, size: tuple[int, int] | None) -> Frame:
        idx = self._index
        assert idx is not None
        if self._cursor is None:
            assert self._policy is not None
            self._cursor = _VideoDecoder(self._path, self._stream_index, idx, self._policy)
            self._cursor_converter = _Converter(self.info.width, self.info.height)
        assert self._cursor_converter is not None
        last = self._cursor_last
        # Going forward within reach (same keyframe, or a few frames on): keep decoding.
        forward = (
            self._cursor_iter is not None
            and index > last >= 0
            and (
                not self._policy.seek_ok
                or idx.key_for(index) == idx.key_for(last)
                or index - last <= 8
            )
        )
        if not forward:
            if self._cursor_iter is not None:
                self._cursor_iter.close()  # type: ignore[attr-defined]
            self._cursor_iter = self._cursor.frames_from(index)
        try:
            for i, frame in self._cursor_iter:
                self._cursor_last = i
                if i == index:
                    image = self._cursor_converter(frame, fmt, size)
                    return Frame(i, self._pts(i), self.info.time_base, image)
                if i > index:
                    break
        except BaseException:
            self._drop_cursor()
            raise
        self._drop_cursor()
        raise BadInputError(f"frame {index} cannot be decoded", path=self._path)

    def index_at(self, seconds: float) -> int:
        """The frame on screen at `seconds` (on the film's own clock, as `Frame.time_s`)."""
        n = self.info.frame_count
        if self._index is None:
            i = int(np.floor(float(seconds) * float(self.info.fps) + 1e-9))
        else:
            ticks = Fraction(seconds).limit_denominator(10**9) / self.info.time_base
            i = int(np.searchsorted(self._index.pts, float(ticks) + 1e-6, side="right")) - 1
        return min(max(i, 0), n - 1)


def open_source(path: str | Path, *, fps: float | Fraction | None = None) -> Source:
    """Open a video file, a folder of frames or an image; BadInputError says why not.

    `fps` sets the timing of frame folders and images (default 24); a video
    file keeps its own timing.
    """
    p = Path(path).expanduser()
    if not os.path.lexists(p):
        raise BadInputError("does not exist", path=p)
    if p.is_dir():
        if not os.access(p, os.R_OK | os.X_OK):
            raise BadInputError("folder cannot be read (permission denied)", path=p)
        files = _list_images(p)
        if not files:
            raise BadInputError(
                "contains no images (PNG, TIFF, JPEG or DPX frames expected)", path=p
            )
        info = _probe_stills(p, files, "frames", _fraction_fps(fps))
        return Source(info, files=files)
    _check_readable_file(p)
    if p.suffix.lower() in IMAGE_EXTENSIONS:
        info = _probe_stills(p, [p], "image", _fraction_fps(fps))
        return Source(info, files=[p])
    try:
        info, index, stream_index = _probe_video(p)
    except _IsImage:
        info = _probe_stills(p, [p], "image", _fraction_fps(fps))
        return Source(info, files=[p])
    return Source(info, index=index, stream_index=stream_index)


def probe(path: str | Path, *, fps: float | Fraction | None = None) -> MediaInfo:
    """What `open_source` would report, without keeping anything open."""
    with open_source(path, fps=fps) as src:
        return src.info


# --------------------------------------------------------------------------- output paths


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _is_inside(child: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(child)).relative_to(os.path.realpath(folder))
        return True
    except ValueError:
        return False


def check_output_path(
    output: str | Path, *, inputs: Sequence[str | Path] = (), overwrite: bool = False
) -> Path:
    """The output path, absolute, once it is safe to write; OutputError says why not."""
    out = Path(output).expanduser()
    out = Path(os.path.abspath(out))
    for inp in inputs:
        inp_path = Path(inp).expanduser()
        if _same_file(out, inp_path):
            raise OutputError("is the input; choose another output", path=out)
        if out.is_dir() and _is_inside(inp_path, out):
            raise OutputError(f"is a folder holding the input {inp_path.name}", path=out)
    if os.path.lexists(out) and not overwrite:
        raise OutputError("exists (use --overwrite)", path=out)
    if os.path.lexists(out):
        for inp in inputs:
            inp_path = Path(inp).expanduser()
            if inp_path.is_dir() and _is_inside(out, inp_path):
                raise OutputError(
                    f"is inside the input folder {inp_path.name}; replacing it would change "
                    "the input",
                    path=out,
                )
    parent = out.parent
    if not parent.exists():
        raise OutputError(f"cannot be written: folder {parent} does not exist", path=out)
    if not parent.is_dir():
        raise OutputError(f"cannot be written: {parent} is not a folder", path=out)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot be written: folder {parent} is not writable", path=out)
    return out


# --------------------------------------------------------------------------- writing


_TEXT_SUBTITLES = frozenset({"mov_text", "subrip", "srt", "ass", "ssa", "webvtt", "text"})
# What FFmpeg's text subtitle encoders need to open when the source gives no header.
ASS_HEADER = (
    b"[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n"
    b"[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
    b"OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
    b"Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    b"\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, "
    b"Effect, Text\r\n"
)

_ENCODERS = {"h264": "libx264", "h265": "libx265", "prores": "prores_ks", "ffv1": "ffv1"}
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
}
_DEFAULT_CRF = {"h264": 18, "h265": 20}
_SEQUENCE_EXT = {"png16": ".png", "tiff16": ".tif"}


def sequence_name(index: int, ext: str) -> str:
    """The file name of frame `index` in a png16/tiff16 sequence (`ext` with its dot)."""
    return f"frame_{index:06d}{ext}"


def output_extension(codec: str, path: str | Path) -> str:
    """The extension a file of `codec` written at `path` carries: the path's own for films,
    the frame files' (".png", ".tif") for image sequences."""
    if codec in _SEQUENCE_EXT:
        return _SEQUENCE_EXT[codec]
    return Path(path).suffix.lower()


def _ffv1_pix_fmt(fmt: str, bit_depth: int) -> str:
    deep = fmt.endswith("16") or fmt == "rgb48" or bit_depth > 8
    if fmt.startswith("rgb"):
        return "rgb48le" if deep else "bgr0"
    if fmt.startswith("gray"):
        return "gray16le" if deep else "gray"
    return "yuv444p16le" if deep else "yuv444p"


def _encoder_pix_fmt(codec: str, bit_depth: int, fmt: str) -> str:
    if codec in ("h264", "h265"):
        return "yuv420p10le" if bit_depth == 10 else "yuv420p"
    if codec == "prores":
        return "yuv422p10le"
    if codec == "ffv1":
        return _ffv1_pix_fmt(fmt, bit_depth)
    grey = fmt.startswith("gray")
    if codec == "png16":
        return "gray16be" if grey else "rgb48be"
    return "gray16le" if grey else "rgb48le"  # tiff16


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            path.unlink()
    except OSError:
        pass


class _Remuxer:
    """Copies a source's audio and subtitle packets into an output container, in time order.

    `feed(t)` muxes every packet with a dts up to `t` seconds; the writer calls
    it before each video packet, so FFmpeg's interleaver gets both in order.
    Used by `VideoWriter` (encoding) and `join_video` (chunks assembled).
    """

    def __init__(self, out: Any, src: MediaInfo, out_path: Path) -> None:
        self.out = out
        self.out_path = out_path
        self._src: Any = None
        self._iter: Iterator[Any] | None = None
        self._map: dict[int, Any] = {}
        self._convert: set[int] = set()
        self._held: Any = None
        try:
            self._add_streams(src)
        except BaseException:
            self.close()
            raise

    @property
    def active(self) -> bool:
        return self._iter is not None

    def close(self) -> None:
        if self._src is not None:
            with contextlib.suppress(Exception):
                self._src.close()
            self._src = None

    def _add_streams(self, src: MediaInfo) -> None:
        source_path = Path(src.path)
        self._src = _open_container(source_path)
        wanted = {s.index for s in src.audio} | {s.index for s in src.subtitles}
        in_streams = [s for s in self._src.streams if s.index in wanted]
        ext = self.out_path.suffix.lower()
        for s in in_streams:
            name = s.codec_context.name if s.codec_context else "unknown"
            try:
                out_stream = self.out.add_stream_from_template(s)
            except ValueError:
                out_stream = None
                if s.type == "subtitle" and name in _TEXT_SUBTITLES:
                    out_stream = self._add_converted(s, name, ext)
                if out_stream is None:
                    others = [e for e in VIDEO_CONTAINERS if e != ext]
                    raise OutputError(
                        f"the {s.type} stream #{s.index} ({name}) of the input cannot be stored "
                        f"in a {ext} file; choose {' or '.join(others)}, or export without "
                        "remuxing the sound and subtitles",
                        path=self.out_path,
                    ) from None
            out_stream.time_base = s.time_base
            for key, value in (s.metadata or {}).items():
                if key.lower() in ("language", "title", "handler_name"):
                    out_stream.metadata[key] = value
            out_stream.disposition = s.disposition
            self._map[s.index] = out_stream
        try:
            chapters = self._src.chapters()
            if chapters:
                self.out.set_chapters(chapters)
        except (av.error.FFmpegError, ValueError, AttributeError):
            log.warning("%s: chapters could not be copied", src.path)
        if in_streams:
            self._iter = self._src.demux(*in_streams)

    def _add_converted(self, stream: Any, name: str, ext: str) -> Any:
        """A text subtitle stream in the format `ext` holds; cues keep their text and times.

        MP4/MOV hold only mov_text and Matroska no mov_text, so text subtitles
        change format between them (through FFmpeg's ASS representation).
        """
        if ext in (".mp4", ".mov"):
            target = "mov_text"
        else:
            target = "ass" if name in ("ass", "ssa") else "subrip"
        try:
            out_stream = self.out.add_stream(target)
        except ValueError:
            return None
        header = None
        try:
            stream.codec_context.open(strict=False)
            header = stream.codec_context.subtitle_header
        except (av.error.FFmpegError, ValueError):
            pass
        out_stream.codec_context.subtitle_header = header or ASS_HEADER
        self._convert.add(stream.index)
        log.info(
            "%s: subtitle stream #%d converted from %s to %s",
            self.out_path,
            stream.index,
            name,
            target,
        )
        return out_stream

    def feed(self, until: Fraction | None) -> None:
        """Mux the source's audio/subtitle packets with a dts up to `until` seconds."""
        if self._iter is None:
            return
        while True:
            if self._held is None:
                packet = next(self._iter, None)
                if packet is None:
                    self._iter = None
                    return
                if packet.size == 0 and packet.pts is None and packet.dts is None:
                    continue  # demuxer's flush packet
                self._held = packet
            packet = self._held
            ts = packet.dts if packet.dts is not None else packet.pts
            if until is not None and ts is not None and ts * packet.time_base > until:
                return
            self._held = None
            out_stream = self._map[packet.stream_index]
            if packet.stream_index in self._convert:
                self._mux_converted(packet, out_stream)
                continue
            packet.stream = out_stream
            self.out.mux(packet)

    def _mux_converted(self, packet: Any, out_stream: Any) -> None:
        cues = packet.stream.codec_context.decode2(packet)
        if not cues or packet.pts is None:
            return  # mov_text's empty "end of cue" samples: the muxer writes its own
        for rect in cues:
            text = getattr(rect, "ass", None)
            if not text:
                continue
            duration = int(packet.duration or 0)
            cue = SubtitleSet.create(text, 0, duration, pts=packet.pts)
            out = out_stream.codec_context.encode_subtitle(cue)
            out.stream = out_stream
            out.time_base = packet.time_base
            out.pts = out.dts = packet.pts
            out.duration = duration
            self.out.mux(out)


def check_codec(codec: str, bit_depth: int) -> None:
    """BadInputError unless `codec` can be written with `bit_depth` bits."""
    if codec not in CODECS:
        raise BadInputError(f"unknown codec {codec!r}; choose one of {', '.join(CODECS)}")
    if codec in ("h264", "h265") and bit_depth not in (8, 10):
        raise BadInputError(f"{_CODEC_LABEL[codec]} is written with 8 or 10 bits, not {bit_depth}")
    if bit_depth not in (8, 10, 12, 16):
        raise BadInputError(f"bit depth must be 8, 10, 12 or 16, not {bit_depth}")


def check_codec_path(codec: str, path: Path) -> None:
    """OutputError unless `codec` can be written at `path` (container, file or folder)."""
    ext = path.suffix.lower()
    if codec in _SEQUENCE_EXT:
        if ext in VIDEO_CONTAINERS:
            raise OutputError(
                f"{codec} writes a folder of frames; give a folder name, not a {ext} file",
                path=path,
            )
        if path.is_dir() and not _looks_like_sequence(path):
            raise OutputError("is a folder holding other files; refusing to replace it", path=path)
        return
    allowed = _CONTAINERS[codec]
    if ext not in allowed:
        raise OutputError(
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


def even_size(codec: str, width: int, height: int) -> tuple[int, int]:
    """The smallest size at least `width` x `height` that `codec` can hold (4:2:0 needs
    even sides, ProRes 4:2:2 an even width)."""
    if codec in ("h264", "h265"):
        return width + width % 2, height + height % 2
    if codec == "prores":
        return width + width % 2, height
    return width, height


def codec_label(codec: str) -> str:
    return _CODEC_LABEL.get(codec, codec)


def _looks_like_sequence(folder: Path) -> bool:
    return all(
        p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
        for p in folder.iterdir()
        if not p.name.startswith(".")
    )


def _replace_folder(tmp: Path, path: Path) -> None:
    """Rename the finished folder `tmp` onto `path`, replacing what is there."""
    old = None
    if os.path.lexists(path):
        # A folder cannot be renamed over a non-empty one: move the old one aside first.
        old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(path, old)
    os.replace(tmp, path)
    _fsync_path(path.parent)
    if old is not None:
        _remove(old)


class VideoWriter:
    """Encode frames into a film file or an image sequence, atomically.

    The video stream takes `time_base` and each frame's `pts` as given, so the
    source's timing (VFR included) carries through; see the module docstring
    for what MP4/MOV (exact) and Matroska (milliseconds) keep. With `source`,
    its colour tags, pixel aspect and rotation are written, and (with `remux`)
    every audio and subtitle stream is copied packet for packet.

    Pixel formats: h264/h265 yuv420p (8 bit) or yuv420p10le (10 bit); prores
    yuv422p10le (ProRes 422 HQ, whatever `bit_depth`); ffv1 keeps what it is
    given — rgb → bgr0/rgb48le, gray → gray/gray16le, yuv444p → yuv444p/
    yuv444p16le (16-bit when the frames or `bit_depth` are deeper than 8);
    png16 rgb48be/gray16be and tiff16 rgb48le/gray16le (deflate) files named
    frame_000000.png... in a folder (numbered from `first_index`, so chunks of
    one film can be written apart and joined by `join_sequence`). Sequences
    carry no timing: a VFR film becomes one file per frame.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        codec: str = "h264",
        bit_depth: int = 8,
        width: int,
        height: int,
        time_base: Fraction,
        fps: Fraction,
        source: MediaInfo | None = None,
        remux: bool = True,
        overwrite: bool = False,
        crf: int | None = None,
        first_index: int = 0,
    ) -> None:
        check_codec(codec, bit_depth)
        if width <= 0 or height <= 0:
            raise BadInputError(f"bad frame size {width}x{height}")
        if codec in ("h264", "h265") and (width % 2 or height % 2):
            raise BadInputError(
                f"{_CODEC_LABEL[codec]} 4:2:0 needs an even width and height, got {width}x{height}"
            )
        if codec == "prores" and width % 2:
            raise BadInputError(f"ProRes 4:2:2 needs an even width, got {width}")
        if crf is not None and not 0 <= crf <= 51:
            raise BadInputError(f"crf must be between 0 and 51, got {crf}")
        check_frame_size(codec, width, height)
        self.codec = codec
        self.bit_depth = bit_depth
        self.width = int(width)
        self.height = int(height)
        self.time_base = Fraction(time_base)
        self.fps = Fraction(fps)
        self.source = source
        self.crf = crf
        self.first_index = int(first_index)
        self.sequence = codec in _SEQUENCE_EXT
        inputs = [source.path] if source is not None else []
        self.path = check_output_path(path, inputs=inputs, overwrite=overwrite)
        ext = self.path.suffix.lower()
        check_codec_path(codec, self.path)

        # Colour tags: the source's, else the usual guess for untagged YCbCr.
        matrix = (source.color_matrix if source else None) or default_matrix(width, height)
        if matrix not in _SWS_CS:
            matrix = default_matrix(width, height)
        self._matrix = matrix
        self._range = (source.color_range if source else None) or "limited"
        self._primaries = source.color_primaries if source else None
        self._transfer = source.color_transfer if source else None

        token = uuid.uuid4().hex[:8]
        self._tmp = self.path.with_name(f".{self.path.name}.{token}.part{ext}")
        self._reformatter = VideoReformatter()
        self._pix_fmt: str | None = None
        self._fmt: str | None = None
        self._last_pts: int | None = None
        self._count = 0
        self._closed = False
        self._out: Any = None
        self._vstream: Any = None
        self._image_ctx: Any = None
        self._remux: _Remuxer | None = None
        try:
            if self.sequence:
                self._tmp = self.path.with_name(f".{self.path.name}.{token}.part")
                self._tmp.mkdir()
            else:
                self._open_container(remux)
        except BaseException:
            self.abort()
            raise

    @staticmethod
    def _looks_like_sequence(folder: Path) -> bool:
        return _looks_like_sequence(folder)

    # ------------------------------------------------------------------ setup

    def _open_container(self, remux: bool) -> None:
        try:
            self._out = av.open(
                str(self._tmp), mode="w", container_options={"avoid_negative_ts": "disabled"}
            )
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot be written ({_ff_reason(exc)})", path=self.path) from None
        enc = _ENCODERS[self.codec]
        stream = self._out.add_stream(enc, rate=self.fps)
        stream.width = self.width
        stream.height = self.height
        stream.time_base = self.time_base
        ctx = stream.codec_context
        ctx.time_base = self.time_base
        ctx.framerate = self.fps
        ctx.thread_count = 0  # FFmpeg's default is 1 thread for encoders; 0 = one per core
        options: dict[str, str] = {}
        if self.codec == "h264":
            # No macroblock tree: x264's (core 165, as PyAV ships it) reads memory it never
            # wrote, so the same frames gave different files from run to run (1 in 24 on the
            # sample film, up to 37 levels apart; the same on one thread). Measured by
            # filling fresh memory with different bytes (MALLOC_PERTURB_): the output changed
            # with the bytes unless mbtree=0. It costs a little compression at the same crf.
            options = {
                "crf": str(self.crf if self.crf is not None else 18),
                "preset": "medium",
                "x264-params": "mbtree=0",
            }
        elif self.codec == "h265":
            crf = self.crf if self.crf is not None else 20
            options = {
                "crf": str(crf),
                "preset": "medium",
                "x265-params": "log-level=error",
            }
            if self.path.suffix.lower() in (".mp4", ".mov"):
                ctx.codec_tag = "hvc1"  # what Apple players look for
        elif self.codec == "prores":
            options = {"profile": "3", "vendor": "apl0"}  # 3 = 422 HQ
        elif self.codec == "ffv1":
            want = 16 if self.width * self.height >= 1280 * 720 else 4
            slices = str(_ffv1_slices(self.width, self.height, want))
            options = {"level": "3", "g": "1", "slicecrc": "1", "slices": slices}
        stream.options = options
        src = self.source
        if src is not None and src.sample_aspect_ratio and src.sample_aspect_ratio != 1:
            ctx.sample_aspect_ratio = src.sample_aspect_ratio
        if src is not None and src.rotation:
            stream.set_display_rotation(-src.rotation)
        self._vstream = stream
        if remux and src is not None and src.kind == "video" and (src.audio or src.subtitles):
            self._remux = _Remuxer(self._out, src, self.path)

    def _start(self, fmt: str) -> None:
        """Fix the pixel format on the first frame (FFV1 and sequences follow the input)."""
        self._fmt = fmt
        self._pix_fmt = _encoder_pix_fmt(self.codec, self.bit_depth, fmt)
        if self.sequence:
            ctx = av.CodecContext.create("png" if self.codec == "png16" else "tiff", "w")
            ctx.width, ctx.height = self.width, self.height
            ctx.pix_fmt = self._pix_fmt
            ctx.time_base = self.time_base
            if self.codec == "tiff16":
                ctx.options = {"compression_algo": "deflate"}
            self._image_ctx = ctx
            return
        ctx = self._vstream.codec_context
        self._vstream.pix_fmt = self._pix_fmt
        if self._pix_fmt.startswith(("rgb", "bgr", "gbr")):
            ctx.colorspace = _MATRIX_CODES["rgb"]
        elif self._pix_fmt.startswith("gray"):
            ctx.color_range = _RANGE_CODES["full"]
        else:
            code = _MATRIX_CODES[self._matrix]
            if self._matrix == "bt601" and self._primaries == "bt470bg":
                code = 5  # PAL's code for the same matrix
            ctx.colorspace = code
            ctx.color_range = _RANGE_CODES[self._range]
        if self._primaries in _PRIMARIES_CODES:
            ctx.color_primaries = _PRIMARIES_CODES[self._primaries]
        if self._transfer in _TRANSFER_CODES:
            ctx.color_trc = _TRANSFER_CODES[self._transfer]

    # ------------------------------------------------------------------ frames

    def _to_frame(self, image: np.ndarray, fmt: str) -> av.VideoFrame:
        pix, channels, dtype = _FMTS[fmt]
        expect = (self.height, self.width, channels) if channels else (self.height, self.width)
        if image.shape != expect or image.dtype != dtype:
            raise ValueError(
                f"fmt {fmt!r} wants an array {expect} of {np.dtype(dtype).name}, "
                f"got {image.shape} of {image.dtype}"
            )
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(image), format=pix, channel_last=True
        )
        assert self._pix_fmt is not None
        if frame.format.name == self._pix_fmt:
            return frame
        cs = _SWS_CS[self._matrix]
        rng = _RANGE_CODES[self._range]
        is_yuv = pix.startswith("yuv")
        out_yuv = self._pix_fmt.startswith("yuv")
        # YCbCr in and out: same matrix and range on both sides, so only the
        # chroma siting/bit depth changes. RGB/grey are full range.
        src_range = rng if is_yuv else 2
        dst_range = rng if out_yuv else 2
        return self._reformatter.reformat(
            frame,
            format=self._pix_fmt,
            src_colorspace=cs,
            dst_colorspace=cs,
            src_color_range=src_range,
            dst_color_range=dst_range,
            interpolation=Interpolation.BICUBIC | Interpolation.ACCURATE_RND,
        )

    def write(self, image: np.ndarray, pts: int, *, fmt: Fmt = "rgb24") -> None:
        """Add one frame shown at `pts` (in `time_base` units); pts must increase."""
        if self._closed:
            raise ValueError("writer is closed")
        if fmt not in _FMTS:
            raise ValueError(f"unknown fmt {fmt!r}; use one of {', '.join(_FMTS)}")
        pts = int(pts)
        if self._last_pts is not None and pts <= self._last_pts:
            raise ValueError(f"pts must increase: {pts} after {self._last_pts}")
        if self._fmt is None:
            self._start(fmt)
        frame = self._to_frame(image, fmt)
        frame.pts = pts
        frame.time_base = self.time_base
        try:
            if self.sequence:
                self._write_image(frame)
            else:
                for packet in self._vstream.encode(frame):
                    self._mux_video(packet)
        except av.error.FFmpegError as exc:
            raise OutputError(f"writing failed ({_ff_reason(exc)})", path=self.path) from None
        except OSError as exc:
            raise OutputError(f"writing failed ({_ff_reason(exc)})", path=self.path) from None
        self._last_pts = pts
        self._count += 1

    def _write_image(self, frame: av.VideoFrame) -> None:
        ext = _SEQUENCE_EXT[self.codec]
        data = b"".join(bytes(p) for p in self._image_ctx.encode(frame))
        with open(self._tmp / sequence_name(self.first_index + self._count, ext), "wb") as fh:
            fh.write(data)

    def _mux_video(self, packet: Any) -> None:
        if self._remux is not None and packet.dts is not None:
            self._remux.feed(packet.dts * packet.time_base)
        self._out.mux(packet)

    # ------------------------------------------------------------------ finish

    def close(self) -> Path:
        """Flush, copy the source's audio/subtitles, and move the output into place."""
        if self._closed:
            return self.path
        try:
            if self._count == 0:
                raise OutputError("no frames were written", path=self.path)
            if self.sequence:
                self._finish_sequence()
            else:
                self._finish_file()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return self.path

    def _finish_file(self) -> None:
        try:
            for packet in self._vstream.encode(None):
                self._mux_video(packet)
            if self._remux is not None:
                self._remux.feed(None)
            self._out.close()
        except av.error.FFmpegError as exc:
            raise OutputError(f"writing failed ({_ff_reason(exc)})", path=self.path) from None
        self._out = None
        if self._remux is not None:
            self._remux.close()
            self._remux = None
        _fsync_path(self._tmp)
        os.replace(self._tmp, self.path)
        _fsync_path(self.path.parent)

    def _finish_sequence(self) -> None:
        for p in self._tmp.iterdir():
            _fsync_path(p)
        _replace_folder(self._tmp, self.path)

    def abort(self) -> None:
        """Drop everything written so far; the output path stays as it was."""
        self._closed = True
        # A broken encoder or file must not stop the cleanup.
        if self._out is not None:
            with contextlib.suppress(Exception):
                self._out.close()
            self._out = None
        if self._remux is not None:
            self._remux.close()
            self._remux = None
        _remove(self._tmp)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


# --------------------------------------------------------------------------- joining chunks


# MP4/MOV store a chunk's late start as an edit list in milliseconds, which moves its frames;
# chunks for these containers are written from pts 0 and moved back by `join_video`.
CHUNK_STARTS_AT_ZERO = (".mp4", ".mov")


def join_video(
    parts: Sequence[str | Path],
    output: str | Path,
    *,
    source: MediaInfo | None = None,
    time_base: Fraction | None = None,
    offsets: Sequence[int] | None = None,
    overwrite: bool = False,
    remux: bool = True,
    tmp_dir: str | Path | None = None,
) -> Path:
    """One film from chunk files that `VideoWriter(remux=False)` wrote, in order; atomic.

    The chunks' video packets are copied, not re-encoded, so each chunk must
    start on a keyframe and all must share the encoder settings (checked: the
    codec headers must be equal). With `source` (and `remux`), its audio and
    subtitle streams are copied packet for packet as `VideoWriter` does, with
    its chapters and rotation. `time_base` is the video stream's (the source's).

    Timestamps: chunk files in the output's own container store what the
    output will, except that an MP4/MOV chunk starting later than 0 gets an
    edit list in milliseconds, which moves its frames. So MP4/MOV chunks are
    written starting at 0 (see `CHUNK_STARTS_AT_ZERO`) and `offsets[k]` (in
    `time_base` units) is added back to chunk k here: every pts comes through
    exactly. The file is built under `tmp_dir` (default: beside the output,
    same file system) and renamed into place.
    """
    if not parts:
        raise ValueError("no chunks to join")
    if offsets is not None and len(offsets) != len(parts):
        raise ValueError(f"{len(offsets)} offsets for {len(parts)} chunks")
    inputs = [source.path] if source is not None else []
    path = check_output_path(output, inputs=inputs, overwrite=overwrite)
    ext = path.suffix.lower()
    if ext not in VIDEO_CONTAINERS:
        raise OutputError(f"cannot join video into a '{ext or 'no extension'}' file", path=path)
    folder = Path(tmp_dir) if tmp_dir is not None else path.parent
    tmp = folder / f".{path.name}.{uuid.uuid4().hex[:8]}.part{ext}"
    out: Any = None
    remuxer: _Remuxer | None = None
    try:
        out = av.open(str(tmp), mode="w", container_options={"avoid_negative_ts": "disabled"})
        first = _open_container(Path(parts[0]))
        try:
            template = first.streams.video[0]
            vstream = out.add_stream_from_template(template)
            header = bytes(template.codec_context.extradata or b"")
        finally:
            first.close()
        if time_base is not None:
            vstream.time_base = time_base
        if source is not None and source.rotation:
            vstream.set_display_rotation(-source.rotation)
        has_streams = source is not None and bool(source.audio or source.subtitles)
        if remux and source is not None and source.kind == "video" and has_streams:
            remuxer = _Remuxer(out, source, path)
        last_dts: Fraction | None = None
        for k, part in enumerate(parts):
            offset = Fraction(offsets[k]) * (time_base or 1) if offsets else Fraction(0)
            last_dts = _copy_chunk(
                Path(part), out, vstream, header, remuxer, last_dts, offset, path
            )
        if remuxer is not None:
            remuxer.feed(None)
        out.close()
        out = None
        _fsync_path(tmp)
        os.replace(tmp, path)
        _fsync_path(path.parent)
    except (av.error.FFmpegError, OSError) as exc:
        raise OutputError(f"joining the chunks failed ({_ff_reason(exc)})", path=path) from None
    finally:
        if out is not None:
            with contextlib.suppress(Exception):
                out.close()
        if remuxer is not None:
            remuxer.close()
        _remove(tmp)
    return path


def _copy_chunk(
    part: Path,
    out: Any,
    vstream: Any,
    header: bytes,
    remuxer: _Remuxer | None,
    last_dts: Fraction | None,
    offset: Fraction,
    path: Path,
) -> Fraction | None:
    """Mux the video packets of one chunk, `offset` seconds later than stored; returns the
    last dts (seconds) written."""
    container = _open_container(part)
    try:
        stream = container.streams.video[0]
        if bytes(stream.codec_context.extradata or b"") != header:
            raise OutputError(
                f"chunk {part.name} was encoded with other settings than the first; "
                "start the job over",
                path=path,
            )
        shift = offset / stream.time_base
        if shift.denominator != 1:
            raise OutputError(
                f"chunk {part.name}: its time base {stream.time_base} cannot hold the offset "
                f"{offset} s exactly",
                path=path,
            )
        for packet in container.demux(stream):
            if packet.size == 0 and packet.pts is None and packet.dts is None:
                continue  # the demuxer's flush packet
            if shift:
                if packet.pts is not None:
                    packet.pts += int(shift)
                if packet.dts is not None:
                    packet.dts += int(shift)
            if packet.dts is None and last_dts is not None:
                # Matroska stores no decode times; its demuxer leaves them out for a chunk's
                # first frames. Any increasing ones do there (only the order is stored).
                packet.dts = _tick_after(last_dts, packet.time_base)
            if packet.dts is not None:
                if last_dts is not None and packet.dts * packet.time_base <= last_dts:
                    # A chunk's first decode times reach back by its reordering delay; with a
                    # variable frame rate that can touch the previous chunk's last one. Decode
                    # times only order the packets: the smallest later tick does the same.
                    packet.dts = _tick_after(last_dts, packet.time_base)
                if packet.pts is not None and packet.dts > packet.pts:
                    raise OutputError(
                        f"chunk {part.name} cannot follow the one before it (decode times overlap)",
                        path=path,
                    )
                dts = packet.dts * packet.time_base
                last_dts = dts
                if remuxer is not None:
                    remuxer.feed(dts)
            packet.stream = vstream
            out.mux(packet)
    finally:
        container.close()
    return last_dts


def _tick_after(seconds: Fraction, time_base: Fraction) -> int:
    """The first tick of `time_base` later than `seconds`."""
    return math.floor(seconds / time_base) + 1


def join_sequence(
    parts: Sequence[str | Path],
    output: str | Path,
    *,
    overwrite: bool = False,
    tmp_dir: str | Path | None = None,
) -> Path:
    """One image-sequence folder from chunk folders (frame files numbered film-wide); atomic.

    Files are hard-linked (copied where links are impossible), so the chunks
    stay whole until the folder is in place: an interrupted join can run again.
    """
    path = check_output_path(output, overwrite=overwrite)
    if path.is_dir() and not _looks_like_sequence(path):
        raise OutputError("is a folder holding other files; refusing to replace it", path=path)
    if os.path.lexists(path) and not path.is_dir():
        raise OutputError("is a file; image sequences are written into a folder", path=path)
    folder = Path(tmp_dir) if tmp_dir is not None else path.parent
    tmp = folder / f".{path.name}.{uuid.uuid4().hex[:8]}.part"
    try:
        tmp.mkdir()
        for part in parts:
            for f in sorted(Path(part).iterdir()):
                if f.name.startswith("."):
                    continue
                target = tmp / f.name
                if os.path.lexists(target):
                    raise OutputError(f"two chunks hold {f.name}; start the job over", path=path)
                try:
                    os.link(f, target)
                except OSError:
                    shutil.copy2(f, target)
                    _fsync_path(target)
        _replace_folder(tmp, path)
    except OSError as exc:
        raise OutputError(f"joining the frames failed ({_ff_reason(exc)})", path=path) from None
    finally:
        _remove(tmp)
    return path
