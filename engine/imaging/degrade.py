"""Degradations of luma, for training the upscaler and for evaluating it: what old film does.

The upscaler learns to undo these, and its evaluation measures it on them, so
both import this one module. Each degradation is one small function over
float32 luma in [0, 1], either one frame (H, W) or a window of consecutive
frames (N, H, W); it returns the same layout (only `downscale` and `resize`
change the size). A window is treated consistently: blur, downscale and
compression settings are shared by its frames, while grain, noise and dust are
drawn afresh for every frame, as they are on film. Random functions take a
`numpy.random.Generator`, so a seed reproduces a result exactly.

`plan_degradation` draws a random chain (a list of `Step`s, printable) and
`apply_plan` runs it; `random_degradation(window, scale, rng)` does both. The
chain keeps the centre frame of the window in place (gate weave and flicker
move and brighten its neighbours only), so the clean centre frame stays the
training target. `motion_window` turns a still picture into a window with a
small random camera motion, for training on photographs.

`python -m panchro.engine.imaging.degrade --out docs/degradations.png IMAGE_OR_FILM`
writes a strip of every degradation applied to one crop.
"""

from __future__ import annotations

import argparse
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

RESIZE_METHODS = ("bicubic", "bilinear", "area")

# --- layout helpers -------------------------------------------------------------------------


