"""`panchro eval stabilize`: how much gate weave the stabilizer takes out, and how far it
moves a clip that has none.

Each clip is decoded as small grey frames (`imaging.weave.ANALYSIS_WIDTH` wide) and cut
into shots; a seeded weave is laid on it (`imaging.degrade.weave_shifts`: per frame a shift
of standard deviation `amount` pixels sideways, half that up and down, bicubic), and both the
clip and its weave-laid copy are stabilized shot by shot with the stage's arithmetic
(`imaging.weave`: shifts by phase correlation, the quadratic through each frame's window,
the cubic move).

Figures, at the analysis size:
  weave            luma PSNR of the weave-laid copy against the clip;
  stabilized       the copy stabilized, against the clip stabilized: where the weave is all
                   gone the two are the same frames (the clip's own path is smoothed alike);
  left             the weave left, in pixels: the mean distance between the two runs' moves
                   once the weave laid is taken off (0 when all of it went);
  clip moved       how far stabilizing moves the clip's own frames, in pixels on average (a
                   hand-held camera's shake counts: it goes too).
Frames within 3 px of an edge are left out of the PSNRs (what comes in at an edge is made up).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.evaluate.clips import mean_row
from panchro.engine.evaluate.video import clip_paths
from panchro.engine.imaging import weave

FIGURES = ("weave_db", "stabilized_db", "left_px", "moved_px")
EDGE = 3


def stabilize_frames(
    y: np.ndarray, shots: Sequence[Any], fps: float, strength: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) grey frames stabilized shot by shot as the stage does it, and the (N, 2)
    moves made."""
    half = weave.half_window(fps)
    moves = np.zeros((len(y), 2))
    for s in shots:
        part = y[s.start : s.end]
        shifts = [weave.motion(a, b) for a, b in zip(part[:-1], part[1:], strict=True)]
        moves[s.start : s.end] = weave.corrections(np.array(shifts), half, strength)
    limit = weave.MAX_SHIFT * y.shape[2]
    moves = np.clip(moves, -limit, limit)
    out = weave.shift_planes(y.astype(np.float32), moves[:, 0], moves[:, 1])
    return out, moves


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    inner = (slice(None), slice(EDGE, -EDGE), slice(EDGE, -EDGE))
    mse = float(np.mean((a[inner] - b[inner]) ** 2))
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def eval_stabilize(
    data: Sequence[str | Path],
    *,
    amount: float = 1.0,
    strength: float = 1.0,
    seed: int = 1,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the figures (module docstring) for the clips in `data`."""
    from panchro.engine.imaging.degrade import translate, weave_shifts
    from panchro.engine.media import open_source
    from panchro.engine.shots import analysis_size, detect_shots

    out(
        f"stabilize on clips with gate weave laid on ({amount:g} px sideways, {amount / 2:g} "
        f"up and down, at {weave.ANALYSIS_WIDTH} px wide), strength {strength:g}"
    )
    out(
        f"  {'clip':<30} {'frames':>6} {'shots':>5} {'weave':>9} {'stabilized':>11}"
        f" {'left':>8} {'clip moved':>11}"
    )
    rows = []
    for path in clip_paths(data):
        with open_source(path) as src:
            info = src.info
            size = analysis_size(info.width, info.height, weave.ANALYSIS_WIDTH)
            y = np.stack([f.image for f in src.frames(fmt="gray", size=size)]) / 255.0
            shots = detect_shots(src)
        fps = float(info.fps) if info.fps else 24.0
        dx, dy = weave_shifts(len(y), np.random.default_rng(seed), amount)
        laid = np.clip(translate(y.astype(np.float32), dx, dy), 0.0, 1.0)
        fixed, moves = stabilize_frames(laid, shots, fps, strength)
        alone, own = stabilize_frames(y, shots, fps, strength)
        # What the run on the weave made beyond the clip's own: the weave it undid (-laid)
        left = moves - own + np.stack([dx, dy], axis=1)
        # ... less any constant shift per shot (the path is counted from the shot's start)
        for s in shots:
            left[s.start : s.end] -= left[s.start : s.end].mean(axis=0)
        row = {
            "clip": path.name,
            "frames": len(y),
            "shots": len(shots),
            "weave_db": _psnr(laid, y),
            "stabilized_db": _psnr(fixed, alone),
            "left_px": float(np.hypot(left[:, 0], left[:, 1]).mean()),
            "moved_px": float(np.hypot(own[:, 0], own[:, 1]).mean()),
        }
        rows.append(row)
        out(_line(row))
    mean = mean_row(rows, FIGURES)
    out(_line(mean))
    return {"clips": rows, "mean": mean}


def _line(r: dict[str, Any]) -> str:
    return (
        f"  {str(r['clip'])[:30]:<30} {r['frames']:>6} {r['shots']:>5} {r['weave_db']:>6.2f} dB"
        f" {r['stabilized_db']:>8.2f} dB {r['left_px']:>5.2f} px {r['moved_px']:>8.2f} px"
    )
