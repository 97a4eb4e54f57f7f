"""Opening a file with FFmpeg, and FFmpeg's failures said in the user's words.

Every part of the package that opens a film (probing, decoding, remuxing,
joining) goes through `_open_container`, so a missing, unreadable, empty or
truncated file is refused the same way wherever it is met: a `BadInputError`
naming the file and the reason (an MP4 without its moov index says so), never
a bare FFmpeg exception.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import av
import av.error

from panchro.engine.errors import BadInputError


def _ff_reason(exc: BaseException) -> str:
    """FFmpeg's own words for an error, without the call that failed."""
    if isinstance(exc, av.error.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _mp4_without_moov(path: Path) -> bool:
    """True for an ISO-BMFF file (ftyp first) whose top-level boxes hold no moov."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[4:8] != b"ftyp":
                return False
            pos = 0
            while pos + 8 <= size:
                fh.seek(pos)
                hdr = fh.read(16)
                box = int.from_bytes(hdr[0:4], "big")
                kind = hdr[4:8]
                if box == 1 and len(hdr) >= 16:
                    box = int.from_bytes(hdr[8:16], "big")
                elif box == 0:
                    box = size - pos
                if kind == b"moov":
                    return False
                if box < 8:
                    break
                pos += box
            return True
    except OSError:
        return False


def _check_readable_file(path: Path) -> None:
    if not os.path.lexists(path):
        raise BadInputError("does not exist", path=path)
    if not path.exists():
        raise BadInputError("is a broken symbolic link", path=path)
    if not os.access(path, os.R_OK):
        raise BadInputError("cannot be read (permission denied)", path=path)
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except PermissionError:
        raise BadInputError("cannot be read (permission denied)", path=path) from None
    except OSError as exc:
        raise BadInputError(f"cannot be read ({_ff_reason(exc)})", path=path) from None
    if size == 0:
        raise BadInputError("is empty (0 bytes)", path=path)


def _open_container(path: Path, what: str = "a video file") -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except PermissionError:
        raise BadInputError("cannot be read (permission denied)", path=path) from None
    except FileNotFoundError:
        raise BadInputError("does not exist", path=path) from None
    except av.error.InvalidDataError:
        if _mp4_without_moov(path):
            raise BadInputError(
                "is an MP4/MOV file without its index (moov atom missing): "
                "it is truncated or was never finished",
                path=path,
            ) from None
        raise BadInputError(
            f"is not {what} Panchro can read (FFmpeg finds no picture in it)", path=path
        ) from None
    except (av.error.FFmpegError, OSError) as exc:
        raise BadInputError(f"cannot be opened ({_ff_reason(exc)})", path=path) from None


def _pick_video_stream(container: Any) -> Any | None:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None
