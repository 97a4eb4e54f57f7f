"""DPX frames say their number in the film, their frame rate and a timecode (the film and
television headers FFmpeg's writer leaves out), and a folder of DPX scans opens at the rate
its headers say."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.media import dpx


def _write(out: Path, n: int, fps: Fraction, first_index: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 65536, (24, 40, 3), dtype=np.uint16) for _ in range(n)]
    with media.VideoWriter(
        out,
        codec="dpx",
        bit_depth=16,
        width=40,
        height=24,
        time_base=1 / fps,
        fps=fps,
        first_index=first_index,
    ) as writer:
        for i, img in enumerate(images):
            writer.write(img, i, fmt="rgb48")
    return images


def _ffmpeg_dpx(pix_fmt: str) -> bytes:
    """A DPX file as FFmpeg's writer makes it: the generic headers only."""
    ctx = av.CodecContext.create("dpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = 40, 24, pix_fmt
    ctx.time_base = Fraction(1, 24)
    rgb = np.random.default_rng(4).integers(0, 65536, (24, 40, 3), dtype=np.uint16)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le").reformat(format=pix_fmt)
    return b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])


def test_each_frame_says_its_number_rate_and_timecode(tmp_path: Path) -> None:
    images = _write(tmp_path / "out", 3, Fraction(18), first_index=100)
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == [f"frame_{i:06d}.dpx" for i in (100, 101, 102)]
    facts = [dpx.read_headers(f) for f in files]
    assert [f["position"] for f in facts] == [100, 101, 102]
    assert all(f["film_rate"] == f["tv_rate"] == 18.0 for f in facts)
    # 100 frames at 18 a second: 5 s and 10 frames
    assert [f["timecode"] for f in facts] == ["00:00:05:10", "00:00:05:11", "00:00:05:12"]
    data = files[0].read_bytes()
    assert struct.unpack(">I", data[4:8])[0] == 2048  # the image after the industry headers
    assert struct.unpack(">I", data[16:20])[0] == len(data)
    with media.open_source(tmp_path / "out", fps=18) as back:  # and read back as it was
        for img, f in zip(images, back.frames(fmt="rgb48"), strict=True):
            np.testing.assert_array_equal(f.image, img)


@pytest.mark.parametrize("pix_fmt", ["gbrp10be", "gbrp10le", "rgb48be"])
def test_headers_go_into_either_byte_order_and_ffmpeg_still_reads_the_picture(
    tmp_path: Path, pix_fmt: str
) -> None:
    plain = _ffmpeg_dpx(pix_fmt)
    (tmp_path / "plain.dpx").write_bytes(plain)
    (tmp_path / "full.dpx").write_bytes(dpx.with_motion_headers(plain, frame=7, fps=Fraction(16)))
    assert dpx.read_headers(tmp_path / "plain.dpx") == {}
    facts = dpx.read_headers(tmp_path / "full.dpx")
    assert facts == {"position": 7, "film_rate": 16.0, "tv_rate": 16.0, "timecode": "00:00:00:07"}
    with av.open(str(tmp_path / "plain.dpx")) as a, av.open(str(tmp_path / "full.dpx")) as b:
        pa, pb = (next(c.decode(video=0)).to_ndarray(format="rgb48le") for c in (a, b))
    np.testing.assert_array_equal(pa, pb)
    # A file with the headers already has its fields set in them, nothing added.
    again = dpx.with_motion_headers((tmp_path / "full.dpx").read_bytes(), frame=9, fps=Fraction(24))
    (tmp_path / "again.dpx").write_bytes(again)
    assert len(again) == len(plain) + dpx.INDUSTRY
    assert dpx.read_headers(tmp_path / "again.dpx") == {
        "position": 9, "film_rate": 24.0, "tv_rate": 24.0, "timecode": "00:00:00:09"
    }  # fmt: skip
    # One laid out otherwise (its image elsewhere) is given back untouched.
    odd = bytearray(plain)
    struct.pack_into(">I" if plain[:4] == b"SDPX" else "<I", odd, 4, 1800)
    assert dpx.with_motion_headers(bytes(odd), frame=1, fps=Fraction(16)) == bytes(odd)


def test_a_dpx_scan_opens_at_the_rate_its_headers_say(tmp_path: Path, capsys) -> None:
    _write(tmp_path / "scan", 4, Fraction(18))
    info = media.probe(tmp_path / "scan")
    assert info.fps == 18 and info.rate_from_files and info.duration_s == pytest.approx(4 / 18)
    given = media.probe(tmp_path / "scan", fps=24)  # a rate given is the rate
    assert given.fps == 24 and not given.rate_from_files
    assert main(["info", str(tmp_path / "scan")]) == 0
    assert "18.000 fps (18), as the DPX files' headers say" in capsys.readouterr().out
    # FFmpeg's own DPX frames say no rate: a folder of them opens at 24, and says why
    plain = tmp_path / "plain"
    plain.mkdir()
    for i in range(3):
        (plain / f"f_{i:04d}.dpx").write_bytes(_ffmpeg_dpx("gbrp10be"))
    info = media.probe(plain)
    assert info.fps == 24 and not info.rate_from_files
    assert main(["info", str(plain)]) == 0
    assert "the default for frames that say no rate (--fps sets another)" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize("bits", [0xFFFFFFFF, 0x7FC00000, struct.unpack(">I", b"E\x9c@\x00")[0]])
def test_a_rate_left_undefined_or_out_of_reason_is_not_taken(tmp_path: Path, bits: int) -> None:
    data = bytearray(dpx.with_motion_headers(_ffmpeg_dpx("gbrp10be"), frame=0, fps=Fraction(24)))
    for at in (1724, 1940):  # all ones (undefined), a NaN, 5000 fps
        struct.pack_into(">I", data, at, bits)
    (tmp_path / "odd.dpx").write_bytes(bytes(data))
    assert dpx.header_rate(tmp_path / "odd.dpx") is None
    (tmp_path / "short.dpx").write_bytes(b"SDPX")
    assert dpx.header_rate(tmp_path / "short.dpx") is None
    (tmp_path / "not.dpx").write_bytes(b"\x89PNG" + bytes(3000))
    assert dpx.header_rate(tmp_path / "not.dpx") is None
