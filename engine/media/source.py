"""Opening a film to read: `open_source`, `probe` and the `Source` it gives.

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
base of ``1/fps`` (default 24 fps, or a DPX folder's own from its headers).

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
* Seeking that does not land where the index says, and the pixel layouts
  frames come in: see `panchro.engine.media.decode`.
* `rotation` is the clockwise rotation (0/90/180/270) a player applies to show
  the coded picture upright; frames are returned as coded, and a `VideoWriter`
  given a `source` writes the same display matrix back.
* An interlaced video is deinterlaced as it is decoded, one picture per frame, and
  a film telecined to video field matched (`panchro.engine.media.deinterlace`):
  what is done is decided once per file and process from what the file says and
  what FFmpeg's `idet` and `fieldmatch` make of its pictures; `MediaInfo.deinterlace`
  says it.
* Repeated frames are left out (`panchro.engine.media.decimate`): one in five of a
  field-matched NTSC film, one in N (3-6) of a transfer whose pictures show such a
  cadence. `info` then counts and times the frames kept (the rate the film's own,
  the time base N-1 times finer, the length the same); frame i is the i-th kept.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.media import decimate as _decimate
from panchro.engine.media import deinterlace as _deint
from panchro.engine.media import levels as _levels
from panchro.engine.media import scan as _scan
from panchro.engine.media import stills as _stills
from panchro.engine.media.container import (
    _check_readable_file,
    _ff_reason,
    _open_container,
    _pick_video_stream,
)
from panchro.engine.media.decode import _Converter, _PacketIndex, _SeekPolicy, _VideoDecoder
from panchro.engine.media.dpx import first_timecode, header_rate
from panchro.engine.media.formats import _FMTS, IMAGE_EXTENSIONS, Fmt, _bit_depth, _colour_tags
from panchro.engine.media.index import _index_key, _is_vfr, _packet_index
from panchro.engine.media.info import Frame, MediaInfo, StreamInfo
from panchro.engine.media.retime import decimated_info, fraction_fps, retimed
from panchro.engine.media.stills import _decode_still, _list_images, _probe_stills
from panchro.engine.timecode import of_stream

log = logging.getLogger(__name__)

# Frames before a damaged one that `read_frame(conceal=True)` decodes to find the good frame
# an export repeats in its place (a chunk reads from further back and may find an earlier one).
CONCEAL_REACH = 16


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
        or ("timecode" if meta.get("timecode") else "unknown")  # a MOV's timecode track
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


def _decode_first(container: Any, stream: Any, path: Path) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise BadInputError(
            f"the video stream cannot be decoded ({_ff_reason(exc)})", path=path
        ) from None
    raise BadInputError("the video stream has no decodable frame", path=path)


def _probe_video(path: Path) -> tuple[MediaInfo, _PacketIndex, int, bool]:
    """The film's facts, its packet index, its video stream, and whether the decoder
    flags each frame as interlaced or not (MPEG-2, H.264 do; many codecs never say)."""
    container = _open_container(path)
    try:
        fmt_name = container.format.name
        if fmt_name == "image2" or fmt_name.endswith("_pipe"):
            raise _IsImage()  # a still picture whatever its name (png_pipe, webp_pipe...)
        stream = _pick_video_stream(container)
        if stream is None:
            has_audio = bool(container.streams.audio)
            raise BadInputError(
                "has no video stream"
                + (
                    " (it holds only sound: give it to a film as its soundtrack)"
                    if has_audio
                    else ""
                ),
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
        try:
            chapters = len(container.chapters())
        except (av.error.FFmpegError, ValueError, AttributeError):
            chapters = 0  # unreadable chapters are not worth refusing the film for
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
        field_order = _deint.field_order_name(stream.codec_context.field_order)
        flagged = bool(getattr(first, "interlaced_frame", False))
        timecode = of_stream(container, stream)
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
        chapters=chapters,
        truncated=index.truncated,
        expected_frames=index.expected,
        field_order=field_order,
        interlaced=flagged or field_order in _deint.FIELD_ORDERS,
        timecode=timecode,
        **tags,
    )
    return info, index, stream_index, flagged


class _IsImage(Exception):
    """The file opened as a still picture rather than a video."""


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
        deinterlace_args: str | None = None,
        cycles: tuple[int, ...] = (),
    ) -> None:
        self.info = info
        # The table its samples are read through (`media.scan.curve`, set by `open_source`),
        # or None: as coded.
        self._curve: np.ndarray | None = None
        # The black and white points stretched as it is read (`media.levels`), or None.
        self._levels: tuple[float, ...] | None = None
        # The filters frames go through as they are decoded (`deinterlace.filter_args`)
        self._deinterlace = deinterlace_args
        # One decoded frame in each cycle left out (`decimate`), cycle after cycle: `info`
        # counts and times the frames kept; `_decoded` is how many the stream holds.
        self._decoded = len(index.pts) if index is not None else info.frame_count
        self._cycles = tuple(cycles) if index is not None else ()
        self._view_pts = _decimate.pts_of(index.pts, self._cycles) if self._cycles else None
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

    def _converter(self) -> _Converter:
        return _Converter(self.info.width, self.info.height, self._curve, self._levels)

    @property
    def deinterlace_args(self) -> str | None:
        """The filters frames go through as they are decoded (bwdif's options, or field
        matching's chain), else None."""
        return self._deinterlace

    @property
    def decimated(self) -> tuple[int, ...]:
        """The cycles N, one frame in each left out, in turn (5: a telecined NTSC film back
        at 23.976 fps; 3-6: a film's repeated frames); () when none is."""
        return self._cycles

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
        if self._view_pts is not None:
            return int(self._view_pts[index])
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
        convert = self._converter()
        tb = self.info.time_base
        frames = self._decoded_from(decoder, start)
        try:
            for i, frame in frames:
                if i >= stop:
                    return
                if i >= start:
                    yield Frame(i, self._pts(i), tb, convert(frame, fmt, size))
        finally:
            frames.close()  # type: ignore[attr-defined]
            decoder.close()

    def _decoded_from(
        self, decoder: _VideoDecoder, start: int
    ) -> Iterator[tuple[int, av.VideoFrame]]:
        """Frames from `start` on (from those before it that the deinterlacing filters
        and decimation make frame `start` from too, when they are on:
        `deinterlace.lead`, `decimate.first_coded`; the caller skips them)."""
        coded = start
        if self._cycles:
            coded = _decimate.first_coded_of(start, self._decoded, self._cycles)
        if self._deinterlace is None:
            frames = decoder.frames_from(coded)
        else:
            before = max(coded - _deint.lead(self._deinterlace), 0)
            frames = _deint.deinterlaced(decoder.frames_from(before), self._deinterlace)
        if self._cycles:
            return _decimate.decimated_by(frames, self._decoded, self._cycles)
        return frames

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
        convert = self._converter()
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
        self,
        index: int,
        *,
        fmt: Fmt = "rgb24",
        size: tuple[int, int] | None = None,
        conceal: bool = False,
    ) -> Frame:
        """Frame `index`: seek to the keyframe at or before it and decode forward.

        With `conceal`, a frame that does not decode is the one `frames(conceal=True)` gives
        in its place, as an export writes it (the last good frame before it), `damaged`."""
        index = self._check_range(index)
        if fmt not in _FMTS:
            raise ValueError(f"unknown fmt {fmt!r}; use one of {', '.join(_FMTS)}")
        with self._lock:
            if self._closed:
                raise ValueError("source is closed")
            if self._files is not None:
                if self._cursor_converter is None:
                    self._cursor_converter = self._converter()
                return self._still_frame(index, fmt, size, self._cursor_converter)
            try:
                return self._read_video_frame(index, fmt, size)
            except BadInputError:
                if not conceal:
                    raise
            # from a few frames before, so a damaged frame repeats the good one before it
            *_, last = self._concealed_frames(max(0, index - CONCEAL_REACH), index + 1, fmt, size)
            return last

    def _read_video_frame(self, index: int, fmt: str, size: tuple[int, int] | None) -> Frame:
        idx = self._index
        assert idx is not None
        if self._cursor is None:
            assert self._policy is not None
            self._cursor = _VideoDecoder(self._path, self._stream_index, idx, self._policy)
            self._cursor_converter = self._converter()
        assert self._cursor_converter is not None
        last = self._cursor_last
        # Going forward within reach (same keyframe, or a few frames on): keep decoding.
        forward = (
            self._cursor_iter is not None
            and index > last >= 0
            and (
                not self._policy.seek_ok
                or idx.key_for(self._coded(index)) == idx.key_for(self._coded(last))
                or index - last <= 8
            )
        )
        if not forward:
            if self._cursor_iter is not None:
                self._cursor_iter.close()  # type: ignore[attr-defined]
            self._cursor_iter = self._decoded_from(self._cursor, index)
        try:
            for i, frame in self._cursor_iter:
                if i < index:
                    continue  # the frame before, decoded for deinterlacing only
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

    def _coded(self, index: int) -> int:
        """The decoded frame nearest frame `index` (the same but when decimated)."""
        if not self._cycles:
            return index
        return _decimate.coded_index_of(index, self._decoded, self._cycles)

    def index_at(self, seconds: float) -> int:
        """The frame on screen at `seconds` (on the film's own clock, as `Frame.time_s`)."""
        n = self.info.frame_count
        if self._index is None:
            i = int(np.floor(float(seconds) * float(self.info.fps) + 1e-9))
        else:
            pts = self._view_pts if self._view_pts is not None else self._index.pts
            ticks = Fraction(seconds).limit_denominator(10**9) / self.info.time_base
            i = int(np.searchsorted(pts, float(ticks) + 1e-6, side="right")) - 1
        return min(max(i, 0), n - 1)


