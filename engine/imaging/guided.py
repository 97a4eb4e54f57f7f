"""The luma-guided filter (He et al. 2010) and guided chroma enlargement, in strips on the CPU."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

GUIDE_RADIUS = 1  # window radius of the guided filter, in working-resolution pixels


GUIDE_EPS = 1e-2  # its regularisation in luma^2: windows with luma contrast >> 0.1 get a slope


STRIP_PIXELS = 1 << 20  # full-resolution pixels per strip of the enlargement (4 MB a plane)


# torch's CPU bilinear resize takes another kernel (other roundings) when out_h + out_w <= 128,
# so the strips, which must round as the whole frame does, need both sides above that.
_MIN_STRIP_SIDE = 129


def box_filter(x: Tensor, radius: int) -> Tensor:
    """Mean of each (2r+1) x (2r+1) window of (B, C, H, W), shrunk at the borders.

    Windows that cross the border average only the pixels inside the image (the
    normalisation by pixel count of He et al.). Done as two 1-D average pools,
    which is exact: the count of a clipped window is the product of its 1-D counts.
    """
    if radius < 0:
        raise ValueError(f"radius must be non-negative, got {radius}")
    if radius == 0:
        return x
    k = 2 * radius + 1
    x = x.contiguous()  # avg_pool2d is several times slower on channels_last tensors
    x = F.avg_pool2d(x, (1, k), stride=1, padding=(0, radius), count_include_pad=False)
    return F.avg_pool2d(x, (k, 1), stride=1, padding=(radius, 0), count_include_pad=False)


def _guided_coefficients(
    guide: Tensor, src: Tensor, radius: int, eps: float, *, need_b: bool = True
) -> tuple[Tensor, Tensor | None]:
    """Window-averaged (a, b) of q = a * guide + b fitted to `src` (He et al. 2010, Alg. 1)."""
    c = src.shape[1]
    # one box pass over [I, I^2, p, I p]: the same work, fewer passes over memory
    means = box_filter(torch.cat([guide, guide * guide, src, guide * src], dim=1), radius)
    mean_i, mean_ii = means[:, :1], means[:, 1:2]
    mean_p, mean_ip = means[:, 2 : 2 + c], means[:, 2 + c :]
    var_i = (mean_ii - mean_i * mean_i).clamp_min_(0.0)
    a = (mean_ip - mean_i * mean_p) / (var_i + eps)
    if not need_b:
        return box_filter(a, radius), None
    b = mean_p - a * mean_i
    ab = box_filter(torch.cat([a, b], dim=1), radius)
    return ab[:, :c], ab[:, c:]


def guided_filter(guide: Tensor, src: Tensor, radius: int, eps: float) -> Tensor:
    """Edge-preserving smoothing of `src` (B, C, H, W) guided by `guide` (B, 1, H, W).

    Computed in float32 whatever the inputs (the variance is a difference of
    near-equal means). A flat guide makes it a double box blur of `src`; where the
    guide has an edge of contrast well above sqrt(eps), the output follows it.
    """
    _check_guided(guide, src)
    g, s = guide.float(), src.float()
    a, b = _guided_coefficients(g, s, radius, eps)
    assert b is not None
    return torch.addcmul(b, a, g)


def guided_upsample(
    guide_full: Tensor, guide_low: Tensor, src_low: Tensor, radius: int, eps: float
) -> Tensor:
    """`src_low` (B, C, h, w) -> (B, C, H, W), its edges following `guide_full` (B, 1, H, W).

    `guide_low` (B, 1, h, w) is `guide_full` at the low resolution (the same
    resize that made the network's input). The guided filter's slope `a` is
    fitted at low resolution; the result is bilinear(src) + bilinear(a) *
    (guide_full - bilinear(guide_low)): the luma detail lost by the resize,
    turned into chroma detail by the local chroma-per-luma slope.
    """
    _check_guided(guide_low, src_low)
    if guide_full.dim() != 4 or guide_full.shape[:2] != guide_low.shape[:2]:
        raise ValueError(
            f"guide_full {tuple(guide_full.shape)} does not match guide_low"
            f" {tuple(guide_low.shape)}"
        )
    g_low, s_low = guide_low.float(), src_low.float()
    a, _ = _guided_coefficients(g_low, s_low, radius, eps, need_b=False)
    size = (guide_full.shape[-2], guide_full.shape[-1])
    detail = guide_full.float() - _bilinear(g_low, size)
    return torch.addcmul(_bilinear(s_low, size), _bilinear(a, size), detail)


def can_strip(height: int, width: int) -> bool:
    """Whether `guided_upsample_strips` gives the whole frame's bits at this output size."""
    return min(height, width) >= _MIN_STRIP_SIDE


def guided_upsample_strips(
    out: Tensor,
    guide_full: Tensor,
    guide_low: Tensor,
    src_low: Tensor,
    radius: int,
    eps: float,
    *,
    strip_pixels: int = STRIP_PIXELS,
    on_strip: Callable[[float], None] | None = None,
) -> Tensor:
    """`guided_upsample(...).clamp(-0.5, 0.5)` written into `out` (B, C, H, W), the same bits,
    without a frame-sized temporary; returns `out`.

    Bilinear resizing is separable and torch computes it that way: each output pixel
    is (row i0 resized across) x h0 + (row i1 resized across) x h1, with i0, i1, h0,
    h1 depending only on the output row. So the low-resolution maps are resized across
    once, to (h, W) (small: h is the working size), and each strip of about
    `strip_pixels` output pixels (every row, a few hundred columns) is resized down
    from its columns of those: there the width does not change, which torch does
    with weights 1 and 0, i.e. the values as they are, and the rows get the same
    source rows and weights as in the whole frame because the height is the whole
    frame's. The rest is per pixel with the same torch operations. Needs
    `can_strip(H, W)`; `on_strip(f)` gets the fraction done after each strip.
    """
    _check_guided(guide_low, src_low)
    n, c, height, width = out.shape
    if guide_full.shape != (n, 1, height, width) or src_low.shape[:2] != (n, c):
        raise ValueError(
            f"out {tuple(out.shape)}, guide_full {tuple(guide_full.shape)} and src_low"
            f" {tuple(src_low.shape)} do not match"
        )
    if not can_strip(height, width):
        raise ValueError(f"{width}x{height} is too small for strips (see can_strip)")
    g_low, s_low = guide_low.float(), src_low.float()
    a, _ = _guided_coefficients(g_low, s_low, radius, eps, need_b=False)
    across = (g_low.shape[-2], width)
    g_across, s_across, a_across = (_bilinear(x, across) for x in (g_low, s_low, a))
    cols = max(1, strip_pixels // height)
    for c0 in range(0, width, cols):
        c1 = min(width, c0 + cols)
        size = (height, c1 - c0)
        part = [_bilinear(x[..., c0:c1].contiguous(), size) for x in (g_across, s_across, a_across)]
        # the whole frame's operations, in its order: detail = Y - up(Y_low), then addcmul
        detail = torch.sub(guide_full[..., c0:c1].float(), part[0], out=part[0])
        out[..., c0:c1] = part[1].addcmul_(part[2], detail).clamp_(-0.5, 0.5)
        if on_strip is not None:
            on_strip(c1 / width)
    return out


def _bilinear(x: Tensor, size: tuple[int, int]) -> Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def _check_guided(guide: Tensor, src: Tensor) -> None:
    if guide.dim() != 4 or guide.shape[1] != 1:
        raise ValueError(f"guide must be (B, 1, H, W), got {tuple(guide.shape)}")
    if src.dim() != 4 or src.shape[0] != guide.shape[0] or src.shape[2:] != guide.shape[2:]:
        raise ValueError(f"src {tuple(src.shape)} does not match guide {tuple(guide.shape)}")
