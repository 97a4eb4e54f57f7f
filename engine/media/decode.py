"""Decoding a video stream from any frame on, and turning frames into numpy arrays.

`_VideoDecoder` seeks to the keyframe at or before a frame (found in the packet
index, `_PacketIndex`, whose shape lives here so the decoder and the code that
builds the index can share it without importing each other) and decodes
forward. Frames are matched to the index by their pts, so frame ``i`` is always
the i-th in presentation order.

* Where seeking does not land where the index says (MPEG-PS re-times packets
  after a seek; raw .h264/.hevc streams have no timestamps at all), the source
  notices on the first seek and decodes from the start from then on: slower,
  never wrong. What was learnt is kept per source (`_SeekPolicy`).
* ``gray``/``gray16`` are luma expanded to full range (0 is black). ``yuv444p``
  and ``yuv444p16`` are the coded values untouched (chroma upsampled), in the
  range and matrix the source's tags say. Untagged YCbCr is read as BT.709 from
  720 lines up and BT.601 below, limited range (full range for ``yuvj`` formats).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from panchro.engine.errors import BadInputError
from panchro.engine.media import levels as _levels
from panchro.engine.media.container import _ff_reason, _open_container
from panchro.engine.media.formats import (
    _FMTS,
    _MATRIX_NAMES,
    _SWS_CS,
    _code,
    default_matrix,
    sws_threads,
)

log = logging.getLogger(__name__)
_SAID_DAMAGED: set[tuple[str, object]] = set()  # (file, pts) warned of


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
                # said once a process: the shots' pass and the export's each met it, twice said
                if (str(self.path), packet.pts) not in _SAID_DAMAGED:
                    _SAID_DAMAGED.add((str(self.path), packet.pts))
                    log.warning(
                        "%s: video data near pts %s cannot be decoded (%s); the frame before "
                        "stands in for it",
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


# 16-bit pictures stored big-endian (PNG) and the same layout in native order: numpy swaps
# the bytes where swscale would be asked to convert (grey from RGB still goes through it).
_SWAPPED = {"rgb48be": "rgb48le", "gray16be": "gray16le"}


class _Converter:
    """Decoded frames to numpy arrays in one of the `Fmt` layouts (one swscale context)."""

    def __init__(
        self,
        width: int,
        height: int,
        curve: np.ndarray | None = None,
        levels: tuple[float, ...] | None = None,
    ) -> None:
        self._reformatter = VideoReformatter()
        self._default_matrix = default_matrix(width, height)
        # A table every 16-bit RGB sample is read through first (`media.scan.curve`: a log
        # scan at video levels, a negative turned positive), or None.
        self._curve = curve
        # The black and white points stretched to the full range last (`media.levels`)
        self._levels = levels

    def __call__(self, frame: av.VideoFrame, fmt: str, size: tuple[int, int] | None) -> np.ndarray:
        if self._curve is not None:
            frame = self._through_curve(frame)
        image = self._convert(frame, fmt, size)
        if self._levels is None:
            return image
        # A straight line on the values: the same on the picture before or after resizing.
        limited = fmt.startswith("yuv") and self._source_colour(frame)[1] == 1
        return _levels.stretch(image, fmt, self._levels, limited=limited)

    def _through_curve(self, frame: av.VideoFrame) -> av.VideoFrame:
        """`frame` as 16-bit RGB through the curve, its colour tags kept (RGB is full range
        whatever its range says; the range goes back on a YUV frame made of it)."""
        rgb = self._curve[self._convert(frame, "rgb48", None)]  # type: ignore[index]
        out = av.VideoFrame.from_ndarray(rgb, format="rgb48le")
        out.colorspace, out.color_range = frame.colorspace, frame.color_range
        return out

    def _convert(self, frame: av.VideoFrame, fmt: str, size: tuple[int, int] | None) -> np.ndarray:
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
        if same_size and _SWAPPED.get(name) == pix:
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
            threads=sws_threads(name, pix),
        )
        return out.to_ndarray(channel_last=True)

    def _source_colour(self, frame: av.VideoFrame) -> tuple[int, int]:
        matrix = _MATRIX_NAMES.get(_code(frame.colorspace, 2))
        cs = _SWS_CS.get(matrix or "", _SWS_CS[self._default_matrix])
        rng = _code(frame.color_range, 0)
        if rng not in (1, 2):
            rng = 2 if frame.format.name.startswith("yuvj") else 1
        return cs, rng
