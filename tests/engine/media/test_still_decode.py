"""A frame file is decoded straight from its bytes by its extension's decoder (opening it as
a container took half the time of reading a DPX frame): the same picture, format and colour
tags as the container's way, which stays for what that cannot read."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from panchro.engine.media import stills

H, W = 24, 40


def _ramp() -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return (xx * 4 + yy * 2) / (W * 4 + H * 2)


def _ffmpeg(path: Path, arr: np.ndarray, src: str, dst: str, codec: str) -> None:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format=src)
    if dst != src:
        frame = frame.reformat(format=dst)
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = W, H, dst
    ctx.time_base = Fraction(1, 24)
    path.write_bytes(b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)]))


def _rgb(g: np.ndarray) -> np.ndarray:
    return np.stack([g, g * 0.9, g * 0.8], -1)


WRITERS = {
    "gray8.png": lambda p, g: Image.fromarray((g * 255).astype(np.uint8), "L").save(p),
    "rgb16.png": lambda p, g: _ffmpeg(p, (_rgb(g) * 65535).astype(np.uint16), "rgb48le",
                                      "rgb48be", "png"),
    "pal8.png": lambda p, g: Image.fromarray((_rgb(g) * 255).astype(np.uint8)).convert("P").save(p),
    "gray16.tif": lambda p, g: Image.fromarray((g * 65535).astype(np.uint16)).save(p),
    "rgb16.tif": lambda p, g: _ffmpeg(p, (_rgb(g) * 65535).astype(np.uint16), "rgb48le",
                                      "rgb48le", "tiff"),
    "bilevel.tif": lambda p, g: Image.fromarray((g * 255).astype(np.uint8)).convert("1").save(p),
    "rgb.jpg": lambda p, g: Image.fromarray((_rgb(g) * 255).astype(np.uint8)).save(p),
    "gray.jpg": lambda p, g: Image.fromarray((g * 255).astype(np.uint8), "L").save(p),
    "rgb10.dpx": lambda p, g: _ffmpeg(p, (_rgb(g) * 65535).astype(np.uint16), "rgb48le",
                                      "gbrp10be", "dpx"),
    "gray16.dpx": lambda p, g: _ffmpeg(p, (g * 65535).astype(np.uint16), "gray16le",
                                       "gray16be", "dpx"),
}  # fmt: skip


def _by_container(path: Path) -> av.VideoFrame:
    with av.open(str(path)) as c:
        return next(c.decode(video=0))


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_bytes_decode_as_the_container_does(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    WRITERS[name](path, _ramp())
    fast = stills._decode_bytes(path)
    assert fast is not None
    slow = _by_container(path)
    assert fast.format.name == slow.format.name and (fast.width, fast.height) == (W, H)
    assert (fast.colorspace, fast.color_range) == (slow.colorspace, slow.color_range)
    for a, b in zip(fast.planes, slow.planes, strict=True):
        assert bytes(a) == bytes(b)
    assert stills._decode_still(path).format.name == slow.format.name


def test_a_file_named_for_another_format_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "frame.tif"  # PNG bytes in a .tif
    Image.fromarray((_ramp() * 255).astype(np.uint8), "L").save(path, format="PNG")
    assert stills._decode_bytes(path) is None
    frame = stills._decode_still(path)  # by the container's probe
    assert (frame.width, frame.height) == (W, H)
    assert np.array_equal(frame.to_ndarray(), (_ramp() * 255).astype(np.uint8))


def test_a_32_bit_tiff_is_refused_in_words(tmp_path: Path) -> None:
    from panchro.engine import media
    from panchro.engine.errors import BadInputError

    folder = tmp_path / "scan"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(_ramp().astype(np.float32), "F").save(folder / f"f{i}.tif")
    with pytest.raises(BadInputError, match="a TIFF of 32 bits a sample .* save the frames as 16"):
        media.probe(folder)
