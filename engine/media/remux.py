"""Copying a source's sound, subtitles and chapters into an output.

Audio and subtitle streams of `source` are copied packet by packet with their
timestamps; only sound the output's container cannot hold is re-encoded (`sound`).
This happens in the same single pass as the video encode: before each encoded video
packet is muxed, the source's audio/subtitle packets up to that time are muxed, and
FFmpeg's interleaver orders them. One pass instead of "encode, then remux the encoded
file" avoids writing a possibly huge ProRes/FFV1 film twice. Timestamp shifting is off
(``avoid_negative_ts=disabled``), so an AAC priming packet at -21 ms stays there. Text
subtitles change format where the container demands it (MP4/MOV hold only mov_text,
Matroska no mov_text: SubRip/ASS), cue text and times kept; the MP4 muxer also adds empty
end-of-cue samples of its own. Any other stream the output container cannot hold is
refused with the stream named, never dropped silently, and before any frame is restored
(`check_carried`). Chapters are copied too. A soundtrack (`sound.Soundtrack`) takes the
place of the film's own sound.

A span of the film (`span`: from `t0` to `t1` seconds on the source's clock) keeps what
is heard and shown within it, moved `t0` earlier, so the output's first frame is at 0: each
audio packet that sounds within the span is copied whole (one that starts before `t0` keeps
its place a few milliseconds before 0, as an AAC priming packet does, so the sound stays in
sync to the sample), a subtitle cue or chapter that crosses an end is cut there. Sound is cut
where the span ends to the sample where that can be done without loss: PCM copied (its bytes
cut), and sound re-encoded (its decoded samples cut); other copied sound ends with the packet
that crosses the end (AAC's 21 ms, FLAC's up to about 100 ms).
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from av.subtitles.subtitle import SubtitleSet

from panchro.engine.errors import OutputError
from panchro.engine.media.container import _ff_reason, _open_container
from panchro.engine.media.formats import VIDEO_CONTAINERS
from panchro.engine.media.info import MediaInfo
from panchro.engine.media.sound import (
    MUXERS,
    Recoder,
    Soundtrack,
    cut_pcm,
    holds,
    pcm_bytes,
    recode_failed,
    recode_reason,
    recode_target,
)

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


class _Input:
    """One file whose streams are copied: the film, or a soundtrack.

    `span` (from, to; seconds on this file's clock, None: as it is) is what is kept, moved
    `from` earlier; `ends_with_film`: cut where the film's pictures end (`finish`)."""

    def __init__(
        self,
        container: Any,
        span: tuple[Fraction, Fraction | None] | None,
        ends_with_film: bool = False,
    ) -> None:
        self.container = container
        self.iterator: Iterator[Any] | None = None  # its streams' packets, once they are added
        self.span = span
        self.ends_with_film = ends_with_film
        self.held: Any = None

    @property
    def shift(self) -> Fraction:
        return Fraction(0) if self.span is None else self.span[0]

    @property
    def stop(self) -> Fraction | None:
        """Where the span ends on the output's clock (None: it does not): its sound is cut
        there to the sample where it can be."""
        if self.span is None or self.span[1] is None:
            return None
        return self.span[1] - self.span[0]


class _Remuxer:
    """Copies a source's audio and subtitle packets into an output container, in time order.

    `feed(t)` muxes every packet with a dts up to `t` seconds; the writer calls
    it before each video packet, so FFmpeg's interleaver gets both in order, and
    `finish(end)` the rest once the pictures are written. Audio the output's container
    cannot hold is re-encoded (`sound.Recoder`; `notes` says which). With `soundtrack`,
    its sound is copied in place of the film's own (the film's subtitles and chapters
    stay). Used by `VideoWriter` (encoding) and `join_video` (chunks assembled).
    """

    def __init__(
        self,
        out: Any,
        src: MediaInfo,
        out_path: Path,
        span: tuple[Fraction, Fraction | None] | None = None,
        soundtrack: Soundtrack | None = None,
    ) -> None:
        self.out = out
        self.out_path = out_path
        self.span = span
        self.notes: list[str] = []
        self._inputs: list[_Input] = []
        self._map: dict[tuple[int, int], Any] = {}
        self._convert: set[tuple[int, int]] = set()
        self._recode: dict[tuple[int, int], Recoder] = {}
        self._pcm: dict[tuple[int, int], tuple[int, int, int]] = {}  # rate, channels, bytes
        try:
            if src.kind == "video":  # a folder of frames has no sound of its own
                self._add_film(src, soundtrack is None)
            if soundtrack is not None:
                self._add_soundtrack(soundtrack)
        except BaseException:
            self.close()
            raise

    @property
    def active(self) -> bool:
        return any(i.iterator is not None for i in self._inputs)

    def close(self) -> None:
        for source in self._inputs:
            with contextlib.suppress(Exception):
                source.container.close()
        self._inputs = []

    def _add_film(self, src: MediaInfo, with_audio: bool) -> None:
        container = _open_container(Path(src.path))
        wanted = {s.index for s in src.subtitles}
        if with_audio:
            wanted |= {s.index for s in src.audio}
        in_streams = [s for s in container.streams if s.index in wanted]
        source = _Input(container, self.span)
        self._inputs.append(source)
        for s in in_streams:
            self._add_stream(0, s, Path(src.path))
        try:
            chapters = container.chapters()
            if chapters and self.span is not None:
                chapters = _chapters_within(chapters, *self.span)
            if chapters:
                self.out.set_chapters(chapters)
        except (av.error.FFmpegError, ValueError, AttributeError):
            log.warning("%s: chapters could not be copied", src.path)
        if in_streams:
            source.iterator = container.demux(*in_streams)

    def _add_soundtrack(self, track: Soundtrack) -> None:
        container = _open_container(Path(track.path), "a sound file")
        t0, t1 = self.span or (Fraction(0), None)
        span = (t0 - track.offset, None if t1 is None else t1 - track.offset)
        stream = container.streams[track.stream]
        source = _Input(container, span, ends_with_film=True)
        self._inputs.append(source)
        self.notes.append(track.describe())
        self._add_stream(len(self._inputs) - 1, stream, Path(track.path), "the soundtrack")
        source.iterator = container.demux(stream)

    def _add_stream(self, k: int, s: Any, path: Path, what: str = "") -> None:
        ext = self.out_path.suffix.lower()
        name = s.codec_context.name if s.codec_context else "unknown"
        if s.type == "audio" and not holds(path, s.index, ext):
            target = recode_target(name, ext)
            try:
                recoder = Recoder(self.out, s, target)
            except (ValueError, av.error.FFmpegError) as exc:
                raise recode_failed(s, ext, exc, self.out_path) from None
            self._recode[(k, s.index)] = recoder
            out_stream = recoder.out_stream
            keeps = "" if ext == ".mkv" else " (a .mkv keeps any sound as it is)"
            self.notes.append(
                f"{what or f'sound stream #{s.index}'} ({name}) re-encoded as "
                f"{recoder.describe()}: {recode_reason(name, ext)}{keeps}"
            )
        else:
            if s.type == "audio" and (size := pcm_bytes(name)) is not None:
                self._pcm[(k, s.index)] = (s.codec_context.sample_rate, s.codec_context.channels,
                                           size)  # fmt: skip
            try:
                out_stream = self.out.add_stream_from_template(s)
            except ValueError:
                out_stream = None
                if s.type == "subtitle" and name in _TEXT_SUBTITLES:
                    out_stream = self._add_converted(k, s, name, ext)
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
        self._map[(k, s.index)] = out_stream

    def _add_converted(self, k: int, stream: Any, name: str, ext: str) -> Any:
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
        self._convert.add((k, stream.index))
        log.info(
            "%s: subtitle stream #%d converted from %s to %s",
            self.out_path,
            stream.index,
            name,
            target,
        )
        return out_stream

    def feed(self, until: Fraction | None) -> None:
        """Mux the packets with a dts up to `until` seconds of the output (None: all)."""
        for k, source in enumerate(self._inputs):
            self._feed(k, source, until)

    def finish(self, end: Fraction | None = None) -> None:
        """Mux what is left, a soundtrack up to `end` seconds of the output (where the
        pictures end; None: all of it), and empty the re-encoders."""
        for source in self._inputs:
            if source.ends_with_film and end is not None:
                t0, t1 = source.span or (Fraction(0), None)
                source.span = (t0, t0 + end if t1 is None else min(t1, t0 + end))
        self.feed(None)
        for (k, _), recoder in self._recode.items():
            recoder.flush(self.out, self._inputs[k].stop)

    def _feed(self, k: int, source: _Input, until: Fraction | None) -> None:
        while source.iterator is not None:
            if source.held is None:
                packet = next(source.iterator, None)
                if packet is None:
                    source.iterator = None
                    return
                if packet.size == 0 and packet.pts is None and packet.dts is None:
                    continue  # demuxer's flush packet
                source.held = packet
            packet = source.held
            ts = packet.dts if packet.dts is not None else packet.pts
            if (
                until is not None
                and ts is not None
                and ts * packet.time_base - source.shift > until
            ):
                return
            source.held = None
            if source.span is not None and not _within(packet, *source.span):
                continue
            key = (k, packet.stream_index)
            out_stream = self._map[key]
            stop = source.stop
            if key in self._convert:
                self._mux_converted(packet, out_stream)
            elif key in self._recode:
                self._recode[key].mux(self.out, packet, stop)
            else:
                if stop is not None and key in self._pcm:
                    packet = cut_pcm(packet, *self._pcm[key], stop)
                    if packet is None:
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


def check_carried(
    src: MediaInfo | None, out_path: Path, soundtrack: Soundtrack | None = None
) -> list[str]:
    """Whether the sound and subtitles can go into `out_path`'s container, found before any
    frame is restored rather than at the join: the streams are opened for it and their
    first seconds written into memory. -> what will be re-encoded (notes); raises
    OutputError with the stream that cannot go."""
    ext = out_path.suffix.lower()
    if ext not in MUXERS:
        return []
    carried = src is not None and src.kind == "video" and bool(src.audio or src.subtitles)
    if src is None or not (carried or soundtrack is not None):
        return []
    buf = io.BytesIO()
    out = av.open(buf, "w", format=MUXERS[ext], container_options={"avoid_negative_ts": "disabled"})
    remuxer: _Remuxer | None = None
    try:
        remuxer = _Remuxer(out, src, out_path, soundtrack=soundtrack)
        remuxer.feed(Fraction(2))
        return list(remuxer.notes)
    except (av.error.FFmpegError, ValueError) as exc:
        raise OutputError(
            f"its sound or subtitles cannot be written into a {ext} file ({_ff_reason(exc)})",
            path=out_path,
        ) from None
    finally:
        if remuxer is not None:
            remuxer.close()
        with contextlib.suppress(Exception):
            out.close()
