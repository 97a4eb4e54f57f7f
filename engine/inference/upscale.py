"""Restoring luma with the upscaler, frame by frame, at any size the memory allows.

`upscale_luma(model, frames)` takes the consecutive luma frames of one shot,
(T, H, W) float32 in [0, 1], and returns every frame cleaned and enlarged,
(T, H*s, W*s); `start`/`stop` restore only frames[start:stop] while the
others serve as neighbours, so a long shot can go through in chunks that
overlap by the window's half-width. Frame i is restored from the window
frames[i - r .. i + r] (r = frames // 2), the shot's first and last frames
repeated where the window runs past its ends; windows never cross a cut
because the caller passes one shot at a time.

Memory. A batch of frames is processed one tile at a time. Each tile reads
`receptive_radius` extra input pixels (the halo) on every side, so its output
is exactly what the whole frame would give; neighbouring tiles overlap by
`overlap` input pixels, which are blended linearly. Tile side and batch come
from the free memory (CUDA: `torch.cuda.mem_get_info`; CPU: a fixed budget);
when the device runs out of memory anyway, the tile is halved (then the batch)
and the same frames are done again, so no frame is ever dropped or repeated.
`max_tile_pixels` simulates a small device: a tile batch larger than that
raises the same out-of-memory error as the device would.

The network runs in channels-last layout (cuDNN and oneDNN are both faster so;
twice as fast on the CPU), under fp16 autocast on CUDA.

Chroma is not run through the network: `upscale_chroma` enlarges it bicubically
and adds the restored luma's detail where the chroma follows the luma locally
(the guided filter's slope), so colour edges land on the sharpened luma edges.
`regrain` puts back film grain at the output size, matched to the grain
measured in the source (`measure_grain`), so restored faces don't look plastic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from panchro.engine.errors import OUT_OF_MEMORY, BadInputError, PanchroError
from panchro.engine.imaging.degrade import gaussian_blur, grain_amplitude, grain_field
from panchro.engine.inference import device as compute
from panchro.engine.inference.device import frames_per_call
from panchro.engine.models.upscaler import Upscaler, UpscalerConfig
from panchro.engine.progress import report_within

CPU_BUDGET_BYTES = 1 << 30  # working memory for one tile batch on the CPU
CUDA_FREE_FRACTION = 0.6  # of the free device memory, leaving room for cuDNN workspaces
MAX_BATCH = 16
MIN_TILE = 32  # input pixels; below this the halo dominates the work
CHROMA_BAND_PIXELS = 1 << 22  # output pixels per band of `upscale_chroma` (16 MB a plane)
# Chroma rows a band of `upscale_chroma` reads beyond its own on each side, besides two
# box filters' (2 x radius): Y_low's bicubic (2), the bicubic enlargement after it (2),
# and 2 to spare.
CHROMA_HALO = 6


class UpscaleOutOfMemoryError(PanchroError):
    """Even the smallest tile, one frame at a time, does not fit in the device's memory."""

    code = OUT_OF_MEMORY


@dataclass
class UpscaleStats:
    """What `upscale_luma` did: filled in when passed as `stats`."""

    tile: int = 0  # tile side (input pixels) the last batch ran with; 0 = whole frames
    batch: int = 0  # frames per batch at the end
    tiles_per_frame: int = 0
    retries: int = 0  # out-of-memory retries
    frames: int = 0  # frames restored
    calls: int = 0  # network calls
    oom_sizes: list[tuple[int, int]] = field(default_factory=list)  # (tile, batch) that failed


# --- sizing ---------------------------------------------------------------------------------


def bytes_per_pixel(config: UpscalerConfig, dtype: torch.dtype) -> int:
    """Working memory of the network per input pixel of one window, with a safety margin.

    Live at once: the window (frames), the features and a residual block's two
    temporaries (about 4 x channels), the head, the bicubic skip and the
    output (3 x scale^2).
    """
    elem = torch.finfo(dtype).bits // 8
    live = config.frames + 4 * config.channels + 3 * config.scale**2
    return int(live * elem * 1.5) + 3 * config.scale**2 * 4  # + float32 blend buffers


