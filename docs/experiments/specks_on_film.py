"""Real dirt: the speck finder on a film's frames, each alone, against what the film's dust
stage finds on them by their neighbours (session 37).

The finder learnt from dirt laid on photographs (`train.specks`), and `panchro eval specks`
scores it on the same kind of dirt: that says how well it learnt, not whether real dirt looks
like what it was shown. An old film has real dirt, and its dust stage (`imaging.dust.clean`)
finds it another way, by the frames either side, with few false finds. So on each frame:

  found by both     of the spots the dust stage filled (8-connected), the share that the
                    finder, looking at the frame alone, takes at least a pixel of;
  finder only       pixels the finder takes where the dust stage took nothing within 2 px,
                    per 10,000: dirt the dust stage missed (stuck for three frames, a shot's
                    edge), or picture taken for dirt; the sheet tells which.

  .venv/bin/python docs/experiments/specks_on_film.py FILM [--frames 48] [--width 960]
      [--weights resources/models/speck_finder.safetensors] [--strength 1] [--sheet out.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from panchro.engine.evaluate.clips import grey_frames
from panchro.engine.evaluate.dust import clean_shots
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.specks import find_specks
from panchro.engine.models.weights import load_model


def _near(mask: np.ndarray, r: int = 2) -> np.ndarray:
    t = torch.from_numpy(mask.astype(np.float32))[None, None]
    return (F.max_pool2d(t, 2 * r + 1, 1, r)[0, 0] > 0).numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("film", type=Path)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--width", type=int, default=960)
    ap.add_argument("--weights", default="resources/models/speck_finder.safetensors")
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--sheet", type=Path, default=None)
    args = ap.parse_args()
    model, _, _ = load_model(args.weights, device="cpu")
    y, shots = grey_frames(args.film, args.frames, args.width)
    _, stage_masks = clean_shots(y, shots)
    spots = both = 0
    alone_px = 0.0
    rows = []
    for k in range(len(y)):
        found = find_specks(model, torch.from_numpy(y[k]), args.strength).numpy()
        labels, n = ndimage.label(stage_masks[k], structure=np.ones((3, 3)))
        if n:
            hit = ndimage.maximum(found, labels, index=np.arange(1, n + 1))
            spots, both = spots + n, both + int(np.asarray(hit).sum())
        alone = found & ~_near(stage_masks[k])
        alone_px += float(alone.mean()) * 1e4
        if args.sheet is not None and n and len(rows) < 6:
            grey = np.repeat(y[k][..., None], 3, -1)
            marked = grey.copy()
            marked[stage_masks[k]] = (0.1, 0.4, 1.0)
            marked[found & stage_masks[k]] = (0.1, 0.9, 0.1)
            marked[alone] = (1.0, 0.1, 0.1)
            rows.append([grey, marked])
    print(
        f"{args.film.name}: {len(y)} frames at {args.width} px wide, strength {args.strength:g}:"
        f" the dust stage filled {spots} spots; the finder alone took {both}"
        f" ({both / max(spots, 1):.1%}); finder only: {alone_px / len(y):.2f} px in 10,000"
    )
    if rows:
        print(f"sheet: {write_sheet(rows, args.sheet, height=360)} (blue: the dust stage's"
              " alone; green: both; red: the finder's alone)")  # fmt: skip


if __name__ == "__main__":
    main()
