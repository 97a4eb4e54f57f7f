"""Photos as archives hold them, read right: an uncompressed TIFF stored turned, a TIFF that
says nothing of its resolution, a damaged TIFF called what it is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.errors import BadInputError
from tests.makephotos import photo_pixels


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_an_uncompressed_tiff_stored_turned_is_read_upright(
    tmp_path: Path, orientation: int
) -> None:
    stored = photo_pixels((160, 100), seed=orientation)
    stored[5:25, 5:35] = 10  # a dark corner: where it ends up says which way it turned
    raw, lzw = tmp_path / "raw.tif", tmp_path / "lzw.tif"
    Image.fromarray(stored).save(raw, tiffinfo={274: orientation})
    Image.fromarray(stored).save(lzw, tiffinfo={274: orientation}, compression="tiff_lzw")
    upright = media.read_picture(raw).pixels
    assert upright.shape[:2] == (160, 100)  # turned a quarter: taller than wide
    assert np.array_equal(upright, media.read_picture(lzw).pixels)  # as libtiff turns it
    assert np.array_equal(upright, media.orient(stored, orientation))


def test_a_tiff_without_a_resolution_has_none(tmp_path: Path) -> None:
    pixels = photo_pixels((64, 48))
    Image.fromarray(pixels).save(tmp_path / "none.tif")
    Image.fromarray(pixels).save(tmp_path / "scan.tif", dpi=(1200, 1200))
    assert media.read_picture(tmp_path / "none.tif").dpi is None  # not Pillow's 1 dpi
    assert media.read_picture(tmp_path / "scan.tif").dpi == (1200.0, 1200.0)


def test_a_damaged_tiff_is_called_one(tmp_path: Path) -> None:
    # its directory (the TIFF's table of contents) lies past the end of the file, as a
    # TIFF written with it last and then cut short has it
    path = tmp_path / "scan.tif"
    path.write_bytes(b"II*\x00" + (40_000).to_bytes(4, "little") + bytes(3000))
    with pytest.raises(BadInputError, match="is a TIFF whose picture cannot be found"):
        media.read_picture(path)
    (tmp_path / "notes.tif").write_text("not a picture at all")
    with pytest.raises(BadInputError, match="not a picture"):
        media.read_picture(tmp_path / "notes.tif")
