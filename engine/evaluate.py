"""How good is a colorizer? Figures for its model card, and the contact sheet to look at.

`eval_colorizer` runs a trained colorizer over colour pictures, greys them, and
compares what it draws with the truth:

- NLL: teacher-forced cross-entropy of the true quantized chroma, in bits per
  chroma value (log2(32) = 5 would be a uniform guess).
- For K samples per picture (temperature T): chroma PSNR and CIEDE2000, each
  best-of-K and mean-of-K. A prediction is the model's 28x28 (chroma_size)
  chroma at the bins' centres, upsampled bilinearly to the picture's size and
  merged with the picture's true luma into RGB, as the app shows it; PSNR is
  measured on that RGB's Cb/Cr (peak 1, the span of Cb/Cr), CIEDE2000 is the
  mean over pixels of the colour difference from the original in CIELAB.
- Colourfulness (Hasler & Suesstrunk 2003), mean over predictions divided by
  the mean over the originals: below 1 is washed out.
- Diversity: mean SSIM between every pair of the K RGB samples (1 = all the
  same), and mean Euclidean Cb/Cr distance between every pair at chroma
  resolution.
- Two baselines in the same run: "grey" (no colour at all) and "argmax"
  (greedy most-likely bin at each step, temperature 0).

YCbCr is full-range BT.601 here, as in training (`panchro.engine.train.data`).
Colour science in this file (sRGB -> CIELAB, CIEDE2000, SSIM, colourfulness) is
written out in numpy/torch and tested against published values.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from panchro.engine.color import dequantize_chroma, rgb_to_ycbcr, upsample_chroma, ycbcr_to_rgb
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.fsutil import atomic_write

MATRIX = "bt601"

# --- colour science -----------------------------------------------------------------------

# sRGB (IEC 61966-2-1) linear RGB -> XYZ, D65 white
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
# the white of the matrix itself, so that R = G = B is exactly neutral (a* = b* = 0)
_WHITE = _SRGB_TO_XYZ.sum(axis=1)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (..., 3) floats in [0, 1] (or uint8) -> CIELAB (..., 3) float64, D65, 2 deg."""
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"rgb must have 3 channels last, got shape {rgb.shape}")
    if rgb.dtype == np.uint8:
        rgb = rgb / 255.0
    xyz = srgb_to_linear(rgb) @ _SRGB_TO_XYZ.T / _WHITE
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(np.maximum(xyz, eps)), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return np.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], axis=-1)