_SCAN_CACHE: dict[tuple, Any] = {}
_SCAN_CACHE_LOCK = threading.Lock()


def _scan_check(
    path: Path,
    stream_index: int,
    index: _PacketIndex,
    frame_count: int,
    runs: int = 3,
    match: str | None = None,
) -> _deint.ScanCheck | None:
    """`deinterlace.check_scan` of a film, once per file, `runs`, `match` and process (a
    film is opened for every preview); None where its frames do not decode."""
    return _cached(
        ("scan", runs, match), path, stream_index, index,
        lambda frames_at: _deint.check_scan(frames_at, frame_count, runs, match=match),
    )  # fmt: skip


def _repeat_check(
    path: Path, stream_index: int, index: _PacketIndex, frame_count: int, view: Source
) -> int | None:
    """`decimate.find_repeats` of the frames `view` gives (`frame_count` of them), once
    per file, way of reading and process."""

    def check(frames_at: Any) -> int | None:
        def view_at(start: int) -> Iterator[av.VideoFrame]:
            if not view.decimated and view.deinterlace_args is None:
                yield from frames_at(start)  # the frames as decoded
                return
            decoder = _VideoDecoder(path, stream_index, index, _SeekPolicy(index), tolerant=True)
            frames = view._decoded_from(decoder, start)
            try:
                for j, frame in frames:
                    if j >= start:
                        yield frame
            finally:
                frames.close()  # type: ignore[attr-defined]
                decoder.close()

        # The tape's frames had no first look of their own: one here, on the view.
        return _decimate.find_repeats(view_at, frame_count, first_look=bool(view.decimated))

    how = (view.deinterlace_args, view.decimated)
    return _cached(("repeats", how), path, stream_index, index, check)  # type: ignore[no-any-return]


