"""`panchro eval video`: how well one pick carries through a shot, and how steady it stays.

Colour clips are made grey and colorized again three ways, each through the
refiner over every frame of the clip (a clip counts as one shot):

  oracle     the hint is the clip's own key-frame chroma, cut to 28x28 and
             quantized, as a perfect pick would be;
  sampled    the hint is the key frame's automatic pick (the consensus of seeded
             candidates, `colorize.automatic_pick`), as the restore gives a shot
             nobody picked;
  per-frame  every frame gets its own automatic pick from its own luma (no propagation):
             what a colorizer without shots and picks would do;
  10 hints   ten simulated colour points on the key frame (`evaluate.hints`),
             spread by Levin and carried through the clip as a hinted shot is.

Figures, against the original colour frames:
  chroma PSNR      of Cb/Cr in [-0.5, 0.5] (peak 1), mean over frames;
  CIEDE2000        mean colour difference (sRGB, D65);
  flicker ratio    mean |C(t+1) - C(t)| of the output's chroma over the same
                   measure of the original's: 1 means as steady as the film;
                   goal <= 1.1;
  CDC              colour distribution consistency: mean Jensen-Shannon
                   divergence (base 2) of the 256-bin histograms of each RGB
                   channel of frames t and t+1 (Liu et al. 2021); goal <= 0.002.
The original's own CDC is printed too: CDC also counts real changes in the film.
A deliberately flickering baseline in the tests makes sure these can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import color
from panchro.engine.inference.defaults import AUTO_TEMPERATURE

MATRIX = "bt601"  # the clips are decoded to RGB; any fixed matrix measures alike
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi")


def flicker(chroma: np.ndarray) -> float:
    """Mean absolute change of (T, 2, H, W) chroma between consecutive frames."""
    c = np.asarray(chroma, np.float32)
    if c.shape[0] < 2:
        return 0.0
    return float(np.abs(np.diff(c, axis=0)).mean())


def _histograms(rgb: np.ndarray, bins: int = 256) -> np.ndarray:
    """(T, H, W, 3) RGB in [0, 1] -> (T, 3, bins) normalised histograms."""
    q = np.clip((np.asarray(rgb) * bins).astype(np.int64), 0, bins - 1)
    t = q.shape[0]
    out = np.zeros((t, 3, bins), np.float64)
    for i in range(t):
        for ch in range(3):
            out[i, ch] = np.bincount(q[i, ..., ch].ravel(), minlength=bins)
    return out / out.sum(axis=-1, keepdims=True)


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (base 2, in [0, 1]) over the last axis."""
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * np.log2(a / np.where(b > 0, b, 1.0)), 0.0)
        return terms.sum(axis=-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def cdc(rgb: np.ndarray, bins: int = 256) -> float:
    """Colour distribution consistency of (T, H, W, 3) RGB frames (lower is steadier)."""
    h = _histograms(rgb, bins)
    if h.shape[0] < 2:
        return 0.0
    return float(js_divergence(h[1:], h[:-1]).mean())


@dataclass(frozen=True)
class Clip:
    name: str
    rgb: np.ndarray  # (T, H, W, 3) float32 in [0, 1]
    luma: np.ndarray  # (T, H, W)
    chroma: np.ndarray  # (T, 2, H, W)


def load_clip(path: Path, *, frames: int, max_side: int) -> Clip:
    from panchro.engine import media

    with media.open_source(path) as src:
        info = src.info
        size = media.fit_size(info.width, info.height, max_side)
        stop = min(frames, info.frame_count)
        rgb = np.stack([f.image for f in src.frames(0, stop, fmt="rgb24", size=size)])
    rgb_f = rgb.astype(np.float32) / 255.0
    ycc = color.rgb_to_ycbcr(rgb_f, matrix=MATRIX)
    return Clip(
        name=path.name,
        rgb=rgb_f,
        luma=np.clip(ycc[..., 0], 0.0, 1.0),
        chroma=np.moveaxis(ycc[..., 1:], -1, 1),
    )


def _hint_of(chroma: np.ndarray) -> np.ndarray:
    """(2, H, W) true chroma -> the 28x28 hint a perfect pick would be (quantized centres)."""
    small = color.downsample_chroma(np.moveaxis(chroma, 0, -1))
    return color.dequantize_chroma(color.quantize_chroma(np.moveaxis(small, -1, 0)))


def score(clip: Clip, chroma: np.ndarray) -> dict[str, float]:
    from panchro.engine.imaging.metrics import ciede2000, psnr, srgb_to_lab

    n = chroma.shape[0]
    ycc = np.concatenate([clip.luma[:n, ..., None], np.moveaxis(chroma, 1, -1)], -1)
    rgb = color.ycbcr_to_rgb(ycc, matrix=MATRIX)
    truth = clip.chroma[:n]
    de = ciede2000(srgb_to_lab(rgb), srgb_to_lab(clip.rgb[:n]))
    base = flicker(truth)
    return {
        "chroma_psnr": float(np.mean([psnr(chroma[i], truth[i]) for i in range(n)])),
        "ciede2000": float(de.mean()),
        "flicker_ratio": flicker(chroma) / base if base > 0 else float("nan"),
        "cdc": cdc(rgb),
        "frames": n,
    }


def eval_video(
    data: Sequence[str | Path],
    *,
    refiner: str | None = None,
    colorizer: str | None = None,
    frames: int = 48,
    per_frame: int = 12,
    max_side: int = 384,
    seed: int = 0,
    temperature: float = AUTO_TEMPERATURE,
    device: str | None = None,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The figures above over the colour clips in `data` (files or folders); printed and returned.

    `frames` frames per clip for oracle and sampled; `per_frame` for the per-frame
    baseline (a sample per frame costs a colorizer run each). Without colorizer
    weights only the oracle rows are measured, and the output says so.
    """
    from panchro.engine.inference import colorize
    from panchro.engine.inference.refine import refine_chroma
    from panchro.engine.models.weights import load_model

    paths = clip_paths(data)
    from panchro.engine.models import registry

    ref_path = str(refiner or registry.weights_path("refiner"))
    ref_model, _, ref_meta = load_model(ref_path, device=device)
    try:
        col = colorize.load_colorizer(colorizer, device=device)
    except Exception as err:  # noqa: BLE001 - the figures that need it are skipped, said so
        col = None
        out(f"no colorizer ({err}): sampled and per-frame rows skipped")
    rows: dict[str, list[dict[str, float]]] = {
        "oracle": [],
        "sampled": [],
        "per-frame": [],
        f"{HINT_POINTS} hints": [],
    }
    originals: list[float] = []
    for path in paths:
        clip = load_clip(path, frames=frames, max_side=max_side)
        if _is_grey(clip):
            out(f"{clip.name}: black-and-white, skipped")
            continue
        key = clip.luma.shape[0] // 2
        originals.append(cdc(clip.rgb))
        hint = _hint_of(clip.chroma[key])
        rows["oracle"].append(score(clip, refine_chroma(ref_model, clip.luma, hint)))
        rows[f"{HINT_POINTS} hints"].append(
            score(clip, refine_chroma(ref_model, clip.luma, _hinted_hint(clip, key, seed)))
        )
        if col is not None:
            sampled_hint = _auto_hint(col, clip.luma[key], seed, temperature)
            rows["sampled"].append(score(clip, refine_chroma(ref_model, clip.luma, sampled_hint)))
            n = min(per_frame, clip.luma.shape[0])
            hints = np.stack(
                [_auto_hint(col, clip.luma[i], seed + 1 + i, temperature) for i in range(n)]
            )
            rows["per-frame"].append(score(clip, refine_chroma(ref_model, clip.luma[:n], hints)))
        t, h, w = clip.luma.shape
        out(f"{clip.name}: {t} frames at {w}x{h}")
    result: dict[str, Any] = {
        "clips": len(originals),
        "original_cdc": float(np.mean(originals)) if originals else float("nan"),
        "refiner": {"path": ref_path, "card": ref_meta.get("card")},
        "colorizer": None if col is None else col.describe(),
    }
    out("")
    # "10 hints": the key frame's hints alone, carried through the clip (flicker, drift)
    result.update(_table(rows, out, width=10, cdc=True))
    out(f"{'original':<10} {'':>12} {'':>10} {1.0:>8.3f} {result['original_cdc']:>9.5f}")
    return result


HINT_POINTS = 10  # a simulated user's points on the key frame (`evaluate.hints`)


def _auto_hint(col: Any, luma: np.ndarray, seed: int, temperature: float) -> np.ndarray:
    """The hint the restore gives a shot nobody picked (`colorize.automatic_pick`)."""
    from panchro.engine.inference import colorize

    found, index = colorize.automatic_pick(col, luma, seed=seed, temperature=temperature)
    return color.dequantize_chroma(found.bins[index])


def _hinted_hint(clip: Clip, key: int, seed: int) -> np.ndarray:
    """The shot's 28x28 hint as the pipeline makes it from hints alone: HINT_POINTS points of
    the key frame's true colours (3x3 means), Levin over the key frame, squeezed."""
    from panchro.engine.evaluate.hints import simulated_points
    from panchro.engine.inference.hinting import chroma_at_hint_size, hinted_chroma

    rgb = (clip.rgb[key] * 255 + 0.5).astype(np.uint8)
    points = simulated_points(rgb, HINT_POINTS, clip.name, seed)
    return chroma_at_hint_size(hinted_chroma(clip.luma[key], points, matrix=MATRIX), 28)


def clip_paths(data: Sequence[str | Path]) -> list[Path]:
    """The clips in `data` (files, and the video files in folders, sorted); BadInputError
    when there are none (also `eval deflicker` and `eval stabilize`'s)."""
    paths: list[Path] = []
    for d in data:
        p = Path(d)
        if p.is_dir():
            paths += sorted(x for x in p.iterdir() if x.suffix.lower() in VIDEO_SUFFIXES)
        elif p.is_file():
            paths.append(p)
        else:
            raise BadInputError("is not a clip or a folder of clips (it does not exist)", path=p)
    if not paths:
        raise BadInputError("no video clips found in " + ", ".join(map(str, data)))
    return paths


def eval_reference(
    data: Sequence[str | Path],
    *,
    first: int = 30,
    last: int = 40,
    max_side: int = 384,
    seed: int = 0,
    temperature: float = AUTO_TEMPERATURE,
    device: str | None = None,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Colour from a reference picture, measured: frame 0 of each colour clip is the reference,
    frames `first`..`last` made grey are the film (one shot, refined from one 28x28 hint).

    Rows: grey; sampled (the colorizer's automatic pick of the middle frame); copied (the
    reference's chroma squeezed to 28x28 as the hint: right only if nothing moved);
    reference (`inference.reference`: matched by luma statistics and the colorizer's
    features; "reference, luma only" without the features); the copied and matched
    rows again with the reference mirrored (another framing of the same scene);
    "carried, mirrored": frame 0's colours as a pick (its true chroma at 28 x 28) coloured
    through the refiner as a render colours that shot, mirrored, then matched (the app's
    *Colour its scene alike*, where "copied, mirrored" is *Use for the following shots*); and
    "reference, another clip": frame 0 of the next clip, a picture that does not fit,
    which must not paint the shot worse than grey."""
    from panchro.engine.inference import colorize
    from panchro.engine.inference.reference import reference_chroma
    from panchro.engine.inference.refine import refine_chroma
    from panchro.engine.models import registry
    from panchro.engine.models.weights import load_model

    if not 0 < first <= last:
        raise BadInputError(f"frames must be 0 < first <= last, got {first}..{last}")
    ref_model, _, _ = load_model(str(registry.weights_path("refiner")), device=device)
    try:
        col = colorize.load_colorizer(None, device=device)
    except Exception as err:  # noqa: BLE001 - the rows that need it are skipped, said so
        col = None
        out(f"no colorizer ({err}): the sampled and learned-feature rows are skipped")
    names = ["grey", "sampled", "copied", "reference, luma only", "reference"]
    names += ["copied, mirrored", "reference, mirrored", "carried, mirrored"]
    names += ["reference, another clip"]
    rows: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    paths = list(clip_paths(data))
    firsts = [load_clip(p, frames=1, max_side=max_side) for p in paths]
    usable = [n for n, c in enumerate(firsts) if not _is_grey(c)]
    for path in paths:
        whole = load_clip(path, frames=last + 1, max_side=max_side)
        if whole.luma.shape[0] <= last or _is_grey(whole):
            out(f"{whole.name}: too short or black-and-white, skipped")
            continue
        span = slice(first, last + 1)
        clip = Clip(whole.name, whole.rgb[span], whole.luma[span], whole.chroma[span])
        ref_rgb = (whole.rgb[0] * 255 + 0.5).astype(np.uint8)
        key = clip.luma.shape[0] // 2
        hints: dict[str, np.ndarray | None] = {
            "grey": np.zeros((2, 28, 28), np.float32),
            "copied": _hint_of(whole.chroma[0]),
            "reference, luma only": reference_chroma(clip.luma[key], ref_rgb, matrix=MATRIX),
            "sampled": None,
            "reference": None,
            # another framing: the reference mirrored, so places no longer line up
            "copied, mirrored": _hint_of(whole.chroma[0][:, :, ::-1]),
            "reference, mirrored": None,
            "carried, mirrored": None,
            "reference, another clip": None,
        }
        here = paths.index(path)
        others = [n for n in usable if n != here]
        other = None
        if others:  # the next colour clip's first frame: another scene altogether
            n = min((n for n in others if n > here), default=others[0])
            other = (firsts[n].rgb[0] * 255 + 0.5).astype(np.uint8)
        if col is not None:
            hints["sampled"] = _auto_hint(col, clip.luma[key], seed, temperature)
            hints["reference"] = reference_chroma(
                clip.luma[key], ref_rgb, colorizer=col.model, matrix=MATRIX
            )
            hints["reference, mirrored"] = reference_chroma(
                clip.luma[key], ref_rgb[:, ::-1], colorizer=col.model, matrix=MATRIX
            )
            # the picked shot's key frame as a render colours it from its pick
            shot_chroma = refine_chroma(ref_model, whole.luma[:1], hints["copied"])[0]
            planes = np.concatenate([whole.luma[0][None], shot_chroma], 0)
            shown = color.ycbcr_to_rgb(np.moveaxis(planes, 0, -1), matrix=MATRIX)
            shown_u8 = (np.clip(shown, 0, 1) * 255 + 0.5).astype(np.uint8)
            hints["carried, mirrored"] = reference_chroma(
                clip.luma[key], shown_u8[:, ::-1], colorizer=col.model, matrix=MATRIX
            )
            if other is not None:
                hints["reference, another clip"] = reference_chroma(
                    clip.luma[key], other, colorizer=col.model, matrix=MATRIX
                )
        for name, hint in hints.items():
            if hint is not None:
                rows[name].append(score(clip, refine_chroma(ref_model, clip.luma, hint)))
        # each clip's own figures: a reference that does not fit must not paint it worse
        grey_db = rows["grey"][-1]["chroma_psnr"]
        shown = []
        for name in ("reference", "reference, mirrored", "carried, mirrored",
                     "reference, another clip", "copied"):  # fmt: skip
            if hints[name] is not None:
                db = rows[name][-1]["chroma_psnr"]
                shown.append(f"{name} {db:.2f} ({db - grey_db:+.2f})")
        out(
            f"{clip.name}: reference frame 0, film frames {first}..{last}: grey {grey_db:.2f} dB, "
            + ", ".join(shown)
        )
    result: dict[str, Any] = {"clips": len(rows["grey"])}
    out("")
    result.update(_table(rows, out, width=22, cdc=False))
    worst = {
        name: min(
            r["chroma_psnr"] - g["chroma_psnr"]
            for r, g in zip(rows[name], rows["grey"], strict=True)
        )
        for name in (
            "reference",
            "reference, mirrored",
            "reference, another clip",
            "reference, luma only",
        )  # fmt: skip
        if len(rows[name]) == len(rows["grey"]) and rows[name]
    }
    for name, gap in worst.items():
        out(f"worst clip, {name} against grey: {gap:+.2f} dB")
    result["worst_against_grey"] = worst
    return result


def _table(
    rows: dict[str, list[dict[str, float]]], out: Callable[[str], None], *, width: int, cdc: bool
) -> dict[str, dict[str, float]]:
    """Print one line of means a row (skipping empty rows); return the means by row."""
    head = f"{'hint':<{width}} {'chroma PSNR':>12} {'CIEDE2000':>10} {'flicker':>8}"
    out(head + (f" {'CDC':>9}" if cdc else ""))
    means: dict[str, dict[str, float]] = {}
    for name, got in rows.items():
        if not got:
            continue
        mean = {k: float(np.nanmean([g[k] for g in got])) for k in got[0]}
        means[name] = mean
        line = (
            f"{name:<{width}} {mean['chroma_psnr']:>9.2f} dB {mean['ciede2000']:>10.2f}"
            f" {mean['flicker_ratio']:>8.3f}"
        )
        out(line + (f" {mean['cdc']:>9.5f}" if cdc else ""))
    return means


def _is_grey(clip: Clip) -> bool:
    return float(np.abs(clip.chroma).mean()) < 0.004
