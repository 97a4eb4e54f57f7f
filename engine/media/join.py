"""Joining separately encoded chunks into one output, without encoding again.

A film can be written as separately encoded pieces (each
`VideoWriter(remux=False)`, so each starts on a keyframe) and joined by
`join_video`, which copies their video packets and remuxes the source's audio
and subtitles as `VideoWriter` does; image sequences are joined by
`join_sequence`. The resumable restore jobs (`panchro.engine.restore.jobs`) are
built on this: a stopped job keeps its finished chunks, and the join is the
only step that writes the output.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import uuid
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from panchro.engine.errors import OutputError
from panchro.engine.media.container import _ff_reason, _open_container
from panchro.engine.media.formats import VIDEO_CONTAINERS, _looks_like_sequence
from panchro.engine.media.info import MediaInfo
from panchro.engine.media.output import _fsync_path, _remove, _replace_folder, check_output_path
from panchro.engine.media.remux import _Remuxer
from panchro.engine.media.sound import Soundtrack

# MP4/MOV store a chunk's late start as an edit list in milliseconds, which moves its frames;
# chunks for these containers are written from pts 0 and moved back by `join_video`.
CHUNK_STARTS_AT_ZERO = (".mp4", ".mov")


def join_video(
    parts: Sequence[str | Path],
    output: str | Path,
    *,
    source: MediaInfo | None = None,
    time_base: Fraction | None = None,
    fps: Fraction | None = None,
    offsets: Sequence[int] | None = None,
    overwrite: bool = False,
    remux: bool = True,
    tmp_dir: str | Path | None = None,
    span: tuple[Fraction, Fraction | None] | None = None,
    timecode: str | None = None,
    soundtrack: Soundtrack | None = None,
) -> Path:
    """One film from chunk files that `VideoWriter(remux=False)` wrote, in order; atomic.

    The chunks' video packets are copied, not re-encoded, so each chunk must
    start on a keyframe and all must share the encoder settings (checked: the
    codec headers must be equal). With `source` (and `remux`), its audio and
    subtitle streams are copied packet for packet as `VideoWriter` does, with
    its chapters and rotation. `time_base` is the video stream's (the source's), `fps` its
    frame rate (default: the source's).

    Timestamps: chunk files in the output's own container store what the
    output will, except that an MP4/MOV chunk starting later than 0 gets an
    edit list in milliseconds, which moves its frames. So MP4/MOV chunks are
    written starting at 0 (see `CHUNK_STARTS_AT_ZERO`) and `offsets[k]` (in
    `time_base` units) is added back to chunk k here: every pts comes through
    exactly. The file is built under `tmp_dir` (default: beside the output,
    same file system) and renamed into place.

    `span` (seconds on the source's clock, from and to; None to: to its end): the chunks
    are a part of the film, so only the sound, subtitles and chapters within it are copied,
    moved as early as the offsets move the video (`remux._Remuxer`).

    `timecode`: the first frame's label, written as the video's timecode (a timecode track
    in MOV and MP4, a tag in Matroska), so an edit conformed against the source finds the
    frames where they were.

    `soundtrack` (`sound.Soundtrack`): its sound in place of the source's own, cut where
    the pictures end.
    """
    if not parts:
        raise ValueError("no chunks to join")
    if offsets is not None and len(offsets) != len(parts):
        raise ValueError(f"{len(offsets)} offsets for {len(parts)} chunks")
    inputs = [source.path] if source is not None else []
    inputs += [soundtrack.path] if soundtrack is not None else []
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
        # A stream made from a chunk's has no frame rate: Matroska would then store no
        # frame's time on screen (a film's last frame would last nothing, one of one frame
        # read as 1,000 fps), and a timecode track would count at 1 / time base.
        rate = fps if fps is not None else source.fps if source is not None else None
        if rate is not None:
            vstream.codec_context.framerate = rate
        if timecode and source is not None:
            vstream.metadata["timecode"] = timecode
        has_streams = source is not None and bool(
            source.audio or source.subtitles or source.chapters
        )
        carried = source is not None and source.kind == "video" and has_streams
        if remux and source is not None and (carried or soundtrack is not None):
            remuxer = _Remuxer(out, source, path, span, soundtrack=soundtrack)
        last_dts: Fraction | None = None
        end = [Fraction(0)]
        for k, part in enumerate(parts):
            offset = Fraction(offsets[k]) * (time_base or 1) if offsets else Fraction(0)
            last_dts = _copy_chunk(
                Path(part), out, vstream, header, remuxer, last_dts, offset, path, end
            )
        if remuxer is not None:
            remuxer.finish(end[0])
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
    end: list[Fraction],
) -> Fraction | None:
    """Mux the video packets of one chunk, `offset` seconds later than stored; returns the
    last dts (seconds) written. `end[0]` becomes the latest time a picture is shown to."""
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
            if packet.pts is not None:
                shown = (packet.pts + (packet.duration or 0)) * packet.time_base
                end[0] = max(end[0], shown)
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
