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


def missing_numbers(files: list[Path]) -> tuple[tuple[int, int], ...]:
    """The runs of frame numbers (first, last) that a numbered sequence skips: "f0009.png",
    "f0011.png" skip (10, 10). Names that are not one numbered sequence (another stem, no
    number) have no numbering to check: ()."""
    numbers: list[int] = []
    around = None
    for f in files:
        m = NUMBERED_NAME.match(f.stem)
        if m is None or (around is not None and (m.group(1), m.group(3)) != around):
            return ()
        around = (m.group(1), m.group(3))
        numbers.append(int(m.group(2)))
    runs = []
    for a, b in zip(numbers, numbers[1:], strict=False):
        if b > a + 1:
            runs.append((a + 1, b - 1))
    return tuple(runs)


def describe_missing(runs: tuple[tuple[int, int], ...] | list, shown: int = 4) -> str:
    """ "3 frame numbers missing: 10, 57-58" (the first `shown` runs, then how many more)."""
    count = sum(b - a + 1 for a, b in runs)
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:shown]]
    left = len(runs) - shown
    more = f" and {left} more gap{'s' if left != 1 else ''}" if left > 0 else ""
    plural = "s" if count != 1 else ""
    return f"{count} frame number{plural} missing: {', '.join(parts)}{more}"


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


def _probe_stills(
    path: Path,
    files: list[Path],
    kind: str,
    fps: Fraction,
    *,
    rate_from_files: bool = False,
    timecode: str | None = None,
) -> MediaInfo:
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
        missing_numbers=missing_numbers(files) if kind == "frames" else (),
        rate_from_files=rate_from_files,
        timecode=timecode,
        **_colour_tags(first),
    )
