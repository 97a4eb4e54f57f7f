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
