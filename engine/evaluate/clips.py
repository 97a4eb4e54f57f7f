"""What the evaluations on clips share (`eval deflicker`, `eval stabilize`): the clips a
`--data` list names, and a table's mean row."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from panchro.engine.errors import BadInputError
from panchro.engine.evaluate.video import VIDEO_SUFFIXES


def clips_of(data: Sequence[str | Path]) -> list[Path]:
    """The clips of `data`: files, and the video files in folders (sorted)."""
    found: list[Path] = []
    for d in map(Path, data):
        if d.is_dir():
            found += sorted(p for p in d.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
        elif d.is_file():
            found.append(d)
        else:
            raise BadInputError("is not a clip or a folder of clips", path=d)
    if not found:
        raise BadInputError(
            f"no clips ({', '.join(VIDEO_SUFFIXES)}) in {', '.join(map(str, data))}"
        )
    return found


def mean_row(rows: Sequence[dict[str, Any]], figures: Sequence[str]) -> dict[str, Any]:
    """The table's last row: frames and shots summed, each of `figures` averaged."""
    mean: dict[str, Any] = {"clip": "mean"}
    mean |= {k: sum(r[k] for r in rows) for k in ("frames", "shots")}
    return mean | {k: float(np.mean([r[k] for r in rows])) for k in figures}
