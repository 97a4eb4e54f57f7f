"""`panchro bench hints`: how long a person waits for the picture after placing a colour hint.

The app asks the engine for a `hint_preview` after every point or stroke (docs/protocol.md),
so this times exactly that, through an engine process, from the request to the JPEGs in
hand: a film (the 480p sample film by default) is opened, and points are added one at a
time at seeded places with seeded colours, each edit answered with the shot re-coloured.
Two cases, as the app has them: the hints alone (a shot without a pick) and the hints laid
over a colour mode (a pick drawn by the colorizer). The first answer of each case loads the
models and is shown apart. The machine's load average is printed with the figures: on a
shared machine it says how much of the time was someone else's. Figures are printed and
returned, never asserted.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def bench_hints(
    film: str | os.PathLike[str] | None = None,
    *,
    edits: int = 8,
    seed: int = 0,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Seconds from a new hint to its preview, hints alone and over a pick (see the module)."""
    import numpy as np

    from panchro.engine.errors import BadInputError
    from panchro.engine.paths import sample_film
    from panchro.engine.service.client import EngineClient, EngineError
    from panchro.engine.service.protocol import Request

    path = Path(film) if film is not None else sample_film()
    rng = np.random.default_rng(seed)
    results: dict[str, Any] = {"film": str(path), "edits": edits, "cpu_count": os.cpu_count()}
    with EngineClient.start(stderr=subprocess.DEVNULL) as engine:
        try:
            opened = engine.request(Request.OPEN, path=str(path)).data
        except EngineError as exc:  # not a film the engine reads: the input's fault
            said = exc.message if str(path) in exc.message else f"{path}: {exc.message}"
            raise BadInputError(f"cannot open {said}") from None
        handle, info = opened["film"], opened["info"]
        width, height, frames = int(info["width"]), int(info["height"]), int(info["frame_count"])
        key = frames // 3
        max_side = max(width, height)  # the whole frame, as a large view asks for it
        out(
            f"hint preview benchmark: {path.name} {width}x{height}, frame {key}, {edits} points "
            f"added one at a time, through an engine process, {os.cpu_count()} CPU cores"
        )
        points = [
            {
                "frame": key,
                "x": int(rng.integers(0, width)),
                "y": int(rng.integers(0, height)),
                "rgb": [int(v) for v in rng.integers(0, 256, 3)],
            }
            for _ in range(edits)
        ]
        pick = engine.request(
            Request.SAMPLE_KEYFRAME, 600.0, film=handle, index=key, k=1, seed=seed, max_side=64
        ).data
        chosen = {"seed": int(pick["seed"]), "temperature": float(pick["temperature"]),
                  "index": 0, "chroma": pick["candidates"][0]["chroma"], "locked": True,
                  "source": "user"}  # fmt: skip
        for label, extra in (("hints alone", {}), ("over a pick", {"pick": chosen})):
            seconds = []
            load = os.getloadavg()[0]
            for n in range(1, edits + 1):
                hints = {"version": 1, "points": points[:n], "strokes": []}
                t0 = time.perf_counter()
                engine.request(
                    Request.HINT_PREVIEW, 600.0, film=handle, index=key, hints=hints,
                    max_side=max_side, **extra,
                )  # fmt: skip
                seconds.append(time.perf_counter() - t0)
            load = max(load, os.getloadavg()[0])
            rest = np.asarray(seconds[1:])
            row = {
                "first_s": round(seconds[0], 3),
                "median_s": round(float(np.median(rest)), 3),
                "min_s": round(float(rest.min()), 3),
                "max_s": round(float(rest.max()), 3),
                "load_average": round(load, 2),
            }
            results[label.replace(" ", "_")] = row
            out(
                f"  {label:<12} first {row['first_s']:.2f} s (models load), then median "
                f"{row['median_s']:.2f} s, min {row['min_s']:.2f}, max {row['max_s']:.2f} "
                f"(load average {row['load_average']:.1f} on {os.cpu_count()} cores)"
            )
    return results


__all__ = ["bench_hints"]
