"""The sound an output carries: copied where its container holds it, re-encoded where not,
and a soundtrack from another file (a score for a silent film).

Sound is copied packet for packet whenever it can be (`remux`). But containers do not all
hold every codec, and FFmpeg only says so when the first packet is written: an MP4 takes no
16-bit PCM (the sound of most DV, telecine and scanner transfers), a MOV no FLAC or Opus.
A film restored for hours failed at its join for that. So each audio stream is tried in
the output's container first (`holds`: its first packets muxed into memory) and re-encoded
when it does not fit (`Recoder`): lossless sound to a lossless codec where the container
has one (ALAC in MOV, FLAC in Matroska), everything else to AAC, which every player plays.
PCM in an MP4 is re-encoded too: FFmpeg writes it, but browsers, phones and televisions
do not play it there (MOV and Matroska keep it as it is).
What was re-encoded is said in the restoration record.

`Soundtrack`: the sound of another file (music, a recorded score, a cleaned track) in
place of the film's own, its start at `offset` seconds of the film, cut where the film's
pictures end. Only its first audio stream is taken.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.media.container import _check_readable_file, _ff_reason, _open_container

# FFmpeg's muxer for each output extension
MUXERS = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska"}
# interleaved PCM: its samples can be cut anywhere (`cut_pcm`)
_PCM = re.compile(r"pcm_(?:([suf])(8|16|24|32|64)(?:le|be)?|(alaw|mulaw|vidc))")
LOSSLESS = frozenset({"flac", "alac", "wavpack", "tta", "truehd", "mlp", "ape", "tak"})
# What FFmpeg's AAC encoder takes; other rates are resampled to 48 kHz.
AAC_RATES = frozenset(
    {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}
)
# The layout FFmpeg gives N channels that say no order of their own ("2 channels").
DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1",
                   8: "7.1"}  # fmt: skip
AAC_BITS_PER_CHANNEL = 128_000  # transparent for most ears; 256 kb/s for stereo
_TRIAL_PACKETS = 8


def is_lossless(codec: str) -> bool:
    return codec.startswith("pcm_") or codec in LOSSLESS


def recode_target(codec: str, ext: str) -> str:
    """The codec a stream in `codec` is re-encoded to when a `ext` file cannot hold it."""
    if is_lossless(codec):
        if ext == ".mov":
            return "alac"
        if ext == ".mkv":
            return "flac"
    return "aac"


def recode_reason(codec: str, ext: str) -> str:
    if ext == ".mp4" and codec.startswith("pcm_"):
        return "players of .mp4 files (browsers, phones, televisions) do not play PCM in it"
    return f"a {ext} file cannot hold it as it is"


def holds(path: str | Path, index: int, ext: str) -> bool:
    """Whether a `ext` file holds stream `index` of `path` as it is: its first packets are
    muxed into memory, as the join will mux them (FFmpeg only refuses a codec then; an MP4
    takes PCM only with a known channel layout). PCM is never left in an MP4: FFmpeg
    writes it, but the players MP4 is made for do not play it."""
    container = _open_container(Path(path))
    try:
        stream = container.streams[index]
        if ext == ".mp4" and stream.codec_context.name.startswith("pcm_"):
            return False
        buf = io.BytesIO()
        out = av.open(buf, "w", format=MUXERS[ext],
                      container_options={"avoid_negative_ts": "disabled"})  # fmt: skip
        try:
            copy = out.add_stream_from_template(stream)
            for n, packet in enumerate(container.demux(stream)):
                if n >= _TRIAL_PACKETS:
                    break
                if packet.dts is None and packet.pts is None:
                    continue
                packet.stream = copy
                out.mux(packet)
        finally:
            out.close()
        return True
    except (ValueError, av.error.FFmpegError):
        return False
    finally:
        container.close()


class Recoder:
    """One input audio stream decoded and encoded again as `codec` into `out`.

    Decoded frames keep their times (moved by `remux` as the packets were), so the sound
    stays where it was; PyAV's encoder converts the samples and cuts them into the
    encoder's frame size."""

    def __init__(self, out: Any, stream: Any, codec: str) -> None:
        self.stream = stream
        self.codec = codec
        channels = stream.codec_context.channels
        layout = stream.layout.name
        if layout.endswith(" channels") or layout.endswith(" channel"):
            if channels not in DEFAULT_LAYOUTS:
                raise ValueError(f"{channels} channels in no known order")
            layout = DEFAULT_LAYOUTS[channels]
        rate = stream.rate
        if codec == "aac" and rate not in AAC_RATES:
            rate = 48000
        deep = stream.codec_context.format.bits > 16
        self.out_stream = out.add_stream(codec, rate=rate, layout=layout)
        if codec == "aac":
            self.out_stream.format = "fltp"
            self.out_stream.bit_rate = AAC_BITS_PER_CHANNEL * min(channels, 2) + 64_000 * max(
                0, channels - 2
            )
        elif codec == "alac":
            self.out_stream.format = "s32p" if deep else "s16p"
        elif codec == "flac":
            self.out_stream.format = "s32" if deep else "s16"
        self.out_stream.time_base = Fraction(1, rate)

    def describe(self) -> str:
        if self.codec == "aac":
            return f"AAC {self.out_stream.bit_rate // 1000} kb/s"
        return f"{self.codec.upper()} (lossless)"

    def mux(self, out: Any, packet: Any, stop: Fraction | None = None) -> None:
        """Decode `packet` and encode its sound, none of it after `stop` seconds (where a
        part or a soundtrack ends: cut to the sample)."""
        self._encode(out, self.stream.codec_context.decode(packet), stop)

    def flush(self, out: Any, stop: Fraction | None = None) -> None:
        with contextlib.suppress(av.error.EOFError):
            self._encode(out, self.stream.codec_context.decode(None), stop)
        for encoded in self.out_stream.encode(None):
            out.mux(encoded)

    def _encode(self, out: Any, frames: Any, stop: Fraction | None) -> None:
        for frame in frames:
            if stop is not None and frame.pts is not None:
                frame = cut_frame(frame, stop)
                if frame is None:
                    continue
            for encoded in self.out_stream.encode(frame):
                out.mux(encoded)


