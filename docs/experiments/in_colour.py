"""Is a picture in colour, or a black-and-white print that aged? (session 35, README Photos)

A picture in colour already keeps its own colours when colorized (`restore.picture`). Its test
(`imaging.color.in_colour`) must not take an old black-and-white print for one: yellowed
paper, foxing and stains are colours its luma does not explain too. This measures the three
figures the test uses (`color.colour_figures`: the unexplained chroma's RMS, its spread
across the line it lies along most, and how concentrated the strong colours' hues are) on
colour photos, and on the same photos made grey and aged at random: toned (sepia) by a
random amount, yellowed towards a random point, foxed with up to 120 brown spots, a stain in
half of them, a scanner's cast of any hue in half, and scanner noise; and made grey and
scanned with the colour channels out of register (`fringed`, session 36: 1-3 px at the
picture's own size, as a telecine or a lens's lateral colour leaves them); and, also since
session 36, the colour photos and the aged prints at 15 % of their brightness (a night scene,
an underexposed scan), and title cards of a few flat colours.

    python docs/experiments/in_colour.py bsds500 400
    python docs/experiments/in_colour.py imagenet_sample 400

It prints percentiles of both figures for the colour photos and the aged prints, and how many
of each `in_colour` calls in colour. The data is ../shared/data/train_photos (or
PANCHRO_TRAIN_PHOTOS); each picture is shrunk to 256 px first, as the restore judges it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from panchro.engine.imaging.color import (
    IN_COLOUR_ONE_HUE,
    IN_COLOUR_RMS,
    IN_COLOUR_SPREAD,
    JUDGED_SIDE,
    colour_figures,
    in_colour,
)

BROWN = np.array([0.85, 0.7, 0.55])  # what a foxing spot leaves of each channel
STAIN = np.array([0.95, 0.88, 0.75])


def aged(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A grey picture (H, W) of 0..255 as an old print scanned in colour, RGB uint8."""
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w]
    f = grey / 255.0
    toning = rng.uniform(0, 1)
    rgb = f[..., None] * np.array([1, 1 - 0.1 * toning, 1 - 0.25 * toning])
    rgb += np.array([0, 0.03, 0.05]) * toning
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)  # yellowed most far from here
    far = ((yy - cy) / h) ** 2 + ((xx - cx) / w) ** 2
    yellow = rng.uniform(0, 0.3)
    rgb[..., 2] -= yellow * far
    rgb[..., 1] -= 0.3 * yellow * far
    for _ in range(rng.integers(0, 120)):
        sy, sx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(2, 14)
        rgb[(yy - sy) ** 2 + (xx - sx) ** 2 < r * r] *= BROWN * rng.uniform(0.9, 1.1)
    if rng.random() < 0.5:
        sy, sx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(20, 80)
        rgb[(yy - sy) ** 2 + (xx - sx) ** 2 < r * r] *= STAIN
    if rng.random() < 0.5:  # a scanner's cast, of any hue
        rgb += rng.normal(0, 0.02, 3)
    rgb += rng.normal(0, rng.uniform(0, 0.03), rgb.shape)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def fringed(grey: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A grey picture (H, W) of 0..255 at its own size scanned with the colour channels out
    of register (a telecine's misregistration, a lens's lateral colour): red moved 1-3 px
    one way, blue 1-3 px another, RGB, before it is shrunk as the restore shrinks it."""
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    for channel in (0, 2):
        angle = rng.uniform(0, 2 * np.pi)
        shift = rng.uniform(1, 3)
        dy, dx = round(shift * np.sin(angle)), round(shift * np.cos(angle))
        rgb[..., channel] = np.roll(grey, (dy, dx), axis=(0, 1))
    rgb += rng.normal(0, rng.uniform(0, 3), rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def card(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A title card or poster of a colour film: a ground of one colour, two to four blocks and
    bars of others (letters, a frame), flat, each colour at its own luma, a little noise."""
    w, h = size
    colours = rng.uniform(0, 1, (5, 3))
    rgb = np.empty((h, w, 3))
    rgb[:] = colours[0]
    for k in range(1, rng.integers(3, 6)):
        y0, x0 = rng.integers(0, h - 8), rng.integers(0, w - 8)
        rgb[y0 : y0 + rng.integers(4, h // 2), x0 : x0 + rng.integers(8, w // 2)] = colours[k]
    rgb += rng.normal(0, 0.01, rgb.shape)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def main(source: str, count: int) -> None:
    root = Path(os.environ.get("PANCHRO_TRAIN_PHOTOS", "../shared/data/train_photos"))
    folder = root / source
    rng = np.random.default_rng(1)
    kinds = ("colour", "aged", "fringed", "dark colour", "dark aged", "card")
    figures: dict[str, list[tuple[float, ...]]] = {kind: [] for kind in kinds}
    called: dict[str, int] = dict.fromkeys(kinds, 0)
    for name in sorted(os.listdir(folder))[:count]:
        with Image.open(folder / name) as im:
            im = im.convert("RGB")
            off = fringed(np.asarray(im.convert("L")).astype(np.float64), rng)
            off.thumbnail((JUDGED_SIDE, JUDGED_SIDE))
            im.thumbnail((JUDGED_SIDE, JUDGED_SIDE))  # as the restore judges it
            pictures = {"colour": np.asarray(im)}
            pictures["aged"] = aged(np.asarray(im.convert("L")).astype(np.float64), rng)
            pictures["fringed"] = np.asarray(off)
            # a night scene in colour, and an aged print as dark (an underexposed scan)
            pictures["dark colour"] = (pictures["colour"] * 0.15).astype(np.uint8)
            pictures["dark aged"] = (pictures["aged"] * 0.15).astype(np.uint8)
            pictures["card"] = card(rng, im.size)
        for kind, rgb in pictures.items():
            figures[kind].append(colour_figures(rgb))
            called[kind] += in_colour(rgb)
    print(f"{source}: {count} pictures; in colour above RMS {IN_COLOUR_RMS} and spread "
          f"{IN_COLOUR_SPREAD} or below one hue {IN_COLOUR_ONE_HUE}")  # fmt: skip
    for kind, rows in figures.items():
        a = np.array(rows)
        for k, what in enumerate(("RMS", "spread", "one hue", "strong")):
            pct = np.percentile(a[:, k], [1, 5, 10, 50, 90, 99, 100]).round(4)
            print(f"  {kind:6s} {what:6s} 1/5/10/50/90/99/100 %: {pct.tolist()}")
        print(f"  {kind:6s} called in colour: {called[kind]} of {len(rows)}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 400)
