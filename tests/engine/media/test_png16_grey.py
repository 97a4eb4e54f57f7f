"""A 16-bit RGB PNG (big-endian, as PNG stores it; Panchro's own png16 output) read as grey
is one grey plane, as from any other picture: the colour modes of such a scan read its luma
so (it came back as three planes, and sampling stopped with an internal error)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from makemedia import make_frame_folder

from panchro.engine import media


def test_a_16_bit_rgb_png_read_as_grey_is_one_plane(tmp_path: Path) -> None:
    folder = make_frame_folder(tmp_path / "scan", 3, (40, 24), bit_depth=16, ext="png")
    with media.open_source(folder) as src:
        assert src.info.pix_fmt == "rgb48be"
        grey16 = src.read_frame(1, fmt="gray16").image
        grey8 = src.read_frame(1, fmt="gray").image
        rgb48 = src.read_frame(1, fmt="rgb48").image
    assert grey16.shape == grey8.shape == (24, 40) and grey16.dtype == np.uint16
    assert np.abs(grey16 / 257.0 - grey8).max() <= 1.0
    assert rgb48.shape == (24, 40, 3) and rgb48.dtype == np.uint16  # native order, unchanged
