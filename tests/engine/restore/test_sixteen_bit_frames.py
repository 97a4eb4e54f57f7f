"""16-bit PNG and TIFF frames are made with 16 bits whatever depth is asked: the app asked
for 8 and got 16-bit files holding 8 bits' steps (a probe counted 1,896 red values in a
colourized frame where 16 bits give tens of thousands)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine.restore import pipeline
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.shots import Shot
from tests.makemedia import make_video


class Ramp:
    """Every frame a smooth ramp of grey across the picture (as an upscaler's or a
    refiner's float output is smooth): between any two 8-bit codes lie many 16-bit ones."""

    key = "test-ramp"

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Shot, pick: object, film: object) -> None:
        pass

    def process(self, batch: FrameBatch) -> FrameBatch:
        ramp = np.linspace(0.1, 0.9, batch.y.shape[-1], dtype=np.float32)
        y = np.broadcast_to(ramp, batch.y.shape).copy()
        return batch.replace(y=y, cbcr=np.zeros_like(batch.cbcr))


@pytest.mark.parametrize(("codec", "ext"), [("png16", ".png"), ("tiff16", ".tif")])
def test_sixteen_bit_frames_hold_sixteen_bits_at_the_default_depth(
    codec: str, ext: str, tmp_path: Path
) -> None:
    film = make_video(tmp_path / "grey.mp4", frames=6, size=(1024, 16))
    out = tmp_path / "frames"
    pipeline.restore(film, out, codec=codec, stages=[Ramp()])  # bit_depth 8
    first = sorted(out.iterdir())[0]
    assert first.suffix == ext
    with av.open(str(first)) as c:  # Pillow reads 48-bit RGB as 8 bits a sample
        rgb = next(c.decode(video=0)).to_ndarray(format="rgb48le")
    red = rgb[..., 0]
    assert red.dtype == np.uint16
    assert len(np.unique(red)) > 600  # 8 bits' steps give at most 220 of the ramp's