def cut_frame(frame: Any, stop: Fraction) -> Any | None:
    """`frame` (decoded sound) without what sounds from `stop` seconds on: itself when it
    ends before, None when it starts after."""
    start = frame.pts * frame.time_base
    keep = round((stop - start) * frame.sample_rate)
    if keep >= frame.samples:
        return frame
    if keep <= 0:
        return None
    samples = frame.to_ndarray()
    # planar: a row a channel; packed: one row of the channels interleaved
    width = keep if frame.format.is_planar else keep * len(frame.layout.channels)
    cut = av.AudioFrame.from_ndarray(
        samples[:, :width].copy(), format=frame.format.name, layout=frame.layout.name
    )
    cut.sample_rate, cut.pts, cut.time_base = frame.sample_rate, frame.pts, frame.time_base
    return cut


def pcm_bytes(codec: str) -> int | None:
    """The bytes a sample of one channel takes in interleaved PCM `codec` (`pcm_s24le`: 3),
    None for any other codec (planar PCM too)."""
    m = _PCM.fullmatch(codec)
    if m is None:
        return None
    return 1 if m.group(3) else int(m.group(2)) // 8


def cut_pcm(packet: Any, rate: int, channels: int, size: int, stop: Fraction) -> Any | None:
    """An interleaved PCM `packet` (`rate` samples a second, `size` bytes a channel's
    sample) without what sounds from `stop` seconds on (on the packet's clock), cut to the
    sample: the packet itself when it ends before, None when it starts after."""
    frame = channels * size
    samples = packet.size // frame
    if packet.pts is None or not samples:
        return packet
    tb = packet.time_base
    keep = round((stop - packet.pts * tb) * rate)
    if keep >= samples:
        return packet
    if keep <= 0:
        return None
    cut = av.Packet(bytes(packet)[: keep * frame])
    cut.stream, cut.time_base = packet.stream, tb
    cut.pts, cut.dts = packet.pts, packet.dts
    cut.duration = max(1, round(Fraction(keep, rate) / tb))
    return cut


@dataclass(frozen=True)
class Soundtrack:
    """The sound of another file, played from `offset` seconds of the film (later when
    positive; negative: its first seconds left out), in place of the film's own."""

    path: str
    offset: Fraction
    stream: int  # its audio stream's index
    codec: str
    duration_s: float | None
    channels: int
    sample_rate: int

    def describe(self) -> str:
        where = (
            "from the film's start"
            if self.offset == 0
            else f"from {float(self.offset):.3f} s of the film"
            if self.offset > 0
            else f"its first {float(-self.offset):.3f} s left out"
        )
        return f"soundtrack {Path(self.path).name} ({self.codec}, {self.channels} ch), {where}"


def soundtrack_offset(seconds: float) -> Fraction:
    """An offset in whole milliseconds: as exactly as sound is put against pictures."""
    return Fraction(round(float(seconds) * 1000), 1000)


def open_soundtrack(path: str | Path, offset: float = 0.0) -> Soundtrack:
    """The soundtrack in `path` (its first audio stream), checked to be readable sound."""
    p = Path(path)
    _check_readable_file(p)
    container = _open_container(p, "a sound file")
    try:
        audio = container.streams.audio
        if not audio:
            raise BadInputError("holds no sound to use as a soundtrack", path=p)
        stream = audio[0]
        ctx = stream.codec_context
        if ctx is None or not ctx.name:
            raise BadInputError("its sound is in a codec FFmpeg cannot read", path=p)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        return Soundtrack(
            path=str(p.resolve()),
            offset=soundtrack_offset(offset),
            stream=stream.index,
            codec=ctx.name,
            duration_s=duration,
            channels=int(ctx.channels),
            sample_rate=int(stream.rate or 0),
        )
    except av.error.FFmpegError as exc:
        raise BadInputError(f"cannot be read as sound ({_ff_reason(exc)})", path=p) from None
    finally:
        container.close()


def check_soundtrack(track: Soundtrack, film_s: float) -> None:
    """Refuse a soundtrack that would not be heard: starting after the film's end, or
    moved so far back that nothing of it is left."""
    if track.offset >= Fraction(film_s).limit_denominator(1000) and film_s > 0:
        raise BadInputError(
            f"would start {float(track.offset):.3f} s into a film {film_s:.3f} s long: it "
            "would not be heard; give a smaller offset",
            path=track.path,
        )
    if track.duration_s is not None and -track.offset >= Fraction(track.duration_s):
        raise BadInputError(
            f"is {track.duration_s:.3f} s long: an offset of {float(track.offset):.3f} s "
            "leaves none of it",
            path=track.path,
        )


def recode_failed(stream: Any, ext: str, exc: BaseException, out_path: Path) -> OutputError:
    name = stream.codec_context.name if stream.codec_context else "unknown"
    return OutputError(
        f"the sound stream #{stream.index} ({name}) cannot be stored in a {ext} file nor "
        f"re-encoded for it ({_ff_reason(exc)})",
        path=out_path,
    )
