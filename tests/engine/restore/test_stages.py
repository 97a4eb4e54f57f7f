"""The colorize stage in the real pipeline: picks carried through shots, luma untouched."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine.project import Pick, Project
from panchro.engine.restore import frame_preview, pipeline
from panchro.engine.restore.stages import ColorizeStage, auto_seed
from panchro.engine.restore.summary import RestoreSummary
from panchro.engine.shots import Shot
from tests.makemedia import make_video


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 frames of 96x64 at 24 fps, a cut at 12, with sound."""
    return make_video(
        tmp_path_factory.mktemp("stages") / "film.mp4", frames=24, size=(96, 64), cuts=(12,)
    )


@pytest.fixture(scope="module")
def grey_film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, black and white: what the colour stage draws colours for (a shot in colour
    already keeps its own: `restore.own`)."""
    return make_video(tmp_path_factory.mktemp("stages") / "grey.mp4", frames=24, size=(96, 64),
                      cuts=(12,), pattern="gray")  # fmt: skip


def _planes(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="yuv444p") for f in c.decode(video=0)]


def _restore(film: Path, out: Path, stage: ColorizeStage, **kw) -> RestoreSummary:
    return pipeline.restore(film, out, codec="ffv1", stages=[stage], batch=5, **kw)


def test_colour_comes_from_the_pick_and_luma_is_untouched(
    film: Path, models: Path, tmp_path: Path
) -> None:
    proj = Project.new(film, shots=[Shot(0, 12, 6), Shot(12, 24, 18)])
    bins = np.zeros((2, 28, 28), np.uint8)
    bins[0], bins[1] = 10, 24  # one flat colour: Cb -6/32, Cr +8/32
    proj.set_pick(0, Pick(seed=1, temperature=1.0, index=0, chroma=bins, locked=True))
    stage = ColorizeStage(
        refiner_path=str(tmp_path / "none.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )  # fmt: skip
    out = tmp_path / "out.mkv"
    _restore(film, out, stage, project=proj)
    src, got = _planes(film), _planes(out)
    assert len(got) == len(src) == 24
    for a, b in zip(src, got, strict=True):
        assert np.array_equal(a[0], b[0])  # the film's luma, code for code
    # Shot 1 wears the pick's flat colour (no refiner: the hint upsampled).
    cb, cr = got[3][1].astype(int), got[3][2].astype(int)
    assert abs(np.median(cb) - (128 - 6 / 32 * 224)) <= 1
    assert abs(np.median(cr) - (128 + 8 / 32 * 224)) <= 1
    # Shot 2 had no pick: it gets an automatic one, the same on every run.
    assert not np.array_equal(got[15][1], got[3][1])
    assert any("no refiner weights" in n for n in stage.notes)
    again = tmp_path / "again.mkv"
    _restore(film, again, ColorizeStage(
        refiner_path=str(tmp_path / "none.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    ), project=proj)  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(got, _planes(again), strict=True))


def test_refiner_colours_every_frame_alike_across_batches(
    film: Path, models: Path, tmp_path: Path
) -> None:
    def run(batch: int, name: str) -> list[np.ndarray]:
        stage = ColorizeStage(
            refiner_path=str(models / "refiner.safetensors"),
            colorizer_path=str(models / "colorizer.safetensors"),
            seed=3,
        )
        out = tmp_path / name
        pipeline.restore(film, out, codec="ffv1", stages=[stage], batch=batch)
        assert any("UNTRAINED" in n for n in stage.notes)
        return _planes(out)

    a, b = run(5, "a.mkv"), run(12, "b.mkv")
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))  # no batch seams
    src = _planes(film)
    assert all(np.array_equal(s[0], x[0]) for s, x in zip(src, a, strict=True))


def test_auto_picks_are_recorded_in_the_project(
    grey_film: Path, models: Path, tmp_path: Path
) -> None:
    proj = Project.new(grey_film)
    path = tmp_path / "film.panchro"
    proj.save(path)
    stage = ColorizeStage(
        seed=9, refiner_path=str(tmp_path / "none.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )  # fmt: skip
    pipeline.restore(grey_film, tmp_path / "o.mkv", codec="ffv1", stages=[stage], project=path)
    saved = Project.load(path)
    assert [s.start for s in saved.shots] == [0, 12]
    assert all(p is not None and p.source == "auto" and not p.locked for p in saved.picks)
    assert [p.seed for p in saved.picks] == [auto_seed(9, 0), auto_seed(9, 12)]


def test_upscale_stage_sees_neighbours_across_batches(
    film: Path, models: Path, tmp_path: Path
) -> None:
    from panchro.engine.restore.stages import UpscaleStage
    from tests.makemodels import save_small_upscaler

    weights = save_small_upscaler(tmp_path / "m", scale=2)

    def run(batch: int, name: str) -> list[np.ndarray]:
        stage = UpscaleStage(scale=2, weights_path=str(weights), device="cpu")
        assert stage.context == 1  # the small preset's 3-frame window
        out = tmp_path / name
        summary = pipeline.restore(film, out, codec="ffv1", stages=[stage], batch=batch)
        assert (summary.width, summary.height) == (192, 128)
        return _planes(out)

    a, b = run(2, "a.mkv"), run(7, "b.mkv")
    assert len(a) == 24 and a[0][0].shape == (128, 192)
    # A frame's window crosses batch boundaries but never the cut: no seams either way.
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    # The neighbours matter: frame 5 alone (its window clipped) differs from the film's.
    alone = frame_preview.preview_frame(
        film, 5, [UpscaleStage(scale=2, weights_path=str(weights))], shot=Shot(5, 6, 5)
    )
    with_neighbours = frame_preview.preview_frame(
        film, 5, [UpscaleStage(scale=2, weights_path=str(weights))], shot=Shot(0, 12, 6)
    )
    assert not np.array_equal(alone.after, with_neighbours.after)
    assert alone.after.shape == (128, 192, 3) and alone.before.shape == (64, 96, 3)


def test_preview_frame_colorize_keeps_luma(grey_film: Path, models: Path, tmp_path: Path) -> None:
    stage = ColorizeStage(
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )  # fmt: skip
    shown = frame_preview.preview_frame(grey_film, 14, [stage], shot=Shot(12, 24, 18))
    assert shown.pick is not None and shown.pick.source == "auto"
    assert float(shown.luma_diff.max()) < 1e-6
    assert shown.before.shape == shown.after.shape == (64, 96, 3)
    assert np.abs(shown.after - shown.before).max() > 0.01  # it did colour something


def test_cli_restore_makes_a_project_and_records_automatic_picks(
    grey_film: Path, models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from panchro.engine.cli import main

    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    proj = tmp_path / "new.panchro"
    out = tmp_path / "o.mp4"
    assert (
        main(["restore", str(grey_film), str(out), "--colorize", "--project", str(proj), "-q"]) == 0
    )
    saved = Project.load(proj)
    assert [s.start for s in saved.shots] == [0, 12]
    assert all(p is not None and p.source == "auto" for p in saved.picks)
    # The same command again uses the recorded picks: no colorizer needed any more.
    (models / "colorizer.safetensors").rename(tmp_path / "away.safetensors")
    try:
        out2 = tmp_path / "o2.mp4"
        assert main(["restore", str(grey_film), str(out2), "--colorize", "--project", str(proj),
                     "-q"]) == 0  # fmt: skip
    finally:
        (tmp_path / "away.safetensors").rename(models / "colorizer.safetensors")


def test_regrain_puts_grain_back_after_cleanup(film: Path, tmp_path: Path) -> None:
    from panchro.engine.paths import sample_film
    from panchro.engine.restore.stages import UpscaleStage
    from tests.makemodels import save_small_upscaler

    weights = save_small_upscaler(tmp_path / "m", scale=1)

    def show(source: Path, regrain: float) -> np.ndarray:
        stage = UpscaleStage(scale=1, degrain=1.0, weights_path=str(weights), regrain=regrain)
        return frame_preview.preview_frame(source, 5, [stage], shot=Shot(0, 12, 6)).after

    grainy = sample_film()  # grain measured in the source is put back
    clean, regrained = show(grainy, 0.0), show(grainy, 1.0)
    assert np.abs(regrained - clean).mean() > 1e-3
    assert abs(float(regrained.mean() - clean.mean())) < 0.01  # brightness kept
    # A source without grain gets none.
    assert np.array_equal(show(film, 0.0), show(film, 1.0))
