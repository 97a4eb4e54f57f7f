"""Films made of still pictures: a folder of numbered frames, or a single image.

A folder source is its PNG/TIFF/JPEG/DPX files (8 or 16 bit) in natural sort
order ("f2" before "f10"); hidden files and others are ignored. Every frame
must be the size of the first, checked on opening from the files' headers
(Pillow reads them lazily) so a long sequence opens without decoding it all.
Stills carry no timing: ``pts = index`` in a time base of ``1/fps``.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import av
import av.error

from panchro.engine.errors import BadInputError
from panchro.engine.media.container import _ff_reason, _open_container, _pick_video_stream
from panchro.engine.media.dpx import image_size, log_coding, log_reference
from panchro.engine.media.formats import IMAGE_EXTENSIONS, _bit_depth, _colour_tags
from panchro.engine.media.info import MediaInfo


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


# A frame's name: what comes before its number, the number, what comes after (no digit).
NUMBERED_NAME = re.compile(r"^(.*?)(\d+)(\D*)$")


def _numbers(files: list[Path]) -> list[int] | None:
    """The frame number in each file's name, where the names are one numbered sequence
    ("reel1_0009.dpx", "reel1_0011.dpx"), counted from 0 where each of three or more is the
    same step past the one before (f0000, f0002, f0004: no gap); None where the names are not
    one sequence (another stem, no number)."""
    numbers: list[int] = []
    around = None
    for f in files:
        m = NUMBERED_NAME.match(f.stem)
        if m is None or (around is not None and (m.group(1), m.group(3)) != around):
            return None
        around = (m.group(1), m.group(3))
        numbers.append(int(m.group(2)))
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    if len(numbers) > 2 and len(steps) == 1 and steps.pop() > 1:
        # Counted in steps (every second frame exported, say): a stride, no frame missing.
        return list(range(len(numbers)))
    return numbers


def missing_numbers(files: list[Path]) -> tuple[tuple[int, int], ...]:
    """The runs of frame numbers (first, last) that a numbered sequence skips: "f0009.png",
    "f0011.png" skip (10, 10). Names that are not one numbered sequence (another stem, no
    number) have no numbering to check: ()."""
    numbers = _numbers(files) or []
    return tuple((a + 1, b - 1) for a, b in zip(numbers, numbers[1:], strict=False) if b > a + 1)


# The longest gap in a scan's numbering that is held, in seconds of film. A dropped frame or a
# file lost in copying leaves a gap of a frame or a few; one longer than this is not a lost
# frame but another part (a second reel numbered on from its own timecode, say), and a
# picture held that long would be a still in the film: such a gap is closed up.
HOLD_AT_MOST_S = 10


def held_in_gaps(
    files: list[Path], fps: Fraction
) -> tuple[list[Path], tuple[tuple[int, int], ...]]:
    """The frames of a numbered sequence as the film shows them: in each gap in its numbering
    (up to HOLD_AT_MOST_S of film long) the frame before it again, once for every number
    missing, so a frame the scanner dropped keeps its place, the film its length and every
    frame after it its timecode; and the runs (first, last) of the film's frames that are
    such repeats. Names that are not one numbered sequence: `files` as they are, ()."""
    numbers = _numbers(files)
    if numbers is None:
        return files, ()
    limit = max(1, round(HOLD_AT_MOST_S * fps))
    shown, held = [files[0]], []
    for f, a, b in zip(files[1:], numbers, numbers[1:], strict=False):
        if 0 < b - a - 1 <= limit:
            held.append((len(shown), len(shown) + b - a - 2))
            shown.extend([shown[-1]] * (b - a - 1))
        shown.append(f)
    return shown, tuple(held)


def describe_gaps(
    missing: tuple[tuple[int, int], ...] | list, held: tuple[tuple[int, int], ...] | list
) -> str:
    """What a gapped numbering is and what reading did about it: "1 frame number missing: 7;
    the frame before a gap is shown again in its place (the film's frame 6: ...)"."""
    said = describe_missing(missing)
    count = sum(b - a + 1 for a, b in missing)
    kept = sum(b - a + 1 for a, b in held)
    # which of the film's frames are the copies, to find them again (0-based, as --from is)
    frames = _runs_text(held)
    if kept == count:
        where = "its place" if count == 1 else "each missing frame's place"
        return (
            f"{said}; the frame before a gap is shown again in {where} (the film's "
            f"frame{'s' if kept != 1 else ''} {frames}: the film keeps its length, every "
            "frame its time)"
        )
    if kept == 0:
        return (
            f"{said}; the frames either side of a gap are read one after the other (the film "
            f"is {count:,} frame{'s' if count != 1 else ''} shorter than its numbering)"
        )
    return (
        f"{said}; {kept:,} held by the frame before their gap (the film's frames {frames}), "
        f"the gaps longer than {HOLD_AT_MOST_S} s ({count - kept:,} frames) closed up"
    )


def _runs_text(runs: tuple[tuple[int, int], ...] | list, shown: int = 4) -> str:
    """ "10, 57-58" (the first `shown` runs, then "and N more")."""
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:shown]]
    more = f" and {len(runs) - shown} more" if len(runs) > shown else ""
    return ", ".join(parts) + more


