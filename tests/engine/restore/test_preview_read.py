"""An album's previews read as the export reads the picture (`restore.picture.preview_read`):
a crooked print shown square and inside its border once Straighten and Borders are asked for,
turned by the angle the export turns it by, and saying what was done."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.restore.picture import preview_read
from tests.makemedia import pattern_frame


def _crooked_print(path: Path, angle: float) -> Path:
    """A grey picture on white paper on a dark lid, laid `angle` degrees crooked: 588 x 468."""
    pic = np.asarray(Image.fromarray(pattern_frame(5, (400, 300))).convert("L")).clip(50, 200)
    paper = np.full((300 + 64, 400 + 48), 240, np.uint8)
    paper[24:324, 24:424] = pic
    lid = np.full((paper.shape[0] + 104, paper.shape[1] + 140), 25, np.uint8)
    lid[52:-52, 70:-70] = paper
    img = Image.fromarray(lid).rotate(angle, Image.Resampling.BICUBIC, fillcolor=25)
    img.save(path)
    return path


def _dark_corners(rgb: np.ndarray) -> int:
    """How many of the picture's four corner pixels are the lid's dark grey."""
    corners = [rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]]
    return sum(int(c.mean()) < 60 for c in corners)


def test_a_crooked_print_is_previewed_square_and_cut_as_exported(tmp_path: Path) -> None:
    scan = _crooked_print(tmp_path / "print.png", 2.5)
    plain, size, done = preview_read(scan, 160)
    assert size == (588, 468) and max(plain.shape[:2]) == 160 and done == []
    assert _dark_corners(plain) == 4  # the lid round the print, as scanned
    shown, size, done = preview_read(scan, 160, straighten=True, crop="auto", levels="auto")
    assert size == (588, 468)  # the picture's own size, not the preview's
    assert max(shown.shape[:2]) == 160 and _dark_corners(shown) == 0
    assert done[0].startswith("straightened (-2.") and done[1] == "border cut"
    assert done[2].startswith("levels stretched")
    # the export turns it by the same angle and cuts it to the same shape
    out = tmp_path / "out.png"
    args = [
        "restore",
        str(scan),
        str(out),
        "--straighten",
        "--crop",
        "auto",
    ]
    assert main(args) == 0
    with Image.open(out) as im:
        exported = im.size
        said = im.info.get("Software", "") or str(im.getexif().get(0x0131, ""))
    assert done[0] in said
    h, w = shown.shape[:2]
    assert w / h == pytest.approx(exported[0] / exported[1], rel=0.03)
    # the picture inside: paper white and the lid are gone, within a preview pixel or two
    assert exported[0] == pytest.approx(400, abs=8) and exported[1] == pytest.approx(300, abs=8)


def test_a_square_picture_without_a_border_is_previewed_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    Image.fromarray(pattern_frame(3, (200, 150))).save(path)
    plain, _, _ = preview_read(path, 100)
    shown, _, done = preview_read(path, 100, straighten=True, crop="auto")
    assert done == [] and shown.shape == plain.shape
    assert np.abs(shown.astype(int) - plain.astype(int)).mean() < 1.0