def _cached(what: tuple, path: Path, stream_index: int, index: _PacketIndex, check: Any) -> Any:
    """`check(frames_at)` of a film's pictures, once per file, `what` and process; None
    where its frames do not decode."""
    key = (*_index_key(path, stream_index), *what)
    with _SCAN_CACHE_LOCK:
        if key in _SCAN_CACHE:
            return _SCAN_CACHE[key]
    # Tolerant: a frame that does not decode is left out of the judging, not a reason to
    # judge nothing.
    decoder = _VideoDecoder(path, stream_index, index, _SeekPolicy(index), tolerant=True)

    def frames_at(start: int) -> Iterator[av.VideoFrame]:
        frames = decoder.frames_from(start)
        try:
            for _, frame in frames:
                yield frame
        finally:
            frames.close()  # type: ignore[attr-defined]

    try:
        found = check(frames_at)
    except (BadInputError, av.error.FFmpegError) as exc:
        log.warning("%s: the %s check failed (%s); going by the file's flags", path, what[0], exc)
        found = None
    finally:
        decoder.close()
    with _SCAN_CACHE_LOCK:
        _SCAN_CACHE[key] = found
        while len(_SCAN_CACHE) > 64:
            _SCAN_CACHE.pop(next(iter(_SCAN_CACHE)))
    return found


