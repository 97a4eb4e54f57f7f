"""What a film is and what a frame carries: `MediaInfo`, `StreamInfo`, `Frame`.

Plain data, shared by the reading side (which fills them in) and the writing
side (which copies a source's timing, colour tags, rotation and streams from
them), so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: str
    codec: str
    language: str | None
    title: str | None
    channels: int | None = None
    sample_rate: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    path: str
    kind: str  # "video" | "frames" | "image"
    container: str | None  # e.g. "mov,mp4,m4a,3gp,3g2,mj2"; None for frames/image
    codec: str  # video codec name, or "png"/"tiff"/"jpeg"/"dpx" for stills
    width: int  # coded size (before rotation)
    height: int
    pix_fmt: str
    bit_depth: int
    frame_count: int  # exact (from the packet index), not estimated
    fps: Fraction  # average frame rate
    is_vfr: bool
    duration_s: float
    time_base: Fraction
    sample_aspect_ratio: Fraction
    rotation: int  # clockwise degrees a player applies, from the display matrix; 0 if none
    color_matrix: str | None  # "bt709", "bt601", "bt2020nc", ... None if untagged
    color_range: str | None  # "limited" | "full" | None
    color_primaries: str | None
    color_transfer: str | None
    audio: tuple[StreamInfo, ...]
    subtitles: tuple[StreamInfo, ...]
    other_streams: tuple[StreamInfo, ...]
    # The file is cut short: `frame_count` frames are there, fewer than it was made with.
    truncated: bool = False
    # How many frames the container's header promises (frame count, or duration x rate)
    # when the file is truncated and the header says; None otherwise.
    expected_frames: int | None = None
    # The stream's field order ("progressive", "top field first", "bottom field first";
    # None when it does not say), and whether the film is interlaced: by that, by the
    # frames' own flags, or by what its pictures look like (`deinterlace.check_scan`).
    field_order: str | None = None
    interlaced: bool = False
    # What reading the film does about it (`deinterlace.describe`): "not deinterlaced" or
    # "deinterlaced (bwdif, top field first)".
    deinterlace: str = "not deinterlaced"
    # The file's own rate, when its frames are shown at another (`fps`: a silent film
    # transferred at sound speed, shown at the speed it was shot at; `source.retimed`);
    # None when they keep their own timing.
    retimed_from: Fraction | None = None
    # Sound and subtitle streams the file has that were left out by that: they would no
    # longer fit the pictures.
    retimed_streams: int = 0
    # How many chapters the file lists (copied into a film's output with its sound).
    chapters: int = 0
    # A folder of numbered frames whose numbering skips: each run of missing numbers as
    # (first, last), said wherever the film is read: a file lost in copying or a frame the
    # scanner dropped would otherwise pass unseen.
    missing_numbers: tuple[tuple[int, int], ...] = ()
    # The film's frames (first, last) that show the frame before a gap again, one for each
    # number missing, so the film keeps its length and timecode (`stills.held_in_gaps`); ()
    # where the gaps are closed up (read with "keep") or there are none.
    held_frames: tuple[tuple[int, int], ...] = ()
    # A folder of frames shown at the rate its files' headers say (DPX), as no rate was
    # given; False where the rate was given, or is the default for frames (24).
    rate_from_files: bool = False
    # The first frame's SMPTE timecode as the file says ("01:00:00:00"; ";" before the frames
    # for drop frame): a MOV/MP4's timecode track, Matroska's tag, a DPX scan's TV header.
    # Carried onto what is made of the film (`engine.timecode`); None where it says none, or
    # where its frames are no longer the file's one for one (repeats left out, another rate).
    timecode: str | None = None
    # A DPX scan coded in log, as its header says ("printing density, reference black 95 and
    # white 685 of 1023"; `dpx.log_coding`): its frames are read as coded, flat to the eye,
    # where the colorizer learned from pictures at video levels. None for any other film.
    log_scan: str | None = None
    # Its reference black, white and top code (`dpx.log_reference`), for reading it at video
    # levels (`media.scan`); None for any other film.
    log_reference: tuple[int, int, int] | None = None
    # What reading does to its values (`scan.describe`: "a log scan brought to video levels",
    # "a negative turned positive"); "" where they are read as coded.
    scan: str = ""
    # The black and white points its values are stretched from as read (`media.levels`), or
    # None where they are read as they are.
    levels: tuple[float, ...] | None = None

    @property
    def coded_range(self) -> str:
        """The range its YCbCr codes are in: the stream's own, else "full" for the JPEG
        pixel formats (yuvj*), else "limited"."""
        return self.color_range or ("full" if self.pix_fmt.startswith("yuvj") else "limited")

    @property
    def reading(self) -> str:
        """How its frames are read, in words: a video's deinterlacing and repeats, a folder's
        gaps ("the gaps in its numbering held")."""
        if self.missing_numbers:
            return f"the gaps in its numbering {'held' if self.held_frames else 'closed up'}"
        return self.deinterlace

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: Fractions as "num/den" strings, each with a `<name>_float` beside it."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Fraction):
                out[key] = f"{value.numerator}/{value.denominator}"
                out[f"{key}_float"] = float(value)
            elif isinstance(value, tuple):
                out[key] = list(value)
            else:
                out[key] = value
        return out


@dataclass
class Frame:
    index: int
    pts: int
    time_base: Fraction
    image: np.ndarray
    # True when the frame could not be decoded and `image` repeats the nearest good
    # frame (only with `Source.frames(conceal=True)`).
    damaged: bool = False

    @property
    def time_s(self) -> float:
        return float(self.pts * self.time_base)
