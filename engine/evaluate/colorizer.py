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

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.imaging.color import (
    merge_prediction,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)
from panchro.engine.imaging.metrics import ciede2000, colourfulness, psnr, srgb_to_lab, ssim
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.models.colorizer import bins_to_hwc
from panchro.engine.train.colorizer import bits_each, nll_bits

MATRIX = "bt601"

# --- colour science -----------------------------------------------------------------------


# --- predictions --------------------------------------------------------------------------


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
    """Score k predictions (k, c, c, 2) of one picture into `acc`; returns their RGB.
    Predictions already at the picture's size (k, H, W, 2) are merged as they are."""
    y = ycc_true[..., 0]
    rgbs, psnrs, des, cols = [], [], [], []
    for chroma in chromas:
        if chroma.shape[:2] == y.shape:
            rgb = ycbcr_to_rgb(np.concatenate([y[..., None], chroma], axis=-1), matrix=MATRIX)
        else:
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


def eval_colorizer(
    data: str | Path | Sequence[str | Path],
    weights: str | Path = "colorizer",
    *,
    k: int = 8,
    limit: int | None = None,
    out_sheet: str | Path | None = None,
    seed: int = 0,
    temperature: float = 1.0,
    top_p: float = 1.0,
    smooth: int = 0,
    split: str = "all",
    val_fraction: float = 0.02,
    video_every: int = 30,
    max_side: int | None = None,
    skip_grey: bool = True,
    sheet_rows: int = 12,
    likeliest: bool = False,
    consensus: bool = False,
    average: bool = False,
    oversample: int = 1,
    drop_unlikely: float = 0.0,
    refiner: str | Path | None = None,
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
    grey | K samples | original (the despeckled samples when `smooth` > 0).
    `smooth`: also score the same samples despeckled (`sampling.despeckle`, that many passes).
    `likeliest`: also score, alone, the one of the K that the model finds likeliest (its
    teacher-forced NLL; despeckled when `smooth`): what an automatic pick by likelihood
    would give a shot nobody picked, to set against one plain sample (the mean-of-K).
    `consensus`: likewise the one nearest the others drawn (`sampling.consensus_index`; of
    all K x `oversample` drawn, which is the first of the K kept).
    `average`: also score the K's average chroma as one colouring: with plain samples
    (T 1, top-p 1) an estimate of the model's posterior mean, the colouring with the least
    expected squared error it can make. A sample drawn from a posterior is, on average,
    twice as far (in squared error) from the truth as that posterior's mean, so a sampler
    true to its posterior has a mean-of-K about 3 dB below this row: the row says how
    close to grey the mean-of-K of a calibrated sampler of this model could come.
    `oversample`: draw K x that many and score the K that differ most
    (`sampling.diverse_subset`, chosen on the despeckled samples when `smooth`).
    `drop_unlikely`: with `oversample`, first leave out that fraction of the drawn, the ones
    the model finds least likely (teacher-forced bits of each), then choose the K.
    `refiner`: refiner weights; also score the samples (despeckled when `smooth`) as the app
    shows and restores them: through that refiner over the picture's true luma
    (`inference.refine.refine_chroma`), not upsampled bilinearly. The contact sheet
    then shows the refined ones.
    """
    import torch

    from panchro.engine.inference.sampling import (
        consensus_index,
        despeckle,
        diverse_subset,
        prepare_grey,
        sample_chroma,
    )
    from panchro.engine.models.weights import load_model
    from panchro.engine.train.data import (
        collect_items,
        load_rgb,
        rgb_to_example,
        split_items,
        square_view,
    )

    if k < 1:
        raise BadInputError(f"k must be at least 1, got {k}")
    if oversample < 1:
        raise BadInputError(f"oversample must be at least 1, got {oversample}")
    if not 0.0 <= drop_unlikely < 1.0 or (drop_unlikely > 0 and oversample < 2):
        raise BadInputError(
            f"drop_unlikely must be in [0, 1) and needs oversample > 1, got {drop_unlikely}"
        )
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

    dev = resolve_device(device)
    model, cfg, meta = load_model(weights, device=dev)
    size, csize, levels = cfg.image_size, cfg.chroma_size, cfg.levels
    refine_net = None
    if refiner is not None:
        from panchro.engine.inference.refine import refine_chroma

        refine_net, rcfg, rmeta = load_model(refiner, device=dev)
        if rmeta.get("model") != "refiner":
            raise BadInputError(f"not refiner weights (a {rmeta.get('model')})", path=refiner)
        if rcfg.hint_size != csize:
            raise BadInputError(
                f"the refiner takes {rcfg.hint_size}x{rcfg.hint_size} chroma, the colorizer "
                f"draws {csize}x{csize}",
                path=refiner,
            )

    t0 = time.perf_counter()
    accs = {"grey": _Accumulator(), "argmax": _Accumulator(), "samples": _Accumulator()}
    if smooth > 0:
        accs["smoothed"] = _Accumulator()  # the same samples, despeckled
    if likeliest:
        accs["likeliest"] = _Accumulator()
    if consensus:
        accs["consensus"] = _Accumulator()
    if average:
        accs["average"] = _Accumulator()
    if refine_net is not None:
        accs["refined"] = _Accumulator()  # the same samples (despeckled), through the refiner
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
        drawn = sample_chroma(
            model, grey, k=k * oversample, seed=seed + n, temperature=temperature, top_p=top_p
        )
        calm = None
        if smooth > 0:
            x = prepare_grey(grey, size, drawn.device, torch.float32)
            calm = despeckle(drawn, x, levels, passes=smooth)
        if oversample > 1:
            if drop_unlikely > 0:
                pool = min(len(drawn), max(k, round(len(drawn) * (1 - drop_unlikely))))
                each = bits_each(
                    model, grey[None].expand(len(drawn), *grey.shape), drawn, device=dev
                )
                likely = torch.argsort(each, stable=True)[:pool].sort().values.to(drawn.device)
                drawn = drawn[likely]
                calm = None if calm is None else calm[likely]
            keep = diverse_subset(calm if calm is not None else drawn, k).to(drawn.device)
            drawn = drawn[keep]
            calm = None if calm is None else calm[keep]
        greedy = sample_chroma(model, grey, k=1, seed=seed + n, temperature=0.0)

        zero = np.zeros((1, csize, csize, 2), np.float32)
        _score_predictions(rgb_true, ycc, lab_true, zero, accs["grey"])
        _score_predictions(rgb_true, ycc, lab_true, bins_to_hwc(greedy, levels), accs["argmax"])
        rgbs = _score_predictions(
            rgb_true, ycc, lab_true, bins_to_hwc(drawn, levels), accs["samples"]
        )
        shown = drawn
        if calm is not None:
            shown = calm
            rgbs = _score_predictions(
                rgb_true, ycc, lab_true, bins_to_hwc(calm, levels), accs["smoothed"]
            )
        if refine_net is not None:
            small = bins_to_hwc(shown, levels)  # (k, c, c, 2)
            lumas = np.repeat(ycc[None, ..., 0], len(small), axis=0).astype(np.float32)
            full = refine_chroma(refine_net, lumas, np.moveaxis(small, -1, 1))
            rgbs = _score_predictions(
                rgb_true, ycc, lab_true, np.moveaxis(np.asarray(full), 1, -1), accs["refined"]
            )
        if likeliest:
            each = bits_each(model, grey[None].expand(k, *grey.shape), drawn, device=dev)
            best = int(each.argmin())
            one = bins_to_hwc(shown[best : best + 1], levels)
            _score_predictions(rgb_true, ycc, lab_true, one, accs["likeliest"])
        if consensus:
            # of all drawn: `diverse_subset` puts the pool's consensus first
            mid = 0 if oversample > 1 else consensus_index(shown)
            one = bins_to_hwc(shown[mid : mid + 1], levels)
            _score_predictions(rgb_true, ycc, lab_true, one, accs["consensus"])
        if average:
            mean = bins_to_hwc(shown, levels).mean(axis=0, keepdims=True)
            _score_predictions(rgb_true, ycc, lab_true, mean, accs["average"])
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
        "top_p": top_p,
        "smooth": smooth,
        "oversample": oversample,
        "drop_unlikely": drop_unlikely,
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
    over = result.get("oversample", 1)
    drawn = f" (the most different of {result['k'] * over})" if over > 1 else ""
    lines = [
        f"colorizer eval: {result['images']} pictures ({result['split']};"
        f" {result['skipped_grey']} grey ones left out), K={result['k']}{drawn},"
        f" T={result['temperature']:g}, top-p {result['top_p']:g}, {result['seconds']:.0f} s",
        f"NLL {result['nll_bits']:.3f} bits per chroma value (teacher-forced; uniform = 5.000)",
        f"originals' colourfulness {result['colourfulness_originals']:.1f}",
    ]
    labels = {"grey": "grey (no colour)", "argmax": "argmax (T=0)"}
    nucleus = f", p={result['top_p']:g}" if result["top_p"] < 1 else ""
    labels["samples"] = f"samples (T={result['temperature']:g}{nucleus})"
    labels["smoothed"] = f"despeckled x{result.get('smooth', 0)}"
    labels["likeliest"] = f"likeliest of {result['k']}"
    labels["consensus"] = f"consensus of {result['k']}"
    labels["average"] = f"average of {result['k']}"
    labels["refined"] = "refined" + (" despeckled" if result.get("smooth") else "")
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
