"""`panchro bench photo`: one 12-megapixel photo colorized to a JPEG, and its dust found and
filled (the speck finder), as a person runs it.

What a person waits for is the whole command, so the picture is restored by a
fresh `panchro restore` process and the clock includes its start-up (Python,
torch, the models loading); the peak is that process's own (its ru_maxrss,
read when it ends). A re-save without stages is timed the same way, to show
what start-up, decoding and encoding cost on their own. Figures are printed and
returned, never asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panchro.engine.procmem import maxrss_mb


def photo_picture(path: Path, width: int, height: int) -> None:
    """A grey photo-like JPEG (quality 92): soft gradients, edges, fine texture and grain."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)
    img = np.empty((height, width), np.uint8)
    for y0 in range(0, height, 512):  # in bands: the picture itself is the only big thing
        rows = min(512, height - y0)
        y = (np.arange(y0, y0 + rows, dtype=np.float32) / height)[:, None]
        band = 0.35 + 0.3 * y + 0.2 * np.sin(9 * x + 4 * y) * np.cos(5 * y)
        band += 0.25 * (((x - 0.4) ** 2 + (y - 0.45) ** 2) < 0.03)  # a bright round subject
        band += 0.04 * np.sin(300 * x * (1 + y))  # texture
        band += rng.normal(0.0, 0.02, band.shape).astype(np.float32)  # grain
        img[y0 : y0 + rows] = np.clip(band * 255, 0, 255).astype(np.uint8)
    Image.fromarray(img).save(path, "JPEG", quality=92)


def _timed_restore(args: list[str], log: Path) -> dict[str, Any]:
    """Run `panchro restore ARGS -q` in a fresh process: wall seconds, its peak RSS (where the
    system tells a child's), its exit code and what it printed (kept in `log`)."""
    argv = [sys.executable, "-m", "panchro.engine", "restore", *args, "-q"]
    peak = None
    with log.open("w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT)
        if hasattr(os, "wait4"):  # reaped here, for the child's own rusage
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak = maxrss_mb(usage.ru_maxrss)
        else:
            proc.wait()
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "peak_mb": peak,
        "exit_code": proc.returncode,
        "said": log.read_text(errors="replace").strip(),
    }


def bench_photo(
    *,
    width: int = 4000,
    height: int = 3000,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the wall seconds (start-up included) and the peak RSS of restoring a
    generated `width` x `height` grey JPEG to a JPEG in a fresh process: re-saved (no stage),
    colorized, and its dust filled (the models of the models folder: the shipped ones unless
    $PANCHRO_MODELS_DIR says otherwise)."""
    from panchro.engine.models import registry

    results: dict[str, Any] = {"width": width, "height": height, "rows": {}}
    out(
        f"photo benchmark: {width}x{height} ({width * height / 1e6:.1f} Mpx) grey JPEG -> JPEG "
        f"in a fresh process, {os.cpu_count()} CPU cores, models in "
        f"{registry.weights_path('colorizer').parent}"
    )
    with tempfile.TemporaryDirectory(prefix="panchro-bench-photo-") as tmp_name:
        tmp = Path(tmp_name)
        picture = tmp / "photo.jpg"
        photo_picture(picture, width, height)
        out(f"  {'case':<10} {'seconds':>8} {'peak RSS MB':>12} {'output MB':>10}")
        cases = (("re-save", []), ("colorize", ["--colorize"]), ("dust", ["--dust", "1"]))
        for case, extra in cases:
            target = tmp / f"{case}.jpg"
            row = _timed_restore([str(picture), str(target), *extra], tmp / f"{case}.log")
            row["output_mb"] = target.stat().st_size / 1e6 if target.exists() else None
            results["rows"][case] = row
            peak = "n/a" if row["peak_mb"] is None else f"{row['peak_mb']:.0f}"
            size = "-" if row["output_mb"] is None else f"{row['output_mb']:.1f}"
            out(f"  {case:<10} {row['seconds']:>8.1f} {peak:>12} {size:>10}")
            if row["exit_code"] != 0:
                out(f"    failed (exit {row['exit_code']}): {row['said']}")
            else:
                for line in row["said"].splitlines()[1:]:
                    out(f"    {line}")  # the summary's notes (untrained models, ...)
    return results
