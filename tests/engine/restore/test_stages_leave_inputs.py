"""No stage writes into the planes it is given.

Stages may hand a plane on untouched (stabilize returns the very planes of a frame that
does not move, crop returns views), and the pipeline keeps a batch's luma as the next
batch's `y_before`: a stage that wrote in place would change frames it was never given,
and a resumed chunk would differ from a whole run. Every stage `build_stages` makes is run
here, all at once, behind a guard that checks its input batch after `process`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from panchro.engine.project import Settings
from panchro.engine.restore import pipeline
from panchro.engine.restore.batch import FrameBatch
from panchro.engine.restore.stages import build_stages
from tests.makemedia import make_video
from tests.makemodels import save_small_set

PLANES = ("y", "cbcr", "y_before", "y_after")


class Guard:
    """`stage`, with every batch it is given compared, after `process`, to a copy made
    before it."""

    def __init__(self, stage: Any, seen: dict[str, int]) -> None:
        self._stage, self._seen = stage, seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stage, name)

    def process(self, batch: FrameBatch) -> FrameBatch:
        planes = {k: getattr(batch, k) for k in PLANES}
        before = {k: None if p is None else p.copy() for k, p in planes.items()}
        out = self._stage.process(batch)
        for k, copy in before.items():
            plane = getattr(batch, k)
            assert (plane is None) == (copy is None)
            if plane is not None and not np.array_equal(plane, copy):
                raise AssertionError(f"{self._stage.key}: wrote into the batch's {k}")
        name = self._stage.key.split(":")[0]
        self._seen[name] = self._seen.get(name, 0) + len(batch)
        return out


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_small_set(tmp_path_factory.mktemp("models"))


def test_no_stage_writes_into_its_input(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))
    film = make_video(
        tmp_path / "film.mp4", frames=20, size=(96, 64), cuts=(10,), exposure=[1.0, 0.8] * 10
    )
    settings = Settings(
        colorize=True,
        upscale=2,
        degrain=0.5,
        deflicker=1.0,
        stabilize=1.0,
        dust=1.0,
        scratches=1.0,
        crop=(4, 2, 4, 2),
    )
    stages = build_stages(settings, device="cpu")
    assert len(stages) == 7  # scratches, dust, stabilize, deflicker, colour, crop, upscale
    seen: dict[str, int] = {}
    guarded = [Guard(st, seen) for st in stages]
    summary = pipeline.restore(film, tmp_path / "out.mkv", codec="ffv1", stages=guarded, batch=3)
    assert summary.frames == 20 and (summary.width, summary.height) == (176, 120)
    # Every stage was given every frame, so the guard checked them all.
    assert seen == dict.fromkeys(
        ["scratches", "dust", "stabilize", "deflicker", "colorize", "crop", "upscale"], 20
    )
