"""Sizes a codec cannot carry are refused before any work, naming the codec, the size and
what to do instead; FFV1 is given slices its encoder accepts at any size.

The sizes are arithmetic here: no huge picture is encoded (`panchro bench huge` does that).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine import media
from panchro.engine.cli import main
from panchro.engine.errors import BadInputError
from panchro.engine.media.formats import _ffv1_slices
from panchro.engine.progress import Progress
from panchro.engine.restore import pipeline
from tests.makemedia import write_still

# --- codec limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "size", "fits"),
    [
        ("h264", (8192, 4352), True),  # 139,264 macroblocks: level 6.2 exactly
        ("h264", (8192, 4368), False),  # one row of macroblocks more
        ("h264", (16384, 64), True),
        ("h264", (16400, 64), False),  # libx264: 16,384 a side at most
        ("h264", (16000, 12000), False),
        ("h265", (8192, 4352), True),  # 35,651,584 luma samples: level 6.2 exactly
        ("h265", (8192, 4360), False),
        ("h265", (16888, 2048), True),
        ("h265", (16896, 1024), False),  # sqrt(8 x MaxLumaPs) = 16,888 a side
        ("prores", (8000, 6000), True),
        ("prores", (16384, 8176), True),  # 65,408 slices
        ("prores", (16384, 8192), False),  # 65,536 slices: more than 16 bits count
        ("ffv1", (16000, 12000), True),
        ("png16", (16000, 12000), True),
        ("tiff16", (13300, 13300), True),
        ("tiff16", (13400, 13400), False),  # FFmpeg's TIFF packet size overflows an int
        ("ffv1", (20000, 14000), False),  # past FFmpeg's own limit for any picture
        ("png16", (20000, 14000), False),
        ("dpx", (16000, 12000), True),  # 1.15 GB a 16-bit frame: within FFmpeg's int
    ],
)
def test_codec_limits(codec: str, size: tuple[int, int], fits: bool) -> None:
    assert (media.frame_size_problem(codec, *size) is None) == fits


def test_a_refusal_says_the_codec_the_size_and_what_to_do() -> None:
    with pytest.raises(BadInputError) as err:
        media.check_frame_size("h264", 16000, 12000, enlarged=True)
    msg = str(err.value)
    assert "H.264 cannot carry 16000x12000 pictures (192.0 Mpx)" in msg
    assert "139,264 macroblocks" in msg
    # what can carry it, and only that
    assert "--codec ffv1 (.mkv), png16 (a folder of frames) or dpx" in msg
    assert "prores" not in msg and "tiff16" not in msg
    assert msg.endswith("or a smaller --upscale")
    with pytest.raises(BadInputError) as err:
        media.check_frame_size("h265", 8000, 6000)
    assert "prores (.mov), ffv1 (.mkv), png16" in str(err.value)
    assert "--upscale" not in str(err.value)  # not enlarged: no upscale to lower
    media.check_frame_size("h264", 1920, 1080)  # nothing to say


@pytest.mark.parametrize(
    ("width", "height"), [(160, 120), (1920, 1080), (8000, 6000), (16000, 12000)]
)
def test_ffv1_slices_are_ones_the_encoder_accepts(width: int, height: int) -> None:
    want = 16 if width * height >= 1280 * 720 else 4
    slices = _ffv1_slices(width, height, want)
    assert slices >= want
    # FFmpeg accepts a count that is rows x columns (columns within rows..2 x rows) with no
    # slice over 2^27 / ((bits + 1) x planes) pixels; 16 bits and 3 planes is the worst case.
    fits = [
        (r, c)
        for r in range(1, 32)
        for c in range(r, 2 * r)
        if r * c == slices and -(-width // c) * -(-height // r) * 17 * 3 <= 8 << 24
    ]
    assert fits, slices
    assert _ffv1_slices(1920, 1080, 16) == 16  # an ordinary film keeps its 16


class _Enlarge:
    """A stage that would make frames `scale` times larger, and must never run."""

    key = "test-enlarge"

    def __init__(self, scale: int) -> None:
        self.scale = scale

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width * self.scale, height * self.scale

    def begin_shot(self, shot_index: int, shot: object, pick: object, film: object) -> None:
        raise AssertionError("no work may start")

    def process(self, batch: object) -> object:
        raise AssertionError("no work may start")


def test_restore_refuses_a_size_the_codec_cannot_carry_before_any_work(tmp_path: Path) -> None:
    picture = write_still(tmp_path / "still.png", np.full((100, 200), 90, np.uint8))
    out = tmp_path / "big.mp4"
    with pytest.raises(BadInputError) as err:
        pipeline.restore(picture, out, codec="h264", stages=[_Enlarge(90)])
    msg = str(err.value)
    assert "H.264 cannot carry 18000x9000 pictures" in msg and "a smaller --upscale" in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["still.png"]  # no output, no job
    # the same size in a codec that carries it goes through the check
    stage = _Enlarge(90)
    run = pipeline._Run(media.open_source(picture), [stage], "ffv1", 8, 8, Progress(None))
    assert run._padded(run.width, run.height) == (18000, 9000)


def test_cli_restore_refuses_a_picture_too_big_for_h264(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "scan.png"
    Image.new("L", (8200, 4400), 100).save(picture, compress_level=1)
    out = tmp_path / "scan.mp4"
    assert main(["restore", str(picture), str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "H.264 cannot carry 8200x4400 pictures (36.1 Mpx)" in err[0]
    assert "--codec prores (.mov), ffv1 (.mkv)" in err[0] and "--upscale" not in err[0]
    assert not out.exists()
