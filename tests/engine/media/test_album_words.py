"""An album says what it leaves out by name, gives advice that can be taken, and a WebP
keeps the colour under see-through pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.restore.album import restore_album
from tests.makephotos import photo_pixels, png


def test_files_that_are_not_pictures_are_named(tmp_path: Path) -> None:
    png(tmp_path / "a.png", photo_pixels((32, 24)))
    Image.fromarray(photo_pixels((32, 24))).save(tmp_path / "party.gif")
    (tmp_path / "notes.txt").write_text("1950")
    listing = media.list_pictures([tmp_path])
    assert listing.others == 2
    assert "2 file(s) that are not pictures (notes.txt, party.gif)" in listing.ignored()


def test_two_pictures_of_one_name_get_advice_that_fits(tmp_path: Path) -> None:
    box = tmp_path / "box"
    box.mkdir()
    Image.fromarray(photo_pixels((32, 24))).save(box / "photo.bmp")  # written as PNG
    png(box / "photo.png", photo_pixels((32, 24), seed=2))
    with pytest.raises(BadInputError, match="or rename one") as err:
        restore_album([box], tmp_path / "out")
    assert "--format" not in str(err.value)  # none was given
    with pytest.raises(BadInputError, match="or without --format"):
        restore_album([box], tmp_path / "out", fmt="png")


def test_a_webp_keeps_the_colour_under_see_through_pixels(tmp_path: Path) -> None:
    pixels = photo_pixels((40, 30), grey=False)
    alpha = np.full((30, 40), 255, np.uint8)
    alpha[:, :20] = 0  # the left half see-through, its colours still there
    media.write_picture(tmp_path / "out.webp", pixels, alpha, fmt="WEBP", quality=100)
    back = np.asarray(Image.open(tmp_path / "out.webp").convert("RGB").convert("L"), float)
    luma = np.asarray(Image.fromarray(pixels).convert("L"), float)
    # lossy, but the picture (without the kept colours: 100 levels off and more)
    assert np.abs(back[:, :20] - luma[:, :20]).mean() < 3
