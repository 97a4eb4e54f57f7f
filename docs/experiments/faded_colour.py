"""Does stretching a faded film's levels give its colours back? (session 29; README, "Faded
films").

Colour pictures made grey, then faded as a print fades or a transfer flattens it — every
grey value v taken to BLACK + (WHITE - BLACK) v, the shadows lifted and the highlights held
down — are coloured by the shipped colorizer three ways: from the true grey, from the
faded grey as it is, and from the faded grey with its levels measured on the picture itself
(`media.levels`' quantiles) and stretched back. Each colouring is merged with the *true*
luma and scored against the true chroma, as `panchro eval colorizer` scores (best and mean
of K chroma PSNR, colourfulness against the originals'), so only what the colour model
made of the grey is compared; and the grey itself against the true grey (luma PSNR).

    .venv/bin/python docs/experiments/faded_colour.py ../shared/data/sr_eval/Set14 [-k 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

BLACK, WHITE = 0.16, 0.78


def main() -> int:
    from panchro.engine.evaluate.colorizer import MATRIX, _Accumulator, _is_grey, _score_predictions
    from panchro.engine.imaging.color import rgb_to_ycbcr
    from panchro.engine.imaging.metrics import colourfulness, psnr, srgb_to_lab
    from panchro.engine.inference import colorize
    from panchro.engine.media.levels import HIGH, LOW

    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("-k", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-side", type=int, default=256)
    args = ap.parse_args()
    loaded = colorize.load_colorizer()
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".bmp"))
    accs = {name: _Accumulator() for name in ("true grey", "faded", "faded, stretched")}
    originals = []
    luma: dict[str, list[float]] = {"faded": [], "faded, stretched": []}
    for path in files:
        with Image.open(path) as im:
            im = im.convert("RGB")
            im.thumbnail((args.max_side, args.max_side), Image.Resampling.LANCZOS)
            rgb = np.asarray(im)
        if _is_grey(rgb):
            continue
        rgb_f = rgb.astype(np.float32) / 255.0
        ycc = rgb_to_ycbcr(rgb_f, matrix=MATRIX)
        lab = srgb_to_lab(rgb_f)
        originals.append(colourfulness(rgb_f))
        y = ycc[..., 0]
        faded = np.round((BLACK + (WHITE - BLACK) * y) * 255) / 255  # an 8-bit transfer
        black, white = np.quantile(faded, LOW), np.quantile(faded, HIGH)
        stretched = np.clip((faded - black) / (white - black), 0, 1).astype(np.float32)
        for name, grey in (("faded", faded), ("faded, stretched", stretched)):
            luma[name].append(psnr(grey, y))
        for name, grey in (("true grey", y), ("faded", faded), ("faded, stretched", stretched)):
            found = colorize.sample_candidates(
                loaded, grey.astype(np.float32), k=args.k, seed=args.seed, matrix=MATRIX
            )
            chromas = np.stack([found.chroma(n) for n in range(found.k)])
            _score_predictions(rgb_f, ycc, lab, chromas, accs[name])
    mean_orig = float(np.mean(originals))
    print(f"{len(originals)} colour pictures of {args.folder}, K={args.k}, seed {args.seed}; "
          f"faded to {BLACK:.2f}..{WHITE:.2f}")  # fmt: skip
    print(
        f"{'grey given':20} {'luma PSNR':>10} {'best-of-K':>10} {'mean-of-K':>10} {'colourful':>10}"
    )
    for name, acc in accs.items():
        tones = f"{np.mean(luma[name]):10.2f}" if name in luma else f"{'':10}"
        print(
            f"{name:20} {tones} {acc.mean('psnr_best'):10.2f} {acc.mean('psnr_mean'):10.2f} "
            f"{acc.mean('colourfulness') / mean_orig:10.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