# The modes that deinterlace or field match every frame, whatever the pictures look like.
_FORCED = ("tff", "bff", "telecine")


def open_source(
    path: str | Path,
    *,
    fps: float | Fraction | None = None,
    deinterlace: str = "auto",
    scan: str = "auto",
    levels: tuple[float, ...] | None = None,
) -> Source:
    """Open a video file, a folder of frames or an image; BadInputError says why not.

    `fps` sets the timing of frame folders and images (default 24, or the rate a folder of
    DPX frames says in its headers: `MediaInfo.rate_from_files`); a video file
    keeps its own timing unless `fps` asks for another: then its frames are shown at
    that rate, its sound and subtitles left out (`retimed`).
    `deinterlace` (`deinterlace.DEINTERLACE_MODES`):
    "auto" deinterlaces a video file that is interlaced, by what it says and how
    its pictures look to `idet` (a film telecined to video is field matched); "off"
    never; "tff"/"bff" every frame with that field first; "telecine" field matching
    (these three refused for pictures, which are never interlaced, and "telecine" for
    video that is not 8-bit YUV); "keep" as "auto" but with every frame of the file (no
    repeat left out, no decimation: `decimate`; a folder's files one after another, where
    others hold the frame before each gap in the numbering: `stills.held_in_gaps`).
    `scan` (`scan.SCAN_MODES`): "auto" reads a log DPX scan at video levels, "coded" every
    film as coded, "negative" a negative's values turned over (`media.scan`).
    `levels`: the (black, white) points stretched to the full range as it is read, after
    `scan` (`media.levels`); None: as they are. `media.Reading` carries all of these.
    """
    _scan.check_mode(scan)
    if levels is not None:
        levels = _levels.check_points(levels)
    source = _open_source(path, fps, deinterlace)
    curve = _scan.curve(scan, source.info.log_reference)
    if curve is not None:
        source._curve = curve
        source.info = replace(source.info, scan=_scan.describe(scan, source.info.log_reference))
    if levels is not None:
        source._levels = levels
        source.info = replace(source.info, levels=levels)
    return source


