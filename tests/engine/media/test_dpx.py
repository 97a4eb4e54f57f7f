"""DPX frames out (`--codec dpx`): the film scanners' and grading suites' exchange format,
big-endian, 10-bit RGB by default and 16-bit when asked, read back by the same reader."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from makemedia import make_frame_folder

from panchro.engine import media
from panchro.engine.cli import main


def _write(out: Path, images: list[np.ndarray], fmt: str, bit_depth: int) -> None:
    h, w = images[0].shape[:2]
    with media.VideoWriter(
        out,
        codec="dpx",
        bit_depth=bit_depth,
        width=w,
        height=h,
        time_base=Fraction(1, 24),
        fps=Fraction(24),
    ) as writer:
        for i, img in enumerate(images):
            writer.write(img, i, fmt=fmt)


@pytest.mark.parametrize("bit_depth", [8, 10, 12, 16])
def test_dpx_frames_round_trip(frame_folder_16bit: Path, tmp_path: Path, bit_depth: int) -> None:
    with media.open_source(frame_folder_16bit) as src:
        rgb = [f.image for f in src.frames(fmt="rgb48")]
    out = tmp_path / f"dpx{bit_depth}"
    _write(out, rgb, "rgb48", bit_depth)
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame_{i:06d}.dpx" for i in range(len(rgb))]
    assert (out / names[0]).read_bytes()[:4] == b"SDPX"  # big-endian, as scanners write it
    bits = max(bit_depth, 10)  # never 8: a DPX asked for 8 bits gets 10
    with media.open_source(out) as back:
        assert back.info.kind == "frames" and back.info.codec == "dpx"
        assert back.info.bit_depth == bits
        for img, f in zip(rgb, back.frames(fmt="rgb48"), strict=True):
            err = np.abs(f.image.astype(int) - img.astype(int)).max()
            # 16 bits exactly; 10 and 12 within half a step (65535 / 1023 or / 4095), as
            # rounded, where FFmpeg's own conversion dropped the low bits (a whole step)
            assert err <= {16: 0, 12: 9, 10: 33}[bits]


def test_a_grey_film_in_16_bits_is_written_grey(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    grey = [rng.integers(0, 65536, (48, 64), dtype=np.uint16) for _ in range(3)]
    _write(tmp_path / "grey", grey, "gray16", 16)
    with media.open_source(tmp_path / "grey") as back:
        assert back.info.pix_fmt.startswith("gray16")
        for img, f in zip(grey, back.frames(fmt="gray16"), strict=True):
            np.testing.assert_array_equal(f.image, img)


def test_restore_writes_a_dpx_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scans = make_frame_folder(tmp_path / "scans", 6, (64, 48), bit_depth=16, ext="tif")
    out = tmp_path / "graded"
    assert main(["restore", str(scans), str(out), "--codec", "dpx", "-q"]) == 0
    assert "6 frames" in capsys.readouterr().out
    assert len(list(out.glob("frame_*.dpx"))) == 6
    with media.open_source(scans) as a, media.open_source(out) as b:
        assert b.info.bit_depth == 10
        for x, y in zip(a.frames(fmt="rgb48"), b.frames(fmt="rgb48"), strict=True):
            # through YCbCr planes and back: within a few 10-bit steps
            assert np.abs(x.image.astype(int) - y.image.astype(int)).mean() < 3 * 64
    # An existing DPX folder is not replaced without --overwrite.
    assert main(["restore", str(scans), str(out), "--codec", "dpx", "-q"]) != 0
    assert "exists" in capsys.readouterr().err
