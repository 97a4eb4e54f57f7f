"""A scanned print's skew found from its straight edges and taken out (`imaging.skew`), and a
print's border found through the soft line where a scanner's lid meets the paper."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from panchro.engine.imaging.borders import picture_borders
from panchro.engine.imaging.skew import find_skew, straighten
from tests.makemedia import pattern_frame


def _scan(angle: float, size: tuple[int, int] = (240, 180)) -> np.ndarray:
    """A grey picture on white paper (24 px round, 40 below) on a dark lid, laid `angle`
    degrees crooked, the lid's edge softened as a scanner's optics soften it."""
    pic = np.asarray(Image.fromarray(pattern_frame(5, size)).convert("L")).clip(50, 200)
    w, h = size
    paper = np.full((h + 64, w + 48), 240, np.uint8)
    paper[24 : 24 + h, 24 : 24 + w] = pic
    lid = np.full((paper.shape[0] + 60, paper.shape[1] + 60), 25, np.uint8)
    lid[30:-30, 30:-30] = paper
    img = Image.fromarray(lid).rotate(angle, Image.Resampling.BICUBIC, fillcolor=25)
    return np.asarray(img.filter(__import__("PIL.ImageFilter").ImageFilter.BoxBlur(1)))


@pytest.mark.parametrize("angle", [-4.0, -1.2, 0.7, 3.0])
def test_a_crooked_print_is_found_and_turned_square(angle: float) -> None:
    scan = _scan(angle)
    found = find_skew(scan)
    assert found == pytest.approx(-angle, abs=0.1)
    square = straighten(scan, found)
    assert square.shape == scan.shape and square.dtype == np.uint8
    left, top, right, bottom = picture_borders(square)
    # the picture's own edges, within a pixel or two of where the turn puts them
    h, w = scan.shape
    assert abs((w - left - right) - 240) <= 4 and abs((h - top - bottom) - 180) <= 4


@pytest.mark.parametrize("paper", [240, 20])
@pytest.mark.parametrize("angle", [-2.0, 0.7, 3.0])
def test_a_print_scanned_to_its_paper_edge_is_found_by_the_pictures_edges(
    angle: float, paper: int
) -> None:
    """No lid in the scan, a usual border (24 px round a 240 px picture): the picture's edges
    lie within the outer eighth of the scan, where the turn brings in its corners."""
    pic = np.asarray(Image.fromarray(pattern_frame(5, (240, 180))).convert("L")).clip(50, 200)
    scan = np.full((228, 288), paper, np.uint8)
    scan[24:204, 24:264] = pic
    turned = Image.fromarray(scan).rotate(angle, Image.Resampling.BICUBIC, fillcolor=paper)
    assert find_skew(np.asarray(turned)) == pytest.approx(-angle, abs=0.1)


def test_dust_on_the_glass_does_not_hold_a_faint_print_square() -> None:
    """Specks on the scanner's glass are sharp and square to the rows; the turn the search
    tries softens them, so without care they outweigh a faint print's edges at 0."""
    pic = np.asarray(Image.fromarray(pattern_frame(5, (240, 180))).convert("L")).astype(float)
    pic = (150 + (pic - pic.min()) / np.ptp(pic) * 65).astype(np.uint8)
    page = Image.new("L", (288, 228), 240)
    page.paste(Image.fromarray(pic), (24, 24))
    scan = np.asarray(page.rotate(2.0, Image.Resampling.BICUBIC, expand=True, fillcolor=240))
    scan = scan.copy()
    rng = np.random.default_rng(3)
    ys, xs = rng.integers(0, scan.shape[0], 1000), rng.integers(0, scan.shape[1], 1000)
    scan[ys, xs] = rng.choice([0, 255], 1000)
    assert find_skew(scan) == pytest.approx(-2.0, abs=0.1)


def test_a_tilted_horizon_is_no_print_edge() -> None:
    """A photograph whose own lines lean (a horizon, a wall) has no border round it once
    turned: it is left as it was taken."""
    yy, xx = np.mgrid[0:200, 0:300].astype(float)
    horizon = 100 + (xx - 150) * np.tan(np.radians(3.0))
    grey = np.where(yy < horizon, 200, 70) + np.random.default_rng(1).normal(0, 6, yy.shape)
    assert find_skew(np.clip(grey, 0, 255).astype(np.uint8)) == 0.0


def test_a_square_picture_and_one_without_edges_are_left_alone() -> None:
    assert find_skew(_scan(0.0)) == 0.0
    noise = np.random.default_rng(0).integers(0, 256, (200, 260), dtype=np.uint8)
    assert find_skew(noise) == 0.0
    assert straighten(noise, 0.0) is noise


def test_straighten_keeps_depth_and_fills_corners_with_the_edge_colour() -> None:
    rgb = np.full((60, 80, 3), 30, np.uint16) * 257
    rgb[10:50, 10:70] = 50_000
    turned = straighten(rgb, 5.0)
    assert turned.dtype == np.uint16 and turned.shape == rgb.shape
    assert np.abs(turned[0, 0].astype(int) - 30 * 257).max() <= 1  # a corner: the lid's
    assert turned[30, 40].min() == 50_000


def test_a_soft_line_between_lid_and_paper_does_not_stop_the_border() -> None:
    grey = np.full((120, 160), 25, np.uint8)
    grey[10:110, 10:150] = 240  # paper on the lid
    grey[10:12, 10:150] = 120  # the soft line where they meet, along the top
    grey[30:90, 30:130] = 128  # the picture
    assert picture_borders(grey) == (30, 30, 30, 30)
    grey[30:33, 30:130] = 240  # a bright line at the picture's own top: not border past it
    grey[33:90, 30:130] = 128
    assert picture_borders(grey)[1] == 33
