"""The borders round a picture (`imaging.borders`): found per frame, over frames, in the film's
pixels."""

from __future__ import annotations

import numpy as np

from panchro.engine.imaging.borders import find_borders, frame_borders


def _picture(h: int, w: int, seed: int = 0, low: int = 60) -> np.ndarray:
    return np.random.default_rng(seed).integers(low, 200, (h, w), dtype=np.uint8)


def _framed(pic: np.ndarray, left: int, top: int, right: int, bottom: int, value: int = 16):
    h, w = pic.shape
    out = np.full((h + top + bottom, w + left + right), value, np.uint8)
    out[top : top + h, left : left + w] = pic
    return out


def test_a_pillarbox_and_a_letterbox_are_found_to_the_pixel():
    grey = _framed(_picture(90, 120), 14, 0, 9, 0)
    assert frame_borders(grey) == (14, 0, 9, 0)
    grey = _framed(_picture(90, 120), 0, 11, 0, 7)
    assert frame_borders(grey) == (0, 11, 0, 7)
    # both at once (a 4:3 film letterboxed in 16:9): the bars' rows do not hide the columns
    grey = _framed(_picture(90, 120), 10, 12, 10, 12)
    assert frame_borders(grey) == (10, 12, 10, 12)
    # white is picture (a table top, a sky), not border
    grey = _framed(_picture(90, 120), 5, 5, 5, 5, value=240)
    assert frame_borders(grey) == (0, 0, 0, 0)
    # grain on the black
    noisy = _framed(_picture(90, 120), 8, 0, 8, 0).astype(int)
    noisy[:, :8] += np.random.default_rng(1).integers(0, 12, (90, 8))
    assert frame_borders(noisy.clip(0, 255).astype(np.uint8)) == (8, 0, 8, 0)


def test_a_picture_to_its_edges_has_none_and_a_black_frame_says_nothing():
    assert frame_borders(_picture(60, 80)) == (0, 0, 0, 0)
    assert frame_borders(np.full((60, 80), 16, np.uint8)) is None
    assert find_borders([np.full((60, 80), 16, np.uint8)] * 3, (80, 60)) is None
    assert find_borders([], (80, 60)) is None


def test_over_frames_the_picture_that_reaches_furthest_decides():
    plain = _framed(_picture(90, 120), 10, 0, 10, 0)
    dark_edge = plain.copy()
    dark_edge[:, 10:30] = 20  # a night scene dark at its left edge
    fade = np.full_like(plain, 16)  # a black frame
    assert frame_borders(dark_edge) == (30, 0, 10, 0)
    assert find_borders([dark_edge, plain, fade], (140, 90)) == (10, 0, 10, 0)


def test_a_weaving_border_is_cut_on_every_frame():
    pic = _picture(90, 200)
    weaving = [_framed(pic, 10 + d, 0, 14 - d, 0) for d in (0, 2, 1, 3)]  # a 224-px frame
    dark_edge = weaving[0].copy()
    dark_edge[:, 10:40] = 20  # far wider than any weave: picture, not border
    assert find_borders([*weaving, dark_edge], (224, 90)) == (14, 0, 14, 0)


def test_found_on_a_small_copy_the_border_is_rounded_outwards_and_to_even():
    small = _framed(_picture(45, 60), 5, 0, 4, 0)  # a half-size copy of a 138 x 90 film
    # 5 copy px at x2: 10 film px, one copy px more for the mixed line: 12; 4 -> 10
    assert find_borders([small], (138, 90)) == (12, 0, 10, 0)
    # at the film's own size nothing is added; odd borders become even
    assert find_borders([_framed(_picture(90, 120), 7, 3, 0, 0)], (127, 93)) == (8, 4, 0, 0)


def test_borders_that_would_leave_little_are_not_believed():
    grey = _framed(_picture(40, 20), 60, 0, 60, 0)  # 20 of 140 columns of picture
    assert frame_borders(grey) == (60, 0, 60, 0)
    assert find_borders([grey], (140, 40)) is None
