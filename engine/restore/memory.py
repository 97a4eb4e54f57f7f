"""A restore's peak memory, estimated before the first frame is read, so that a picture too
big for the memory there is (or for a limit the user sets) is refused at once, with the
figure, instead of being killed by the system minutes later with nothing written.

Why an estimate and not a bound: every stage works in bands or tiles (issue 15), but
the encoders take whole frames. One output frame, its copy in the encoder's pixel
format and the encoder's packet are frame-sized whatever the engine does; FFV1 keeps
a packet buffer of up to about 111 bytes a pixel at 16 bits (FFmpeg's worst case), and
touches as much of it as the frame fails to compress.

The figures below are bytes per output pixel, measured with `panchro bench huge
--content noise` (uniform noise, which no encoder can shrink: the worst case) at 3, 12
and 48 Mpx, 2-core CPU, PyAV 18.1 / FFmpeg 7 (the fit's slope; see docs/architecture.md,
"Memory"). The fixed parts are what a stage holds whatever the size (the upscaler's
tile buffers). A margin covers what the fit did not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from panchro.engine.errors import OUT_OF_MEMORY, PanchroError
from panchro.engine.procmem import available_mb

# Bytes per output pixel of the encode path (the frame, its conversion, the packet).
ENCODE_BYTES = {"ffv1": 80, "h264": 24, "h265": 24, "prores": 14, "png16": 22, "tiff16": 30}
FFV1_16BIT_BYTES = 130  # 16-bit FFV1: its packet bound doubles with the sample size
# What a stage adds: bytes per output pixel, and megabytes whatever the size.
STAGE_BYTES = {"colorize": 16, "upscale": 0}
STAGE_FIXED_MB = {"colorize": 100, "upscale": 750}
OVERHEAD_MB = 260  # the process's own libraries and buffers before the first frame
MARGIN = 1.25


class MemoryLimitError(PanchroError):
    """The restore would need more memory than there is (or than the limit allows)."""

    code = OUT_OF_MEMORY


@dataclass(frozen=True)
class MemoryEstimate:
    peak_mb: float  # the whole process at its peak
    frame_mb: float  # what grows with the output frame's size

    def describe(self) -> str:
        return (
            f"about {self.peak_mb / 1024:.1f} GB ({self.frame_mb / 1024:.1f} GB of it frame-sized)"
        )


def stage_kind(key: str) -> str:
    """The kind of a stage from its key ("colorize:v1:..." -> "colorize")."""
    return key.split(":", 1)[0]


def estimate(
    width: int, height: int, codec: str, bit_depth: int, stages: Sequence[str], base_mb: float
) -> MemoryEstimate:
    """The peak memory of restoring to `width` x `height` frames with `codec`.

    `stages` are the stage kinds ("colorize", "upscale"); `base_mb` is the process's
    resident memory now (models loaded).
    """
    pixels = width * height
    per_pixel = ENCODE_BYTES.get(codec, max(ENCODE_BYTES.values()))
    if codec == "ffv1" and bit_depth > 8:
        per_pixel = FFV1_16BIT_BYTES
    fixed = OVERHEAD_MB
    for kind in stages:
        per_pixel += STAGE_BYTES.get(kind, 16)
        fixed += STAGE_FIXED_MB.get(kind, 100)
    frame_mb = pixels * per_pixel / 2**20 * MARGIN
    return MemoryEstimate(peak_mb=base_mb + fixed * MARGIN + frame_mb, frame_mb=frame_mb)


def check(
    est: MemoryEstimate,
    *,
    limit_mb: float | None,
    base_mb: float,
    size: tuple[int, int],
    codec: str,
) -> None:
    """Refuse (MemoryLimitError) what would not fit: under `limit_mb` when given, else in
    the memory the system has available now on top of what this process holds."""
    if limit_mb is not None:
        room, what = limit_mb, f"the limit of {limit_mb / 1024:.1f} GB (--memory-limit)"
    else:
        free = available_mb()
        if free is None:
            return
        room, what = base_mb + free, f"the {free / 1024:.1f} GB this machine has free"
    if est.peak_mb <= room:
        return
    w, h = size
    raise MemoryLimitError(
        f"restoring to {w}x{h} ({w * h / 1e6:.0f} Mpx a frame) as {codec} needs "
        f"{est.describe()} at its peak, more than {what}: the encoder takes whole frames. "
        "Choose a smaller --upscale, another codec (prores needs the least), or a higher "
        "--memory-limit on a machine with more memory"
    )
