"""How far do a few colour hints go? A simulated user against the originals (issue 18).

`eval_hints` greys colour pictures and plays a user who puts N colour points on
each: N places drawn at random (seeded by the picture's name, so every method
and every run sees the same places), each with the 3 x 3 mean colour of the
original there (what an eyedropper on a reference would give); or N strokes
(`kind="strokes"`), each drawn from a random place along a gently bending path
that stops where the picture's colour changes, in the median colour under it.
Each method
turns those points into chroma over the true luma, and the result is scored as
`evaluate.colorizer` scores its samples: chroma PSNR on the displayed RGB's
Cb/Cr (peak 1) and the mean CIEDE2000 from the original, per picture, then
averaged. In one run, for each N:

- grey: no colour at all (the floor every hint must beat);
- levin: Levin et al. 2004 from the points (`imaging.levin`, no training);
- learned: the hint refiner over Levin's answer (when its weights exist).

With `mode=True` two more rows: "mode", the colorizer's sample 0 drawn with the
hinted cells locked (as the pipeline samples a hinted shot), and "mode+hints", that
sample with the hints' corrections spread over it (`inference.hinting`'s base
route, `MODE_DECAY`): what `panchro restore --colorize --hints` gives a photo.

The pictures are shrunk to `max_side` first (speed; hints are scored on what
is shown) and pictures with no colour are left out, as in the colorizer's eval.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.imaging.color import rgb_to_ycbcr, ycbcr_to_rgb
from panchro.engine.imaging.hints import Hints
from panchro.engine.imaging.metrics import ciede2000, psnr, srgb_to_lab
from panchro.engine.imaging.sheets import write_sheet

MATRIX = "bt601"
DEFAULT_POINTS = (1, 10, 50)


def simulated_points(rgb_u8: np.ndarray, n: int, key: str, seed: int) -> Hints:
    """N points at random pixels of a picture, each with the 3 x 3 mean colour there; the
    places depend on the picture's name, N and `seed` only (every method sees the same)."""
    from panchro.engine.train.hints import random_points

    digest = hashlib.sha1(f"{key}|{n}|{seed}".encode()).digest()
    return random_points(rgb_u8, n, np.random.default_rng(int.from_bytes(digest[:8], "big")))


def simulated_strokes(rgb_u8: np.ndarray, n: int, key: str, seed: int) -> Hints:
    """N strokes as `train.hints.random_strokes` draws them (each kept inside one colour,
    in the median colour under it), placed by the picture's name, N and `seed` only."""
    from panchro.engine.train.hints import random_strokes

    digest = hashlib.sha1(f"{key}|strokes|{n}|{seed}".encode()).digest()
    return random_strokes(rgb_u8, n, np.random.default_rng(int.from_bytes(digest[:8], "big")))


SIMULATED = {"points": simulated_points, "strokes": simulated_strokes}


def _score(chroma: np.ndarray, y: np.ndarray, ycc_true: np.ndarray, lab_true: np.ndarray) -> tuple:
    rgb = ycbcr_to_rgb(
        np.concatenate([y[..., None], np.moveaxis(chroma, 0, -1)], -1), matrix=MATRIX
    )
    shown = rgb_to_ycbcr(rgb, matrix=MATRIX)[..., 1:]
    return psnr(shown, ycc_true[..., 1:]), float(ciede2000(srgb_to_lab(rgb), lab_true).mean()), rgb


def _mark(rgb: np.ndarray, hints: Hints) -> np.ndarray:
    """The points drawn as small black-ringed squares of their colour, the strokes as lines
    of their colour, for the sheet."""
    out = rgb.copy()
    h, w = out.shape[:2]
    for s in hints.strokes:
        for x, y in s.points:
            xi, yi = int(x), int(y)
            out[max(0, yi - 1) : yi + 2, max(0, xi - 1) : xi + 2] = np.asarray(s.rgb) / 255.0
    for p in hints.points:
        x, y = int(p.x), int(p.y)
        out[max(0, y - 3) : y + 4, max(0, x - 3) : x + 4] = 0.0
        out[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3] = np.asarray(p.rgb) / 255.0
    return out.clip(0, 1)


