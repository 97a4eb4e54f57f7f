"""`restore(..., executor=...)`: the job planned here and its chunks rendered by someone else
(`render_planned`, what a cluster's task runs), here in this process without Ray: the same
frames as a plain run, picks decided first, and a job stopped midway resumed by a plain run."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from panchro.engine.project import Project, Settings
from panchro.engine.restore.pipeline import render_planned, restore
from panchro.engine.restore.stages import build_stages
from tests.makemedia import make_video
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner, save_small_upscaler


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [
            np.stack([np.frombuffer(bytes(p), np.uint8) for p in f.planes])
            for f in container.decode(video=0)
        ]


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list]:
    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    save_small_upscaler(models, scale=2)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    monkeypatch.setenv("PANCHRO_THREADS", "2")
    film = make_video(tmp_path / "film.mkv", frames=24, size=(64, 48), codec="ffv1", cuts=(12,))
    return film, build_stages(Settings(colorize=True, upscale=2), seed=4)


def test_chunks_rendered_by_an_executor_give_a_plain_runs_frames(
    tmp_path: Path, setup: tuple[Path, list]
) -> None:
    film, stages = setup
    restore(film, tmp_path / "plain.mkv", codec="ffv1", stages=stages, chunk_seconds=0.25)
    seen = {}

    def executor(job, plan, progress) -> None:  # noqa: ANN001
        seen["picks"] = plan.picks
        # A fresh set of stages, as a worker builds them: every pick is decided already.
        fresh = build_stages(Settings(colorize=True, upscale=2), seed=4, all_picked=True)
        manifest = job.folder / "manifest.json"
        for chunk in job.pending():
            before = manifest.read_text()
            done = render_planned(plan, [chunk], fresh)
            assert manifest.read_text() == before  # only the driver writes the manifest
            assert job.path_of(chunk).is_file()
            job.mark_done(chunk, done[chunk.index])
            progress.advance(chunk.frames)

    project = tmp_path / "film.panchro"
    Project.new(film).save(project)
    restore(
        film,
        tmp_path / "elsewhere.mkv",
        codec="ffv1",
        stages=stages,
        chunk_seconds=0.25,
        executor=executor,
        project=project,
    )
    assert len(seen["picks"]) == 2 and all(p is not None for p in seen["picks"])
    assert [p.to_dict() for p in Project.load(project).picks] == [
        p.to_dict() for p in seen["picks"]
    ]
    plain, elsewhere = frames_of(tmp_path / "plain.mkv"), frames_of(tmp_path / "elsewhere.mkv")
    assert len(plain) == len(elsewhere) == 24
    assert all(np.array_equal(a, b) for a, b in zip(plain, elsewhere, strict=True))


def test_a_job_stopped_on_the_executor_is_resumed_by_a_plain_run(
    tmp_path: Path, setup: tuple[Path, list]
) -> None:
    film, stages = setup
    restore(film, tmp_path / "plain.mkv", codec="ffv1", stages=stages, chunk_seconds=0.25)
    out = tmp_path / "out.mkv"

    def stops_after_one(job, plan, progress) -> None:  # noqa: ANN001
        chunk = job.pending()[0]
        job.mark_done(chunk, render_planned(plan, [chunk], stages)[chunk.index])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        restore(film, out, codec="ffv1", stages=stages, chunk_seconds=0.25, keep_job=True,
                executor=stops_after_one)  # fmt: skip
    summary = restore(film, out, codec="ffv1", stages=stages, chunk_seconds=0.25)
    assert summary.resumed_frames > 0
    plain, resumed = frames_of(tmp_path / "plain.mkv"), frames_of(out)
    assert all(np.array_equal(a, b) for a, b in zip(plain, resumed, strict=True))
