"""`bench_io` runs end to end on tiny sizes and reports its figures (never asserting speed)."""

from __future__ import annotations


def test_bench_io_runs_small() -> None:
    from panchro.engine.bench import bench_io

    lines: list[str] = []
    result = bench_io(seconds=0.5, stream_minutes=0.02, width=128, height=72, out=lines.append)
    assert result["decode_h264_rgb24_fps"] > 0 and result["encode_ffv1_fps"] > 0
    assert result["stream_frames"] == round(0.02 * 60 * 24)
    assert len(result["stream_rss_mb"]) == 10
    assert result["stream_peak_rss_mb"] > 0
    assert any("peak RSS" in line for line in lines)