def _open_source(path: str | Path, fps: float | Fraction | None, deinterlace: str) -> Source:
    _deint.check_mode(deinterlace)
    p = Path(path).expanduser()
    if not os.path.lexists(p):
        raise BadInputError("does not exist", path=p)
    if deinterlace in _FORCED and (p.is_dir() or p.suffix.lower() in IMAGE_EXTENSIONS):
        raise BadInputError(
            f"holds pictures, not interlaced video: deinterlacing ({deinterlace}) "
            "applies to video files",
            path=p,
        )
    if p.is_dir():
        if not os.access(p, os.R_OK | os.X_OK):
            raise BadInputError("folder cannot be read (permission denied)", path=p)
        files = _list_images(p)
        if not files:
            raise BadInputError(
                "contains no images (PNG, TIFF, JPEG or DPX frames expected)", path=p
            )
        # Scanned DPX frames may say the rate they were shot at: that, where none is given.
        dpx = files[0].suffix.lower() == ".dpx"
        said = header_rate(files[0]) if dpx else None
        rate = fraction_fps(fps if fps is not None or said is None else said)
        own = fps is None and said is not None
        # Its labels count its own rate: none, shown at another.
        same = said is None or abs(float(rate) - said) < 1e-3
        # A gap in the numbering is held ("keep": closed up); labels fit where all are.
        shown, held = (files, ()) if deinterlace == "keep" else _stills.held_in_gaps(files, rate)
        missing = _stills.missing_numbers(files)
        whole = len(shown) - len(files) == sum(b - a + 1 for a, b in missing)
        label = first_timecode(files[0]) if dpx and same and whole else None
        info = _probe_stills(p, files, "frames", rate, rate_from_files=own, timecode=label,
                             shown=len(shown), missing=missing, held=held)  # fmt: skip
        return Source(info, files=shown)
    _check_readable_file(p)
    if p.suffix.lower() in IMAGE_EXTENSIONS:
        info = _probe_stills(p, [p], "image", fraction_fps(fps))
        return Source(info, files=[p])
    try:
        info, index, stream_index, flagged = _probe_video(p)
    except _IsImage:
        info = _probe_stills(p, [p], "image", fraction_fps(fps))
        return Source(info, files=[p])
    says = info.interlaced
    matchable = _deint.matchable(info.pix_fmt)
    if deinterlace == "telecine" and not matchable:
        raise BadInputError(
            f"is {info.pix_fmt} video; field matching (telecine) takes 8-bit YUV "
            "(use tff or bff to deinterlace it)",
            path=p,
        )
    # "keep" judges as "auto" does; only no frame is left out.
    keep = deinterlace == "keep"
    if keep:
        deinterlace = "auto"
    check = None
    if deinterlace in ("auto", "telecine"):
        # A first look at every film; the whole check where the file says interlaced or
        # that look finds enough combed frames (both cached per file), with field
        # matching tried in the same pass where that look found them (in the order they
        # showed) or where it is asked for.
        check = _scan_check(p, stream_index, index, info.frame_count, runs=1)
        combed = check is not None and check.may_be_interlaced
        if says or combed or deinterlace == "telecine":
            order = None
            if matchable and (combed or deinterlace == "telecine"):
                stated = _deint.FIELD_ORDERS.get(info.field_order or "")
                order = check.parity if check is not None and combed else stated or "tff"
            check = _scan_check(p, stream_index, index, info.frame_count, match=order)
    args = _deint.filter_args(
        deinterlace, says_interlaced=says, field_order=info.field_order,
        frames_flagged=flagged, check=check,
    )  # fmt: skip
    said = _deint.describe(args, says_interlaced=says, field_order=info.field_order, check=check)
    looks = check is not None and check.looks_interlaced
    info = replace(info, interlaced=says or looks or bool(check and check.telecined))
    cycles: tuple[int, ...] = ()
    telecine = _decimate.telecine_cycle(info.fps, (args or "").startswith("fieldmatch="))
    if telecine is not None and not keep:
        # The tape's repeated pictures left out: the film at 23.976 fps.
        info = decimated_info(info, telecine)
        said = said.replace(")", f"; decimated to {float(info.fps):.3f} fps)", 1)
        cycles = (telecine,)
    # Frames the transfer repeated: where a first look saw some in a progressive film, or
    # in what field matching and decimation give (looked at closer every time: the first
    # look saw the tape's frames), the whole check decides.
    look = deinterlace == "auto" and not keep and (args is None or bool(cycles))
    if look and (cycles or (check is not None and _decimate.may_repeat(check.steps))):
        view = Source(info, index=index, stream_index=stream_index, deinterlace_args=args,
                      cycles=cycles)  # fmt: skip
        found = _repeat_check(p, stream_index, index, info.frame_count, view)
        if found is not None:
            info = decimated_info(info, found)
            left = f"repeated frames left out (one in {found}: {float(info.fps):.3f} fps)"
            said = left if said == "not deinterlaced" else f"{said}; {left}"
            cycles = (*cycles, found)
    info = replace(info, deinterlace=said)
    if fps is not None:
        info = retimed(info, fraction_fps(fps))
    return Source(
        info, index=index, stream_index=stream_index, deinterlace_args=args, cycles=cycles
    )


def probe(
    path: str | Path,
    *,
    fps: float | Fraction | None = None,
    deinterlace: str = "auto",
    scan: str = "auto",
    levels: tuple[float, ...] | None = None,
) -> MediaInfo:
    """What `open_source` would report, without keeping anything open."""
    with open_source(path, fps=fps, deinterlace=deinterlace, scan=scan, levels=levels) as src:
        return src.info
