"""Colour hints: the file format read strictly, drawn where they were put, Levin's propagation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import levin
from panchro.engine.imaging.hints import (
    Hints,
    Point,
    Stroke,
    chroma_of_rgb,
    load_hints,
    parse_hints,
    rasterize,
    save_hints,
)

EXAMPLE = {
    "version": 1,
    "points": [{"frame": 0, "x": 120, "y": 88, "rgb": [160, 82, 45]}],
    "strokes": [{"frame": 3, "points": [[10, 10], [50, 12.5]], "width": 6, "rgb": [0, 0, 128]}],
}


def test_the_documented_example_reads_and_round_trips(tmp_path: Path) -> None:
    hints = parse_hints(EXAMPLE)
    assert hints.points == (Point(0, 120.0, 88.0, (160, 82, 45)),)
    assert hints.strokes == (Stroke(3, ((10.0, 10.0), (50.0, 12.5)), 6.0, (0, 0, 128)),)
    assert hints.frames() == [0, 3]
    path = tmp_path / "h.json"
    save_hints(hints, path)
    assert json.loads(path.read_text()) == EXAMPLE
    assert load_hints(path) == hints
    assert hints.digest() == load_hints(path).digest()
    assert hints.digest() != parse_hints({**EXAMPLE, "strokes": []}).digest()
    # saved by Windows Notepad: a byte-order mark before the JSON
    notepad = tmp_path / "notepad.json"
    notepad.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_hints(notepad) == hints


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"version": 2}, "version 2"),
        ({"colour": 1}, "unknown fields"),
        ({"points": [{"frame": 0, "x": 1, "y": 1}]}, "point 1 lacks ['rgb']"),
        ({"points": [{"frame": -1, "x": 1, "y": 1, "rgb": [0, 0, 0]}]}, "frame must be"),
        ({"points": [{"frame": 0, "x": "a", "y": 1, "rgb": [0, 0, 0]}]}, "coordinates"),
        ({"points": [{"frame": 0, "x": 1, "y": 1, "rgb": [0, 0, 256]}]}, "rgb must be"),
        ({"points": [{"frame": 0, "x": 1, "y": 1, "rgb": [0, 0]}]}, "rgb must be"),
        ({"strokes": [{"frame": 0, "points": [], "width": 2, "rgb": [1, 2, 3]}]}, "points must"),
        ({"strokes": [{"frame": 0, "points": [[1, 1]], "width": 0, "rgb": [1, 2, 3]}]}, "width"),
        ({"points": {"x": 1}}, "must be lists"),
        ({"frame_size": [1920]}, "'frame_size' must be [width, height]"),
        ({"frame_size": [1920, 0]}, "'frame_size' must be [width, height]"),
        ({"frame_size": "1920x1080"}, "'frame_size' must be [width, height]"),
    ],
)
def test_bad_entries_are_refused_by_name(change: dict, words: str) -> None:
    with pytest.raises(BadInputError, match=None) as err:
        parse_hints({**EXAMPLE, **change}, source="h.json")
    assert words in str(err.value)
    assert "h.json" in str(err.value)


def test_a_file_that_is_not_json_or_not_there_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="does not exist"):
        load_hints(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{points: 1}")
    with pytest.raises(BadInputError, match="not JSON"):
        load_hints(bad)


def test_hints_outside_the_frame_or_film_are_named() -> None:
    hints = parse_hints(EXAMPLE)
    hints.check_against(200, 100, 4)
    with pytest.raises(BadInputError, match=r"point 1 at \(120, 88\) lies outside the 100x50"):
        hints.check_against(100, 50, 4)
    with pytest.raises(BadInputError, match="stroke 1 is on frame 3, but the film has 2"):
        hints.check_against(200, 100, 2)


def test_hints_made_for_another_film_are_refused_with_both_sizes(tmp_path: Path) -> None:
    """A file that says the size of the frames its hints were placed on (the app writes it)
    is refused on frames of another size, even where its places would fit them."""
    hints = parse_hints({**EXAMPLE, "frame_size": [1920, 1080]}, source="h.json")
    assert hints.frame_size == (1920, 1080)
    path = tmp_path / "sized.json"
    save_hints(hints, path)
    assert json.loads(path.read_text())["frame_size"] == [1920, 1080]
    assert load_hints(path) == hints
    assert hints.digest() != parse_hints(EXAMPLE).digest()
    hints.check_against(1920, 1080, 4)
    with pytest.raises(BadInputError) as err:
        hints.check_against(1280, 720, 4)
    assert "made for 1920x1080 frames, but this film's are 1280x720" in str(err.value)
    assert "h.json" in str(err.value)
    with pytest.raises(BadInputError, match="this picture's are 1280x720: these hints belong to"
                       " another picture"):  # a photo, read as one frame  # fmt: skip
        hints.check_against(1280, 720, 1)
    assert hints.on_frames(0, 1).frame_size == (1920, 1080)  # a shot's hints keep it
    parse_hints(EXAMPLE).check_against(1280, 720, 4)  # a file without it: only places checked


def test_hints_are_drawn_where_they_were_put_at_any_scale() -> None:
    hints = Hints(
        points=(Point(0, 10.5, 20.5, (255, 0, 0)),),
        strokes=(Stroke(0, ((0.0, 40.0), (80.0, 40.0)), 4.0, (0, 0, 255)),),
    )
    target, mask = rasterize(hints, frame_size=(80, 60), shape=(60, 80), matrix="bt601")
    cb, cr = chroma_of_rgb((255, 0, 0), "bt601")
    assert mask[20, 10] and target[0, 20, 10] == pytest.approx(cb) and target[1, 20, 10] > 0.4
    assert mask[40, 0] and mask[40, 79] and target[0, 40, 40] > 0.4  # blue: Cb high
    assert not mask[0, 0] and not mask[30, 40]
    assert mask.sum() < 80 * 6 + 20  # a 4-px stroke and a small disc, not more
    # half the size: the same places, one working pixel at least
    t2, m2 = rasterize(hints, frame_size=(80, 60), shape=(30, 40), matrix="bt601")
    assert m2[10, 5] and t2[1, 10, 5] > 0.4 and m2[20, 20]
    # the hints scaled with the frame draw the same thing
    t3, m3 = rasterize(hints.scaled((80, 60), (40, 30)), frame_size=(40, 30), shape=(30, 40),
                       matrix="bt601")  # fmt: skip
    assert np.array_equal(m3[m2], m2[m2])


def test_a_later_hint_wins_where_hints_overlap_and_edge_hints_are_kept() -> None:
    green = Stroke(0, ((5.0, 5.0),), 3.0, (0, 255, 0))
    corner = Stroke(0, ((20.0, 10.0),), 1, (0, 0, 0))
    hints = Hints(points=(Point(0, 5, 5, (255, 0, 0)),), strokes=(green, corner))
    target, mask = rasterize(hints, frame_size=(20, 10), shape=(10, 20), matrix="bt709")
    assert target[1, 5, 5] == pytest.approx(chroma_of_rgb((0, 255, 0), "bt709")[1])
    assert mask[9, 19]  # a point on the right/bottom edge marks the last pixel


def _two_regions(h: int = 40, w: int = 60) -> np.ndarray:
    y = np.full((h, w), 0.3, np.float32)
    y[:, w // 2 :] = 0.8  # a luma edge down the middle
    return y


def test_levin_holds_the_hints_and_stops_at_luma_edges() -> None:
    y = _two_regions()
    target = np.zeros((2, 40, 60), np.float32)
    mask = np.zeros((40, 60), bool)
    target[:, 20, 10] = (0.2, -0.1)
    target[:, 20, 50] = (-0.2, 0.15)
    mask[20, 10] = mask[20, 50] = True
    out = levin.propagate(y, target, mask)
    assert out.shape == (2, 40, 60) and out.dtype == np.float32
    assert np.allclose(out[:, 20, 10], (0.2, -0.1), atol=1e-6)
    left, right = out[:, :, :28], out[:, :, 32:]
    # each side takes its own hint's colour almost everywhere: the edge stops the other
    assert np.allclose(left[0], 0.2, atol=0.03) and np.allclose(right[0], -0.2, atol=0.03)
    assert np.allclose(right[1], 0.15, atol=0.03)


def test_levin_without_hints_is_grey_and_decay_keeps_corrections_local() -> None:
    y = np.full((30, 30), 0.5, np.float32)
    zero = np.zeros((2, 30, 30), np.float32)
    assert not levin.propagate(y, zero, np.zeros((30, 30), bool)).any()
    mask = np.zeros((30, 30), bool)
    mask[15, 15] = True
    target = zero.copy()
    target[:, 15, 15] = 0.3
    spread = levin.propagate(y, target, mask)
    local = levin.propagate(y, target, mask, decay=0.05)
    assert np.allclose(spread, 0.3, atol=1e-4)  # one hint, no decay: the whole flat picture
    assert local[0, 15, 15] == pytest.approx(0.3, abs=1e-6)
    assert abs(local[0, 0, 0]) < 0.01 < local[0, 15, 17]
    with pytest.raises(ValueError, match="shapes"):
        levin.propagate(y, target[:, :5], mask)


@pytest.mark.parametrize("shape", [(1, 1), (2, 7), (9, 4), (31, 57), (64, 33)])
def test_the_grid_order_is_every_pixel_once(shape: tuple[int, int]) -> None:
    order = levin.grid_order(*shape)
    assert np.array_equal(np.sort(order), np.arange(shape[0] * shape[1]))


@pytest.mark.parametrize("decay", [0.0, 1e-3])
def test_levin_solves_the_same_system_as_a_plain_sparse_solve(decay: float) -> None:
    """The nested-dissection order and the unpivoted LU are a faster way to the same answer."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    rng = np.random.default_rng(3)
    h, w = 37, 52
    luma = np.clip(rng.normal(0.5, 0.2, (h, w)), 0, 1)
    luma[:, 30:] += 0.3  # an edge, so the weights are far from uniform
    mask = np.zeros((h, w), bool)
    mask[rng.integers(0, h, 12), rng.integers(0, w, 12)] = True
    target = rng.uniform(-0.4, 0.4, (2, h, w))
    got = levin.propagate(luma, target, mask, decay=decay)
    free = ~mask.ravel()
    a = sp.diags(np.where(free, 1.0 + decay, 1.0)) - sp.diags(free * 1.0) @ levin.affinity(luma)
    b = np.where(mask.ravel()[:, None], target.reshape(2, -1).T, 0.0)
    want = np.stack([spsolve(a.tocsc(), b[:, c]) for c in range(2)]).reshape(2, h, w)
    assert np.abs(got - want).max() < 1e-5
    assert np.abs(got[:, mask] - target[:, mask]).max() < 1e-6  # each hint holds
