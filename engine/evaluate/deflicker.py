"""`panchro eval deflicker`: how much flicker the deflicker takes away, and what it costs a
film without any.

Each clip is decoded as small grey frames and cut into shots (`shots.detect_shots`); a
seeded flicker is laid on it (per frame, a gain 1 + N(0, `gain`) and an offset
N(0, `offset`), clipped, as `imaging.degrade.flicker` makes it for training), and both the
clip and its flickered copy are evened out shot by shot with the stage's arithmetic
(`imaging.flicker`: quantiles, curves through the windows, steps, the robust fit).

Figures, luma PSNR against the clip as it was:
  flickered      the copy with flicker laid on;
  deflickered    that copy evened out: how much of the flicker went;
  clip alone     the clip itself evened out: what it costs a film that does not flicker
                 (the clip's own exposure changes count against it here).
and the frame-to-frame change of the frames' mean luma, in % of the mean, for each.
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
    "deflickered_db",
    "alone_db",
    "wobble_clip",
    "wobble_flickered",
    "wobble_deflickered",
)


def even_out(y: np.ndarray, shots: Sequence[Any], fps: float, strength: float = 1.0) -> np.ndarray:
    """(N, H, W) luma in [0, 1] evened out shot by shot, as the deflicker stage does it."""
    half, span = flicker.half_window(fps), flicker.step_span(fps)
    out = np.empty_like(y)
    for s in shots:
        part = y[s.start : s.end]
        c = flicker.corrections(
            np.stack([flicker.levels(f) for f in part]), half, strength, span=span
        )
        out[s.start : s.end] = np.clip(
            part * c.gain[:, None, None] + c.offset[:, None, None], 0.0, 1.0
        )
    return out


def _wobble(y: np.ndarray) -> float:
    m = y.mean(axis=(1, 2))
    return float(100 * np.abs(np.diff(m)).mean() / max(float(m.mean()), 1e-6))


def eval_deflicker(
    data: Sequence[str | Path],
    *,
    gain: float = 0.06,
    offset: float = 0.03,
    strength: float = 1.0,
    seed: int = 1,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the figures (module docstring) for the clips in `data`."""
    from panchro.engine.media import open_source
    from panchro.engine.shots import analysis_size, detect_shots

    rows = []
    out(
        f"deflicker on clips with flicker laid on (gain +-{gain:g}, offset +-{offset:g}), "
        f"strength {strength:g}; luma PSNR against each clip at {flicker.ANALYSIS_WIDTH} px, "
        "and the frames' mean luma moving from frame to frame (% of it)"
    )
    out(
        f"  {'clip':<30} {'frames':>6} {'shots':>5} {'flickered':>10} {'deflickered':>11} "
        f"{'clip alone':>10}   {'wobble: clip':>12} {'flickered':>9} {'deflickered':>11}"
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
        fixed = even_out(flickered, shots, fps, strength)
        alone = even_out(y, shots, fps, strength)
        row = {
            "clip": path.name,
            "frames": n,
            "shots": len(shots),
            "flickered_db": psnr(flickered, y),
            "deflickered_db": psnr(fixed, y),
            "alone_db": psnr(alone, y),
            "wobble_clip": _wobble(y),
            "wobble_flickered": _wobble(flickered),
            "wobble_deflickered": _wobble(fixed),
        }
        rows.append(row)
        out(_line(row))
    mean = mean_row(rows, FIGURES)
    out(_line(mean))
    return {"clips": rows, "mean": mean}


def _line(r: dict[str, Any]) -> str:
    return (
        f"  {str(r['clip'])[:30]:<30} {r['frames']:>6} {r['shots']:>5} {r['flickered_db']:>8.2f} dB"
        f" {r['deflickered_db']:>8.2f} dB {r['alone_db']:>7.2f} dB   {r['wobble_clip']:>11.2f}%"
        f" {r['wobble_flickered']:>8.2f}% {r['wobble_deflickered']:>10.2f}%"
    )
