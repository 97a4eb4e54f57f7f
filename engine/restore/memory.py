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
and 48 Mpx, 2-core CPU, PyAV 18.1 (the fit's slope; the estimate against the measured
peaks is in docs/architecture.md, "Memory"). The fixed parts are what a stage holds
whatever the size (the upscaler's tile buffers). A margin covers what the fit did not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from panchro.engine.errors import OUT_OF_MEMORY, PanchroError
from panchro.engine.procmem import available_mb

# Bytes per output pixel of the encode path (the frame, its conversion, the packet).
ENCODE_BYTES = {
    "ffv1": 80, "h264": 24, "h265": 24, "prores": 14, "png16": 22, "tiff16": 30, "dpx": 22,
}  # fmt: skip
FFV1_16BIT_BYTES = 130  # 16-bit FFV1: its packet bound doubles with the sample size
# Whatever the content, a frame and its encoder copy: the least any codec took (ProRes, 13).
FLOOR_BYTES = 12
# What a stage adds: bytes per output pixel, and megabytes whatever the size.
# deflicker, stabilize: their own copies of the float planes (Y, Cb, Cr; deflicker also its
# gain field across the frame, stabilize a padded plane at a time), reckoned, not measured;
# dust: a frame's working planes at a time (its neighbours moved, their int64 gathers, the
# masks), measured: 983 MB over a 4K frame; 450 MB more where dirt on two frames running
# has the frame beyond moved as well (800 -> 1,250 MB over the process, measured);
# scratches: the five frames it judges by, each one's side windows as it is measured, the
# masks, measured: 882 MB over a 4K frame; crop: the cut copies of the planes (Y, Cb, Cr),
# twice, as the colour stage cuts its luma and colours the picture before it is pasted back
# (`restore.crop`), reckoned.
STAGE_BYTES = {"colorize": 16, "upscale": 0, "deflicker": 16, "stabilize": 16, "dust": 176,
               "scratches": 112, "crop": 24}  # fmt: skip
STAGE_FIXED_MB = {"colorize": 100, "upscale": 750, "deflicker": 20, "stabilize": 20, "dust": 20,
                  "scratches": 20, "crop": 0}  # fmt: skip
OVERHEAD_MB = 260  # the process's own libraries and buffers before the first frame
MARGIN = 1.25


# One photograph restored (`restore.picture`), measured with /usr/bin/time on the 2-core CPU,
# shipped models, JPEG out: colorized 3 / 12 / 24 Mpx peaked at 399 / 559 / 781 MB (18.2 MB a
# megapixel beyond 344 MB); a 20000 x 300 strip at 1,283 MB, because the refiner runs at its
# working size's short side (256 px) across the whole long side: 4.4 M working pixels, about
# 190 bytes each; a 3 Mpx picture enlarged x2 to 12 Mpx at 1,066 MB.
PICTURE_BASE_MB = 344  # the process, torch and the models, before the picture
PICTURE_BYTES = 19  # per output pixel: the picture, its float planes, the samples written
WORKING_BYTES = 190  # per pixel of the refiner's working size (the U-Net's activations)
PICTURE_UPSCALE_MB = 505  # the upscaler's tiles and model, whatever the size
# Dust found by the speck finder (session 37, `panchro bench photo`, 2 cores, grey JPEG in
# and out): 12 / 24 Mpx peaked at 968 / 1,437 MB (the network's tiles and threads, then the
# picture's planes and masks in float32 and the fill's box sums)
PICTURE_DUST_MB = 156  # the finder's tiles and model, whatever the size
PICTURE_DUST_BYTES = 22  # per pixel of the picture as read


class MemoryLimitError(PanchroError):
    """The restore would need more memory than there is (or than the limit allows)."""

    code = OUT_OF_MEMORY


@dataclass(frozen=True)
class MemoryEstimate:
    peak_mb: float  # the whole process at its peak, for the worst content (noise)
    frame_mb: float  # what grows with the output frame's size, of that
    floor_mb: float  # the peak for content the encoder shrinks best: below it nothing fits

    def describe(self) -> str:
        return f"about {_amount(self.peak_mb)} ({_amount(self.frame_mb)} of it frame-sized)"


def picture_estimate(
    size: tuple[int, int], out_size: tuple[int, int], stages: Sequence[str], working_px: int
) -> float:
    """Peak megabytes of restoring one picture of `size` to `out_size` (the module's figures,
    which this gives within 4 % before the margin); `working_px` is the refiner's working
    area when the picture is colorized, else 0."""
    mb = PICTURE_BASE_MB + out_size[0] * out_size[1] * PICTURE_BYTES / 2**20
    mb += working_px * WORKING_BYTES / 2**20
    if "upscale" in stages:
        mb += PICTURE_UPSCALE_MB
    if "dust" in stages:
        mb += PICTURE_DUST_MB + size[0] * size[1] * PICTURE_DUST_BYTES / 2**20
    return mb * MARGIN


def check_picture(peak_mb: float, size: tuple[int, int], limit_mb: float | None = None) -> None:
    """Refuse (MemoryLimitError, the size named) a picture whose restore would not fit in the
    memory the system has free now (or under `limit_mb`): refused at once, not killed."""
    room = limit_mb if limit_mb is not None else available_mb()
    if room is None or peak_mb <= room:
        return
    w, h = size
    where = "the limit" if limit_mb is not None else "the memory this machine has free"
    raise MemoryLimitError(
        f"restoring this {w}x{h} picture ({w * h / 1e6:.0f} Mpx) needs about "
        f"{peak_mb / 1024:.1f} GB at its peak, more than {where} ({_amount(room)}). "
        "Use a smaller --upscale, or a machine with more memory"
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
    floor = FLOOR_BYTES * (2 if bit_depth > 8 else 1)
    fixed = OVERHEAD_MB
    for kind in stages:
        per_pixel += STAGE_BYTES.get(kind, 16)
        floor += STAGE_BYTES.get(kind, 16)
        fixed += STAGE_FIXED_MB.get(kind, 100)
    frame_mb = pixels * per_pixel / 2**20 * MARGIN
    return MemoryEstimate(
        peak_mb=base_mb + fixed * MARGIN + frame_mb,
        frame_mb=frame_mb,
        floor_mb=base_mb + fixed + pixels * floor / 2**20,
    )


def check(
    est: MemoryEstimate,
    *,
    limit_mb: float | None,
    base_mb: float,
    size: tuple[int, int],
    codec: str,
) -> str | None:
    """Refuse (MemoryLimitError) a run that would not fit; or a warning for one that may not.

    With `limit_mb` (the user's promise to keep to) the worst case must fit under it.
    Without, against the memory the system has free now: a run is refused only when even
    content the encoder shrinks best would not fit (`floor_mb`), and gets a warning when
    the worst case would not (grainy, noisy film can need that much).
    """
    w, h = size
    where = f"{w}x{h} ({w * h / 1e6:.1f} Mpx a frame) as {codec}"
    way_out = (
        "Choose a smaller --upscale, another codec (prores needs the least), or a machine "
        "with more memory"
    )
    if limit_mb is not None:
        if est.peak_mb > limit_mb:
            raise MemoryLimitError(
                f"restoring to {where} needs {est.describe()} at its peak, more than the "
                f"limit of {_amount(limit_mb)} (--memory-limit): the encoder takes whole "
                f"frames. {way_out}, or a higher --memory-limit"
            )
        return None
    free = available_mb()
    if free is None:
        return None
    room = base_mb + free
    if est.floor_mb > room:
        raise MemoryLimitError(
            f"restoring to {where} needs at least {est.floor_mb / 1024:.1f} GB at its peak "
            f"(up to {est.peak_mb / 1024:.1f} GB for grainy film), more than the "
            f"{free / 1024:.1f} GB this machine has free: the encoder takes whole frames. "
            f"{way_out}"
        )
    if est.peak_mb > room:
        return (
            f"this run may need up to {est.peak_mb / 1024:.1f} GB of memory (grainy or noisy "
            f"film at {w}x{h}, {codec}); the machine has {free / 1024:.1f} GB free"
        )
    return None


def _amount(mb: float) -> str:
    """Memory as a person reads it: "1.5 GB", or "10 MB" below a gigabyte (not "0.0 GB")."""
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"
