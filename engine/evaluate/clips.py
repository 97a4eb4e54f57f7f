"""What the evaluations on clips share (`eval deflicker`, `eval stabilize`): a table's mean
row (the clips a `--data` list names are `evaluate.video.clip_paths`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def mean_row(rows: Sequence[dict[str, Any]], figures: Sequence[str]) -> dict[str, Any]:
    """The table's last row: frames and shots summed, each of `figures` averaged."""
    mean: dict[str, Any] = {"clip": "mean"}
    mean |= {k: sum(r[k] for r in rows) for k in ("frames", "shots")}
    return mean | {k: float(np.mean([r[k] for r in rows])) for k in figures}
