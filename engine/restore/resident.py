"""Frames that stay on the device between the stages: uploaded once, coded there, fetched once.

On a GPU a restore's stages used to hand each other host arrays: the colour stage fetched
its full-resolution chroma, the upscaler sent it back, fetched its 4K luma and chroma, and
the host then turned those floats into coded planes a band at a time. At 1080p -> 4K that
is about 200 MB of float planes a frame across the bus and a frame's worth of host
arithmetic, where the networks themselves need a few milliseconds. With resident planes
the stage thread uploads a batch's float planes once, each stage works on tensors where its
model is, the planes are coded to 8 or 16 bits there (`encode_coded`, the same arithmetic
as `color.encode_coded_planar`, so the same codes), and only those come back: 25 MB a 4K
frame at 8 bits.

The results are the host path's to the bit on the same device (tests run both on the CPU,
where "the device" is the host and the planes are tensors). It is used when
`$PANCHRO_RESIDENT` is 1 and every stage can take planes on one device
(`resident_device`); off by default until a GPU has measured it (`panchro bench stages`
and the GPU kit's `--check` time both paths).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import color
from panchro.engine.restore.batch import FrameBatch, planes_batch

if TYPE_CHECKING:  # torch loads only when planes are resident: a copy-only restore skips it
    import torch

ENV_RESIDENT = "PANCHRO_RESIDENT"


def wanted() -> bool:
    """Whether $PANCHRO_RESIDENT asks for resident planes ("1"; unset or "0": no)."""
    value = os.environ.get(ENV_RESIDENT, "0").strip()
    if value not in ("0", "1"):
        raise BadInputError(f"{ENV_RESIDENT} must be 0 or 1, got {value!r}")
    return value == "1"


def resident_device(stages: Sequence[Any], *, want: bool | None = None) -> torch.device | None:
    """The device the stages' planes stay on between them, or None (host arrays).

    Only when asked (`want`, default `wanted()`) and every stage says where it runs
    (`resident_on`) and they all run on one device: a stage that cannot take tensors, or
    two devices, mean host arrays as before.
    """
    if not (wanted() if want is None else want) or not stages:
        return None
    devices = {getattr(stage, "resident_on", None) for stage in stages}
    if len(devices) != 1 or None in devices:
        return None
    import torch

    (device,) = devices
    return torch.device(device)


def _to(a: np.ndarray | torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
    import torch

    if a is None:
        return None
    if isinstance(a, torch.Tensor):
        return a.to(device)
    t = torch.from_numpy(np.ascontiguousarray(a, np.float32))
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.clone()  # the stages may write into their planes: never into the caller's


def upload(batch: FrameBatch, device: torch.device) -> FrameBatch:
    """The batch with its planes (and its neighbours' luma) as float32 tensors on `device`."""
    return batch.map_planes(lambda a: _to(a, device))


def frame_batch(
    frames: Sequence[Any],
    planes: torch.Tensor,
    time_base: Any,
    shot: int,
    matrix: str,
    *,
    before: torch.Tensor | None = None,
    after: torch.Tensor | None = None,
) -> FrameBatch:
    """`batch.frame_batch` of planes decoded on the device ((T, 3, H, W), `decode_coded`)."""
    y, cbcr = planes[:, 0], planes[:, 1:]
    return planes_batch(frames, y, cbcr, time_base, shot, matrix, before=before, after=after)


def on_host(batch: FrameBatch) -> FrameBatch:
    """The batch with host arrays: for a stage's path that works in numpy only."""

    def host(a: Any) -> Any:
        return a if a is None or isinstance(a, np.ndarray) else a.detach().cpu().numpy()

    return batch.map_planes(host)


def decode_coded(
    images: Sequence[np.ndarray], *, range: color.Range = "limited", device: torch.device
) -> torch.Tensor:
    """`color.decode_coded_planar` on the device: coded frames (each (H, W, 3) uint8 or
    uint16, as the decoder gives them) -> float32 planes (T, 3, H, W) there, the same
    values (code minus offset, times the reciprocal scale, in float32). The codes cross the
    bus, a quarter of the floats at 8 bits, and the host does no arithmetic."""
    import torch

    if not len(images):
        raise ValueError("no frames to decode")
    codes = np.stack([np.asarray(img) for img in images])
    if codes.dtype not in (np.uint8, np.uint16) or codes.ndim != 4 or codes.shape[-1] != 3:
        raise ValueError(f"coded YCbCr must be (H, W, 3) uint8 or uint16, got {codes.dtype}"
                         f" {codes.shape[1:]}")  # fmt: skip
    bits = 8 if codes.dtype == np.uint8 else 16
    # 16-bit codes travel as int16 bit patterns (torch's uint16 has few kernels)
    host = torch.from_numpy(codes if bits == 8 else codes.view(np.int16))
    if device.type == "cuda":
        host = host.pin_memory()
    on = host.to(device, non_blocking=True)
    if bits == 16:
        on = on.to(torch.int32) & 0xFFFF
    y0, ys, c0, cs = color.coded_scale(range, bits)
    out = torch.empty((codes.shape[0], 3, *codes.shape[1:3]), device=device)
    with torch.inference_mode():
        for k, (offset, scale) in enumerate(((y0, 1 / ys), (c0, 1 / cs), (c0, 1 / cs))):
            plane = out[:, k]
            torch.sub(on[..., k].float(), float(np.float32(offset)), out=plane)
            plane *= float(np.float32(scale))
    return out


def encode_coded(
    y: np.ndarray | torch.Tensor,
    cbcr: np.ndarray | torch.Tensor,
    *,
    range: color.Range = "limited",
    dtype: np.dtype | type = np.uint8,
) -> np.ndarray:
    """`color.encode_coded_planar` of planes wherever they are -> coded (T, H, W, 3) on the
    host. Tensors are coded on their device and only the codes are fetched; host arrays go
    to `encode_coded_planar`. The same float32 steps in the same order (scale, offset,
    round half to even, clip), so the same codes."""
    if isinstance(y, np.ndarray) and isinstance(cbcr, np.ndarray):
        return color.encode_coded_planar(y, cbcr, range=range, dtype=dtype)
    import torch

    dt = np.dtype(dtype)
    if dt not in (np.uint8, np.uint16):
        raise ValueError(f"coded YCbCr must be uint8 or uint16, got {dt}")
    y_t = torch.as_tensor(y)
    c_t = torch.as_tensor(cbcr, device=y_t.device)
    if y_t.dim() != 3 or tuple(c_t.shape) != (y_t.shape[0], 2, *y_t.shape[1:]):
        raise ValueError(
            f"want y (T, H, W) and cbcr (T, 2, H, W), got {tuple(y_t.shape)}, {tuple(c_t.shape)}"
        )
    bits = 8 if dt == np.uint8 else 16
    y0, ys, c0, cs = color.coded_scale(range, bits)
    top = float((1 << bits) - 1)
    # 16-bit codes travel as int16 bit patterns (torch's uint16 has few kernels): the
    # host reads them back as uint16
    carrier = torch.uint8 if bits == 8 else torch.int16
    out = torch.empty((*y_t.shape, 3), dtype=carrier, device=y_t.device)
    planes = ((y_t, y0, ys), (c_t[:, 0], c0, cs), (c_t[:, 1], c0, cs))
    with torch.inference_mode():
        for k, (plane, offset, scale) in enumerate(planes):
            # python floats of the float32 values: the same float32 operands numpy uses
            tmp = plane.float() * float(np.float32(scale))
            tmp += float(np.float32(offset))
            tmp = torch.round(tmp).clamp_(0.0, top)
            out[..., k] = tmp.to(torch.int32).to(carrier) if bits == 16 else tmp.to(carrier)
    host = out.cpu().numpy()
    return host.view(np.uint16) if bits == 16 else host


__all__ = [
    "ENV_RESIDENT",
    "decode_coded",
    "encode_coded",
    "frame_batch",
    "on_host",
    "resident_device",
    "upload",
    "wanted",
]
