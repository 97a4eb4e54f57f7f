"""A folder of DPX scans opens from the files' headers: each frame's size is read from its
image header (Pillow cannot read DPX), not by decoding it, so a reel of thousands of
megabyte-sized frames opens in a moment; a frame of another size is still refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.errors import BadInputError
from panchro.engine.media import dpx, stills


def _dpx(path: Path, width: int, height: int, pix_fmt: str = "gbrp10be") -> None:
    ctx = av.CodecContext.create("dpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, pix_fmt
    ctx.time_base = Fraction(1, 24)
    rgb = np.random.default_rng(width).integers(0, 65536, (height, width, 3), dtype=np.uint16)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le").reformat(format=pix_fmt)
    path.write_bytes(b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)]))


@pytest.mark.parametrize("pix_fmt", ["gbrp10be", "rgb48le", "gray16be"])
def test_the_size_is_the_headers(tmp_path: Path, pix_fmt: str) -> None:
    _dpx(tmp_path / "a.dpx", 40, 24, pix_fmt)
    assert dpx.image_size(tmp_path / "a.dpx") == (40, 24)
    (tmp_path / "b.dpx").write_bytes(b"\x89PNG" + bytes(2000))
    assert dpx.image_size(tmp_path / "b.dpx") is None
    (tmp_path / "c.dpx").write_bytes(b"SDPX")
    assert dpx.image_size(tmp_path / "c.dpx") is None


def test_a_scan_opens_without_decoding_every_frame(tmp_path: Path, monkeypatch) -> None:
    for i in range(6):
        _dpx(tmp_path / f"scan_{i:04d}.dpx", 40, 24)
    decoded = []
    real = stills._decode_still
    monkeypatch.setattr(stills, "_decode_still", lambda p: decoded.append(p) or real(p))
    info = media.probe(tmp_path)
    assert info.frame_count == 6 and (info.width, info.height) == (40, 24)
    assert len(decoded) == 1  # the first frame, for its pixel format
    _dpx(tmp_path / "scan_0003.dpx", 48, 24)
    with pytest.raises(BadInputError, match="frame sizes differ: scan_0003.dpx is 48x24"):
        media.probe(tmp_path)
