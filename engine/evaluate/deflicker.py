"""`panchro eval deflicker`: how much flicker the deflicker takes away, and what it costs a
film without any.

Each clip is decoded as small grey frames and cut into shots (`shots.detect_shots`); a
seeded flicker is laid on it (per frame, a gain 1 + N(0, `gain`) and an offset
N(0, `offset`), clipped, as `imaging.degrade.flicker` makes it for training; then, with
`uneven`, flicker that differs across the frame, `imaging.degrade.uneven_flicker`), and
both the clip and its flickered copy are evened out shot by shot with the stage's
arithmetic (`imaging.flicker`: quantiles, curves through the windows, steps, the robust
fit, the gain field over tiles).

Figures, luma PSNR against the clip as it was:
  flickered      the copy with flicker laid on;
  whole frame    that copy evened out as a whole only (the stage before it had a field);
  deflickered    that copy evened out as the stage does it: how much of the flicker went;
  alone          the clip itself evened out, as a whole only and as the stage does it:
                 what it costs a film that does not flicker (the clip's own changes of
                 light count against it here).
and the frame-to-frame change of the frames' mean luma, in % of the mean, and of the
tiles' means, less the frame's, in % of the mean (the flicker across the frame), for each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.evaluate.clips import mean_row, psnr
from panchro.engine.evaluate.video import clip_paths
from panchro.engine.imaging import flicker

FIGURES = (
    "flickered_db",
    "whole_db",
    "deflickered_db",
    "alone_whole_db",
    "alone_db",
    "wobble_clip",
    "wobble_flickered",
    "wobble_deflickered",
    "uneven_clip",
    "uneven_flickered",
    "uneven_deflickered",
)


def even_out(
    y: np.ndarray, shots: Sequence[Any], fps: float, strength: float = 1.0, *, field: bool = True
) -> np.ndarray:
    """(N, H, W) luma in [0, 1] evened out shot by shot, as the deflicker stage does it
    (without `field`, as a whole only)."""
    half, span = flicker.half_window(fps), flicker.step_span(fps)
    n, h, w = y.shape
    out = np.empty_like(y)
    for s in shots:
        part = y[s.start : s.end]
        c = flicker.corrections(
            np.stack([flicker.levels(f) for f in part]),
            half,
            strength,
            span=span,
            tiles=np.stack([flicker.tiles(f) for f in part]) if field else None,
            aspect=h / w,
        )
        evened = part * c.gain[:, None, None] + c.offset[:, None, None]
        if c.field is not None:
            evened = evened * flicker.field_map(c.field, h, w) + c.field[:, 6, None, None]
        out[s.start : s.end] = np.clip(evened, 0.0, 1.0)
    return out


def _wobble(y: np.ndarray) -> float:
    m = y.mean(axis=(1, 2))
    return float(100 * np.abs(np.diff(m)).mean() / max(float(m.mean()), 1e-6))


def uneven(y: np.ndarray) -> float:
    """How much the light across frames `y` (N, H, W) moves from frame to frame: the mean
    change of the tiles' means less the frame's (`imaging.flicker.tiles`), % of the mean."""
    t = np.stack([flicker.tiles(f) for f in y])
    t = t - t.mean(axis=1, keepdims=True)
    return float(100 * np.abs(np.diff(t, axis=0)).mean() / max(float(y.mean()), 1e-6))


def eval_deflicker(
    data: Sequence[str | Path],
    *,
    gain: float = 0.06,
    offset: float = 0.03,
    across: float = 0.08,
    strength: float = 1.0,
    seed: int = 1,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the figures (module docstring) for the clips in `data`."""
    from panchro.engine.imaging.degrade import uneven_flicker
    from panchro.engine.media import open_source
    from panchro.engine.shots import analysis_size, detect_shots

    rows = []
    out(
        f"deflicker on clips with flicker laid on (gain +-{gain:g}, offset +-{offset:g}, "
        f"across the frame +-{across:g}), strength {strength:g}; luma PSNR against each clip "
        f"at {flicker.ANALYSIS_WIDTH} px; the frames' mean luma moving from frame to frame, "
        "and the tiles' (less the frame's), % of the mean"
    )
    out(
        f"  {'clip':<24} {'frames':>6} {'shots':>5} {'flickered':>9} {'whole frame':>11} "
        f"{'deflickered':>11} {'alone: whole':>12} {'deflickered':>11}   {'wobble: clip':>12} "
        f"{'flickered':>9} "
        f"{'deflickered':>11}   {'across: clip':>12} {'flickered':>9} {'deflickered':>11}"
    )
    for path in clip_paths(data):
        with open_source(path) as src:
            info = src.info
            size = analysis_size(info.width, info.height, flicker.ANALYSIS_WIDTH)
            y = np.stack([f.image for f in src.frames(fmt="gray", size=size)]) / 255.0
            shots = detect_shots(src)
        fps = float(info.fps) if info.fps else 24.0
        rng = np.random.default_rng(seed)
        n = len(y)
        g = 1 + rng.normal(0, gain, n)
        o = rng.normal(0, offset, n)
        flickered = np.clip(y * g[:, None, None] + o[:, None, None], 0.0, 1.0)
        if across > 0:
            flickered = uneven_flicker(flickered, rng, across)
        fixed = even_out(flickered, shots, fps, strength)
        alone = even_out(y, shots, fps, strength)
        row = {
            "clip": path.name,
            "frames": n,
            "shots": len(shots),
            "flickered_db": psnr(flickered, y),
            "whole_db": psnr(even_out(flickered, shots, fps, strength, field=False), y),
            "deflickered_db": psnr(fixed, y),
            "alone_whole_db": psnr(even_out(y, shots, fps, strength, field=False), y),
            "alone_db": psnr(alone, y),
            "wobble_clip": _wobble(y),
            "wobble_flickered": _wobble(flickered),
            "wobble_deflickered": _wobble(fixed),
            "uneven_clip": uneven(y),
            "uneven_flickered": uneven(flickered),
            "uneven_deflickered": uneven(fixed),
        }
        rows.append(row)
        out(_line(row))
    mean = mean_row(rows, FIGURES)
    out(_line(mean))
    return {"clips": rows, "mean": mean}


def _line(r: dict[str, Any]) -> str:
    return (
        f"  {str(r['clip'])[:24]:<24} {r['frames']:>6} {r['shots']:>5} {r['flickered_db']:>6.2f} dB"
        f" {r['whole_db']:>8.2f} dB {r['deflickered_db']:>8.2f} dB {r['alone_whole_db']:>9.2f} dB"
        f" {r['alone_db']:>8.2f} dB   "
        f"{r['wobble_clip']:>11.2f}% {r['wobble_flickered']:>8.2f}% "
        f"{r['wobble_deflickered']:>10.2f}%"
        f"   {r['uneven_clip']:>11.2f}% {r['uneven_flickered']:>8.2f}% "
        f"{r['uneven_deflickered']:>10.2f}%"
    )