def ciede2000(
    lab1: np.ndarray, lab2: np.ndarray, *, kl: float = 1.0, kc: float = 1.0, kh: float = 1.0
) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB (..., 3) arrays -> (...) float64.

    The formula as Sharma, Wu & Dalal (2005) spell it out, including their
    conventions for the mean hue when the hues are 180 degrees apart and for
    achromatic colours.
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    c7 = c_bar**7
    g = 0.5 * (1 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where((a1p == 0) & (b1 == 0), 0.0, np.degrees(np.arctan2(b1, a1p)) % 360)
    h2p = np.where((a2p == 0) & (b2 == 0), 0.0, np.degrees(np.arctan2(b2, a2p)) % 360)

    dl = l2 - l1
    dc = c2p - c1p
    chroma0 = (c1p * c2p) == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chroma0, 0.0, dh)
    d_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)

    l_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(
        np.abs(h1p - h2p) <= 180,
        h_sum / 2,
        np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2),
    )
    h_bar = np.where(chroma0, h_sum, h_bar)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    cp7 = cp_bar**7
    r_c = 2 * np.sqrt(cp7 / (cp7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    tl, tc, th = dl / (kl * s_l), dc / (kc * s_c), d_big_h / (kh * s_h)
    return np.sqrt(np.maximum(tl**2 + tc**2 + th**2 + r_t * tc * th, 0.0))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk's colourfulness M of an RGB image (floats in [0, 1] or uint8).

    On the 0..255 scale, as in the paper: 0 for a grey image, ~15 "slightly",
    ~33 "moderately", ~59 "quite", ~82 "highly", ~109 "extremely" colourful.
    """
    x = np.asarray(rgb, dtype=np.float64)
    if np.asarray(rgb).dtype != np.uint8:
        x = x * 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    sigma = math.sqrt(rg.var() + yb.var())
    mu = math.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return sigma + 0.3 * mu


def _gaussian_window(size: int, sigma: float) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    w = torch.exp(-(x**2) / (2 * sigma**2))
    return w / w.sum()


def ssim(
    a: np.ndarray, b: np.ndarray, *, data_range: float = 1.0, window: int = 11, sigma: float = 1.5
) -> float:
    """Mean SSIM (Wang et al. 2004) of two images (H, W) or (H, W, C), channels averaged.

    Gaussian window (11 taps, sigma 1.5), K1 = 0.01, K2 = 0.03, statistics over
    the 'valid' region only (no padding). Smaller images get a smaller window.
    """
    ta = torch.as_tensor(np.asarray(a, dtype=np.float64))
    tb = torch.as_tensor(np.asarray(b, dtype=np.float64))
    if ta.shape != tb.shape or ta.dim() not in (2, 3):
        raise ValueError(f"ssim needs two images of one shape, got {ta.shape} and {tb.shape}")
    if ta.dim() == 2:
        ta, tb = ta[..., None], tb[..., None]
    size = min(window, ta.shape[0], ta.shape[1])
    size -= 1 - size % 2  # odd
    w = _gaussian_window(size, sigma * size / window)
    x = torch.stack([ta, tb, ta * ta, tb * tb, ta * tb]).permute(0, 3, 1, 2)  # (5, C, H, W)
    n, c, h, wd = x.shape
    x = x.reshape(n * c, 1, h, wd)
    x = F.conv2d(F.conv2d(x, w.view(1, 1, 1, -1)), w.view(1, 1, -1, 1))
    x = x.reshape(n, c, *x.shape[-2:])
    mu_a, mu_b, aa, bb, ab = x
    var_a, var_b, cov = aa - mu_a**2, bb - mu_b**2, ab - mu_a * mu_b
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(s.mean())


def psnr(a: np.ndarray, b: np.ndarray, *, peak: float = 1.0) -> float:
    """10 log10(peak^2 / MSE); inf for identical arrays."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)


# --- predictions --------------------------------------------------------------------------


def merge_prediction(y: np.ndarray, chroma_small: np.ndarray) -> np.ndarray:
    """True luma (H, W) and predicted chroma (c, c, 2) -> RGB float32 (H, W, 3) in [0, 1].

    The chroma is upsampled bilinearly (half-pixel centres) to the luma's size.
    """
    up = upsample_chroma(np.asarray(chroma_small, np.float32), y.shape, method="bilinear")
    return ycbcr_to_rgb(np.concatenate([y[..., None], up], axis=-1), matrix=MATRIX)


def bins_to_hwc(bins: torch.Tensor, levels: int) -> np.ndarray:
    """(2, c, c) or (k, 2, c, c) bins -> (..., c, c, 2) float32 chroma at the bins' centres."""
    # The grey-centred convention of color.quantize_chroma: bin levels/2 is exactly 0.
    centres = dequantize_chroma(bins.detach().cpu().numpy(), levels)
    return np.moveaxis(centres, -3, -1).astype(np.float32)


@torch.no_grad()
def nll_bits(
    model: torch.nn.Module,
    batches: Sequence[tuple[torch.Tensor, torch.Tensor]] | Any,
    *,
    device: torch.device | str = "cpu",
    amp: bool = False,
) -> tuple[float, int]:
    """Mean teacher-forced NLL in bits per chroma value over (grey, bins) batches -> (bits, n).

    Every image weighs the same (all have the same number of chroma values).
    """
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    dev = torch.device(device)
    try:
        for grey, bins in batches:
            grey, bins = grey.to(dev), bins.to(dev)
            ctx = (
                torch.autocast("cuda", dtype=torch.bfloat16)
                if amp and dev.type == "cuda"
                else contextlib.nullcontext()
            )
            with ctx:
                logits = model(grey, bins)
            nll = F.cross_entropy(logits.float().transpose(1, 2), bins, reduction="none")
            total += float(nll.mean(dim=(1, 2, 3)).sum()) / math.log(2)
            count += grey.shape[0]
    finally:
        model.train(was_training)
    return (total / count if count else math.nan), count


# --- the evaluation -----------------------------------------------------------------------

FIGURES = (
    ("psnr_best", "PSNR best"),
    ("psnr_mean", "PSNR mean"),
    ("de00_best", "dE00 best"),
    ("de00_mean", "dE00 mean"),
    ("colourfulness_ratio", "colourful"),
    ("ssim_pairwise", "SSIM pairs"),
    ("chroma_dist_pairwise", "Cb/Cr dist"),
)


class _Accumulator:
    """Per-method running sums over images."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, name: str, value: float) -> None:
        self.sums[name] = self.sums.get(name, 0.0) + value
        self.counts[name] = self.counts.get(name, 0) + 1

    def mean(self, name: str) -> float | None:
        return self.sums[name] / self.counts[name] if self.counts.get(name) else None


def _score_predictions(
    rgb_true: np.ndarray,
    ycc_true: np.ndarray,
    lab_true: np.ndarray,
    chromas: np.ndarray,
    acc: _Accumulator,
) -> list[np.ndarray]:
    """Score k predictions (k, c, c, 2) of one picture into `acc`; returns their RGB."""
    y = ycc_true[..., 0]
    rgbs, psnrs, des, cols = [], [], [], []
    for chroma in chromas:
        rgb = merge_prediction(y, chroma)
        shown = rgb_to_ycbcr(rgb, matrix=MATRIX)[..., 1:]  # Cb/Cr of what is displayed
        psnrs.append(psnr(shown, ycc_true[..., 1:]))
        des.append(float(ciede2000(srgb_to_lab(rgb), lab_true).mean()))
        cols.append(colourfulness(rgb))
        rgbs.append(rgb)
    acc.add("psnr_best", max(psnrs))
    acc.add("psnr_mean", float(np.mean(psnrs)))
    acc.add("de00_best", min(des))
    acc.add("de00_mean", float(np.mean(des)))
    acc.add("colourfulness", float(np.mean(cols)))
    if len(chromas) > 1:
        pairs = list(itertools.combinations(range(len(chromas)), 2))
        acc.add("ssim_pairwise", float(np.mean([ssim(rgbs[i], rgbs[j]) for i, j in pairs])))
        dist = [np.sqrt(((chromas[i] - chromas[j]) ** 2).sum(-1)).mean() for i, j in pairs]
        acc.add("chroma_dist_pairwise", float(np.mean(dist)))
    del rgb_true
    return rgbs


def _is_grey(rgb_u8: np.ndarray) -> bool:
    arr = rgb_u8.astype(np.int16)
    return int(np.abs(arr - arr.mean(axis=2, keepdims=True)).max()) <= 2


def _thumb(rgb: np.ndarray, height: int) -> Image.Image:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr * 255), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr)
    width = max(8, round(img.width * height / img.height))
    return img.resize((width, height), Image.Resampling.LANCZOS)


def write_sheet(rows: Sequence[Sequence[np.ndarray]], out: Path, *, height: int = 128) -> Path:
    """A PNG contact sheet: one row of images per entry, each scaled to `height`, 4 px gaps."""
    gap = 4
    thumbs = [[_thumb(im, height) for im in row] for row in rows]
    width = max(sum(t.width for t in row) + gap * (len(row) + 1) for row in thumbs)
    sheet = Image.new("RGB", (width, gap + len(thumbs) * (height + gap)), (32, 32, 32))
    for r, row in enumerate(thumbs):
        x = gap
        for t in row:
            sheet.paste(t, (x, gap + r * (height + gap)))
            x += t.width + gap
    save_png_atomically(sheet, out)
    return out


def save_png_atomically(img: Image.Image, out: Path) -> None:
    out = Path(out)
    if not out.parent.is_dir():
        raise OutputError("the folder does not exist", path=out)
    atomic_write(out, lambda tmp: img.save(tmp, format="PNG"), what="the image")


def eval_colorizer(
    data: str | Path | Sequence[str | Path],
    weights: str | Path = "colorizer",
    *,
    k: int = 8,
    limit: int | None = None,
    out_sheet: str | Path | None = None,
    seed: int = 0,
    temperature: float = 1.0,
    split: str = "all",
    val_fraction: float = 0.02,
    video_every: int = 30,
    max_side: int | None = None,
    skip_grey: bool = True,
    sheet_rows: int = 12,
    device: str | None = None,
    print_fn: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Evaluate colorizer weights on the colour pictures in `data`; print a table, return figures.

    `split`: "all" pictures, or only the "heldout" (or "train") side of the
    split training used with `val_fraction`. `limit`: a random subset of that
    many (drawn with `seed`). `max_side`: shrink larger pictures first (speed).
    `skip_grey`: leave out pictures with no colour (R = G = B within 2 levels, as
    Set14's bridge and man): there is nothing to compare, and their near-infinite
    chroma PSNR for the grey baseline would swamp the means.
    `out_sheet`: a PNG with one row per picture (up to `sheet_rows`):
    grey | K samples | original.
    """
    from panchro.engine.sampling import sample_chroma
    from panchro.engine.train.data import (
        collect_items,
        load_rgb,
        rgb_to_example,
        split_items,
        square_view,
    )
    from panchro.engine.weights import load_model

    if k < 1:
        raise BadInputError(f"k must be at least 1, got {k}")
    if split not in ("all", "heldout", "train"):
        raise BadInputError(f"split must be all, heldout or train, got {split!r}")
    sources = [data] if isinstance(data, (str, Path)) else list(data)
    items = collect_items(sources, video_every=video_every)
    if split != "all":
        train, held = split_items(items, val_fraction)
        items = held if split == "heldout" else train
    if limit is not None and limit < len(items):
        pick = np.random.default_rng(seed).choice(len(items), size=limit, replace=False)
        items = [items[i] for i in sorted(pick)]
    if not items:
        raise BadInputError(f"no pictures to evaluate (split {split!r})", path=sources[0])
    out_path = Path(out_sheet) if out_sheet is not None else None
    if out_path is not None and not out_path.parent.is_dir():
        raise OutputError("the folder does not exist", path=out_path)

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model, cfg, meta = load_model(weights, device=dev)
    size, csize, levels = cfg.image_size, cfg.chroma_size, cfg.levels

    t0 = time.perf_counter()
    accs = {"grey": _Accumulator(), "argmax": _Accumulator(), "samples": _Accumulator()}
    colour_true = 0.0
    nll_total = 0.0
    skipped = 0
    sheet_rows_data: list[list[np.ndarray]] = []
    for n, item in enumerate(items):
        img = load_rgb(item)
        if max_side is not None and max(img.size) > max_side:
            s = max_side / max(img.size)
            new = (max(1, round(img.width * s)), max(1, round(img.height * s)))
            img = img.resize(new, Image.Resampling.LANCZOS)
        rgb_u8 = np.asarray(img, dtype=np.uint8)
        if skip_grey and _is_grey(rgb_u8):
            skipped += 1
            continue
        rgb_true = rgb_u8.astype(np.float32) / 255.0
        ycc = rgb_to_ycbcr(rgb_u8, matrix=MATRIX)
        lab_true = srgb_to_lab(rgb_true)
        colour_true += colourfulness(rgb_u8)

        grey, bins = rgb_to_example(square_view(img, size), csize, levels)
        bits, _ = nll_bits(model, [(grey[None], bins[None])], device=dev)
        nll_total += bits
        drawn = sample_chroma(model, grey, k=k, seed=seed + n, temperature=temperature)
        greedy = sample_chroma(model, grey, k=1, seed=seed + n, temperature=0.0)

        zero = np.zeros((1, csize, csize, 2), np.float32)
        _score_predictions(rgb_true, ycc, lab_true, zero, accs["grey"])
        _score_predictions(rgb_true, ycc, lab_true, bins_to_hwc(greedy, levels), accs["argmax"])
        rgbs = _score_predictions(
            rgb_true, ycc, lab_true, bins_to_hwc(drawn, levels), accs["samples"]
        )
        if out_path is not None and len(sheet_rows_data) < sheet_rows:
            grey_rgb = np.repeat(ycc[..., :1].clip(0, 1), 3, axis=-1)
            sheet_rows_data.append([grey_rgb, *rgbs, rgb_true])

    n_img = len(items) - skipped
    if n_img == 0:
        raise BadInputError(
            "every picture is grey: nothing to compare colours with", path=sources[0]
        )
    colour_true /= n_img
    methods: dict[str, dict[str, float | None]] = {}
    for name, acc in accs.items():
        fig = {key: acc.mean(key) for key, _ in FIGURES if key != "colourfulness_ratio"}
        col = acc.mean("colourfulness")
        fig["colourfulness"] = col
        fig["colourfulness_ratio"] = (
            (col / colour_true) if col is not None and colour_true else None
        )
        methods[name] = fig
    result: dict[str, Any] = {
        "images": n_img,
        "skipped_grey": skipped,
        "k": k,
        "temperature": temperature,
        "split": split,
        "nll_bits": nll_total / n_img,
        "colourfulness_originals": colour_true,
        "methods": methods,
        "weights": str(weights),
        "card": meta["card"],
        "seconds": time.perf_counter() - t0,
        "sheet": None,
    }
    if out_path is not None:
        write_sheet(sheet_rows_data, out_path)
        result["sheet"] = str(out_path)
    if print_fn is not None:
        for line in format_table(result):
            print_fn(line)
    return result


def format_table(result: dict[str, Any]) -> list[str]:
    """The figures of `eval_colorizer` as text lines."""
    lines = [
        f"colorizer eval: {result['images']} pictures ({result['split']};"
        f" {result['skipped_grey']} grey ones left out), K={result['k']},"
        f" T={result['temperature']:g}, {result['seconds']:.0f} s",
        f"NLL {result['nll_bits']:.3f} bits per chroma value (teacher-forced; uniform = 5.000)",
        f"originals' colourfulness {result['colourfulness_originals']:.1f}",
    ]
    labels = {"grey": "grey (no colour)", "argmax": "argmax (T=0)"}
    labels["samples"] = f"samples (T={result['temperature']:g})"
    head = f"{'method':<18}" + "".join(f"{label:>12}" for _, label in FIGURES)
    lines.append(head)
    for name, fig in result["methods"].items():
        cells = []
        for key, _ in FIGURES:
            v = fig.get(key)
            if v is None:
                cells.append(f"{'-':>12}")
            elif key.startswith("psnr"):
                cells.append(f"{v:>9.2f} dB")
            elif key == "chroma_dist_pairwise":
                cells.append(f"{v:>12.4f}")
            else:
                cells.append(f"{v:>12.3f}")
        lines.append(f"{labels[name]:<18}" + "".join(cells))
    if result.get("sheet"):
        lines.append(f"sheet: {result['sheet']} (rows: grey | K samples | original)")
    return lines


__all__ = [
    "ciede2000",
    "colourfulness",
    "eval_colorizer",
    "format_table",
    "merge_prediction",
    "nll_bits",
    "psnr",
    "srgb_to_lab",
    "ssim",
    "write_sheet",
]