def _stack(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """(H, W) or (N, H, W) -> (N, H, W) float32, and whether the input was a single frame."""
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 2:
        return a[None], True
    if a.ndim == 3:
        return a, False
    raise ValueError(f"luma must be (H, W) or (N, H, W), got shape {a.shape}")


def _unstack(a: np.ndarray, single: bool) -> np.ndarray:
    return np.ascontiguousarray(a[0] if single else a, dtype=np.float32)


def _torch(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[:, None]  # (N, 1, H, W)


def _conv(a: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve every frame of (N, H, W) with a 2-D kernel, mirroring the edges."""
    k = torch.from_numpy(np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32))
    kh, kw = k.shape
    t = _torch(a)
    # reflect padding needs the pad smaller than the side; replicate works for any size
    mode = "reflect" if kh // 2 < a.shape[1] and kw // 2 < a.shape[2] else "replicate"
    t = F.pad(t, (kw // 2, kw // 2, kh // 2, kh // 2), mode=mode)
    return F.conv2d(t, k[None, None])[:, 0].numpy()


def gaussian_kernel1d(sigma: float) -> np.ndarray:
    """Normalised Gaussian taps out to 3 sigma (at least 3 taps)."""
    radius = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(x**2) / (2 * sigma**2))
    return (k / k.sum()).astype(np.float32)


# --- blur -----------------------------------------------------------------------------------


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Optical softness: a Gaussian of `sigma` pixels (separable; 0 leaves the image as is)."""
    a, single = _stack(x)
    if sigma <= 0:
        return _unstack(a.copy(), single)
    k = gaussian_kernel1d(sigma)
    a = _conv(_conv(a, k[None, :]), k[:, None])
    return _unstack(a, single)


def motion_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised line `length` pixels long at `angle` degrees, anti-aliased by supersampling."""
    length = max(1.0, float(length))
    radius = int(math.ceil(length / 2))
    size = 2 * radius + 1
    k = np.zeros((size, size), np.float64)
    theta = math.radians(angle)
    ts = np.linspace(-length / 2, length / 2, max(2, int(length * 8)))
    xs, ys = radius + ts * math.cos(theta), radius - ts * math.sin(theta)
    # bilinear splat of each point along the line
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    corners = (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    )
    for dx, dy, w in corners:
        np.add.at(k, (np.clip(y0 + dy, 0, size - 1), np.clip(x0 + dx, 0, size - 1)), w)
    return (k / k.sum()).astype(np.float32)


def motion_blur(x: np.ndarray, length: float, angle: float = 0.0) -> np.ndarray:
    """A straight smear of `length` pixels at `angle` degrees (0 = horizontal)."""
    a, single = _stack(x)
    if length <= 1:
        return _unstack(a.copy(), single)
    return _unstack(_conv(a, motion_kernel(length, angle)), single)


# --- resizing -------------------------------------------------------------------------------


def resize(x: np.ndarray, size: tuple[int, int], method: str = "bicubic") -> np.ndarray:
    """Frames to `size` = (H, W). "bicubic" and "bilinear" are anti-aliased when shrinking
    (the same kernel as PIL's and MATLAB's imresize, a = -0.5); "area" averages boxes."""
    a, single = _stack(x)
    if method not in RESIZE_METHODS:
        raise ValueError(f"method must be one of {RESIZE_METHODS}, got {method!r}")
    h, w = int(size[0]), int(size[1])
    if h < 1 or w < 1:
        raise ValueError(f"bad size {size}")
    t = _torch(a)
    if method == "area":
        out = F.interpolate(t, size=(h, w), mode="area")
    else:
        out = F.interpolate(t, size=(h, w), mode=method, antialias=True, align_corners=False)
    return _unstack(out[:, 0].numpy(), single)


def downscale(x: np.ndarray, scale: float, method: str = "bicubic") -> np.ndarray:
    """Shrink by `scale` (2 -> half the side); sides are rounded, at least one pixel."""
    a, single = _stack(x)
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    h, w = a.shape[1:]
    size = (max(1, round(h / scale)), max(1, round(w / scale)))
    return _unstack(resize(a, size, method), single)


# --- noise and grain ------------------------------------------------------------------------


def gaussian_noise(x: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Additive white noise of standard deviation `sigma`, new in every frame; clipped to [0, 1]."""
    a, single = _stack(x)
    noise = rng.standard_normal(a.shape, dtype=np.float32) * np.float32(sigma)
    return _unstack(np.clip(a + noise, 0.0, 1.0), single)


def poisson_noise(x: np.ndarray, rng: np.random.Generator, peak: float) -> np.ndarray:
    """Shot noise: white is `peak` photons, each pixel a Poisson count (brighter = noisier)."""
    a, single = _stack(x)
    if peak <= 0:
        raise ValueError(f"peak must be positive, got {peak}")
    counts = rng.poisson(np.clip(a, 0.0, 1.0).astype(np.float64) * peak)
    return _unstack(np.clip(counts / peak, 0.0, 1.0), single)


def grain_field(shape: tuple[int, ...], rng: np.random.Generator, size: float = 1.0) -> np.ndarray:
    """Unit-variance grain: white noise blurred by a Gaussian of `size` pixels (0 = per pixel)."""
    g = rng.standard_normal(shape, dtype=np.float32)
    if size > 0:
        g = gaussian_blur(g, size)
    return g / max(float(g.std()), 1e-8)


def grain_amplitude(luma: np.ndarray) -> np.ndarray:
    """Relative grain strength by brightness: 1 in the mid-tones, a quarter in black and white.

    Silver grain shows most where the density is middling; deep shadows and
    blown highlights hide it.
    """
    y = np.clip(luma, 0.0, 1.0)
    return (0.25 + 3.0 * y * (1.0 - y)).astype(np.float32)


def film_grain(
    x: np.ndarray, rng: np.random.Generator, amount: float, size: float = 1.0
) -> np.ndarray:
    """Film grain of standard deviation `amount` in the mid-tones (less in black and white),
    clumped to `size` pixels, new in every frame."""
    a, single = _stack(x)
    g = grain_field(a.shape, rng, size)
    return _unstack(np.clip(a + amount * grain_amplitude(a) * g, 0.0, 1.0), single)


# --- dust and scratches ---------------------------------------------------------------------


def _splat(
    frame: np.ndarray, cx: float, cy: float, rx: float, ry: float, value: float, opacity: float
) -> None:
    """Blend a soft ellipse of `value` into `frame` in place."""
    h, w = frame.shape
    r = max(rx, ry) + 1.5
    x0, x1 = max(0, int(cx - r)), min(w, int(cx + r) + 2)
    y0, y1 = max(0, int(cy - r)), min(h, int(cy + r) + 2)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) * min(rx, ry)
    alpha = np.clip(min(rx, ry) + 0.5 - d, 0.0, 1.0) * opacity
    frame[y0:y1, x0:x1] = frame[y0:y1, x0:x1] * (1 - alpha) + value * alpha


def dust_and_scratches(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    dust: float = 4.0,
    hairs: float = 0.3,
    scratches: int = 1,
    twice: float = 0.0,
) -> np.ndarray:
    """Specks of dirt (new in every frame), the odd hair, and vertical scratches that persist.

    `dust` is the mean number of specks per frame per 100,000 pixels (dark or
    light blobs of 0.7-3 px radius); `hairs` the mean number of thin curly
    lines per frame per 100,000 pixels; `scratches` the number of vertical
    lines running through the whole window, drifting by up to a pixel a frame.
    `twice`: the share of specks laid on the same place of the next frame too (dirt
    that stayed in the gate for two frames); 0 draws the same dirt as before it was asked.
    """
    a, single = _stack(x)
    a = a.copy()
    n, h, w = a.shape
    per = h * w / 1e5
    again: list[tuple[float, ...]] = []
    for f in range(n):
        frame = a[f]
        for speck in again:
            _splat(frame, *speck)
        again = []
        for _ in range(rng.poisson(dust * per)):
            r = rng.uniform(0.7, 3.0)
            value = 0.03 if rng.random() < 0.6 else 0.97
            speck = (
                rng.uniform(0, w),
                rng.uniform(0, h),
                r * rng.uniform(0.6, 1.4),
                r,
                value,
                rng.uniform(0.5, 1.0),
            )
            _splat(frame, *speck)
            if twice > 0 and rng.random() < twice:
                again.append(speck)
        for _ in range(rng.poisson(hairs * per)):
            steps = int(rng.integers(10, 40))
            heading = rng.uniform(0, 2 * math.pi)
            px, py = rng.uniform(0, w), rng.uniform(0, h)
            value = 0.03 if rng.random() < 0.6 else 0.97
            for _ in range(steps):
                _splat(frame, px, py, 0.6, 0.6, value, 0.8)
                heading += rng.normal(0, 0.3)
                px, py = px + math.cos(heading), py + math.sin(heading)
    for _ in range(scratches):
        cx = rng.uniform(0, w)
        top = int(rng.integers(0, max(1, h // 2)))
        bottom = int(rng.integers(min(h, top + max(1, h // 3)), h + 1))
        contrast = rng.uniform(0.05, 0.3) * (1 if rng.random() < 0.5 else -1)
        width = rng.uniform(0.4, 1.2)
        xs = np.arange(w, dtype=np.float32)
        for f in range(n):
            profile = np.exp(-(((xs - cx) / width) ** 2) / 2) * contrast
            a[f, top:bottom] = a[f, top:bottom] + profile[None, :]
            cx += rng.uniform(-1.0, 1.0)
    return _unstack(np.clip(a, 0.0, 1.0), single)


def line_scratches(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    count: int = 2,
    contrast: tuple[float, float] = (0.04, 0.25),
    width: tuple[float, float] = (0.5, 1.5),
) -> np.ndarray:
    """`count` line scratches down a run of frames (N, H, W), as a worn print has them: each
    a soft vertical line (a Gaussian across, sigma in `width` px) light or dark by `contrast`
    (varying a little along it and from frame to frame), down the whole height or at least
    half of it, slightly slanted, drifting a few tenths of a pixel a frame, on every frame of
    the run or a stretch of at least 12 of them."""
    a, single = _stack(x)
    a = a.astype(np.float32).copy()
    n, h, w = a.shape
    rows = np.arange(h, dtype=np.float32)
    xs = np.arange(w, dtype=np.float32)
    for _ in range(count):
        cx = rng.uniform(0.05 * w, 0.95 * w)
        if rng.random() < 0.6:
            top, bottom = 0, h
        else:
            top = int(rng.integers(0, h // 2))
            bottom = int(rng.integers(top + h // 2, h + 1))
        first, stop = 0, n
        if n > 12 and rng.random() < 0.5:
            first = int(rng.integers(0, n - 12 + 1))
            stop = int(rng.integers(first + 12, n + 1))
        sign = 1.0 if rng.random() < 0.6 else -1.0
        size = rng.uniform(*contrast) * sign
        sigma = rng.uniform(*width)
        slant = rng.uniform(-1.5, 1.5) / h
        period, phase = rng.uniform(h / 3, 2 * h), rng.uniform(0, 2 * math.pi)
        along = 1 + 0.3 * np.sin(2 * math.pi * rows / period + phase)
        for f in range(first, stop):
            centre = cx + slant * (rows - h / 2)
            line = np.exp(-(((xs[None] - centre[:, None]) / sigma) ** 2) / 2)
            amount = size * rng.uniform(0.9, 1.1) * along[top:bottom, None]
            a[f, top:bottom] += (line[top:bottom] * amount).astype(np.float32)
            cx = float(np.clip(cx + rng.normal(0, 0.3), 2, w - 3))
    return _unstack(np.clip(a, 0.0, 1.0), single)


# --- compression ----------------------------------------------------------------------------


def _to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)


def jpeg(x: np.ndarray, quality: int) -> np.ndarray:
    """Each frame through a greyscale JPEG of `quality` (1-95), in memory."""
    a, single = _stack(x)
    out = np.empty_like(a)
    for i, frame in enumerate(a):
        buf = io.BytesIO()
        Image.fromarray(_to_u8(frame), "L").save(buf, format="JPEG", quality=int(quality))
        buf.seek(0)
        out[i] = np.asarray(Image.open(buf), dtype=np.float32) / 255.0
    return _unstack(out, single)


def _plane(plane: Any, h: int, w: int) -> np.ndarray:
    return np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, :w].copy()


def h264(x: np.ndarray, crf: int = 28, *, preset: str = "veryfast", fps: int = 24) -> np.ndarray:
    """The frames as an H.264 clip (libx264, constant quality `crf`, 4:2:0) encoded and decoded
    back in memory: blocking, ringing and the smearing of motion across frames."""
    # PyAV only here: the rest of this module (and training on a machine without PyAV, such
    # as the GPU kit's, with `h264=False`) must import without it
    import av

    a, single = _stack(x)
    n, h, w = a.shape
    # 4:2:0 needs even sides; pad by repeating the edge and crop it off afterwards
    ph, pw = h + h % 2, w + w % 2
    frames = np.pad(_to_u8(a), ((0, 0), (0, ph - h), (0, pw - w)), mode="edge")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        # x264's defaults, macroblock tree on, as most H.264 files a film comes in were made:
        # the film models learned those artefacts (with it off, the x1 model's gain on the
        # realistic set fell from +1.60 to +1.00 dB). With it on, x264 (core 165) reads
        # memory it never wrote, so now and then a round trip differs between runs (the
        # writer, media.encode, turns it off for that reason; a degradation need not be
        # bit-exact, a restored film must).
        stream.options = {"crf": str(int(crf)), "preset": preset, "threads": "1"}
        for frame in frames:
            vf = av.VideoFrame(pw, ph, "yuv420p")
            y_plane = vf.planes[0]
            rows = np.frombuffer(y_plane, np.uint8).reshape(ph, y_plane.line_size)
            rows[:, :pw] = frame
            # The row padding too (the edge repeated): a new frame's memory is not cleared,
            # and bytes the encoder reads past the edge must not make two runs differ.
            rows[:, pw:] = frame[:, -1:]
            for plane in vf.planes[1:]:
                np.frombuffer(plane, np.uint8)[:] = 128
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
    buf.seek(0)
    with av.open(buf, "r") as container:
        # the Y plane as coded: a conversion to "gray" would stretch it as if limited range
        decoded = [_plane(f.planes[0], ph, pw) for f in container.decode(video=0)]
    if len(decoded) != n:
        raise RuntimeError(f"H.264 round trip gave {len(decoded)} frames for {n}")
    out = np.stack(decoded)[:, :h, :w].astype(np.float32) / 255.0
    return _unstack(out, single)


# --- projector and camera -------------------------------------------------------------------


def translate(x: np.ndarray, dx: Sequence[float], dy: Sequence[float]) -> np.ndarray:
    """Move frame i by (dx[i], dy[i]) pixels (right and down), sub-pixel by bicubic sampling;
    what comes in at an edge is the mirrored picture."""
    a, single = _stack(x)
    n, h, w = a.shape
    dx = np.asarray(dx, dtype=np.float64).reshape(-1)
    dy = np.asarray(dy, dtype=np.float64).reshape(-1)
    if dx.shape != (n,) or dy.shape != (n,):
        raise ValueError(f"need one shift per frame ({n}), got {dx.shape} and {dy.shape}")
    if np.all(dx == 0) and np.all(dy == 0):
        return _unstack(a.copy(), single)
    # grid_sample reads the source at (x - dx, y - dy) in normalised coordinates
    ys = (np.arange(h, dtype=np.float64) + 0.5) / h * 2 - 1
    xs = (np.arange(w, dtype=np.float64) + 0.5) / w * 2 - 1
    gx = xs[None, None, :] - dx[:, None, None] * 2 / w
    gy = ys[None, :, None] - dy[:, None, None] * 2 / h
    grid = np.stack(np.broadcast_arrays(gx, gy), axis=-1).astype(np.float32)  # (n, h, w, 2)
    out = F.grid_sample(
        _torch(a),
        torch.from_numpy(grid),
        mode="bicubic",
        padding_mode="reflection",
        align_corners=False,
    )
    return _unstack(np.clip(out[:, 0].numpy(), 0.0, 1.0), single)


def weave_shifts(
    n: int, rng: np.random.Generator, amount: float, keep: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame gate weave (dx, dy) in pixels: jitter of standard deviation `amount`, mostly
    sideways as in a projector gate; frame `keep` is not moved (others move relative to it)."""
    dx = rng.normal(0, amount, n)
    dy = rng.normal(0, amount * 0.5, n)
    if keep is not None:
        dx, dy = dx - dx[keep], dy - dy[keep]
    return dx, dy


def gate_weave(
    x: np.ndarray, rng: np.random.Generator, amount: float, keep: int | None = None
) -> np.ndarray:
    """Frames jittered by small random shifts (see `weave_shifts`)."""
    a, single = _stack(x)
    dx, dy = weave_shifts(a.shape[0], rng, amount, keep)
    return _unstack(translate(a, dx, dy), single)


def flicker(
    x: np.ndarray, rng: np.random.Generator, amount: float, keep: int | None = None
) -> np.ndarray:
    """Per-frame exposure change: gain 1 + N(0, amount) and offset N(0, amount / 2);
    frame `keep` is left as it is."""
    a, single = _stack(x)
    n = a.shape[0]
    gain = 1 + rng.normal(0, amount, n).astype(np.float32)
    offset = rng.normal(0, amount / 2, n).astype(np.float32)
    if keep is not None:
        gain[keep], offset[keep] = 1.0, 0.0
    out = a * gain[:, None, None] + offset[:, None, None]
    return _unstack(np.clip(out, 0.0, 1.0), single)


def uneven_flicker(x: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Flicker that differs across the frame, as an uneven printer lamp or a breathing
    vignette makes it: each frame's luma times 1 + a(t) * blob + b(t) * ramp, where the blob
    is a Gaussian patch of light (its centre and size, 0.25-0.6 of the half-width, one per
    call) and the ramp a slope across the frame in one direction; a(t) ~ N(0, amount),
    b(t) ~ N(0, amount / 2) per frame. Neither is a quadratic (what the deflicker fits)."""
    a, single = _stack(x)
    n, h, w = a.shape
    px = (np.arange(w) + 0.5 - w / 2) / (w / 2)
    py = (np.arange(h) + 0.5 - h / 2) / (w / 2)
    xx, yy = np.meshgrid(px, py)
    cx, cy, size = rng.uniform(-0.7, 0.7), rng.uniform(-0.3, 0.3), rng.uniform(0.25, 0.6)
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * size * size))
    angle = rng.uniform(0, 2 * np.pi)
    ramp = xx * np.cos(angle) + yy * np.sin(angle)
    lamp = rng.normal(0, amount, n)
    slope = rng.normal(0, amount / 2, n)
    gain = 1 + lamp[:, None, None] * blob + slope[:, None, None] * ramp
    return _unstack(np.clip(a * gain.astype(np.float32), 0.0, 1.0), single)


def motion_window(
    image: np.ndarray,
    frames: int,
    rng: np.random.Generator,
    *,
    size: tuple[int, int],
    speed: float = 2.0,
    jitter: float = 0.3,
) -> np.ndarray:
    """A window of `frames` crops of `size` = (h, w) from a still, as a camera pan would see it.

    The crops follow a straight path at a random speed up to `speed` pixels a
    frame plus jitter, centred on a random point; the middle frame is an exact
    (unresampled) crop of the picture. The picture must be larger than `size`
    by the path's extent, else the path is shortened to fit.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim != 2:
        raise ValueError(f"image must be (H, W), got shape {img.shape}")
    h, w = size
    img_h, img_w = img.shape
    if h > img_h or w > img_w:
        raise ValueError(f"image {img.shape} is smaller than the crop {size}")
    centre = frames // 2
    v = rng.uniform(0, speed)
    heading = rng.uniform(0, 2 * math.pi)
    t = np.arange(frames) - centre
    dx = t * v * math.cos(heading) + rng.normal(0, jitter, frames)
    dy = t * v * math.sin(heading) + rng.normal(0, jitter, frames)
    dx, dy = dx - dx[centre], dy - dy[centre]
    # the path needs room around the crop, plus 2 px for the bicubic taps; shorten it to fit
    room_x, room_y = (img_w - w) // 2 - 2, (img_h - h) // 2 - 2
    fit = min(
        1.0,
        max(0.0, room_x) / max(np.abs(dx).max(), 1e-9),
        max(0.0, room_y) / max(np.abs(dy).max(), 1e-9),
    )
    dx, dy = dx * fit, dy * fit
    mx = min(int(math.ceil(np.abs(dx).max())) + 2, (img_w - w) // 2)
    my = min(int(math.ceil(np.abs(dy).max())) + 2, (img_h - h) // 2)
    x0 = int(rng.integers(mx, img_w - w - mx + 1))
    y0 = int(rng.integers(my, img_h - h - my + 1))
    big = img[y0 - my : y0 + h + my, x0 - mx : x0 + w + mx]
    # a camera moving right sees the picture move left
    moved = translate(np.repeat(big[None], frames, axis=0), -dx, -dy)
    out = moved[:, my : my + h, mx : mx + w].copy()
    out[centre] = img[y0 : y0 + h, x0 : x0 + w]
    return out


# --- random chains --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One degradation and its settings, e.g. Step("film_grain", {"amount": 0.03, "size": 1})."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        args = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params.items()
        )
        return f"{self.name}({args})"


# name -> (function, takes an rng, takes `keep`)
OPS: dict[str, tuple[Callable[..., np.ndarray], bool, bool]] = {
    "gaussian_blur": (gaussian_blur, False, False),
    "motion_blur": (motion_blur, False, False),
    "downscale": (downscale, False, False),
    "gaussian_noise": (gaussian_noise, True, False),
    "poisson_noise": (poisson_noise, True, False),
    "film_grain": (film_grain, True, False),
    "dust_and_scratches": (dust_and_scratches, True, False),
    "jpeg": (jpeg, False, False),
    "h264": (h264, False, False),
    "gate_weave": (gate_weave, True, True),
    "flicker": (flicker, True, True),
}


def plan_degradation(
    rng: np.random.Generator, scale: int, *, bicubic_only: float = 0.2, h264: bool = True
) -> list[Step]:
    """A random chain for a window to be shrunk by `scale` (1, 2 or 4).

    With probability `bicubic_only` (for scale > 1) the chain is the plain
    bicubic shrink of the super-resolution benchmarks. Otherwise, in film
    order: gate weave, optical or motion blur (in high-resolution pixels),
    the shrink (bicubic, area or bilinear), grain, noise, dirt, flicker, and
    last the compression of a digital copy (JPEG or H.264). With `h264=False` (no PyAV
    on the machine) the H.264 share is JPEG too, drawn from the same random numbers.
    """
    if scale > 1 and rng.random() < bicubic_only:
        return [Step("downscale", {"scale": scale, "method": "bicubic"})]
    s = max(1, scale)
    plan: list[Step] = []
    if rng.random() < 0.5:
        plan.append(Step("gate_weave", {"amount": float(rng.uniform(0.2, 1.0) * s)}))
    u = rng.random()
    if u < 0.6:
        plan.append(Step("gaussian_blur", {"sigma": float(rng.uniform(0.3, 1.2) * s)}))
    elif u < 0.75:
        plan.append(
            Step(
                "motion_blur",
                {"length": float(rng.uniform(1.5, 4.0) * s), "angle": float(rng.uniform(0, 180))},
            )
        )
    if scale > 1:
        method = str(rng.choice(["bicubic", "bicubic", "area", "bilinear"]))
        plan.append(Step("downscale", {"scale": scale, "method": method}))
    if rng.random() < 0.6:
        plan.append(
            Step(
                "film_grain",
                {"amount": float(rng.uniform(0.01, 0.07)), "size": float(rng.uniform(0.4, 1.5))},
            )
        )
    u = rng.random()
    if u < 0.3:
        plan.append(Step("gaussian_noise", {"sigma": float(rng.uniform(0.004, 0.03))}))
    elif u < 0.45:
        plan.append(Step("poisson_noise", {"peak": float(rng.uniform(60, 600))}))
    if rng.random() < 0.3:
        plan.append(
            Step(
                "dust_and_scratches",
                {
                    "dust": float(rng.uniform(2, 20)),
                    "hairs": float(rng.uniform(0, 1)),
                    "scratches": int(rng.random() < 0.3),
                },
            )
        )
    if rng.random() < 0.3:
        plan.append(Step("flicker", {"amount": float(rng.uniform(0.01, 0.05))}))
    u = rng.random()
    if u < 0.45:
        plan.append(Step("jpeg", {"quality": int(rng.integers(30, 96))}))
    elif u < 0.75:
        crf = int(rng.integers(18, 36))
        if h264:
            plan.append(Step("h264", {"crf": crf}))
        else:  # the same share, as a JPEG of like damage (crf 18..35 -> quality 90..30)
            plan.append(Step("jpeg", {"quality": int(round(90 - (crf - 18) * 60 / 17))}))
    if not plan:  # scale 1 needs something to clean up
        plan.append(Step("gaussian_noise", {"sigma": float(rng.uniform(0.004, 0.03))}))
    return plan


def apply_plan(
    x: np.ndarray, plan: Sequence[Step], rng: np.random.Generator, *, keep: int | None = None
) -> np.ndarray:
    """Run the steps in order; `keep` (a frame index) is not moved or brightened."""
    out = np.asarray(x, dtype=np.float32)
    for step in plan:
        try:
            fn, random, keeps = OPS[step.name]
        except KeyError:
            raise ValueError(f"unknown degradation {step.name!r}") from None
        args: tuple[Any, ...] = (out, rng) if random else (out,)
        kwargs = dict(step.params)
        if keeps:
            kwargs["keep"] = keep
        out = fn(*args, **kwargs)
    return out


def random_degradation(
    window: np.ndarray,
    scale: int,
    rng: np.random.Generator,
    *,
    bicubic_only: float = 0.2,
    h264: bool = True,
) -> np.ndarray:
    """A window (N, H, W) of clean frames -> degraded (N, H/scale, W/scale) by a random chain.

    The centre frame N // 2 keeps its place and brightness, so the clean
    centre frame is the target of the restoration.
    """
    a = np.asarray(window, dtype=np.float32)
    if a.ndim != 3:
        raise ValueError(f"window must be (N, H, W), got shape {a.shape}")
    plan = plan_degradation(rng, scale, bicubic_only=bicubic_only, h264=h264)
    return apply_plan(a, plan, rng, keep=a.shape[0] // 2)


# --- the picture strip ----------------------------------------------------------------------


def strip_examples(crop: np.ndarray, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """(label, degraded crop) for every degradation, at the crop's size, for looking at."""
    rng = np.random.default_rng(seed)
    h, w = crop.shape
    window = np.repeat(crop[None], 3, axis=0)
    back = lambda a, m: resize(a, (h, w), m)  # noqa: E731 - shrink-and-enlarge to compare
    rows = [
        ("original", crop),
        ("gaussian blur 1.5", gaussian_blur(crop, 1.5)),
        ("motion blur 7 @30", motion_blur(crop, 7, 30)),
        ("bicubic x4 and back", back(downscale(crop, 4, "bicubic"), "bicubic")),
        ("area x4, bilinear back", back(downscale(crop, 4, "area"), "bilinear")),
        ("gaussian noise 0.05", gaussian_noise(crop, rng, 0.05)),
        ("poisson noise peak 60", poisson_noise(crop, rng, 60)),
        ("film grain 0.08 size 1.2", film_grain(crop, rng, 0.08, 1.2)),
        ("dust and scratches", dust_and_scratches(crop, rng, dust=30, hairs=3, scratches=2)),
        ("jpeg q15", jpeg(crop, 15)),
        ("h264 crf 40", h264(window, 40)[1]),
        ("gate weave 3 px", gate_weave(window, rng, 3.0)[0]),
        ("flicker 0.15", flicker(window, rng, 0.15)[0]),
    ]
    chain = random_degradation(window, 2, np.random.default_rng(seed + 7), bicubic_only=0.0)
    rows.append(("random chain x2", back(chain[1], "bicubic")))
    return rows


def write_strip(crop: np.ndarray, out: Path, *, seed: int = 0, columns: int = 7) -> Path:
    """A labelled grid PNG of `strip_examples(crop)`."""
    from PIL import ImageDraw

    from panchro.engine.fsutil import atomic_write

    examples = strip_examples(crop, seed)
    h, w = crop.shape
    label_h = 16
    rows = math.ceil(len(examples) / columns)
    sheet = Image.new("L", (columns * (w + 4), rows * (h + label_h + 4)), 255)
    draw = ImageDraw.Draw(sheet)
    for k, (label, img) in enumerate(examples):
        r, c = divmod(k, columns)
        x0, y0 = c * (w + 4) + 2, r * (h + label_h + 4) + 2
        sheet.paste(Image.fromarray(_to_u8(img), "L"), (x0, y0 + label_h))
        draw.text((x0 + 2, y0 + 2), label, fill=0)
    atomic_write(out, lambda tmp: sheet.save(tmp, format="PNG"), what="image")
    return out


def load_luma(path: str | Path, *, frame: int = 0) -> np.ndarray:
    """Full-range BT.601 luma (H, W) in [0, 1] of an image, or of frame `frame` of a film."""
    from panchro.engine import media
    from panchro.engine.imaging.color import rgb_to_ycbcr

    with media.open_source(Path(path)) as src:
        rgb = src.read_frame(frame, fmt="rgb24").image
    return rgb_to_ycbcr(rgb.astype(np.float32) / 255.0, matrix="bt601")[..., 0].clip(0, 1)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m panchro.engine.imaging.degrade",
        description="Write a PNG strip showing every degradation on a crop of a picture or film.",
    )
    p.add_argument("source", help="an image, or a film (a frame of it is used)")
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.add_argument("--frame", type=int, default=0, help="frame of a film (default 0)")
    p.add_argument("--crop", type=int, default=192, help="side of the square crop")
    p.add_argument(
        "--at",
        type=float,
        nargs=2,
        default=(0.5, 0.5),
        metavar=("X", "Y"),
        help="centre of the crop as fractions of the width and height",
    )
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    luma = load_luma(args.source, frame=args.frame)
    h, w = luma.shape
    side = min(args.crop, h, w)
    x0 = int(np.clip(args.at[0] * w - side / 2, 0, w - side))
    y0 = int(np.clip(args.at[1] * h - side / 2, 0, h - side))
    out = write_strip(luma[y0 : y0 + side, x0 : x0 + side], args.out, seed=args.seed)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "OPS",
    "RESIZE_METHODS",
    "Step",
    "apply_plan",
    "downscale",
    "dust_and_scratches",
    "film_grain",
    "flicker",
    "gate_weave",
    "gaussian_blur",
    "gaussian_noise",
    "grain_amplitude",
    "grain_field",
    "h264",
    "jpeg",
    "motion_blur",
    "motion_window",
    "plan_degradation",
    "poisson_noise",
    "random_degradation",
    "resize",
    "translate",
    "weave_shifts",
    "write_strip",
]
