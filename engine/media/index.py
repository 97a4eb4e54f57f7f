"""The packet index of a video file: its frames known by demuxing, without decoding.

Demuxing the video stream once gives the exact frame count, tells a variable
frame rate apart, and lists the keyframes `Source.read_frame` seeks to. The
index is cached per file (path, inode, size, mtime) in one process-wide cache,
so `probe` followed by `open_source` demuxes once.

A file that is cut short but still has its index (moov at the front, Matroska,
MPEG-TS) is indexed to the last good frame: the partial packet at the cut is
left out, and so are the frames there that cannot be decoded any more (checked
by decoding the last two GOPs) or that would follow a gap the cut left, each
with a logged warning, so the frame count is what streaming really yields. The
index says the file is truncated, and how many frames its header promised
where the header says (MP4's sample count, Matroska's NUMBER_OF_FRAMES or
DURATION tag at the film's pace).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import replace as dc_replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from panchro.engine.media.container import _ff_reason, _open_container
from panchro.engine.media.decode import _PacketIndex, _SeekPolicy, _VideoDecoder

log = logging.getLogger(__name__)


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
    if len(arr):
        # Matroska's DURATION tag and its segment's length run from 0, not from the first
        # frame: a film whose frames start later (a recording cut from a broadcast) has less.
        start_s = max(0.0, float(arr[0] * time_base))
        declared_s = declared_s - start_s if declared_s else declared_s
        file_s = file_s - start_s if file_s else file_s
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