def describe_missing(runs: tuple[tuple[int, int], ...] | list, shown: int = 4) -> str:
    """ "3 frame numbers missing: 10, 57-58" (the first `shown` runs, then how many more)."""
    count = sum(b - a + 1 for a, b in runs)
    left = len(runs) - shown
    more = f" and {left} more gap{'s' if left != 1 else ''}" if left > 0 else ""
    plural = "s" if count != 1 else ""
    return f"{count} frame number{plural} missing: {_runs_text(runs[:shown])}{more}"


def frame_files(folder: str | Path) -> list[Path]:
    """The frames of a folder source, in the order `open_source` reads them."""
    return _list_images(Path(folder))


def _image_size(path: Path) -> tuple[int, int] | None:
    """The size from the file's header alone (Pillow reads lazily; a DPX file's by its
    header's layout, which Pillow cannot read); None where neither can say."""
    if path.suffix.lower() == ".dpx":
        return image_size(path)
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - any reader failure means "ask FFmpeg instead"
        return None


# The decoder a picture file is read with straight from its bytes, by its extension: opening
# it as a container (probing it, a demuxer) took half the time of reading a DPX frame.
_DECODERS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".jpg": "mjpeg", ".jpeg": "mjpeg",
             ".dpx": "dpx"}  # fmt: skip


def _decode_bytes(path: Path) -> av.VideoFrame | None:
    """The picture in `path` decoded by its extension's decoder; None where that fails (a
    file named for another format, damage: the container's way says why)."""
    name = _DECODERS.get(path.suffix.lower())
    if name is None:
        return None
    try:
        ctx = av.CodecContext.create(name, "r")
        frames = ctx.decode(av.Packet(path.read_bytes()))
        frames = frames or ctx.decode(None)  # a decoder that keeps its frame until flushed
    except (av.error.FFmpegError, ValueError):
        return None
    return frames[0] if frames else None


def _decode_still(path: Path) -> av.VideoFrame:
    if not os.access(path, os.R_OK):
        raise BadInputError("cannot be read (permission denied)", path=path)
    if path.stat().st_size == 0:
        raise BadInputError("is empty (0 bytes)", path=path)
    frame = _decode_bytes(path)
    if frame is not None:
        return frame
    container = _open_container(path, what="an image")
    try:
        stream = _pick_video_stream(container)
        if stream is None:
            raise BadInputError("is not an image Panchro can read (it holds no picture)", path=path)
        try:
            for frame in container.decode(stream):
                return frame
        except av.error.FFmpegError as exc:
            why = _deeper_than_16_bits(path) or f"cannot be decoded as an image ({_ff_reason(exc)})"
            raise BadInputError(why, path=path) from None
        raise BadInputError("holds no picture", path=path)
    finally:
        container.close()


def _deeper_than_16_bits(path: Path) -> str | None:
    """Why a TIFF that FFmpeg cannot decode is not read, where it is one of 32 bits a sample
    (floating point or integer, as some scanning and HDR software writes): FFmpeg's TIFF
    decoder takes up to 16. None for anything else."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            bits = im.tag_v2.get(258) if hasattr(im, "tag_v2") else None
            deep = im.mode in ("F", "I") or bool(bits and max(bits) > 16)
    except Exception:  # noqa: BLE001 - not a picture Pillow reads either: FFmpeg's reason stands
        return None
    if not deep:
        return None
    return (
        "is a TIFF of 32 bits a sample (floating point or integer), which Panchro cannot read: "
        "save the frames as 16-bit TIFF or DPX"
    )


def _still_codec(frame_path: Path) -> str:
    return IMAGE_EXTENSIONS.get(frame_path.suffix.lower(), frame_path.suffix.lower().lstrip("."))


def _probe_stills(
    path: Path,
    files: list[Path],
    kind: str,
    fps: Fraction,
    *,
    rate_from_files: bool = False,
    timecode: str | None = None,
    shown: int | None = None,
    missing: tuple[tuple[int, int], ...] = (),
    held: tuple[tuple[int, int], ...] = (),
) -> MediaInfo:
    """What a folder of frames or an image is; `shown`: how many frames the film shows
    (more than `files` where the `missing` numbers are `held`: `held_in_gaps`)."""
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
    n = len(files) if shown is None else shown
    pix_fmt = first.format.name
    log = log_reference(files[0]) if files[0].suffix.lower() == ".dpx" else None
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
        missing_numbers=missing,
        held_frames=held,
        log_scan=log_coding(files[0]) if log is not None else None,
        log_reference=log[1] if log is not None else None,
        rate_from_files=rate_from_files,
        timecode=timecode,
        **_colour_tags(first),
    )
