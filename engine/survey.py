"""What a film's faults look like before any stage takes them out: line scratches and specks
of dirt, looked for around the key frames of a few of its shots (the app's
Damage line; `panchro shots`), so a person knows which of Restore's rows the film
needs.

Up to LOOKS shots of at least FRAMES frames, spread over the film, are read grey at WIDTH
px wide (a scratch a few pixels wide at 1080p is still a pixel or two): FRAMES frames
around each key frame. Scratches are those the scratches stage finds in the median of
them (`imaging.scratches`, at strength 1); dirt is what the dust stage fills on the middle
one once they are taken out, judged against the frames either side (`imaging.dust`, dirt
on two frames running too), when that is at least SPECKS of its pixels: on the shared
clips without dirt the most taken was 3.3 in 10,000 (a striped blanket under jumping feet;
3.6, a cutting mat's grid, once dirt on two frames was looked for as well), on the sample
film 5.1 and on the 1952 film's four shots 19 on average (27.9 since).

How much a film flickers is measured by the shots pass over every frame; for shots known
already (a project opened with them) `flicker_around` measures it the same way: on every
frame of a short film, on runs of frames around the key frames of up to LOOKS shots long
enough to of a longer one.

`film_borders`: the black (or white) border round the picture, a scan's gate edge or a
letterbox's bars (`imaging.borders`), judged on BORDER_LOOKS frames spread over the film,
for the app's Crop and `panchro restore --crop auto`. `film_levels`: a faded film's black
and white points inside them (`media.levels`), for `--levels auto` and the app's Levels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from panchro.engine.media import Source
    from panchro.engine.shots import Shot

LOOKS = 6  # shots looked at, at most
FRAMES = 5  # frames read around each one's key frame
WIDTH = 640  # ... this wide
SPECKS = 4e-4  # a frame has dirt when at least this share of its pixels is filled


@dataclass(frozen=True)
class Survey:
    """What was seen in `looked` shots: `scratched` of them have line scratches (`lines` of
    them in all); `dirty` of them have specks of dirt (`specks`: the share of the looked-at
    frames' pixels filled, over all of them)."""

    looked: int
    scratched: int
    lines: int
    dirty: int
    specks: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def looked_at(shots: list[Shot], looks: int = LOOKS, least: int = FRAMES) -> list[Shot]:
    """Up to `looks` of `shots` of at least `least` frames, spread evenly over the film."""
    long = [s for s in shots if s.length >= least]
    if len(long) <= looks:
        return long
    picks = np.linspace(0, len(long) - 1, looks).round().astype(int)
    return [long[i] for i in sorted(set(picks.tolist()))]


def survey(src: Source, shots: list[Shot], looks: int = LOOKS) -> Survey | None:
    """Scratches and dirt around the key frames of up to `looks` of the film's `shots`
    (module docstring); None when no shot has FRAMES frames (that decode)."""
    import torch

    from panchro.engine.errors import BadInputError
    from panchro.engine.imaging import dust, scratches
    from panchro.engine.shots import analysis_size

    chosen = looked_at(shots, looks)
    if not chosen:
        return None
    info = src.info
    size = analysis_size(info.width, info.height, min(WIDTH, info.width))
    looked = scratched = lines = dirty = 0
    filled = area = 0
    with torch.no_grad():
        for shot in chosen:
            first = min(max(shot.start, shot.key_frame - FRAMES // 2), shot.end - FRAMES)
            try:
                read = [f.image for f in src.frames(first, first + FRAMES, fmt="gray", size=size)]
            except BadInputError:  # a frame that does not decode: that shot is not looked at
                continue
            looked += 1
            y = torch.from_numpy(np.stack(read).astype(np.float32) / 255.0)
            found = scratches.candidates(scratches.over([scratches.lines(f) for f in y]), 1.0)
            seen = sum(len(scratches.runs(c)) for c in found)
            scratched += seen > 0
            lines += seen
            # Dirt as the dust stage judges it: after the scratches stage (in a moving shot a
            # scratch is not where the picture around it moves to).
            span, at = (first, first + FRAMES), first + FRAMES // 2
            if seen:
                y = scratches.clean(y, first, span, range(*span))[0]
            _, mask = dust.clean(y, first, span, range(at, at + 1))
            share = float(mask.float().mean())
            dirty += share >= SPECKS
            filled += int(mask.sum())
            area += mask.numel()
    if not looked:
        return None
    return Survey(looked, scratched, lines, dirty, filled / max(area, 1))


CENTRES = 17  # frames a shot's flicker is measured on, around its key frame
WHOLE = 3000  # frames (2 minutes at 25 fps): a film this short is measured on all of them


def flicker_around(src: Source, shots: list[Shot], looks: int = LOOKS) -> float | None:
    """How much the film flickers, in grey levels a frame (`shots.CutAnalysis.flicker`: the
    median of how far evening out would move each frame), from CENTRES frames around the
    key frames of up to `looks` of `shots` that hold a whole window around them; None when
    none does (or none decodes). A film of WHOLE frames or fewer is measured on every frame
    of those shots, as the pass measures it: a sample of a short film's few shots gave
    another figure than the pass (1.6 grey levels against 1.1 on the 1952 film's four)."""
    from panchro.engine.errors import BadInputError
    from panchro.engine.imaging import flicker
    from panchro.engine.shots import analysis_size

    half = flicker.half_window(src.info.fps)
    centre = flicker.centre_weights(half)
    size = analysis_size(src.info.width, src.info.height)  # as the shots pass reads them
    figures: list[float] = []
    whole = src.info.frame_count <= WHOLE
    for shot in looked_at(shots, len(shots) if whole else looks, least=2 * half + 1):
        n = shot.length if whole else min(2 * half + CENTRES, shot.length)
        first = min(max(shot.start, shot.key_frame - n // 2), shot.end - n)
        try:
            grey = [f.image for f in src.frames(first, first + n, fmt="gray", size=size)]
        except BadInputError:  # a frame that does not decode: that shot is not looked at
            continue
        q = np.stack([flicker.levels(g) for g in grey])
        figures += [
            flicker.wobble(q[c - half : c + half + 1], centre) for c in range(half, n - half)
        ]
    return float(np.median(figures)) * 255.0 if figures else None


BORDER_LOOKS = 12  # frames the borders round the picture are judged on


def film_levels(src: Source) -> tuple[float, float] | None:
    """The film's black and white points (`media.levels.measure`) inside its borders
    (`film_borders`), as `src` reads it; None where it is too flat to say."""
    from panchro.engine.media import levels

    return levels.measure(src, film_borders(src, width=levels.ANALYSIS_WIDTH * 4))


def film_borders(
    src: Source, looks: int = BORDER_LOOKS, width: int | None = None
) -> tuple[int, int, int, int] | None:
    """The border round the picture (left, top, right, bottom, in the film's pixels;
    `imaging.borders.find_borders`), judged on `looks` frames spread over the film (its first
    and last twentieth left out: leaders, titles and fades), read grey at the film's size or
    `width` px wide; None when none of them says (all black, or none decodes)."""
    from panchro.engine.errors import BadInputError
    from panchro.engine.imaging.borders import find_borders
    from panchro.engine.shots import analysis_size

    info = src.info
    n = info.frame_count
    size = None if width is None else analysis_size(info.width, info.height, width)
    skip = n // 20
    picks = np.unique(np.linspace(skip, n - 1 - skip, min(looks, n)).round().astype(int))

    def greys() -> Iterator[np.ndarray]:  # one at a time: a 4K film's frames are large
        for index in picks.tolist():
            try:
                yield src.read_frame(index, fmt="gray", size=size).image
            except BadInputError:  # a frame that does not decode says nothing
                continue

    return find_borders(greys(), (info.width, info.height))
