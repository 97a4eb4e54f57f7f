"""Deep conversions are the same every time: FFmpeg 8's swscale, sliced across threads, now and
then filled rows of a conversion to or from more than 8 bits with noise (16-bit PNG scans read
as grey or YCbCr, grey to 10-bit 4:2:2 for ProRes); they run on one thread
(`media.formats.sws_threads`). Each case here came out with two or more different results in
200 conversions before."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from makemedia import make_frame_folder

from panchro.engine.media.decode import _Converter
from panchro.engine.media.formats import sws_threads


def test_only_deep_conversions_are_kept_to_one_thread() -> None:
    assert sws_threads("rgb48be", "gray16le") == 1
    assert sws_threads("yuv444p16le", "yuv420p10le") == 1
    assert sws_threads("rgb24", "yuv444p16le") == 1
    assert sws_threads("yuv420p", "yuv444p") is None  # 8 bits both: threads as FFmpeg likes


@pytest.mark.parametrize("fmt", ["gray16", "yuv444p16", "gray"])
def test_a_16_bit_scan_reads_the_same_every_time(tmp_path: Path, fmt: str) -> None:
    folder = make_frame_folder(tmp_path / "scan", 2, (40, 24), bit_depth=16, ext="png")
    with av.open(str(sorted(folder.iterdir())[1])) as c:
        frame = next(c.decode(video=0))
    convert = _Converter(40, 24)
    first = convert(frame, fmt, None)
    for _ in range(200):
        np.testing.assert_array_equal(convert(frame, fmt, None), first)


def test_grey_to_ten_bit_422_the_same_every_time() -> None:
    from av.video.reformatter import VideoReformatter

    rng = np.random.default_rng(1)
    grey = av.VideoFrame.from_ndarray(rng.integers(0, 65535, (24, 40), dtype=np.uint16),
                                      format="gray16le")  # fmt: skip
    r = VideoReformatter()
    outs = {
        r.reformat(grey, format="yuv422p10le", src_colorspace=1, dst_colorspace=1,
                   src_color_range=2, dst_color_range=2,
                   threads=sws_threads("gray16le", "yuv422p10le")).to_ndarray().tobytes()
        for _ in range(200)
    }  # fmt: skip
    assert len(outs) == 1
