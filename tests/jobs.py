"""Helpers for tests of interrupted jobs."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from panchro.engine.errors import CancelledError
from panchro.engine.progress import Progress

if TYPE_CHECKING:
    from panchro.engine.project import Settings
    from panchro.engine.restore.summary import RestoreSummary


def cancelled_at(frames: int) -> Progress:
    """A progress whose cancel flag is set once `frames` frames are done: the run stops
    there as a person's Cancel would stop it (its finished chunks kept, with keep_job)."""
    cancel = threading.Event()

    def cb(state: object) -> None:
        if getattr(state, "done", 0) >= frames:
            cancel.set()

    return Progress(None, cb, max_hz=1000, cancel=cancel)


def cut_and_resumed(
    film: Path, out: Path, settings: Settings, project: Path, at: int, *, batch: int = 4
) -> RestoreSummary:
    """`film` restored into `out` with `settings`' stages in chunks of a quarter second,
    cancelled once `at` frames are done and resumed: the resumed run's summary."""
    from panchro.engine.restore import pipeline
    from panchro.engine.restore.stages import build_stages

    kw: dict[str, Any] = {"codec": "ffv1", "project": project, "batch": batch}
    kw["chunk_seconds"] = 0.25
    with pytest.raises(CancelledError):
        pipeline.restore(
            film, out, stages=build_stages(settings), keep_job=True, progress=cancelled_at(at),
            **kw,
        )  # fmt: skip
    summary = pipeline.restore(film, out, stages=build_stages(settings), **kw)
    assert summary.resumed_frames > 0
    return summary


def handed_on_alike(stage: Any, film: Path, first: int = 6, stop: int = 10) -> None:
    """A neighbour-judging `stage` (`restore.around`, with hand_on=2) given frames first..stop
    of `film`'s first 16 (one shot) with four neighbours either side gives those frames, and
    the two either side it hands on, as it gave them from the 16 whole: and it changed them."""
    import numpy as np

    from panchro.engine import media
    from panchro.engine.restore.batch import frame_batch
    from panchro.engine.shots import Shot

    with media.open_source(film) as src:
        frames = list(src.frames(0, 16, fmt="yuv444p"))
        assert stage.context == stage.reach + 2
        stage.begin_shot(0, Shot(0, 16, 8), None, src)
        ycc = np.stack([f.image for f in frames]).astype(np.float32) / 255
        whole = stage.process(frame_batch(frames, ycc, src.info.time_base, 0, "bt601"))
        middle = frame_batch(
            frames[first:stop], ycc[first:stop], src.info.time_base, 0, "bt601",
            before=ycc[first - 4 : first, ..., 0], after=ycc[stop : stop + 4, ..., 0],
        )  # fmt: skip
        got = stage.process(middle)
    np.testing.assert_array_equal(got.y, whole.y[first:stop])
    assert got.y_before is not None and got.y_after is not None
    np.testing.assert_array_equal(got.y_before, whole.y[first - 2 : first])
    np.testing.assert_array_equal(got.y_after, whole.y[stop : stop + 2])
    np.testing.assert_array_equal(got.cbcr, whole.cbcr[first:stop])
    assert not np.array_equal(whole.y, ycc[..., 0])  # there was something to clean


def grey_frames(path: Path) -> Any:
    """A film's frames as grey int16 (N, H, W)."""
    import numpy as np

    from panchro.engine import media

    with media.open_source(path) as src:
        return np.stack([f.image for f in src.frames(fmt="gray")]).astype(np.int16)


def alike_however_run(
    film: Path, project: Path, settings: Settings, tmp_path: Path, at: int = 10
) -> None:
    """`film` restored with `settings` whole (4 frames a batch), cut inside a shot (once `at`
    frames are done) and resumed, and 7 frames a batch: the same frames each time."""
    import numpy as np

    from panchro.engine.restore import pipeline
    from panchro.engine.restore.stages import build_stages

    kw: dict[str, Any] = {"codec": "ffv1", "project": project}
    whole = tmp_path / "whole.mkv"
    pipeline.restore(film, whole, stages=build_stages(settings), batch=4, **kw)
    cut = tmp_path / "cut.mkv"
    cut_and_resumed(film, cut, settings, project, at)
    assert np.array_equal(grey_frames(cut), grey_frames(whole))
    other = tmp_path / "batched.mkv"
    pipeline.restore(film, other, stages=build_stages(settings), batch=7, **kw)
    assert np.array_equal(grey_frames(other), grey_frames(whole))


def preview_is_render(film: Path, settings: Settings, tmp_path: Path, said: str) -> Any:
    """Frame 9 of `film` previewed with the stages `settings` make, then the film rendered
    with the same stages (the app keeps its stages for both): the preview shows the frame
    the render makes, counts nothing, and the run's summary says `said` (its start). The
    preview is returned."""
    import numpy as np

    from panchro.engine.imaging import color
    from panchro.engine.restore import frame_preview, pipeline
    from panchro.engine.restore.stages import build_stages

    out = tmp_path / "out.mkv"
    stages = build_stages(settings)
    shown = frame_preview.preview_frame(film, 9, stages)
    assert stages[0].notes == []  # a preview's count of frames is not worth saying
    summary = pipeline.restore(film, out, stages=stages, codec="ffv1")
    assert any(n.startswith(said) for n in summary.notes), summary.notes
    y = color.rgb_to_ycbcr(shown.after.astype(np.float32), matrix="bt601")[..., 0]
    assert np.abs(np.round(y * 255) - grey_frames(out)[9]).max() <= 2  # through RGB and back
    return shown
