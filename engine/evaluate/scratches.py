"""`panchro eval scratches`: how much of laid-on line scratches `--scratches` takes out, and
how much of a clip without them it changes.

Each clip's first `FRAMES` frames are read grey at `WIDTH` px wide and cut into shots, then
given film grain (`imaging.degrade.film_grain`, amount 0.05; "grainy") or left as they are
("clean"). Line scratches are laid on that (`imaging.degrade.line_scratches`: `COUNT` a
clip, each light or dark by 0.04-0.25 (varying by a third along it), a Gaussian 0.5-1.5 px
across, down the whole height or at least half of it, slightly slanted, drifting a few
tenths of a pixel a frame, on every frame or a stretch of 12 or more), and both the
scratched frames and the frames before them are cleaned shot by shot as the stage cleans
them (`imaging.scratches.clean`).

Figures, against the frames before the scratches were laid on:
  scratched, cleaned   luma PSNR of the scratched frames, and of them cleaned;
  gone                 the share of the scratches' squared error taken away;
  found                the share of the scratches' plain pixels (PLAIN or more off) corrected;
  without scratches    how much cleaning changes the frames before them: the share of pixels
                       corrected (per 10,000), and how far those moved on average, in grey
                       levels of 255 (what was taken for a scratch there is a thin line of
                       the picture that holds still).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from panchro.engine.evaluate.clips import grey_frames, mean_row, psnr
from panchro.engine.evaluate.video import clip_paths
from panchro.engine.imaging import degrade, scratches

WIDTH = 480
FRAMES = 48
GRAIN = 0.05
COUNT = 3
PLAIN = 0.03
FILMS = ("clean", "grainy")
FIGURES = ("dirty_db", "cleaned_db", "gone", "found", "changed")


def clean_shots(
    y: np.ndarray, shots: Sequence[Any], strength: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) grey frames cleaned shot by shot as the scratches stage cleans them, and
    the (N, H, W) masks of what was corrected."""
    frames = torch.from_numpy(np.ascontiguousarray(y, np.float32))
    out, masks = frames.clone(), torch.zeros(frames.shape, dtype=torch.bool)
    with torch.no_grad():
        for s in shots:
            part = frames[s.start : s.end]
            cleaned, found, _ = scratches.clean(
                part, s.start, (s.start, s.end), range(s.start, s.end), strength
            )
            out[s.start : s.end], masks[s.start : s.end] = cleaned, found
    return out.numpy(), masks.numpy()


def eval_scratches(
    data: Sequence[str | Path],
    *,
    strength: float = 1.0,
    frames: int = FRAMES,
    width: int = WIDTH,
    seed: int = 1,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the figures (module docstring) for the clips in `data`, each
    clip's first `frames` at `width` px wide, as they are and grainy."""
    out(
        f"scratches: each clip's first {frames} frames at {width} px wide, {COUNT} line"
        f" scratches laid on, cleaned at strength {strength:g}"
    )
    out(
        f"  {'clip':<28} {'film':<7} {'frames':>6} {'shots':>5} {'scratched':>9}"
        f" {'cleaned':>8} {'gone':>6} {'found':>6} {'without: corrected':>18} {'by':>6}"
    )
    rows: dict[str, list[dict[str, Any]]] = {film: [] for film in FILMS}
    seconds = 0.0
    for path in clip_paths(data):
        y, shots = grey_frames(path, frames, width)
        rng = np.random.default_rng(seed)
        for film in FILMS:
            truth = y if film == "clean" else degrade.film_grain(y, rng, GRAIN, 1.0)
            truth = np.clip(truth, 0, 1).astype(np.float32)
            dirty = degrade.line_scratches(truth, rng, count=COUNT).astype(np.float32)
            t0 = time.perf_counter()
            cleaned, _ = clean_shots(dirty, shots, strength)
            kept, corrected = clean_shots(truth, shots, strength)
            seconds += time.perf_counter() - t0
            error = dirty.astype(np.float64) - truth
            left = cleaned.astype(np.float64) - truth
            lined = error != 0
            plain = np.abs(error) >= PLAIN
            row = {
                "clip": path.name,
                "film": film,
                "frames": len(y),
                "shots": len(shots),
                "dirty_db": psnr(dirty, truth),
                "cleaned_db": psnr(cleaned, truth),
                "gone": 1.0
                - float((left[lined] ** 2).sum() / max((error[lined] ** 2).sum(), 1e-12)),
                "found": float((cleaned != dirty)[plain].mean()) if plain.any() else float("nan"),
                "changed": float(corrected.mean() * 1e4),
                "moved": float(np.abs(kept - truth)[corrected].mean() * 255)
                if corrected.any()
                else float("nan"),
            }
            rows[film].append(row)
            out(_line(row))
    means = {}
    for film, part in rows.items():
        means[film] = mean_row(part, FIGURES) | {"film": film}
        moved = [r["moved"] for r in part if not np.isnan(r["moved"])]
        means[film]["moved"] = float(np.mean(moved)) if moved else float("nan")
        out(_line(means[film]))
    total = sum(r["frames"] for r in rows["clean"]) * 2 * len(FILMS)
    ms = 1000 * seconds / max(total, 1)
    out(f"  cleaning: {ms:.0f} ms a frame ({width} px wide, this CPU)")
    return {"clips": [r for film in FILMS for r in rows[film]], "mean": means, "ms_per_frame": ms}


def _line(r: dict[str, Any]) -> str:
    moved = "     -" if np.isnan(r["moved"]) else f"{r['moved']:>6.1f}"
    return (
        f"  {str(r['clip'])[:28]:<28} {r['film']:<7} {r['frames']:>6} {r['shots']:>5}"
        f" {r['dirty_db']:>6.2f} dB {r['cleaned_db']:>5.2f} dB {r['gone']:>6.1%}"
        f" {r['found']:>6.1%} {r['changed']:>10.2f} / 10k {moved}"
    )
