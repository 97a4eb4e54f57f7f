"""Encoding frames into a film file or an image sequence: `VideoWriter`.

Writing (`VideoWriter`): H.264/H.265 (8 or 10 bit 4:2:0), ProRes 422 HQ
(10 bit 4:2:2), FFV1 (lossless; keeps the layout it is given: RGB, grey or
YCbCr 4:4:4, 8 or 16 bit) into .mp4/.mov/.mkv chosen by the output's extension,
or 16-bit PNG/TIFF sequences into a folder. The output video stream uses the
time base and the pts it is given, so a variable-frame-rate film keeps its
timing. What the muxers then do: MP4/MOV store a timescale of their own (the
time base's denominator, doubled until it reaches 10000) — every pts is kept
exactly as a time; Matroska stores milliseconds — times are kept to the
millisecond, which is all the format can hold.

The source's sound and subtitles are copied in the same pass
(`panchro.engine.media.remux`), and the output is written atomically
(`panchro.engine.media.output`).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from panchro.engine import timecode
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.media import dpx
from panchro.engine.media.container import _ff_reason
from panchro.engine.media.formats import (
    _CODEC_LABEL,
    _FMTS,
    _MATRIX_CODES,
    _PRIMARIES_CODES,
    _RANGE_CODES,
    _SEQUENCE_EXT,
    _SWS_CS,
    _TRANSFER_CODES,
    Fmt,
    _ffv1_slices,
    _looks_like_sequence,
    check_codec,
    check_codec_path,
    check_frame_size,
    coded_bits,
    default_matrix,
    sequence_name,
    sws_threads,
)
from panchro.engine.media.info import MediaInfo
from panchro.engine.media.output import _fsync_path, _remove, _replace_folder, check_output_path
from panchro.engine.media.remux import _Remuxer
from panchro.engine.media.sound import Soundtrack

_ENCODERS = {"h264": "libx264", "h265": "libx265", "prores": "prores_ks", "ffv1": "ffv1"}

_DEFAULT_CRF = {"h264": 18, "h265": 20}


def _ffv1_pix_fmt(fmt: str, bit_depth: int) -> str:
    """FFV1 holds what is asked: 10 bits as 10 (they were written as 16); at the default 8,
    frames of 16 bits keep their 16 (a master of a deep scan loses nothing)."""
    if bit_depth == 10:
        kind = "gbrp" if fmt.startswith("rgb") else "gray" if fmt.startswith("gray") else "yuv444p"
        return f"{kind}10le"
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
    if codec == "dpx":  # big-endian ("SDPX"), as scanners write it and every reader takes
        bits = coded_bits(codec, bit_depth)
        if bits < 16:
            return f"gbrp{bits}be"  # 10 or 12 bits: RGB packed into 32-bit words
        return "gray16be" if grey else "rgb48be"
    return "gray16le" if grey else "rgb48le"  # tiff16


_SEQUENCE_ENCODER = {"png16": "png", "tiff16": "tiff", "dpx": "dpx"}


def _nearest_of(image: np.ndarray, bits: int) -> np.ndarray:
    """16-bit samples at the nearest `bits`-bit value, in the top bits: FFmpeg's conversion
    to fewer bits keeps the top bits (truncates: up to a whole step darker, where rounding
    is half a step either way)."""
    top = (1 << bits) - 1
    nearest = np.minimum(np.rint(image.astype(np.float32) * (top / 65535)), top)
    return nearest.astype(np.uint16) << (16 - bits)


class VideoWriter:
    """Encode frames into a film file or an image sequence, atomically.

    The video stream takes `time_base` and each frame's `pts` as given, so the
    source's timing (VFR included) carries through; see the module docstring
    for what MP4/MOV (exact) and Matroska (milliseconds) keep. With `source`,
    its colour tags, pixel aspect and rotation are written, and (with `remux`)
    every audio and subtitle stream is copied packet for packet (re-encoded where the
    container cannot hold it: `remux`), those of `span` only (seconds of the source, moved
    to 0), or `soundtrack`'s sound in place of the source's.

    Pixel formats: h264/h265 yuv420p (8 bit) or yuv420p10le (10 bit); prores
    yuv422p10le (ProRes 422 HQ, whatever `bit_depth`); ffv1 keeps what it is
    given — rgb → bgr0/rgb48le, gray → gray/gray16le, yuv444p → yuv444p/
    yuv444p16le (16-bit when the frames or `bit_depth` are deeper than 8);
    png16 rgb48be/gray16be, tiff16 rgb48le/gray16le (deflate) and dpx (10 or 12 bits
    packed RGB, or 16-bit RGB/grey, big-endian: `coded_bits`) files named
    frame_000000.png... in a folder (numbered from `first_index`, so chunks of
    one film can be written apart and joined by `join_sequence`). Sequences
    carry no timing: a VFR film becomes one file per frame; DPX frames say their number in
    the film, `fps` and a timecode in their film and television headers (`media.dpx`): the
    source's own moved on by the frame's number, where it has one.
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
        span: tuple[Fraction, Fraction | None] | None = None,
        soundtrack: Soundtrack | None = None,
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
        self.span = span  # the source's sound and subtitles of this part only (`remux`)
        self.soundtrack = soundtrack  # sound in place of the source's (`sound.Soundtrack`)
        self.sequence = codec in _SEQUENCE_EXT
        inputs = [source.path] if source is not None else []
        inputs += [soundtrack.path] if soundtrack is not None else []
        self.path = check_output_path(path, inputs=inputs, overwrite=overwrite)
        ext = self.path.suffix.lower()
        check_codec_path(codec, self.path)

        # Colour tags: the source's, else the usual guess for untagged YCbCr made by the
        # source's size, which its planes were decoded by: an SD film enlarged to HD keeps
        # BT.601 (tagged), where the guess by the output's size gave it BT.709's colours.
        guess = default_matrix(source.width, source.height) if source else None
        guess = guess or default_matrix(width, height)
        matrix = (source.color_matrix if source else None) or guess
        if matrix not in _SWS_CS:
            matrix = guess
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
        # a frame's time on screen, for the packets an encoder leaves without one (FFV1,
        # x264 into Matroska): else a film's last frame lasts nothing there, and a film of
        # one frame reads as 1,000 fps
        self._step = max(1, round(1 / (self.fps * self.time_base)))
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
        carried = src is not None and bool(src.audio or src.subtitles or src.chapters)
        carried = carried and src is not None and src.kind == "video"
        if remux and src is not None and (carried or self.soundtrack is not None):
            self._remux = _Remuxer(self._out, src, self.path, self.span, self.soundtrack)

    def _start(self, fmt: str) -> None:
        """Fix the pixel format on the first frame (FFV1 and sequences follow the input)."""
        self._fmt = fmt
        self._pix_fmt = _encoder_pix_fmt(self.codec, self.bit_depth, fmt)
        if self.sequence:
            ctx = av.CodecContext.create(_SEQUENCE_ENCODER[self.codec], "w")
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
        src = self.source
        if src is not None and src.interlaced and src.deinterlace == "not deinterlaced":
            # its fields woven as they came (--deinterlace off, keep): flagged so, where the
            # output had said progressive to an editing suite (H.264 in a MOV says its own)
            order = {"top field first": 2, "bottom field first": 3}.get(src.field_order or "")
            if order is not None:
                ctx.field_order = order
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
            threads=sws_threads(pix, self._pix_fmt),
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
        bits = coded_bits(self.codec, self.bit_depth)
        if self.codec in ("dpx", "ffv1") and bits in (10, 12) and image.dtype == np.uint16:
            image = _nearest_of(image, bits)
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
        if self.codec == "dpx":  # its number in the film, the rate and a timecode, as scans
            index = self.first_index + self._count
            start = self.source.timecode if self.source is not None else None
            read_at = self.source.fps if self.source is not None else None  # may be slower
            label = timecode.shifted(start, index, self.fps, read_at=read_at)
            data = dpx.with_motion_headers(data, frame=index, fps=self.fps, timecode=label)
        with open(self._tmp / sequence_name(self.first_index + self._count, ext), "wb") as fh:
            fh.write(data)

    def _mux_video(self, packet: Any) -> None:
        if not packet.duration:
            packet.duration = self._step
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
                shown = None  # where the pictures end: a soundtrack is cut there
                if self._last_pts is not None:
                    shown = self._last_pts * self.time_base + 1 / self.fps
                self._remux.finish(shown)
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
