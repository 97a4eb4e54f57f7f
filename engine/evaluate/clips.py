"""What the evaluations on clips share (`eval deflicker`, `eval stabilize`): a table's mean
row (the clips a `--data` list names are `evaluate.video.clip_paths`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def mean_row(rows: Sequence[dict[str, Any]], figures: Sequence[str]) -> dict[str, Any]:
    """The table's last row: frames and shots summed, each of `figures` averaged."""
    mean: dict[str, Any] = {"clip": "mean"}
    mean |= {k: sum(r[k] for r in rows) for k in ("frames", "shots")}
    return mean | {k: float(np.mean([r[k] for r in rows])) for k in figures}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of `a` against `b`, both 0..1."""
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def grey_frames(path: Path, frames: int, width: int) -> tuple[np.ndarray, list[Any]]:
    """A clip's first `frames` frames grey (N, H, W) float 0..1 at `width` px wide, and its
    shots cut to them."""
    from panchro.engine.media import open_source
    from panchro.engine.shots import detect_shots

    with open_source(path) as src:
        info = src.info
        h = int(round(info.height * width / info.width / 2)) * 2
        n = min(frames, info.frame_count)
        read = [f.image for f in src.frames(0, n, fmt="gray", size=(width, h))]
        shots = [s for s in detect_shots(src) if s.start < n]
    shots = [type(s)(s.start, min(s.end, n), min(s.key_frame, n - 1)) for s in shots]
    return np.stack(read).astype(np.float32) / 255.0, shots
