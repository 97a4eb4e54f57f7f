"""How good is the upscaler? The figures for its model card, measured as papers measure them.

`eval_upscaler(scale, weights)` reports, per folder of high-resolution
pictures (Set5 and Set14 by default):

- Benchmark protocol of the super-resolution papers (SRCNN onwards): the
  picture's luma shrunk by `scale` with the bicubic kernel (MATLAB's imresize,
  a = -0.5, anti-aliased), rounded to 8 bits; the model sees a window of that
  one frame repeated; PSNR and SSIM on the BT.601 Y channel in the papers'
  studio range (Y = 16 + 219 Y' out of 255), the output rounded to 8 bits and
  `scale` pixels cropped from every border. Bicubic enlargement is measured in
  the same run on the same inputs (Set5 x4: 28.42 dB in the papers).
- A realistic set: each picture made into a short window with a little
  camera motion and degraded by a fixed, seeded chain from
  `panchro.engine.imaging.degrade` (blur, shrink, film grain, noise, H.264),
  compared with bicubic and with bicubic after a denoise (a self-guided
  filter, He et al. 2010, its strength chosen per picture as the best of
  three by the score itself: a generous baseline).

`before_after` writes a crop of a film frame: the frame enlarged by nearest
neighbour, by bicubic, and by the model, side by side.

The model works on full-range luma Y' in [0, 1] (as in training); the studio
range used for the figures is a linear map of it, applied only for measuring.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from panchro.engine.errors import BadInputError, ModelMissingError
from panchro.engine.imaging import degrade
from panchro.engine.imaging.guided import guided_filter
from panchro.engine.imaging.metrics import psnr, ssim
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.inference.upscale import upscale_luma
from panchro.engine.models.upscaler import Upscaler, UpscalerConfig
from panchro.engine.train.upscaler import rgb_to_luma

DEFAULT_SETS = ("../shared/data/sr_eval/Set5", "../shared/data/sr_eval/Set14")
IMAGE_EXTS = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff")
DENOISE_EPS = (1e-3, 3e-3, 1e-2)  # guided-filter strengths the denoise baseline tries

PrintFn = Callable[[str], None]


def studio_y(y_full: np.ndarray) -> np.ndarray:
    """Full-range luma in [0, 1] -> the papers' Y (16..235 out of 255), rounded to 8 bits."""
    return np.rint(16.0 + 219.0 * np.clip(y_full, 0.0, 1.0)) / 255.0


def y_metrics(pred_full: np.ndarray, true_full: np.ndarray, border: int) -> tuple[float, float]:
    """(PSNR dB, SSIM) on the papers' Y channel, `border` pixels cropped from each edge."""
    a, b = studio_y(pred_full), studio_y(true_full)
    if border > 0:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    return psnr(a, b), ssim(a, b)


def denoise(frame: np.ndarray, eps: float, radius: int = 2) -> np.ndarray:
    """An edge-preserving denoise: the frame's guided filter with itself as the guide."""
    t = torch.from_numpy(np.ascontiguousarray(frame, dtype=np.float32))[None, None]
    return guided_filter(t, t, radius, eps)[0, 0].clamp(0, 1).numpy()


def load_upscaler(
    weights: str | Path | None, scale: int, device: torch.device
) -> tuple[Upscaler, Any, dict[str, Any]]:
    """The model from a weights file or registry name (default "upscaler_x{scale}")."""
    from panchro.engine.models.weights import load_model

    try:
        model, cfg, meta = load_model(weights or f"upscaler_x{scale}", device)
    except ModelMissingError as err:
        raise ModelMissingError(
            f"no upscaler weights (train them with `panchro train upscaler --scale {scale}`)",
            path=err.path,
        ) from None
    if not isinstance(cfg, UpscalerConfig):
        # A colorizer's or refiner's file loads fine and fails later on a missing field.
        kind = type(cfg).__name__.removesuffix("Config").lower() or "another model"
        raise BadInputError(
            f"holds a {kind}'s weights, not an upscaler's: --weights takes an upscaler's file"
            f" (e.g. resources/models/upscaler_x{scale}.safetensors)",
            path=weights,
        )
    return model, cfg, meta


def _pictures(folder: Path) -> list[Path]:
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.is_file() else "nothing is there"
        sets = Path(DEFAULT_SETS[0]).parent
        raise BadInputError(
            f"{what}: --data takes folders of pictures (the benchmark sets are the folders"
            f" {sets}/Set5 and {sets}/Set14, the default)",
            path=folder,
        )
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    if not found:
        raise BadInputError("holds no pictures", path=folder)
    return found