def eval_hints(
    data: str | Path | Sequence[str | Path],
    *,
    points: Sequence[int] = DEFAULT_POINTS,
    kind: str = "points",
    learned: str | Path | None = "hint_refiner",
    mode: bool = False,
    decay: float | None = None,
    limit: int | None = 24,
    split: str = "heldout",
    val_fraction: float = 0.02,
    max_side: int = 512,
    seed: int = 0,
    out_sheet: str | Path | None = None,
    sheet_rows: int = 8,
    print_fn: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Score hint methods on the colour pictures in `data`; print a table, return figures.

    `kind`: "points" (N points a picture, the numbers in `points`) or "strokes" (N strokes,
    `simulated_strokes`; the numbers still in `points`).

    `decay`: how fast the hints' correction of the mode fades (`inference.hinting`'s
    `MODE_DECAY` when None).

    `learned`: hint refiner weights (file or registry name; None or a missing file
    leaves the row out, and says so). `split`: "heldout" keeps only pictures the
    trainers held out (SHA-1 of the name < `val_fraction`, as `train.data` splits),
    "all" takes every picture. `limit`: a seeded random subset of that many.
    """
    from panchro.engine.inference.hinting import hinted_chroma
    from panchro.engine.train.data import collect_items, load_rgb, split_items

    if not points or min(points) < 1:
        raise BadInputError(f"{kind} must be whole numbers from 1, got {list(points)}")
    if kind not in SIMULATED:
        raise BadInputError(f"hints are points or strokes, got {kind!r}")
    simulate = SIMULATED[kind]
    spread = {} if decay is None else {"decay": float(decay)}
    if split not in ("all", "heldout"):
        raise BadInputError(f"split must be all or heldout, got {split!r}")
    sources = [data] if isinstance(data, str | Path) else list(data)
    items = collect_items(sources)
    if split == "heldout":
        items = split_items(items, val_fraction)[1]
    if limit is not None and limit < len(items):
        pick = np.random.default_rng(seed).choice(len(items), size=limit, replace=False)
        items = [items[i] for i in sorted(pick)]
    if not items:
        raise BadInputError(f"no pictures to evaluate (split {split!r})", path=sources[0])
    out_path = Path(out_sheet) if out_sheet is not None else None
    if out_path is not None and not out_path.parent.is_dir():
        raise OutputError("the folder does not exist", path=out_path)

    model, learned_note = _load_learned(learned)
    colorizer = refiner = None
    if mode:
        from panchro.engine.inference.colorize import load_colorizer, load_refiner

        colorizer = load_colorizer(allow_untrained=True)
        refiner = load_refiner()

    names = ["grey", "levin"] + (["learned"] if model is not None else [])
    if mode:
        names += ["mode", "mode+hints"]
    sums: dict[tuple[str, int], list[tuple[float, float]]] = {}
    seconds: dict[str, float] = {}
    rows: list[list[np.ndarray]] = []
    t0 = time.perf_counter()
    used = 0
    for item in items:
        img = load_rgb(item)
        if max(img.size) > max_side:
            s = max_side / max(img.size)
            size = (max(1, round(img.width * s)), max(1, round(img.height * s)))
            img = img.resize(size, Image.Resampling.LANCZOS)
        rgb_u8 = np.asarray(img, dtype=np.uint8)
        a = rgb_u8.astype(np.int16)
        if int(np.abs(a - a.mean(axis=2, keepdims=True)).max()) <= 2:
            continue  # no colour to compare with
        used += 1
        ycc = rgb_to_ycbcr(rgb_u8, matrix=MATRIX)
        y = np.clip(ycc[..., 0], 0.0, 1.0).astype(np.float32)
        lab_true = srgb_to_lab(rgb_u8.astype(np.float32) / 255.0)
        row: list[np.ndarray] = [np.repeat(y[..., None], 3, -1)]
        for n in points:
            hints = simulate(rgb_u8, n, item.key, seed)
            preds: dict[str, np.ndarray] = {"grey": np.zeros((2, *y.shape), np.float32)}
            base = _mode_chroma(colorizer, refiner, y, seed, hints) if mode else None
            for name in names[1:]:
                t = time.perf_counter()
                if name == "levin":
                    preds[name] = hinted_chroma(y, hints, matrix=MATRIX)
                elif name == "learned":
                    preds[name] = hinted_chroma(
                        y, hints, matrix=MATRIX, method="learned", model=model
                    )
                elif name == "mode":
                    preds[name] = base
                else:
                    preds[name] = hinted_chroma(y, hints, matrix=MATRIX, base=base, **spread)
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t
            for name, chroma in preds.items():
                p, de, rgb = _score(chroma, y, ycc, lab_true)
                sums.setdefault((name, n), []).append((p, de))
                if n == points[min(1, len(points) - 1)] and name != "grey":
                    row.append(_mark(rgb, hints) if name == "levin" else rgb)
        if out_path is not None and len(rows) < sheet_rows:
            rows.append([*row, rgb_u8.astype(np.float32) / 255.0])
    if used == 0:
        raise BadInputError("every picture is grey: nothing to compare colours with")
    figures = {
        name: {
            n: {
                "psnr": float(np.mean([v[0] for v in sums[(name, n)]])),
                "de00": float(np.mean([v[1] for v in sums[(name, n)]])),
            }
            for n in points
        }
        for name in names
    }
    result: dict[str, Any] = {
        "images": used,
        "kind": kind,
        "points": list(points),
        "split": split,
        "methods": figures,
        "seconds_per_picture": {k: v / (used * len(points)) for k, v in seconds.items()},
        "learned": learned_note,
        "seconds": time.perf_counter() - t0,
        "sheet": None,
    }
    if out_path is not None:
        write_sheet(rows, out_path)
        result["sheet"] = str(out_path)
    if print_fn is not None:
        for line in format_table(result):
            print_fn(line)
    return result


def _load_learned(learned: str | Path | None) -> tuple[Any | None, str]:
    if learned is None:
        return None, "not asked for"
    from panchro.engine.models import registry
    from panchro.engine.models.weights import load_model

    path = Path(learned)
    if not path.suffix and str(learned) in registry.REGISTRY:
        path = registry.weights_path(str(learned))
    if not path.is_file():
        return None, f"no weights at {path}: row left out"
    model, cfg, meta = load_model(path)
    if not getattr(cfg, "point_hints", False):
        raise BadInputError("is not a hint refiner (no point inputs)", path=path)
    card = meta.get("card") or {}
    state = "trained" if card.get("trained") is True else "UNTRAINED"
    return model, f"{path} ({state}, {card.get('steps', '?')} steps)"


def _mode_chroma(
    colorizer: Any, refiner: Any, y: np.ndarray, seed: int, hints: Hints
) -> np.ndarray:
    """The colorizer's sample 0 of this picture with the hinted cells locked (as the
    pipeline samples a shot with hints), carried to full size by the refiner."""
    from panchro.engine.inference.colorize import sample_candidates
    from panchro.engine.inference.defaults import AUTO_TEMPERATURE
    from panchro.engine.inference.refine import refine_chroma

    # at the automatic pick's temperature, as a shot nobody picked is sampled
    cand = sample_candidates(colorizer, y, k=1, seed=seed, locked=hints, matrix=MATRIX,
                             temperature=AUTO_TEMPERATURE)  # fmt: skip
    small = np.moveaxis(cand.chroma(0), -1, 0)
    if refiner is None:
        from panchro.engine.imaging.color import upsample_chroma

        return np.moveaxis(upsample_chroma(cand.chroma(0), y.shape, method="bilinear"), -1, 0)
    return refine_chroma(refiner, y[None], small)[0]


def format_table(result: dict[str, Any]) -> list[str]:
    """The figures of `eval_hints` as text lines: one row per method, PSNR and dE00 per N."""
    pts = result["points"]
    lines = [
        f"hints eval: {result['images']} pictures ({result['split']}),"
        f" {result.get('kind', 'points')} {', '.join(map(str, pts))}, {result['seconds']:.0f} s;"
        f" learned: {result['learned']}",
        f"{'method':<12}"
        + "".join(f"{f'PSNR N={n}':>13}{f'dE00 N={n}':>12}" for n in pts)
        + f"{'s/picture':>11}",
    ]
    grey = result["methods"]["grey"]
    for name, per_n in result["methods"].items():
        cells = "".join(f"{per_n[n]['psnr']:>10.2f} dB{per_n[n]['de00']:>12.2f}" for n in pts)
        sec = result["seconds_per_picture"].get(name)
        lines.append(f"{name:<12}{cells}{(f'{sec:.2f}' if sec is not None else '-'):>11}")
    for name in result["methods"]:
        if name == "grey":
            continue
        gains = ", ".join(
            f"N={n} {result['methods'][name][n]['psnr'] - grey[n]['psnr']:+.2f} dB" for n in pts
        )
        lines.append(f"  {name} over grey: {gains}")
    if result.get("sheet"):
        lines.append(f"sheet: {result['sheet']} (grey | methods at the 2nd N | original)")
    return lines


__all__ = ["DEFAULT_POINTS", "eval_hints", "format_table", "simulated_points", "simulated_strokes"]
