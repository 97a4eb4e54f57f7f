"""Helpers for tests of interrupted jobs."""

from __future__ import annotations

import threading

from panchro.engine.progress import Progress


def cancelled_at(frames: int) -> Progress:
    """A progress whose cancel flag is set once `frames` frames are done: the run stops
    there as a person's Cancel would stop it (its finished chunks kept, with keep_job)."""
    cancel = threading.Event()

    def cb(state: object) -> None:
        if getattr(state, "done", 0) >= frames:
            cancel.set()

    return Progress(None, cb, max_hz=1000, cancel=cancel)
