"""`panchro bench album`: pictures per second of an album of one-megapixel scans.

The target (issue 19) is an album of 100 one-megapixel scans colorized at one
picture a second or better on two cores. The pictures are made here
(`bench.photo.photo_picture`: soft gradients, a subject, texture and grain,
saved as grey JPEGs), each a slightly different size around one megapixel and in
portrait or landscape, as a box of scans is, so the folder is read as an album
by the rule a person's folder is. The album is restored in this process by
`restore.album.restore_album`, the code `panchro restore FOLDER OUT` runs; the
models' loading is timed apart (a person pays it once per album), and the rate is
pictures restored over the album's own seconds. A re-save without stages is
timed the same way, to show what reading and writing cost on their own. Figures
are printed and returned, never asserted.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panchro.engine.bench.photo import photo_picture

# Shapes of about one megapixel (width, height): landscape, portrait, square scans.
_SHAPES = ((1152, 864), (864, 1152), (1024, 1024), (1200, 832), (1248, 800), (800, 1248))


def album_pictures(folder: Path, count: int, megapixels: float = 1.0) -> list[Path]:
    """`count` grey JPEG scans of about `megapixels` each in `folder` (made, not shipped)."""
    folder.mkdir(parents=True, exist_ok=True)
    scale = (megapixels / 1.0) ** 0.5
    made = []
    for i in range(count):
        w, h = _SHAPES[i % len(_SHAPES)]
        # A few pixels more per picture: no two scans of a box are quite the same size.
        w, h = int(w * scale) + 8 * (i % 5), int(h * scale) + 4 * (i % 3)
        path = folder / f"scan {i + 1:03d}.jpg"
        photo_picture(path, w, h)
        made.append(path)
    return made


def _run(folder: Path, out: Path, colorize: bool, seed: int) -> tuple[float, Any, list[str]]:
    from panchro.engine.restore.album import restore_album
    from panchro.engine.restore.stages import build_stages
    from panchro.engine.settings import settings_for

    t0 = time.perf_counter()
    stages = build_stages(settings_for(None, colorize=colorize), seed=seed)
    load_s = time.perf_counter() - t0
    summary = restore_album([folder], out, stages=stages, seed=seed)
    notes = [n for st in stages for n in getattr(st, "notes", ())]
    return load_s, summary, notes


def bench_album(
    *,
    count: int = 100,
    megapixels: float = 1.0,
    cases: tuple[str, ...] = ("re-save", "colorize"),
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return pictures per second for an album of `count` generated scans of about
    `megapixels` each, for each case: "re-save" (no stage) and "colorize" (the models of
    the models folder: the shipped ones unless $PANCHRO_MODELS_DIR says otherwise)."""
    from panchro.engine.models import registry
    from panchro.engine.restore.album import album_threads

    results: dict[str, Any] = {"count": count, "megapixels": megapixels, "rows": {}}
    out(
        f"album benchmark: {count} grey JPEG scans of about {megapixels:g} Mpx each -> JPEG, "
        f"{os.cpu_count()} CPU cores, {album_threads()} torch thread(s) a picture, models in "
        f"{registry.weights_path('colorizer').parent}"
    )
    with tempfile.TemporaryDirectory(prefix="panchro-bench-album-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        album_pictures(tmp / "scans", count, megapixels)
        out(f"  made the scans in {time.perf_counter() - t0:.1f} s")
        out(
            f"  {'case':<10} {'load s':>7} {'album s':>8} {'pictures/s':>11} "
            f"{'median s':>9} {'p90 s':>7} {'failed':>7}"
        )
        for case in cases:
            load_s, summary, notes = _run(tmp / "scans", tmp / case, case == "colorize", 0)
            each = sorted(summary.picture_seconds)
            median = statistics.median(each) if each else float("nan")
            p90 = each[min(len(each) - 1, int(0.9 * len(each)))] if each else float("nan")
            row = {
                "load_s": load_s,
                "album_s": summary.seconds,
                "pictures_per_s": summary.per_second,
                "median_s": median,
                "p90_s": p90,
                "restored": len(summary.restored),
                "failed": [f"{n}: {r}" for n, _, r in summary.failed],
                "notes": notes,
            }
            results["rows"][case] = row
            out(
                f"  {case:<10} {load_s:>7.1f} {summary.seconds:>8.1f} "
                f"{summary.per_second:>11.2f} {median:>9.2f} {p90:>7.2f} "
                f"{len(summary.failed):>7}"
            )
            for line in row["failed"] + notes:
                out(f"    {line}")
    return results
