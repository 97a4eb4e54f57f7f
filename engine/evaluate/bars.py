"""`panchro eval bars`: does black round a picture change the colours the colorizer draws for
the picture? The same colour pictures as they are and set between black bars (a 4:3 film in
a 16:9 transfer), K modes at the app's setting with the same seeds, scored on the picture
alone: best and mean of K chroma PSNR, and colourfulness (`imaging.metrics`).

What it answered: the colour stage should see the picture inside a crop (`restore.crop`)
rather than the whole frame (README, "Borders"). The third arm is what a restore with `--crop
auto` now does: the bars found (`imaging.borders`) and the picture inside them coloured alone,
the borders left grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SIDE = 240  # the pictures' short side, as a small film frame
BLACK = 16 / 255  # limited-range black, as a decoded film's bars read


def framed(luma: np.ndarray, share: float) -> tuple[np.ndarray, slice]:
    """`luma` (H, W) between black bars `share` of its width each side, and where it is."""
    h, w = luma.shape
    bar = round(w * share)
    out = np.full((h, w + 2 * bar), BLACK, np.float32)
    out[:, bar : bar + w] = luma
    return out, slice(bar, bar + w)


def _scores(
    loaded: Any,
    luma: np.ndarray,
    picture: np.ndarray,
    where: slice,
    k: int,
    seed: int,
    crop: tuple[int, int, int, int] | None = None,
):
    """(best, mean PSNR, mean colourfulness) of K modes drawn for `luma` (for its part inside
    `crop` alone, the rest left grey, when given), on `picture`'s part."""
    from panchro.engine.imaging import color
    from panchro.engine.imaging.metrics import colourfulness, psnr
    from panchro.engine.inference import colorize
    from panchro.engine.restore.crop import inner

    truth = color.rgb_to_ycbcr(picture, matrix="bt601")
    y = truth[..., 0].astype(np.float32)
    part = luma if crop is None else np.ascontiguousarray(inner(luma, crop))
    drawn = colorize.sample_candidates(loaded, part, k=k, seed=seed)
    found, bold = [], []
    for n in range(k):
        chroma = np.zeros((*luma.shape, 2), np.float32)
        left, top, right, bottom = crop or (0, 0, 0, 0)
        h, w = luma.shape
        chroma[top : h - bottom, left : w - right] = color.upsample_chroma(
            drawn.chroma(n), part.shape
        )
        chroma = chroma[:, where]
        found.append(psnr(chroma, truth[..., 1:], peak=1.0))
        rgb = color.merge_luma_chroma(y, chroma, matrix="bt601")
        bold.append(colourfulness(np.clip(rgb, 0.0, 1.0)))
    return max(found), float(np.mean(found)), float(np.mean(bold))


def eval_bars(
    data: Sequence[str | Path],
    *,
    weights: str | None = None,
    share: float = 1 / 3,
    k: int = 8,
    split: str = "heldout",
    limit: int | None = None,
    say: Any = print,
) -> dict[str, Any]:
    """Colour pictures of `data` (the held-out split, or all) coloured as they are and between
    bars `share` of their width each side; grey pictures left out. Prints and returns the
    means."""
    from PIL import Image

    from panchro.engine.errors import BadInputError
    from panchro.engine.imaging import color
    from panchro.engine.imaging.borders import find_borders
    from panchro.engine.inference import colorize
    from panchro.engine.train.data import collect_items, load_rgb, split_items

    items = collect_items(list(data))
    if split == "heldout":
        items = list(split_items(items, 0.02)[1])
    if limit is not None:
        items = items[:limit]
    loaded = colorize.load_colorizer(weights)
    rows = []
    for n, item in enumerate(items):
        img = load_rgb(item).convert("RGB")
        scale = SIDE / min(img.size)
        size = (max(16, round(img.size[0] * scale)), max(16, round(img.size[1] * scale)))
        picture = np.asarray(img.resize(size, Image.Resampling.BICUBIC), np.uint8)
        ycc = color.rgb_to_ycbcr(picture, matrix="bt601")
        if np.abs(ycc[..., 1:]).max() < 0.02:
            continue  # a grey picture: nothing to score
        luma = ycc[..., 0].astype(np.float32)
        plain = _scores(loaded, luma, picture, slice(0, luma.shape[1]), k, n)
        inside, where = framed(luma, share)
        barred = _scores(loaded, inside, picture, where, k, n)
        grey = np.clip(inside * 255.0 + 0.5, 0, 255).astype(np.uint8)
        found = find_borders([grey], (inside.shape[1], inside.shape[0])) or (0, 0, 0, 0)
        cut = _scores(loaded, inside, picture, where, k, n, crop=found)
        rows.append((plain, barred, cut))
    if not rows:
        raise BadInputError("no colour pictures to score in the data given")
    table = np.array(rows)
    result = {"pictures": len(rows), "share": share, "k": k, "loaded": loaded.path}
    for i, name in enumerate(("as_they_are", "between_bars", "inside_borders_found")):
        best, mean, bold = table[:, i].mean(axis=0)
        result[name] = {"best": best, "mean": mean, "colourfulness": bold}
        say(
            f"{name.replace('_', ' '):>20}: best of {k} {best:.2f} dB, mean {mean:.2f} dB, "
            f"colourfulness {bold:.1f} ({len(rows)} pictures, bars {share:.2f} of the width)"
        )
    return result
