"""Huge frames: memory bounded by doing the work in tiles and bands, and progress that moves
per tile while one frame is in work.

Small sizes only (the 8000x6000 picture is `panchro bench huge`): what is tested is that
the bounded paths give the whole-frame values and that progress arrives per tile; no
timing is asserted.
"""

from __future__ import annotations

import tracemalloc
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from panchro.engine.imaging import color
from panchro.engine.progress import Progress, ProgressState
from panchro.engine.restore import pipeline
from panchro.engine.restore.batch import FrameBatch
from tests.makemedia import make_video, write_still

# --- bounded memory ---------------------------------------------------------------------------


def test_planar_colour_conversions_give_the_same_values() -> None:
    rng = np.random.default_rng(0)
    coded = rng.integers(0, 256, (2, 33, 47, 3)).astype(np.uint8)
    for range_ in ("limited", "full"):
        whole = color.decode_coded_ycbcr(coded, range=range_)
        planar = color.decode_coded_planar(list(coded), range=range_)
        np.testing.assert_array_equal(planar, whole)
        # one frame's planes come out of the planar memory without a copy
        one = color.decode_coded_planar([coded[0]], range=range_)
        y = np.ascontiguousarray(one[..., 0])
        cbcr = np.ascontiguousarray(np.moveaxis(one[..., 1:], -1, 1))
        assert np.shares_memory(y, one) and np.shares_memory(cbcr, one)
        changed = whole * 1.05 - 0.02
        y, cbcr = changed[..., 0], np.moveaxis(changed[..., 1:], -1, 1)
        for dtype in (np.uint8, np.uint16):
            np.testing.assert_array_equal(
                color.encode_coded_planar(y, cbcr, range=range_, dtype=dtype, band_pixels=100),
                color.encode_coded_ycbcr(changed, range=range_, dtype=dtype),
            )