def memory_budget(device: torch.device) -> int:
    """Bytes one tile batch may use on `device`."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * CUDA_FREE_FRACTION)
    return CPU_BUDGET_BYTES


def plan_tiles(
    height: int, width: int, config: UpscalerConfig, budget: int, dtype: torch.dtype
) -> tuple[int, int]:
    """(tile side in input pixels, frames per batch) that fit `budget` bytes.

    Whole frames when one fits (tile = the longer side), as many as fit up to
    MAX_BATCH; otherwise the largest square tile (halo included) that fits,
    one frame at a time.
    """
    per_px = bytes_per_pixel(config, dtype)
    pixels = max(1, budget // per_px)
    if height * width <= pixels:
        return max(height, width), max(1, min(MAX_BATCH, pixels // (height * width)))
    halo = config.receptive_radius
    side = int(math.isqrt(pixels)) - 2 * halo
    side = max(MIN_TILE, side // 8 * 8)
    return side, 1


def _spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """[start, stop) spans of at most `tile` covering 0..length, neighbours overlapping by at
    least `overlap` (the last one is pushed back to end at `length`)."""
    if length <= tile:
        return [(0, length)]
    overlap = min(overlap, tile // 2)
    step = tile - overlap
    n = math.ceil((length - overlap) / step)
    starts = sorted({min(i * step, length - tile) for i in range(n)})
    return [(a, a + tile) for a in starts]


def _ramp(a: int, b: int, length: int, fade: int) -> np.ndarray:
    """Blend weights over [a, b): rising over `fade` pixels from an inner edge, flat at the
    frame's own edges."""
    p = np.arange(a, b, dtype=np.float32)
    w = np.ones(b - a, np.float32)
    if fade > 0:
        if a > 0:
            w = np.minimum(w, (p - a + 0.5) / fade)
        if b < length:
            w = np.minimum(w, (b - p - 0.5) / fade)
    return w


def _is_oom(err: BaseException) -> bool:
    if isinstance(err, torch.OutOfMemoryError):
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


# --- luma -----------------------------------------------------------------------------------


