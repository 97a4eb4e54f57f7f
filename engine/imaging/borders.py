"""A film's borders: the bands of black round the picture that a scan or a transfer left, such
as the gate's edge, a frame line, or the bars of a letterbox or pillarbox.

A row of a grey frame is border when nearly all its pixels are black; a frame's border at
the top is the run of such rows from that edge in, and likewise at the bottom; then the
columns, judged between those bands (so a letterbox's bars do not hide a pillarbox's).
Over several frames each side's border is judged from the least any frame shows: a frame
whose picture is dark at an edge (a night sky, a fade) shows more "border" than there is,
while the frame whose picture reaches furthest says where the picture ends. But a scan's
border weaves with the film (the 1952 clip's left edge is 5 to 7 px wide from frame to
frame, its bottom frame line in some shots only), so the widest border within WEAVE of the
least is taken: every frame's border is then cut, and a picture dark at its edge still
does not count. A frame that is border all over (a black frame) says nothing. Only black:
a band of white round a picture is far more often a white table top or a sky than a border
(on the shared clips, two of seven were cut a fifth up their height when white counted),
as FFmpeg's cropdetect finds only black too.

Found on small copies, a border is said in the film's pixels rounded outwards by one copy
pixel (a grey line of mixed border and picture is cut rather than kept), and to an even
number so the picture left keeps even sides.

A photograph (`picture_borders`) is another matter: a print's paper border is white, a
scanner's lid black or white beyond it, a deckled edge both along one line. There a pixel is
border when it is black or paper white, and the white counts only when the border it makes
goes round at least three sides (a print's does; a white sky or table top meets one side),
and the border runs on over a thin band of grey between two of border (where a scan blurs
the lid into the paper), though not into the picture: it must meet border again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

DARK = 40  # of 255: a pixel this dark or darker is black border (limited-range black is 16)
SHARE = 0.97  # a line is border when this share of its pixels is that dark
WEAVE = 0.015  # of a side: borders this much wider than the least are the same one, weaving
LEAST_LEFT = 0.25  # borders that would leave less than this share of a side are not believed
LIGHT = 215  # of 255: a pixel this light or lighter is paper white (a photograph's border)
# Of a side: a photograph's border runs on over a band this wide of other lines between two of
# border (where the lid meets the paper a scan is soft: a few rows of grey between them)
GAP = 0.01
GAP_LEAST = 3

Margins = tuple[int, int, int, int]  # left, top, right, bottom, in pixels


def _run(flags: np.ndarray, gap: int = 0) -> int:
    """How many of `flags` are True from the start, unbroken but for runs of at most `gap`
    False that True follows (the soft line where a scanner's lid meets a print's paper)."""
    off = np.flatnonzero(~flags)
    if not off.size:
        return int(flags.size)
    end = int(off[0])
    while gap and end < flags.size:
        on = np.flatnonzero(flags[end : end + gap + 1])
        if not on.size:
            break
        nxt = end + int(on[0])
        rest = np.flatnonzero(~flags[nxt:])
        end = nxt + (int(rest[0]) if rest.size else int(flags.size) - nxt)
    return end


def _border(lines: np.ndarray, axis: int, light: bool = False) -> np.ndarray:
    """Per line along `axis` of a grey (H, W) uint8 picture: whether it is border (black, or
    black or paper white with `light`)."""
    edge = lines <= DARK
    if light:
        edge |= lines >= LIGHT
    return edge.mean(axis=axis) >= SHARE


def frame_borders(grey: np.ndarray, *, light: bool = False, gap: float = 0.0) -> Margins | None:
    """(left, top, right, bottom) border of one grey (H, W) uint8 frame, or None for a frame
    that is border all over; `light`: paper white is border too; `gap`: a share of the side
    that a band of other lines between two of border may be, and the border still run on."""
    h, w = grey.shape
    rows = _border(grey, 1, light)
    # at least GAP_LEAST lines: a scan's soft edge is a few pixels wide, whatever its size
    g_rows, g_cols = (max(GAP_LEAST, round(gap * n)) if gap else 0 for n in (h, w))
    top = _run(rows, g_rows)
    if top >= h:
        return None
    bottom = _run(rows[::-1], g_rows)
    if top + bottom >= h:
        return None
    picture = grey[top : h - bottom]
    cols = _border(picture, 0, light)
    left = _run(cols, g_cols)
    if left >= w:
        return None
    return left, top, _run(cols[::-1], g_cols), bottom


def find_borders(greys: Iterable[np.ndarray], film_size: tuple[int, int]) -> Margins | None:
    """The border round the picture in grey copies (H, W) uint8 of a film's frames (any size,
    all alike), in the film's pixels (`film_size` = (width, height)): each side the widest
    within WEAVE of the least any frame shows, rounded outwards and to even (module
    docstring). (0, 0, 0, 0): the picture
    fills the frame. None: nothing to judge by (no frames, or black ones), or borders that
    would leave less than LEAST_LEFT of the frame."""
    found: list[Margins] = []
    size: tuple[int, int] | None = None
    for grey in greys:
        size = (grey.shape[1], grey.shape[0])
        margins = frame_borders(grey)
        if margins is not None:
            found.append(margins)
    if not found or size is None:
        return None
    seen = np.array(found)
    fw, fh = film_size
    scale = (fw / size[0], fh / size[1])
    out = []
    for side in range(4):
        values = seen[:, side]
        near = max(2, round(WEAVE * size[side % 2]))
        m = int(values[values <= values.min() + near].max())
        s = scale[side % 2]
        film = 0 if m == 0 else math.ceil((m + (1 if s > 1 else 0)) * s)
        out.append(film + film % 2)
    left, top, right, bottom = out
    if fw - left - right < LEAST_LEFT * fw or fh - top - bottom < LEAST_LEFT * fh:
        return None
    return left, top, right, bottom


def picture_borders(grey: np.ndarray) -> Margins:
    """The border round a photograph, from its grey (H, W) uint8 pixels: black, or black and
    paper white when that goes round at least three sides (module docstring), in its pixels.
    (0, 0, 0, 0) when there is none, or when cutting it would leave less than LEAST_LEFT."""
    h, w = grey.shape

    def believed(m: Margins | None) -> bool:
        return m is not None and (
            w - m[0] - m[2] >= LEAST_LEFT * w and h - m[1] - m[3] >= LEAST_LEFT * h
        )

    dark = frame_borders(grey, gap=GAP)
    both = frame_borders(grey, light=True, gap=GAP)
    base = dark if believed(dark) else None
    if believed(both) and both is not None:
        wider = sum(b > d for b, d in zip(both, base or (0, 0, 0, 0), strict=True))
        if wider >= 3:
            return both
    return base or (0, 0, 0, 0)
