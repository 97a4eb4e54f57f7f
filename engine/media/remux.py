"""Copying a source's sound, subtitles and chapters into an output, never re-encoded.

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

A span of the film (`span`: from `t0` to `t1` seconds on the source's clock) keeps what
is heard and shown within it, moved `t0` earlier, so the output's first frame is at 0: each
audio packet that sounds within the span is copied whole (one that starts before `t0` keeps
its place a few milliseconds before 0, as an AAC priming packet does, so the sound stays in
sync to the sample), a subtitle cue or chapter that crosses an end is cut there.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from av.subtitles.subtitle import SubtitleSet

from panchro.engine.errors import OutputError
from panchro.engine.media.container import _open_container
from panchro.engine.media.formats import VIDEO_CONTAINERS
from panchro.engine.media.info import MediaInfo

log = logging.getLogger(__name__)


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


class _Remuxer:
    """Copies a source's audio and subtitle packets into an output container, in time order.

    `feed(t)` muxes every packet with a dts up to `t` seconds; the writer calls
    it before each video packet, so FFmpeg's interleaver gets both in order.
    Used by `VideoWriter` (encoding) and `join_video` (chunks assembled).
    """

    def __init__(
        self,
        out: Any,
        src: MediaInfo,
        out_path: Path,
        span: tuple[Fraction, Fraction | None] | None = None,
    ) -> None:
        self.out = out
        self.out_path = out_path
        self.span = span
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
            if chapters and self.span is not None:
                chapters = _chapters_within(chapters, *self.span)
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
            shift = Fraction(0) if self.span is None else self.span[0]
            if until is not None and ts is not None and ts * packet.time_base - shift > until:
                return
            self._held = None
            if self.span is not None and not _within(packet, *self.span):
                continue
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


def _within(packet: Any, t0: Fraction, t1: Fraction | None) -> bool:
    """Whether `packet` sounds or shows within [t0, t1) seconds; if so, it is moved `t0`
    earlier (a subtitle cue that began before `t0` is cut to begin there)."""
    ts = packet.pts if packet.pts is not None else packet.dts
    if ts is None:
        return False
    tb = packet.time_base
    start = ts * tb
    end = start + (packet.duration or 0) * tb
    if (t1 is not None and start >= t1) or (end <= t0 and not end == start == t0):
        return False
    if packet.stream.type == "subtitle":
        if start < t0:  # a cue already on screen at the span's start: shown from its start
            cut = round((t0 - start) / tb)
            packet.pts = ts + cut
            packet.dts = packet.pts
            packet.duration = max(1, int(packet.duration or 0) - cut)
        if t1 is not None and packet.duration and end > t1:
            packet.duration = max(1, round((t1 - max(start, t0)) / tb))
    shift = round(t0 / tb)
    if packet.pts is not None:
        packet.pts -= shift
    if packet.dts is not None:
        packet.dts -= shift
    return True


def _chapters_within(chapters: list[dict], t0: Fraction, t1: Fraction | None) -> list[dict]:
    """The chapters that overlap [t0, t1) seconds, cut to it and moved `t0` earlier."""
    kept = []
    for c in chapters:
        tb = Fraction(c["time_base"])
        start, end = c["start"] * tb, c["end"] * tb
        if end <= t0 or (t1 is not None and start >= t1):
            continue
        start, end = max(start, t0), end if t1 is None else min(end, t1)
        kept.append({**c, "start": round((start - t0) / tb), "end": round((end - t0) / tb)})
    return kept