def _as_frames(
    frames: np.ndarray | torch.Tensor | Sequence[np.ndarray],
) -> np.ndarray | torch.Tensor:
    a = frames.float() if isinstance(frames, torch.Tensor) else np.asarray(frames, np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[0] < 1 or a.shape[1] < 1 or a.shape[2] < 1:
        raise BadInputError(f"luma frames must be (T, H, W), got shape {a.shape}")
    return a


def upscale_luma(
    model: Upscaler,
    frames: np.ndarray | torch.Tensor | Sequence[np.ndarray],
    *,
    start: int = 0,
    stop: int | None = None,
    tile: int | None = None,
    overlap: int = 16,
    batch: int | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    budget_bytes: int | None = None,
    max_tile_pixels: int | None = None,
    stats: UpscaleStats | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> np.ndarray | torch.Tensor:
    """Restore frames[start:stop] of one shot -> (stop - start, H*s, W*s) float32 in [0, 1].

    frames     (T, H, W) float32 luma in [0, 1], consecutive frames of one shot
               (or a sequence of (H, W) arrays); the neighbours of each frame are
               its window, the shot's ends repeated. A tensor gives a tensor on
               the device: frames that live there never pass through the host.
    tile       tile side in input pixels; None sizes it (and `batch`) from the
               free memory (`budget_bytes` overrides the measured budget).
    overlap    input pixels neighbouring tiles share and blend over.
    device     where to run; None = where the model's weights are (the model is
               moved when another device is named, and put in channels-last layout).
    dtype      compute precision; None = float16 on CUDA, on the CPU the run's
               (`device.cpu_dtype`: bfloat16 where the cores have it, else float32).
               The network's output is float32 either way (its bicubic base is).
    max_tile_pixels  simulate a small device: a call on more than this many
               input pixels (frames x tile area, halo included) fails as if out
               of memory, and the out-of-memory path takes over.
    stats      an UpscaleStats to fill in (tile, batch, retries, ...).
    on_progress  called after each tile with the share (0..1) of the frames done;
               None = `progress.report_within`, which moves a pipeline's progress.

    On out-of-memory the tile is halved (down to MIN_TILE), then the batch,
    and the same frames are redone; UpscaleOutOfMemoryError when one frame
    of the smallest tile does not fit.
    """
    cfg = model.config
    a = _as_frames(frames)
    n_all, height, width = a.shape
    stop = n_all if stop is None else stop
    if not 0 <= start < stop <= n_all:
        raise BadInputError(f"frames {start}..{stop} are outside the {n_all} given")
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    if next(model.parameters()).device != dev:
        model.to(dev)
    model.to(memory_format=torch.channels_last)  # faster with cuDNN and with oneDNN alike
    model.eval()
    run_dtype = dtype or (torch.float16 if dev.type == "cuda" else compute.cpu_dtype())
    budget = budget_bytes if budget_bytes is not None else memory_budget(dev)
    auto_tile, auto_batch = plan_tiles(height, width, cfg, budget, run_dtype)
    tile = max(MIN_TILE, tile) if tile is not None else auto_tile
    tile = min(tile, max(height, width))
    # By default one frame a call on the CPU: a frame's bits then do not depend on its
    # batch-mates (panchro.engine.inference.device).
    batch = max(1, batch) if batch is not None else frames_per_call(dev, auto_batch)
    st = stats if stats is not None else UpscaleStats()

    s = cfg.scale
    report = on_progress or report_within
    shape = (stop - start, height * s, width * s)
    resident = isinstance(a, torch.Tensor)
    out = torch.empty(shape, device=dev) if resident else np.empty(shape, np.float32)
    dest = out if isinstance(out, torch.Tensor) else torch.from_numpy(out)
    i = start
    while i < stop:
        b = min(batch, stop - i)

        def tick(share: float, first: int = i - start, b: int = b) -> None:
            report((first + b * share) / (stop - start))

        try:
            _restore_batch(
                model,
                a,
                range(i, i + b),
                tile,
                overlap,
                dev,
                run_dtype,
                max_tile_pixels,
                st,
                dest[i - start : i - start + b],
                tick,
            )
        except (torch.OutOfMemoryError, RuntimeError) as err:
            if not _is_oom(err):
                raise
            st.retries += 1
            st.oom_sizes.append((tile, b))
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            if tile > MIN_TILE:
                tile = max(MIN_TILE, tile // 2)
            elif batch > 1:
                batch = max(1, b // 2)
            else:
                raise UpscaleOutOfMemoryError(
                    f"out of memory upscaling a {width}x{height} frame even in"
                    f" {MIN_TILE}x{MIN_TILE} tiles, one frame at a time"
                ) from None
            continue
        i += b
        st.frames += b
    st.tile = 0 if tile >= max(height, width) else tile
    st.batch = batch
    st.tiles_per_frame = len(_spans(height, tile, overlap)) * len(_spans(width, tile, overlap))
    return out


@torch.inference_mode()
def _restore_batch(
    model: Upscaler,
    frames: np.ndarray | torch.Tensor,
    targets: range,
    tile: int,
    overlap: int,
    dev: torch.device,
    dtype: torch.dtype,
    max_tile_pixels: int | None,
    st: UpscaleStats,
    dest: torch.Tensor,
    tick: Callable[[float], None],
) -> None:
    """Restore the frames `targets` (one batch) tile by tile into `dest` (b, H*s, W*s), a
    tensor on the device or over the caller's host memory.

    Tiles are blended straight into `dest`: the only frame-sized memory is the
    result itself, whatever the frame's size (a 192 Mpx frame once needed three
    more frame-sized buffers: the sum, the weights and their quotient).
    """
    cfg = model.config
    s, r, halo = cfg.scale, cfg.frames // 2, cfg.receptive_radius
    n_all, height, width = frames.shape
    # the frames this batch reads, uploaded once; windows index into them
    lo, hi = max(0, targets[0] - r), min(n_all, targets[-1] + r + 1)
    src = frames[lo:hi]
    src = (torch.from_numpy(src) if isinstance(src, np.ndarray) else src).to(dev, non_blocking=True)
    idx = (
        np.clip(
            np.arange(targets[0], targets[-1] + 1)[:, None] + np.arange(-r, r + 1), 0, n_all - 1
        )
        - lo
    )
    idx_t = torch.from_numpy(idx).to(dev)
    b = len(targets)
    ys, xs = _spans(height, tile, overlap), _spans(width, tile, overlap)
    single = len(ys) == 1 and len(xs) == 1
    if not single:
        dest.zero_()  # a retry after running out of memory starts the sums afresh
    use_amp = dtype != torch.float32
    ramps_y = [_ramp(y0 * s, y1 * s, height * s, overlap * s) for y0, y1 in ys]
    ramps_x = [_ramp(x0 * s, x1 * s, width * s, overlap * s) for x0, x1 in xs]
    done = 0
    for (y0, y1), wy in zip(ys, ramps_y, strict=True):
        for (x0, x1), wx in zip(xs, ramps_x, strict=True):
            ry0, ry1 = max(0, y0 - halo), min(height, y1 + halo)
            rx0, rx1 = max(0, x0 - halo), min(width, x1 + halo)
            if max_tile_pixels is not None and b * (ry1 - ry0) * (rx1 - rx0) > max_tile_pixels:
                raise torch.OutOfMemoryError(
                    f"simulated: {b} x {ry1 - ry0} x {rx1 - rx0} input pixels"
                    f" > max_tile_pixels {max_tile_pixels}"
                )
            window = src[:, ry0:ry1, rx0:rx1][idx_t]  # (b, N, rh, rw)
            window = window.contiguous(memory_format=torch.channels_last)
            with torch.autocast(dev.type, dtype=dtype, enabled=use_amp):
                pred = model(window)
            st.calls += 1
            core = pred[
                :, 0, (y0 - ry0) * s : (y1 - ry0) * s, (x0 - rx0) * s : (x1 - rx0) * s
            ].float()
            if single:
                dest.copy_(core.clamp_(0.0, 1.0))
                tick(1.0)
                return
            weight = torch.from_numpy(wy[:, None] * wx[None, :]).to(dev)
            dest[:, y0 * s : y1 * s, x0 * s : x1 * s] += (core * weight).to(dest.device)
            done += 1
            tick(done / (len(ys) * len(xs)))
    # The weights are separable, and every row span meets every column span: their sum is
    # (the row ramps' sum) x (the column ramps' sum), no frame-sized map needed.
    sum_y = np.zeros(height * s, np.float32)
    for (y0, y1), wy in zip(ys, ramps_y, strict=True):
        sum_y[y0 * s : y1 * s] += wy
    sum_x = np.zeros(width * s, np.float32)
    for (x0, x1), wx in zip(xs, ramps_x, strict=True):
        sum_x[x0 * s : x1 * s] += wx
    sum_y_t = torch.from_numpy(sum_y).to(dest.device)
    sum_x_t = torch.from_numpy(sum_x).to(dest.device)
    rows = max(1, (1 << 20) // (width * s))  # a band of a million pixels at a time
    for r0 in range(0, height * s, rows):
        band = dest[:, r0 : r0 + rows]
        band /= sum_y_t[r0 : r0 + rows, None] * sum_x_t[None, :]
        band.clamp_(0.0, 1.0)


# --- chroma ---------------------------------------------------------------------------------


def _bicubic(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)


def upscale_chroma(
    cbcr: np.ndarray,
    luma_hr: np.ndarray,
    *,
    radius: int = 1,
    eps: float = 1e-2,
    device: str | torch.device | None = None,
    band_pixels: int = CHROMA_BAND_PIXELS,
) -> np.ndarray:
    """Chroma (h, w, 2) or (T, h, w, 2) in [-0.5, 0.5] -> the size of `luma_hr` ((H, W) or
    (T, H, W)), its edges following the restored luma.

    q = bicubic(chroma) + bilinear(a) * (Y - bicubic(Y_low)): the guided filter's
    local chroma-per-luma slope `a` (He, Sun & Tang 2010; windows of `radius` chroma
    pixels, ridge `eps`), fitted at the chroma's size against the restored luma
    shrunk to it (Y_low), turns the luma detail the chroma lacks into chroma
    detail; where chroma does not follow luma, a is ~0 and this is bicubic. It is
    `panchro.engine.imaging.guided.guided_upsample` with bicubic instead of bilinear bases.
    Chroma of Set5 + Set14 shrunk and brought back (19 pictures, PSNR of Cb/Cr):
    x2 bicubic 59.25 dB, this 59.58 dB; x4 54.83 / 55.40 dB (the textbook fast
    guided filter, q = up(a) Y + up(b), scored 54.67 / 51.82 dB: it smooths).

    Memory: at a whole scale factor the frame is done in bands of rows of about
    `band_pixels` output pixels, each read with `CHROMA_HALO` + 2 x `radius` chroma
    rows more on either side (further than any step reaches), so the result is the
    whole frame's and the only frame-sized memory is the result. It is planar, (T, 2, H, W),
    returned as a (T, H, W, 2) view: `np.moveaxis(result, -1, 1)` is contiguous.
    """
    c = np.asarray(cbcr, dtype=np.float32)
    y = np.asarray(luma_hr, dtype=np.float32)
    single = c.ndim == 3
    if single:
        c, y = c[None], y[None]
    if c.ndim != 4 or c.shape[-1] != 2 or y.ndim != 3 or y.shape[0] != c.shape[0]:
        raise BadInputError(
            f"chroma must be (T, h, w, 2) with luma (T, H, W); got {np.shape(cbcr)} and"
            f" {np.shape(luma_hr)}"
        )
    dev = torch.device(device or "cpu")
    planar = c.transpose(0, 3, 1, 2)  # the caller's (T, 2, h, w) memory when it came so
    out = np.empty((c.shape[0], 2, *y.shape[1:]), np.float32)
    _chroma_bands(
        torch.from_numpy(planar), torch.from_numpy(y), torch.from_numpy(out), dev, radius, eps,
        band_pixels,
    )  # fmt: skip
    res = np.moveaxis(out, 1, -1)
    return res[0] if single else res


def upscale_chroma_planar(
    cbcr: torch.Tensor,
    luma_hr: torch.Tensor,
    *,
    radius: int = 1,
    eps: float = 1e-2,
    band_pixels: int = CHROMA_BAND_PIXELS,
) -> torch.Tensor:
    """`upscale_chroma` of planes that stay where they are: chroma (T, 2, h, w) and luma
    (T, H, W) tensors on one device -> (T, 2, H, W) float32 there, the same values (the
    same bands, the same arithmetic)."""
    if (
        cbcr.dim() != 4
        or cbcr.shape[1] != 2
        or luma_hr.dim() != 3
        or luma_hr.shape[0] != cbcr.shape[0]
    ):
        raise BadInputError(
            f"chroma must be (T, 2, h, w) with luma (T, H, W); got {tuple(cbcr.shape)} and"
            f" {tuple(luma_hr.shape)}"
        )
    out = torch.empty((cbcr.shape[0], 2, *luma_hr.shape[1:]), device=cbcr.device)
    _chroma_bands(
        cbcr.float(), luma_hr.float(), out, cbcr.device, radius, eps, band_pixels
    )  # fmt: skip
    return out


def _chroma_bands(
    planar: torch.Tensor,
    y: torch.Tensor,
    out: torch.Tensor,
    dev: torch.device,
    radius: int,
    eps: float,
    band_pixels: int,
) -> None:
    """`upscale_chroma`'s work, band by band, on `dev`: planar (T, 2, h, w) and luma
    (T, H, W) wherever they are -> `out` (T, 2, H, W) wherever it is."""
    n, _, h, w = planar.shape
    height, width = y.shape[1:]
    s = height // h
    if height == s * h and width == s * w and s > 1:
        rows = max(1, band_pixels // (width * s))
        halo = CHROMA_HALO + 2 * radius
    else:  # no whole factor: one band, the frame
        s, rows, halo = 0, h, 0
    with torch.inference_mode():
        for t in range(n):
            for a in range(0, h, rows):
                b = min(h, a + rows)
                lo, hi = max(0, a - halo), min(h, b + halo)
                ct = planar[t : t + 1, :, lo:hi].contiguous().to(dev)
                if s:
                    yt = y[t, lo * s : hi * s][None, None].to(dev)
                    res = _guided_up(ct, yt, radius, eps)
                    out[t, :, a * s : b * s] = res[0, :, (a - lo) * s : (b - lo) * s]
                else:
                    out[t] = _guided_up(ct, y[t][None, None].to(dev), radius, eps)[0]


def _guided_up(ct: torch.Tensor, yt: torch.Tensor, radius: int, eps: float) -> torch.Tensor:
    """`upscale_chroma`'s formula on (1, 2, h, w) chroma and (1, 1, H, W) luma."""
    from panchro.engine.imaging.guided import box_filter

    size = (yt.shape[-2], yt.shape[-1])
    small = (ct.shape[-2], ct.shape[-1])
    if small == size:
        return ct.clamp(-0.5, 0.5)  # not in place: `ct` may be the caller's array
    out = _bicubic(ct, size)
    if radius > 0:
        y_low = _bicubic(yt, small)
        mean_i, mean_p = box_filter(y_low, radius), box_filter(ct, radius)
        var_i = (box_filter(y_low * y_low, radius) - mean_i * mean_i).clamp_min_(0.0)
        cov = box_filter(y_low * ct, radius) - mean_i * mean_p
        a = box_filter(cov / (var_i + eps), radius)
        a = F.interpolate(a, size=size, mode="bilinear", align_corners=False)
        out += a * (yt - _bicubic(y_low, size))
    return out.clamp_(-0.5, 0.5)


# --- grain ----------------------------------------------------------------------------------


def _flat_mask(luma: np.ndarray, sigma: float, fraction: float = 0.3) -> np.ndarray:
    """The `fraction` of pixels with the least structure (gradient of a blurred copy)."""
    smooth = gaussian_blur(luma, 2 * sigma)
    gy, gx = np.gradient(smooth, axis=(-2, -1))
    mag = np.hypot(gx, gy)
    return mag <= np.quantile(mag, fraction)


def measure_grain(luma: np.ndarray, *, sigma: float = 1.0) -> float:
    """Grain (or noise) strength of luma (H, W) or (T, H, W): a robust standard deviation
    (1.4826 x median absolute value) of the high-pass (luma minus a Gaussian blur of
    `sigma` pixels) over the flattest 30% of the picture, where texture does not count."""
    x = np.asarray(luma, dtype=np.float32)
    hp = x - gaussian_blur(x, sigma)
    mask = _flat_mask(x, sigma)
    return float(1.4826 * np.median(np.abs(hp[mask])))


def regrain(
    source: np.ndarray,
    restored: np.ndarray,
    rng: np.random.Generator,
    *,
    size: float = 1.0,
    strength: float = 1.0,
) -> np.ndarray:
    """Add grain to `restored` (T, H*s, W*s) or (H*s, W*s) so that its measured grain matches
    `strength` x that of `source` (the frames it came from, at the input size).

    The grain is clumped to `size` source pixels (scaled to the output), stronger in
    the mid-tones as on film, and fresh in every frame; what grain the restoration
    left is accounted for (the two add in quadrature).
    """
    src = np.asarray(source, dtype=np.float32)
    out = np.asarray(restored, dtype=np.float32)
    scale = out.shape[-1] / src.shape[-1]
    target = strength * measure_grain(src)
    left = measure_grain(out, sigma=scale)
    need = math.sqrt(max(0.0, target**2 - left**2))
    if need == 0.0:
        return out.copy()
    grain = grain_field(out.shape, rng, size * scale) * grain_amplitude(out)
    unit = measure_grain(out + grain, sigma=scale)
    unit = math.sqrt(max(unit**2 - left**2, 1e-12))
    return np.clip(out + grain * (need / unit), 0.0, 1.0).astype(np.float32)


# --- benchmark ------------------------------------------------------------------------------


__all__ = [
    "CPU_BUDGET_BYTES",
    "UpscaleOutOfMemoryError",
    "UpscaleStats",
    "bytes_per_pixel",
    "measure_grain",
    "memory_budget",
    "plan_tiles",
    "regrain",
    "upscale_chroma",
    "upscale_chroma_planar",
    "upscale_luma",
]
