"""`panchro eval dust`: how much laid-on dirt `--dust` takes out, and how much of a clip
without dirt it changes.

Each clip's first `FRAMES` frames are read grey at `WIDTH` px wide and cut into shots, then
given film grain (`imaging.degrade.film_grain`, amount 0.05: old stock's, clumped over a
pixel; "grainy"), given that grain and a flicker (each frame's exposure times 1 + N(0, 0.04);
"flicker"), or left as they are ("clean"). Specks and hairs of dirt are laid on that
(`imaging.degrade.dust_and_scratches`: 6 specks and half a hair per frame per 100,000
pixels, dark or light, 0.7-3 px across, half to fully opaque, with `twice` a share of the
specks on the same place of the next frame too; no scratches, which stay in place and are
not what the stage looks for), and both the dirty frames and the frames
before dirt are cleaned shot by shot as the stage cleans them (`imaging.dust.clean`).

Figures, against the frames before dirt was laid on:
  dirty, cleaned   luma PSNR of the dirty frames, and of them cleaned;
  dirt gone        the share of the dirt's squared error taken away;
  specks found     the share of the dirt's plain pixels (0.15 or more off) that were filled;
  without dirt     how much cleaning changes the frames before dirt: the share of pixels
                   filled (per 10,000), and how far those moved on average, in grey levels
                   of 255 (what was taken for dirt there is grain, or a thing that moved);
  x1 model         with `model`, the cleanup model (`--degrain 1`) on the dirty frames
                   instead: its luma PSNR, for comparison (it also takes grain out, which
                   this PSNR against the grainy frames counts against it).
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
from panchro.engine.imaging import degrade, dust

WIDTH = 480
FRAMES = 48
GRAIN = 0.05
FLICKER = 0.04
FILMS = ("clean", "grainy", "flicker")
SPECKS = 6.0
HAIRS = 0.5
PLAIN = 0.15
FIGURES = ("dirty_db", "cleaned_db", "gone", "found", "changed")


def clean_shots(
    y: np.ndarray, shots: Sequence[Any], strength: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) grey frames cleaned shot by shot as the dust stage cleans them, and the
    (N, H, W) masks of what was filled."""
    frames = torch.from_numpy(np.ascontiguousarray(y, np.float32))
    out, masks = frames.clone(), torch.zeros(frames.shape, dtype=torch.bool)
    with torch.no_grad():
        for s in shots:
            part = frames[s.start : s.end]
            cleaned, found = dust.clean(
                part, s.start, (s.start, s.end), range(s.start, s.end), strength
            )
            out[s.start : s.end], masks[s.start : s.end] = cleaned, found
    return out.numpy(), masks.numpy()


def _modelpsnr(model: Any, dirty: np.ndarray, truth: np.ndarray, shots: Sequence[Any]) -> float:
    from panchro.engine.inference.upscale import upscale_luma

    out = np.empty_like(dirty)
    with torch.no_grad():
        for s in shots:
            out[s.start : s.end] = upscale_luma(model, dirty[s.start : s.end])
    return psnr(np.clip(out, 0, 1), truth)


def eval_dust(
    data: Sequence[str | Path],
    *,
    strength: float = 1.0,
    frames: int = FRAMES,
    width: int = WIDTH,
    seed: int = 1,
    model: bool = False,
    twice: float = 0.0,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the figures (module docstring) for the clips in `data`, each
    clip's first `frames` at `width` px wide, as they are, grainy and flickering."""
    x1 = None
    if model:
        from panchro.engine.evaluate.upscaler import load_upscaler

        x1, _, _ = load_upscaler(None, 1, torch.device("cpu"))
        x1.eval()
    out(
        f"dust: each clip's first {frames} frames at {width} px wide, dirt laid on ({SPECKS:g}"
        f" specks and {HAIRS:g} hairs a frame per 100,000 px, {twice:.0%} of the specks on the"
        f" next frame too), cleaned at strength {strength:g}"
    )
    out(
        f"  {'clip':<28} {'film':<7} {'frames':>6} {'shots':>5} {'dirty':>8} {'cleaned':>8}"
        f" {'dirt gone':>9} {'specks found':>12} {'without dirt: filled':>20} {'by':>6}"
        + (f" {'x1 model':>9}" if model else "")
    )
    rows: dict[str, list[dict[str, Any]]] = {film: [] for film in FILMS}
    seconds = 0.0
    for path in clip_paths(data):
        y, shots = grey_frames(path, frames, width)
        n = len(y)
        rng = np.random.default_rng(seed)
        for film in FILMS:
            truth = y if film == "clean" else degrade.film_grain(y, rng, GRAIN, 1.0)
            if film == "flicker":  # each frame's exposure off by a few per cent
                truth = truth * (1 + rng.normal(0, FLICKER, (len(y), 1, 1)))
            truth = np.clip(truth, 0, 1).astype(np.float32)
            dirty = degrade.dust_and_scratches(
                truth, rng, dust=SPECKS, hairs=HAIRS, scratches=0, twice=twice
            )
            dirty = dirty.astype(np.float32)
            t0 = time.perf_counter()
            cleaned, found = clean_shots(dirty, shots, strength)
            kept, filled = clean_shots(truth, shots, strength)
            seconds += time.perf_counter() - t0
            error = dirty.astype(np.float64) - truth
            plain = np.abs(error) > PLAIN
            left = cleaned.astype(np.float64) - truth
            dirt = error != 0
            row = {
                "clip": path.name,
                "film": film,
                "frames": n,
                "shots": len(shots),
                "dirty_db": psnr(dirty, truth),
                "cleaned_db": psnr(cleaned, truth),
                "gone": 1.0 - float((left[dirt] ** 2).sum() / max((error[dirt] ** 2).sum(), 1e-12)),
                "found": float(found[plain].mean()) if plain.any() else float("nan"),
                "changed": float(filled.mean() * 1e4),
                "moved": float(np.abs(kept - truth)[filled].mean() * 255)
                if filled.any()
                else float("nan"),
            }
            if x1 is not None:
                row["x1_db"] = _modelpsnr(x1, dirty, truth, shots)
            rows[film].append(row)
            out(_line(row, model))
    means = {}
    for film, part in rows.items():
        figures = FIGURES + (("x1_db",) if model else ())
        means[film] = mean_row(part, figures) | {"film": film}
        moved = [r["moved"] for r in part if not np.isnan(r["moved"])]
        means[film]["moved"] = float(np.mean(moved)) if moved else float("nan")
        out(_line(means[film], model))
    total = sum(r["frames"] for r in rows["clean"]) * 2 * len(FILMS)
    ms = 1000 * seconds / max(total, 1)
    out(f"  cleaning: {ms:.0f} ms a frame ({width} px wide, this CPU)")
    return {"clips": [r for film in FILMS for r in rows[film]], "mean": means, "ms_per_frame": ms}


def _line(r: dict[str, Any], model: bool) -> str:
    moved = "     -" if np.isnan(r["moved"]) else f"{r['moved']:>6.1f}"
    return (
        f"  {str(r['clip'])[:28]:<28} {r['film']:<7} {r['frames']:>6} {r['shots']:>5}"
        f" {r['dirty_db']:>5.2f} dB {r['cleaned_db']:>5.2f} dB {r['gone']:>9.1%}"
        f" {r['found']:>12.1%} {r['changed']:>12.2f} / 10k {moved}"
        + (f" {r['x1_db']:>6.2f} dB" if model else "")
    )