def _load_y(path: Path, scale: int) -> np.ndarray:
    """Full-range luma of a picture, cropped so both sides divide by `scale`."""
    try:
        rgb = np.asarray(Image.open(path).convert("RGB"))
    except OSError as err:
        raise BadInputError(f"cannot read the picture ({err})", path=path) from None
    h, w = rgb.shape[0] // scale * scale, rgb.shape[1] // scale * scale
    return rgb_to_luma(rgb[:h, :w])


def _restore(model: Upscaler, window: np.ndarray) -> np.ndarray:
    """The middle frame of a window (N, h, w) restored."""
    c = window.shape[0] // 2
    return upscale_luma(model, window, start=c, stop=c + 1)[0]


def realistic_window(
    y: np.ndarray, scale: int, frames: int, seed: int
) -> tuple[np.ndarray, np.ndarray, list[degrade.Step]]:
    """(degraded window (frames, h, w), clean middle frame (h*s, w*s), the chain used)."""
    rng = np.random.default_rng(seed)
    h, w = y.shape
    margin = 8 * scale
    size = ((h - margin) // scale * scale, (w - margin) // scale * scale)
    clean = degrade.motion_window(y, frames, rng, size=size, speed=1.0 * scale, jitter=0.2)
    chain = [
        degrade.Step("gaussian_blur", {"sigma": 0.5 * scale}),
        degrade.Step("downscale", {"scale": scale, "method": "bicubic"}),
        degrade.Step("film_grain", {"amount": 0.04, "size": 0.8}),
        degrade.Step("gaussian_noise", {"sigma": 0.01}),
        degrade.Step("h264", {"crf": 26}),
    ]
    lr = degrade.apply_plan(clean, chain, rng, keep=frames // 2)
    lr = np.rint(np.clip(lr, 0, 1) * 255) / 255
    return lr.astype(np.float32), clean[frames // 2], chain


def eval_upscaler(
    scale: int,
    weights: str | Path | None = None,
    *,
    data: Sequence[str | Path] = DEFAULT_SETS,
    realistic: bool = True,
    seed: int = 0,
    device: str | None = None,
    sheet: str | Path | None = None,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Benchmark and realistic figures for the x`scale` upscaler; prints a table.

    `weights`: a .safetensors path or registry name (default "upscaler_x{scale}").
    Returns {"sets": {name: {"model": (psnr, ssim), "bicubic": (psnr, ssim), "n": k}},
    "realistic": {...}, "model": name, "card": {...}, "seconds": s}.
    """
    say = print_fn or (lambda _line: None)
    if scale not in (1, 2, 4):
        raise BadInputError(f"scale must be 1, 2 or 4, got {scale}")
    dev = resolve_device(device)
    model, cfg, meta = load_upscaler(weights, scale, dev)
    if cfg.scale != scale:
        raise BadInputError(f"these weights are for x{cfg.scale}, not x{scale}")
    card = meta["card"]
    say(
        f"{meta['model']}: {card.get('config_name', '?')} preset, {card.get('steps')} steps"
        f" ({card.get('scale')}); {cfg.frames} frames; on {dev}"
    )
    t0 = time.perf_counter()
    result: dict[str, Any] = {"model": meta["model"], "card": card, "sets": {}}
    rows: list[list[np.ndarray]] = []
    folders = [Path(d) for d in data]
    pictures = {f: _pictures(f) for f in folders}
    for folder in folders if scale > 1 else []:  # x1 has no enlargement to benchmark
        ours, base = [], []
        for path in pictures[folder]:
            y = _load_y(path, scale)
            lr = np.rint(degrade.downscale(y, scale, "bicubic").clip(0, 1) * 255) / 255
            window = np.repeat(lr[None].astype(np.float32), cfg.frames, axis=0)
            sr = _restore(model, window)
            bic = degrade.resize(lr, y.shape, "bicubic").clip(0, 1)
            ours.append(y_metrics(sr, y, scale))
            base.append(y_metrics(bic, y, scale))
            if sheet is not None and len(rows) < 3:
                rows.append([c[: y.shape[0] // 2, : y.shape[1] // 2] for c in (bic, sr, y)])
        result["sets"][folder.name] = {
            "model": tuple(np.mean(ours, axis=0).tolist()),
            "bicubic": tuple(np.mean(base, axis=0).tolist()),
            "n": len(ours),
        }
    if realistic:
        acc: dict[str, list[tuple[float, float]]] = {"model": [], "bicubic": [], "denoised": []}
        chain: list[degrade.Step] = []
        for k, path in enumerate(p for f in folders for p in pictures[f]):
            y = _load_y(path, scale)
            lr, clean, chain = realistic_window(y, scale, cfg.frames, seed + k)
            centre = lr[cfg.frames // 2]
            acc["model"].append(y_metrics(_restore(model, lr), clean, scale))
            acc["bicubic"].append(
                y_metrics(degrade.resize(centre, clean.shape, "bicubic").clip(0, 1), clean, scale)
            )
            tries = (
                y_metrics(
                    degrade.resize(denoise(centre, eps), clean.shape, "bicubic").clip(0, 1),
                    clean,
                    scale,
                )
                for eps in DENOISE_EPS
            )
            acc["denoised"].append(max(tries, key=lambda m: m[0]))
        result["realistic"] = {
            key: tuple(np.mean(v, axis=0).tolist()) for key, v in acc.items()
        } | {"n": len(acc["model"]), "chain": " -> ".join(str(s) for s in chain)}
    result["seconds"] = time.perf_counter() - t0
    for line in format_table(result, scale):
        say(line)
    if sheet is not None and rows:
        say(f"sheet (bicubic | model | original): {write_sheet(rows, Path(sheet), height=192)}")
    return result


def format_table(result: dict[str, Any], scale: int) -> list[str]:
    lines = [f"x{scale}            model PSNR / SSIM     bicubic PSNR / SSIM"]
    for name, r in result["sets"].items():
        (mp, ms), (bp, bs) = r["model"], r["bicubic"]
        lines.append(f"{name:<12} {mp:8.2f} dB / {ms:.4f}   {bp:8.2f} dB / {bs:.4f}  ({r['n']})")
    if "realistic" in result:
        r = result["realistic"]
        lines.append(f"realistic ({r['n']} windows): {r['chain']}")
        for key in ("model", "bicubic", "denoised"):
            p, s = r[key]
            label = {"denoised": "denoise+bicubic"}.get(key, key)
            lines.append(f"  {label:<16} {p:8.2f} dB / {s:.4f}")
    lines.append(f"({result['seconds']:.1f} s)")
    return lines


def before_after(
    film: str | Path,
    out: str | Path,
    *,
    scale: int = 2,
    weights: str | Path | None = None,
    frame: int = 0,
    crop: int = 160,
    at: tuple[float, float] = (0.5, 0.5),
    device: str | None = None,
) -> Path:
    """A PNG of one crop of frame `frame`: nearest | bicubic | model, at the output size."""
    from panchro.engine import media

    dev = torch.device(device or "cpu")
    model, cfg, _meta = load_upscaler(weights, scale, dev)
    r = cfg.frames // 2
    with media.open_source(Path(film)) as src:
        n = src.info.frame_count
        lo, hi = max(0, frame - r), min(n, frame + r + 1)
        ys = [rgb_to_luma(f.image) for f in src.frames(lo, hi, fmt="rgb24")]
    window = np.stack(ys)
    h, w = window.shape[1:]
    side = min(crop, h, w)
    x0 = int(np.clip(at[0] * w - side / 2, 0, w - side))
    y0 = int(np.clip(at[1] * h - side / 2, 0, h - side))
    # restore a larger area than shown so the crop has its real neighbours
    pad = cfg.receptive_radius
    ry0, ry1 = max(0, y0 - pad), min(h, y0 + side + pad)
    rx0, rx1 = max(0, x0 - pad), min(w, x0 + side + pad)
    part = window[:, ry0:ry1, rx0:rx1]
    sr = upscale_luma(model, part, start=frame - lo, stop=frame - lo + 1)[0]
    s = cfg.scale
    sr = sr[(y0 - ry0) * s : (y0 - ry0 + side) * s, (x0 - rx0) * s : (x0 - rx0 + side) * s]
    lr = window[frame - lo, y0 : y0 + side, x0 : x0 + side]
    nearest = np.repeat(np.repeat(lr, s, axis=0), s, axis=1)
    bic = degrade.resize(lr, (side * s, side * s), "bicubic").clip(0, 1)
    return write_sheet([[nearest, bic, sr]], Path(out), height=max(side * s, 64))


__all__ = [
    "DEFAULT_SETS",
    "before_after",
    "denoise",
    "eval_upscaler",
    "format_table",
    "load_upscaler",
    "realistic_window",
    "studio_y",
    "y_metrics",
]
