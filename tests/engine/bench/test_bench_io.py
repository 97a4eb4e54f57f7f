"""`bench_io` runs end to end on tiny sizes and reports its figures (never asserting speed)."""

from __future__ import annotations


def test_bench_io_runs_small() -> None:
    from panchro.engine.bench.io import bench_io

    lines: list[str] = []
    result = bench_io(seconds=0.5, stream_minutes=0.02, width=128, height=72, out=lines.append)
    assert result["decode_h264_rgb24_fps"] > 0 and result["encode_ffv1_fps"] > 0
    assert result["stream_frames"] == round(0.02 * 60 * 24)
    assert len(result["stream_rss_mb"]) == 10
    assert result["stream_peak_rss_mb"] > 0
    assert any("peak RSS" in line for line in lines)
    assert result["open_dpx_scan_ms"] > 0 and result["read_dpx_gray16_fps"] > 0
    assert any("read the DPX scan -> rgb48" in line for line in lines)
    assert result["measure_levels_ms"] > 0 and result["decode_h264_yuv444p_levels_fps"] > 0


def test_bench_scrub_runs_small() -> None:
    from panchro.engine.bench.restore import bench_scrub

    lines: list[str] = []
    result = bench_scrub(width=128, height=72, seconds=1, max_side=64, reads=4, out=lines.append)
    for key in ("random_position", "step_forward", "step_backward"):
        row = result[key]
        assert 0 < row["median_ms"] <= row["p90_ms"] <= row["max_ms"]
    assert sum("median" in line for line in lines) == 3


def test_bench_restore_models_runs_small(tmp_path, monkeypatch) -> None:
    from panchro.engine.bench.restore import bench_restore_models
    from tests.makemodels import (
        TINY28,
        save_small_colorizer,
        save_small_refiner,
        save_small_upscaler,
    )

    save_small_colorizer(tmp_path, config=TINY28)
    save_small_refiner(tmp_path)
    save_small_upscaler(tmp_path, scale=2)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path))
    lines: list[str] = []
    result = bench_restore_models(
        width=96, height=64, seconds=0.25, codec="ffv1", device="cpu", batch=3, out=lines.append
    )
    assert result["frames"] == 6 and result["fps"] > 0 and result["device"] == "cpu"
    shares = result["decode_share"] + result["stages_share"] + result["encode_share"]
    assert abs(shares - 1) < 0.01
    assert "-> colorize + x2 -> 192x128 ffv1" in lines[0]
