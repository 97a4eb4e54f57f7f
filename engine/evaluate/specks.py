"""`panchro eval specks`: how much laid-on dirt the speck finder takes off whole pictures,
and how much of the same pictures without dirt it changes; beside the plain rule it
replaces (a pixel that differs from its 5 x 5 median by more than `RULE_STEP`: an image
editor's "dust and scratches" filter).

Each picture is read as luma and shrunk to at most `side` px on its short side; given the
grain of an old print or not ("grainy": `imaging.degrade.film_grain` 0.04, clumped over a
pixel; "clean"), then dirt as the finder was trained on (`train.specks.lay_dirt`:
`BLOTS` blots and `HAIRS` hairs per 100,000 pixels). The pictures given are meant to be ones
never trained on: the held-out split of the training folders (`--split heldout`), or a
folder of their own (Set14). The dirt is the training's kind, so these figures say how well
the network learnt what it was shown, not how like real dirt that is; the real check is an
old film's own dirt (`docs/experiments/specks_on_film.py`: the frames alone against what the
film's dust stage finds by their neighbours) and the model card's pictures.

Figures, against the picture before dirt was laid on:
  dirty, cleaned   luma PSNR of the dirty picture, and of it with what was found filled
                   (`imaging.dust.fill_around`, the dust stage's fill for a picture);
  gone             the share of the dirt's squared error taken away;
  blots            the share of the blots and hairs at least half found;
  precision        the share of what was taken that is dirt (its rim included);
  without dirt     on the picture before dirt: pixels taken (per 10,000), and its luma PSNR
                   after the fill (what the finder costs a picture that needed nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from panchro.engine.errors import BadInputError
from panchro.engine.evaluate.clips import psnr
from panchro.engine.imaging import degrade
from panchro.engine.imaging.dust import fill_around
from panchro.engine.train.data import collect_items, is_heldout, load_rgb
from panchro.engine.train.specks import _blots_found, lay_dirt
from panchro.engine.train.upscaler import rgb_to_luma

BLOTS = 20.0  # per 100,000 pixels
HAIRS = 1.0
GRAIN = 0.04
PRINTS = ("clean", "grainy")
RULE_STEP = 0.1  # the median rule: a pixel this far (of 0..1) from its 5 x 5 median is dirt
FIGURES = ("dirty_db", "cleaned_db", "gone", "blots", "precision", "taken", "untouched_db")


def median_rule(y: torch.Tensor, step: float = RULE_STEP) -> torch.Tensor:
    """The plain rule: pixels further than `step` from the median of their 5 x 5 block."""
    padded = F.pad(y[None, None], (2, 2, 2, 2), mode="replicate")
    windows = F.unfold(padded, 5).reshape(25, *y.shape)
    return (y - windows.median(dim=0).values).abs() > step


def _score(
    finder: Any, clean: np.ndarray, dirty: np.ndarray, dirt: np.ndarray, rim: np.ndarray
) -> dict[str, float]:
    yc, yd = torch.from_numpy(clean), torch.from_numpy(dirty)
    found = finder(yd)
    cleaned = fill_around(yd, found).numpy()
    err_before = float(((dirty - clean) ** 2).sum())
    err_after = float(((cleaned - clean) ** 2).sum())
    hit, n = _blots_found(found.numpy(), dirt)
    dirt_or_rim = dirt | rim
    taken = float(found.sum())
    untouched_found = finder(yc)
    return {
        "dirty_db": psnr(dirty, clean),
        "cleaned_db": psnr(cleaned, clean),
        "gone": 1.0 - err_after / err_before if err_before > 0 else math.nan,
        "blots": hit / n if n else math.nan,
        # a found pixel next to dirt is its rim's: the fill takes a pixel round it on purpose
        "precision": float((found.numpy() & _grown(dirt_or_rim)).sum()) / taken if taken else 1.0,
        "taken": float(untouched_found.float().mean()) * 1e4,
        "untouched_db": psnr(fill_around(yc, untouched_found).numpy(), clean),
    }


def _mean(values: Sequence[float]) -> float:
    """The mean of the figures a picture has (one with no blots laid has no "blots")."""
    kept = [v for v in values if not math.isnan(v)]
    return float(np.mean(kept)) if kept else math.nan


def _grown(mask: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(mask.astype(np.float32))[None, None]
    return (F.max_pool2d(t, 3, 1, 1)[0, 0] > 0).numpy()


def _pictures(data: Sequence[str | Path], split: str, limit: int) -> list[Any]:
    items = [it for it in collect_items(data) if it.frame is None]
    if split == "heldout":
        items = [it for it in items if is_heldout(it, 0.02)]
    elif split != "all":
        raise BadInputError(f"--split is heldout or all, got {split!r}")
    if not items:
        raise BadInputError("no pictures to measure (none held out in these folders?)")
    step = max(1, len(items) // limit) if limit else 1
    return items[::step][:limit] if limit else items


def eval_specks(
    data: Sequence[str | Path],
    *,
    weights: str | Path | None = None,
    strengths: Sequence[float] = (1.0,),
    split: str = "heldout",
    limit: int = 40,
    side: int = 512,
    seed: int = 1,
    faint: float = 0.0,
    print_fn: Any = print,
) -> dict[str, Any]:
    """Score the speck finder at each of `strengths`, and the median rule, on `data`;
    `faint`: the share of the dirt laid faint (`lay_dirt`'s; 0, the first figures' dirt)."""
    from panchro.engine.inference.specks import find_specks
    from panchro.engine.models.weights import load_model

    print_fn = print_fn or (lambda _line: None)
    model, _, meta = load_model(weights or "speck_finder", device="cpu")
    card = meta.get("card") or {}
    items = _pictures(data, split, limit)
    methods: dict[str, Any] = {
        f"finder {s:g}": (lambda y, s=s: find_specks(model, y, s)) for s in strengths
    }
    methods["median rule"] = median_rule
    rows: dict[tuple[str, str], list[dict[str, float]]] = {}
    for n, item in enumerate(items):
        luma = rgb_to_luma(np.asarray(load_rgb(item)))
        h, w = luma.shape
        if min(h, w) > side:
            k = side / min(h, w)
            luma = degrade.resize(luma, (round(h * k), round(w * k))).astype(np.float32)
        luma = np.clip(luma, 0.0, 1.0)
        for kind in PRINTS:
            rng = np.random.default_rng([seed, n, PRINTS.index(kind)])
            clean = luma if kind == "clean" else degrade.film_grain(luma, rng, GRAIN, 1.0)
            per = clean.size / 1e5
            dirty, dirt, rim = lay_dirt(
                clean, rng, blots=BLOTS * per, hairs=HAIRS * per, faint=faint
            )
            for name, finder in methods.items():
                rows.setdefault((kind, name), []).append(
                    _score(finder, clean.astype(np.float32), dirty.astype(np.float32), dirt, rim)
                )
    result = {
        "pictures": len(items),
        "weights": str(weights or "speck_finder"),
        "trained": card.get("trained") is True,
        "rows": {
            f"{k} / {m}": {f: _mean([x[f] for x in r]) for f in FIGURES}
            for (k, m), r in rows.items()
        },
    }
    print_fn(
        f"{len(items)} pictures, short side at most {side} px; {BLOTS:g} blots and {HAIRS:g}"
        " hairs per 100,000 pixels"
        + (f", {faint:.0%} of them faint" if faint else "")
        + ("" if result["trained"] else "; the speck finder's weights are UNTRAINED")
    )
    print_fn(
        f"{'print / method':<26} {'dirty':>7} {'cleaned':>8} {'gone':>6} {'blots':>6}"
        f" {'precision':>9} {'clean: taken /1e4':>18} {'PSNR':>7}"
    )
    for name, row in result["rows"].items():
        print_fn(
            f"{name:<26} {row['dirty_db']:7.2f} {row['cleaned_db']:8.2f} {row['gone']:6.1%}"
            f" {row['blots']:6.1%} {row['precision']:9.1%} {row['taken']:18.2f}"
            f" {row['untouched_db']:7.2f}"
        )
    return result


__all__ = ["eval_specks", "median_rule"]