def test_encoding_planes_needs_no_frame_sized_float_copy() -> None:
    y = np.random.default_rng(0).random((1, 600, 800), dtype=np.float32)
    cbcr = np.zeros((1, 2, 600, 800), np.float32)
    tracemalloc.start()
    try:
        coded = color.encode_coded_planar(y, cbcr, band_pixels=1 << 16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the coded result (1.4 MB) and one band of floats (256 KB); a float copy of the
    # frame would be 5.8 MB more
    assert peak < coded.nbytes + (1 << 16) * 4 + (1 << 20)


def test_chroma_in_bands_is_the_whole_frame_result() -> None:
    from panchro.engine.inference.upscale import upscale_chroma

    rng = np.random.default_rng(3)
    for s in (2, 4):
        small = ((rng.random((2, 29, 37, 2)) - 0.5) * 0.6).astype(np.float32)
        luma = rng.random((2, 29 * s, 37 * s), dtype=np.float32)
        whole = upscale_chroma(small, luma, band_pixels=1 << 30)
        banded = upscale_chroma(small, luma, band_pixels=37 * s * s * 2)  # 2-row bands
        # the same arithmetic on the same pixels; vectorised loops may round the last bit
        np.testing.assert_allclose(banded, whole, rtol=0, atol=1e-6)
        # planar underneath: the stage's (T, 2, H, W) needs no copy
        assert np.moveaxis(banded, -1, 1).flags.c_contiguous


def test_colorize_stage_makes_no_frame_sized_copies_of_its_batch(tmp_path: Path) -> None:
    """The stage's own numpy memory is its result and the one frame refine_chroma clips at a
    time: no clipped copy of the whole batch (at 8192x4352 that was 142 MB a frame) and no
    copy of the result (issue 15, item 5)."""
    from panchro.engine.project import Pick
    from panchro.engine.restore.stages import ColorizeStage
    from panchro.engine.shots import Shot
    from tests.makemodels import save_small_refiner

    stage = ColorizeStage(refiner_path=str(save_small_refiner(tmp_path)), require_colorizer=False)
    bins = np.full((2, 28, 28), 16, np.uint8)
    stage.begin_shot(0, Shot(0, 3, 1), Pick(1, 1.0, 0, bins, locked=True), None)  # picked
    t, h, w = 3, 600, 800
    y = np.random.default_rng(0).random((t, h, w), dtype=np.float32) * 1.1 - 0.05
    batch = FrameBatch(
        y=y,
        cbcr=np.zeros((t, 2, h, w), np.float32),
        indices=np.arange(t, dtype=np.int64),
        pts=np.arange(t, dtype=np.int64),
        time_base=Fraction(1, 24),
        shot=0,
        matrix="bt709",
    )
    tracemalloc.start()
    try:
        out = stage.process(batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.cbcr.shape == (t, 2, h, w) and out.cbcr.dtype == np.float32
    assert out.y is batch.y  # the film's luma, as it was
    frame = h * w * 4
    assert peak < out.cbcr.nbytes + frame + (1 << 20)  # a batch-sized copy would be 5.8 MB more


def test_big_frames_come_in_smaller_batches() -> None:
    """A batch's float planes stay under BATCH_BYTES at the largest size the stages see: one
    frame at a time for the largest H.264 picture, never fewer than one."""
    assert pipeline.frames_per_batch(8, 1920 * 1080) == 8
    assert pipeline.frames_per_batch(8, 3840 * 2160) == 2
    assert pipeline.frames_per_batch(8, 8192 * 4352) == 1
    assert pipeline.frames_per_batch(8, 16384 * 16384) == 1
    assert pipeline.frames_per_batch(3, 64 * 48) == 3  # never more than asked
    for pixels in (1920 * 1080, 3840 * 2160, 5000 * 3000):
        n = pipeline.frames_per_batch(8, pixels)
        assert n == 1 or n * pixels * 12 <= pipeline.BATCH_BYTES


def test_restore_shrinks_the_batch_for_big_frames_and_keeps_the_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the budget cut so 96x64 frames count as big, the stages get smaller batches (the
    output size counts: x2 makes them four times bigger) and the film comes out the same, to
    the last bit: the refiner's result does not depend on the batch."""
    import av

    from panchro.engine.restore.stages import ColorizeStage, UpscaleStage
    from tests.makemodels import (
        TINY28,
        save_small_colorizer,
        save_small_refiner,
        save_small_upscaler,
    )

    film = make_video(tmp_path / "film.mp4", frames=10, size=(96, 64), cuts=(6,))
    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    upscaler = save_small_upscaler(models, scale=2)

    def render(name: str) -> tuple[list[np.ndarray], list[list[int]]]:
        stage = ColorizeStage(
            seed=3, refiner_path=str(models / "refiner.safetensors"),
            colorizer_path=str(models / "colorizer.safetensors"),
        )  # fmt: skip
        seen: list[list[int]] = []
        process = stage.process

        def spy(batch: FrameBatch) -> FrameBatch:
            seen.append(batch.indices.tolist())
            return process(batch)

        stage.process = spy  # type: ignore[method-assign]
        up = UpscaleStage(scale=2, weights_path=str(upscaler))
        out = tmp_path / name
        pipeline.restore(film, out, codec="ffv1", stages=[stage, up], batch=5)
        with av.open(str(out)) as c:
            return [f.to_ndarray(format="yuv444p") for f in c.decode(video=0)], seen

    planes, batches = render("normal.mkv")
    assert max(len(b) for b in batches) == 5
    # 96x64 x2 = 24,576 px a frame at the output: 12 bytes a pixel, three frames' worth
    monkeypatch.setattr(pipeline, "BATCH_BYTES", 3 * 12 * 192 * 128 + 100)
    small, small_batches = render("small.mkv")
    assert max(len(b) for b in small_batches) == 3
    assert [i for b in small_batches for i in b] == list(range(10))
    assert all(np.array_equal(a, b) for a, b in zip(planes, small, strict=True))


# --- progress inside a frame ------------------------------------------------------------------


def test_upscale_reports_each_tile() -> None:
    from panchro.engine.inference.upscale import UpscaleStats, _spans, upscale_luma
    from tests.engine.inference.test_upscaler import model_for, shot

    frames = shot(3, 70, 90)
    seen: list[float] = []
    stats = UpscaleStats()
    upscale_luma(
        model_for(2), frames, tile=32, overlap=8, batch=1, stats=stats, on_progress=seen.append
    )
    tiles = len(_spans(70, 32, 8)) * len(_spans(90, 32, 8))
    assert stats.tiles_per_frame == tiles > 1
    assert len(seen) == 3 * tiles  # every tile of every frame
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert seen[tiles - 1] == pytest.approx(1 / 3)  # one frame of three done


def test_restore_of_one_picture_reports_progress_per_tile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from panchro.engine.inference import upscale
    from panchro.engine.restore.stages import UpscaleStage
    from tests.makemodels import save_small_upscaler

    picture = write_still(tmp_path / "still.png", np.full((96, 128, 3), 120, np.uint8))
    stage = UpscaleStage(scale=2, weights_path=str(save_small_upscaler(tmp_path / "m", scale=2)))
    monkeypatch.setattr(upscale, "CPU_BUDGET_BYTES", 400_000)  # a tiny device: many tiles
    states: list[ProgressState] = []
    pipeline.restore(
        picture, tmp_path / "out.mkv", codec="ffv1", stages=[stage],
        progress=Progress(None, states.append, max_hz=1e9),
    )  # fmt: skip
    inside = [s.partial for s in states if s.done == 0 and s.stage != "shots" and s.partial > 0]
    assert len(inside) > 3  # the bar moved while the one frame was in work
    assert inside == sorted(inside) and inside[-1] <= 1.0
    assert states[-1].done == 1 and states[-1].total == 1


# --- memory checked before the first frame ------------------------------------------------


def test_the_memory_estimate_grows_with_the_frame_and_the_encoder() -> None:
    from panchro.engine.restore import memory

    small = memory.estimate(1000, 1000, "prores", 8, [], 300.0)
    big = memory.estimate(2000, 2000, "prores", 8, [], 300.0)
    assert big.frame_mb == pytest.approx(4 * small.frame_mb)
    assert big.peak_mb - small.peak_mb == pytest.approx(3 * small.frame_mb)
    ffv1 = memory.estimate(2000, 2000, "ffv1", 8, [], 300.0)
    ffv1_16 = memory.estimate(2000, 2000, "ffv1", 16, [], 300.0)
    assert ffv1_16.peak_mb > ffv1.peak_mb > big.peak_mb  # FFV1 keeps a frame-sized packet
    staged = memory.estimate(2000, 2000, "prores", 8, ["colorize", "upscale"], 300.0)
    assert staged.peak_mb > big.peak_mb + 750  # the upscaler's tile buffers, at least
    assert memory.stage_kind("colorize:v1:refiner=none") == "colorize"


def test_a_restore_that_would_not_fit_is_refused_before_any_frame(tmp_path: Path) -> None:
    from panchro.engine.restore import memory

    picture = tmp_path / "big.png"
    write_still(picture, np.zeros((600, 800, 3), np.uint8))
    out = tmp_path / "out.mkv"
    seen: list[ProgressState] = []
    with pytest.raises(memory.MemoryLimitError) as err:
        pipeline.restore(
            picture,
            out,
            codec="ffv1",
            memory_limit_mb=64,
            progress=Progress(None, seen.append),
        )
    message = str(err.value)
    assert "800x600" in message and "ffv1" in message
    assert "limit of 64 MB (--memory-limit)" in message and "needs about" in message
    assert err.value.code == "out_of_memory"
    assert not seen  # not one frame was read or written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png"]
    # the same picture fits a limit above the estimate
    summary = pipeline.restore(picture, out, codec="ffv1", memory_limit_mb=1 << 20)
    assert summary.frames == 1 and out.is_file()


def test_the_cli_takes_a_memory_limit_and_says_why_it_refuses(tmp_path: Path) -> None:
    from panchro.engine.cli import main

    picture = tmp_path / "big.png"
    write_still(picture, np.zeros((600, 800, 3), np.uint8))
    out = str(tmp_path / "o.mkv")
    assert main(["restore", str(picture), out, "--codec", "ffv1", "--memory-limit", "64M"]) == 1
    assert not (tmp_path / "o.mkv").exists()
    with pytest.raises(SystemExit):
        main(["restore", str(picture), str(tmp_path / "o.mkv"), "--memory-limit", "lots"])


def test_without_a_limit_the_free_memory_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused only when even the best case cannot fit; warned when the worst case may not."""
    from panchro.engine import procmem
    from panchro.engine.restore import memory

    picture = tmp_path / "big.png"
    write_still(picture, np.zeros((600, 800, 3), np.uint8))
    est = memory.estimate(800, 600, "ffv1", 8, [], procmem.rss_mb())
    monkeypatch.setattr(memory, "available_mb", lambda: 1.0)
    with pytest.raises(memory.MemoryLimitError, match="this machine has free"):
        pipeline.restore(picture, tmp_path / "a.mkv", codec="ffv1")
    assert not (tmp_path / "a.mkv").exists()
    # between the best and the worst case: it runs, and says so
    between = (est.floor_mb + est.peak_mb) / 2 - procmem.rss_mb()
    monkeypatch.setattr(memory, "available_mb", lambda: between)
    summary = pipeline.restore(picture, tmp_path / "b.mkv", codec="ffv1")
    assert summary.frames == 1
    assert any("may need up to" in note for note in summary.notes)
