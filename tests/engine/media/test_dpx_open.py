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


def _as_log(path: Path, transfer: int = 1, low: int = 95, high: int = 685) -> None:
    """`path` marked as a log scan in its image element header, as film scanners write it."""
    import struct

    data = bytearray(path.read_bytes())
    data[801] = transfer
    struct.pack_into(">I", data, 784, low)
    struct.pack_into(">I", data, 792, high)
    path.write_bytes(bytes(data))


def test_a_log_scan_is_said_wherever_it_is_read(tmp_path: Path, capsys) -> None:
    from panchro.engine.cli import main

    scan = tmp_path / "scan"
    scan.mkdir()
    for i in range(4):
        _dpx(scan / f"scan_{i:04d}.dpx", 40, 24)
    assert dpx.log_coding(scan / "scan_0000.dpx") is None  # FFmpeg's: video levels, unsaid
    assert media.probe(scan).log_scan is None
    for f in scan.iterdir():
        _as_log(f)
    said = "printing density, reference black 95 and white 685 of 1023"
    assert dpx.log_coding(scan / "scan_0000.dpx") == said
    assert media.probe(scan).log_scan == said
    _as_log(scan / "scan_0000.dpx", transfer=3, low=0, high=0)  # logarithmic, no references
    assert dpx.log_coding(scan / "scan_0000.dpx") == (  # Cineon's, where it gives none
        "logarithmic, reference black 95 and white 685 of 1023"
    )
    _as_log(scan / "scan_0000.dpx")
    assert main(["info", str(scan)]) == 0
    out = capsys.readouterr().out
    assert f"a log scan ({said}): brought to video levels as it is read" in out
    assert main(["info", str(scan), "--scan", "coded"]) == 0
    assert f"a log scan ({said}): read as coded (--scan coded)" in capsys.readouterr().out
    assert main(["restore", str(scan), str(tmp_path / "out.mkv"), "--codec", "ffv1", "-q"]) == 0
    out, err = capsys.readouterr()
    assert "warning" in err and "a log scan" in err and "note: a log scan" in out
