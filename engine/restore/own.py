"""A film's shots in colour already keep their own colours, as a photo in colour does
(`restore.picture.own_colours`): a colour insert in a black-and-white documentary, a colour
film given to be cleaned and colorized with the rest.

A shot that nobody picked colours for is judged on its key frame (`color.colour_figures`,
the same test as a photo's, on a copy `color.JUDGED_SIDE` wide, inside the crop): in colour
beyond doubt, it keeps the colours the film holds (an automatic "own" pick, recorded in the
project as automatic picks are, so the app shows it); of one hue (an aged print's stains, a
yellowed print) it is colorized as before, and said to be. `recolour` colours them anew; a
person's hints on it correct its own colours (`corrected`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from panchro.engine.imaging import color
from panchro.engine.restore.crop import Margins, inner, read_size, scaled_margins

# The notes a run's summary says of its shots, each followed by their numbers
OWN_SHOTS = "in colour already, their own colours kept: shot"
RECOLOURED_SHOTS = "in colour already, coloured anew (--recolour): shot"
ONE_HUE_SHOTS = (
    "colorized, though with colours of one hue of their own (stains, a yellowed print, or a"
    " colour film of few colours): shot"
)
SHOTS_LISTED = 12  # numbers listed in a note, at most; the rest are counted


def frame_figures(film: Any, index: int, crop: Margins | None) -> color.Figures:
    """`color.colour_figures` of frame `index` of the open `film`, read at most
    `color.JUDGED_SIDE` wide as the film is read (its levels, a negative turned), inside
    `crop` (film pixels) where given: borders and sprocket holes are not the picture."""
    info = film.info
    full = (info.width, info.height)
    size = read_size(full, crop, color.JUDGED_SIDE)
    rgb = film.read_frame(index, fmt="rgb24", size=size, conceal=True).image
    if crop is not None:  # (the planes cut, as `inner` cuts them: channels first)
        rgb = np.moveaxis(inner(np.moveaxis(rgb, -1, 0), scaled_margins(crop, full, size)), 0, -1)
    return color.colour_figures(rgb)


def frame_chroma(film: Any, index: int, crop: Margins | None, side: int) -> np.ndarray:
    """Frame `index`'s own chroma (2, h, w) inside `crop`, the picture read at most `side`
    wide (`crop.read_size`), as a stage reads the key frame's luma: hints laid over these
    colours line up with it."""
    info = film.info
    full = (info.width, info.height)
    size = read_size(full, crop, side)
    fmt = "yuv444p16" if info.bit_depth > 8 else "yuv444p"
    coded = film.read_frame(index, fmt=fmt, size=size, conceal=True).image
    chroma = np.moveaxis(color.decode_coded_ycbcr(coded, range=info.coded_range)[..., 1:], -1, 0)
    if crop is not None:
        chroma = inner(chroma, scaled_margins(crop, full, size))
    return np.ascontiguousarray(chroma, np.float32)


def corrected(held: Any, correction: np.ndarray) -> Any:
    """A batch's own chroma `held` (T, 2, h, w; host array or tensor) with a person's hints'
    `correction` (2, h', w') laid on, stretched to its size: where nobody hinted, the colours
    are as the film holds them."""
    h, w = held.shape[-2:]
    up = color.upsample_chroma(np.moveaxis(correction, 0, -1), (h, w))
    up = np.ascontiguousarray(np.moveaxis(up, -1, 0))
    if isinstance(held, np.ndarray):
        return np.clip(held + up[None], -0.5, 0.5)
    import torch

    return (held + torch.from_numpy(up).to(held.device, held.dtype)[None]).clamp(-0.5, 0.5)


def found_own(pick: Any) -> bool:
    """Whether `pick` keeps a shot's own colours because it was found in colour (no person
    chose it: a run told to colour it anew replaces it, in the project too)."""
    return pick is not None and pick.source == "own" and not pick.locked


def machine_made(pick: Any) -> bool:
    """Whether a shot's colours are the machine's to decide: no pick, or one a run made
    (an automatic mode, or its own colours found): judged again at each run, so a shot in
    colour keeps its own colours unless the run is told to recolour, whatever an earlier
    run recorded."""
    return pick is None or (not pick.locked and pick.source in ("auto", "own"))


def listed(shots: list[tuple[int, int, int]]) -> str:
    """Shots (number, first frame, last frame; 1-based) as a note lists them: ' 3 (frames
    61-96)', 's 3 (frames 61-96) and 7 (frames 200-260)', 's 3 (...), ... (40 shots)'. The
    frames say which shots are meant where the numbers count from a part's first shot."""
    named = [f"{n} (frames {a}–{b})" for n, a, b in shots]
    if len(named) == 1:
        return f" {named[0]}"
    if len(named) <= SHOTS_LISTED:
        return "s " + ", ".join(named[:-1]) + f" and {named[-1]}"
    return f"s {', '.join(named[:SHOTS_LISTED])}, … ({len(named)} shots)"


@dataclass
class ShotColours:
    """Which shots of a run were found in colour, and what was done: said in `notes` (the
    stage's own list, each note kept up to date in its place as shots are begun)."""

    notes: list[str]
    found: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)

    def say(self, what: str, number: int, shot: Any) -> None:
        """Shot `number` (1-based), `shot` (its frames), is one of `what` (OWN_SHOTS,
        RECOLOURED_SHOTS, ONE_HUE_SHOTS)."""
        shots = self.found.setdefault(what, [])
        entry = (number, shot.start + 1, shot.end)
        if entry in shots:
            return
        old = what + listed(shots) if shots else None
        shots.append(entry)
        shots.sort()
        new = what + listed(shots)
        if old is not None and old in self.notes:
            self.notes[self.notes.index(old)] = new
        else:
            self.notes.append(new)
