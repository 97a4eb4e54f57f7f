"""`panchro bench huge`: peak memory and time of restoring one huge picture, in a fresh process."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panchro.engine.procmem import peak_rss_mb, reset_peak_rss, rss_mb


def _huge_picture(path: Path, width: int, height: int, content: str = "detail") -> None:
    """A grey picture written as PNG: "detail" (gradients, edges, a little noise) or "noise"
    (uniform noise, which no encoder can shrink: the worst case for the encoder's memory)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    if content == "noise":
        Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8)).save(
            path, compress_level=1
        )
        return
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)
    img = np.empty((height, width), np.uint8)
    for y0 in range(0, height, 512):  # in bands: the picture itself is the only big thing
        y = np.linspace(y0 / height, (y0 + 512) / height, 512, dtype=np.float32)[
            : min(512, height - y0), None
        ]
        band = 0.5 + 0.3 * np.sin(40 * x + 25 * y) * np.cos(7 * y) + 0.15 * ((x * 64) % 1 > 0.5)
        band += rng.normal(0.0, 0.03, band.shape).astype(np.float32)
        img[y0 : y0 + len(y)] = np.clip(band * 255, 0, 255).astype(np.uint8)
    Image.fromarray(img).save(path, compress_level=1)


def _huge_worker(
    picture: str, output: str, case: str, codec: str, limit_mb: float | None, conn: Any
) -> None:
    """In a fresh process: restore one picture with the `case` stages, sampling RSS and
    counting the progress reports that arrive while the frame is being worked on."""
    import threading

    from panchro.engine.progress import Progress
    from panchro.engine.project import Settings
    from panchro.engine.restore import memory
    from panchro.engine.restore.pipeline import restore
    from panchro.engine.restore.stages import build_stages

    settings = Settings(colorize=case == "colorize", upscale=2 if case == "upscale" else 1)
    stages = build_stages(settings, device="cpu")
    base = rss_mb()
    from PIL import Image

    with Image.open(picture) as im:
        scale = settings.upscale
        size = (im.width * scale, im.height * scale)
    kinds = [memory.stage_kind(st.key) for st in stages]
    estimate = memory.estimate(*size, codec, 8, kinds, base)
    peak = [base]
    stop = threading.Event()

    def sampler() -> None:  # VmHWM covers the peak; this one tells when it happened
        while not stop.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    reports: list[float] = []

    def report(state: Any) -> None:
        if state.stage != "shots":
            reports.append(state.done + float(getattr(state, "partial", 0.0)))

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    reset = reset_peak_rss()
    t0 = time.perf_counter()
    try:
        summary = restore(
            picture,
            output,
            codec=codec,
            stages=stages,
            progress=Progress(None, report),
            memory_limit_mb=limit_mb,
        )
        error = None
    except Exception as exc:  # noqa: BLE001 - a refusal is a figure too
        summary, error = None, str(exc)
    seconds = time.perf_counter() - t0
    stop.set()
    thread.join()
    conn.send(
        {
            "seconds": seconds,
            "rss_before_mb": base,
            "estimate_mb": estimate.peak_mb,
            "peak_mb": peak_rss_mb() if reset else peak[0],
            "peak_sampled_mb": peak[0],
            "reports_within_frame": sum(1 for r in reports if 0.0 < r < 1.0),
            "output": None if summary is None else f"{summary.width}x{summary.height}",
            "error": error,
        }
    )
    conn.close()


def bench_huge(
    *,
    width: int = 8000,
    height: int = 6000,
    cases: tuple[str, ...] = ("none", "upscale", "colorize"),
    codec: str = "ffv1",
    content: str = "detail",
    memory_limit_mb: float | None = None,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the peak memory and time of restoring one huge picture.

    A `width` x `height` grey picture is restored to `codec` in a fresh process
    per case: "none" (decode -> encode), "upscale" (x2 with the shipped
    upscaler) and "colorize" (the shipped colorizer and refiner), all on the
    CPU. Each row: seconds, peak RSS of the restoring process (VmHWM, reset
    after the models are loaded, so it is the restore's own), RSS before, and
    how many progress reports arrived while the one frame was in work (0 means
    the bar stood still until the frame was done), and the peak the restore
    estimated before it began (`restore.memory`), which must not be below the
    measured one. With `memory_limit_mb`, a case whose estimate is above the
    limit is refused before its first frame (the row says "refused").
    """
    results: dict[str, Any] = {
        "width": width,
        "height": height,
        "codec": codec,
        "content": content,
        "memory_limit_mb": memory_limit_mb,
        "rows": {},
    }
    out(
        f"huge picture benchmark: {width}x{height} ({width * height / 1e6:.1f} Mpx) grey PNG "
        f"of {content} "
        f"-> {codec}, CPU only, {os.cpu_count()} CPU cores"
        + (f", limit {memory_limit_mb:.0f} MB" if memory_limit_mb else "")
    )
    ext = {"h264": ".mp4", "h265": ".mp4", "prores": ".mov", "ffv1": ".mkv"}.get(codec, "")
    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        picture = tmp / "picture.png"
        _huge_picture(picture, width, height, content)
        out(
            f"  {'case':<10} {'output':>12} {'seconds':>8} {'peak RSS MB':>12}"
            f" {'estimate MB':>12} {'RSS before MB':>14} {'reports in frame':>17}"
        )
        for case in cases:
            ctx = multiprocessing.get_context("spawn")
            recv, send = ctx.Pipe(duplex=False)
            target = tmp / f"out_{case}{ext}"
            proc = ctx.Process(
                target=_huge_worker,
                args=(str(picture), str(target), case, codec, memory_limit_mb, send),
            )
            proc.start()
            send.close()
            try:
                row = recv.recv()
            except EOFError:  # killed (out of memory) before it could answer
                row = {"error": f"the process died (exit code {proc.join() or proc.exitcode})"}
            proc.join()
            results["rows"][case] = row
            if row.get("error") and "seconds" not in row:
                out(f"  {case:<10} {row['error']}")
                continue
            output = row["output"] or "refused"
            out(
                f"  {case:<10} {output:>12} {row['seconds']:>8.1f} {row['peak_mb']:>12.0f}"
                f" {row['estimate_mb']:>12.0f} {row['rss_before_mb']:>14.0f}"
                f" {row['reports_within_frame']:>17}"
            )
            if row["error"]:
                out(f"    {row['error']}")
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
    return results
