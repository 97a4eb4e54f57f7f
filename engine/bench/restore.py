"""`panchro bench restore` and `panchro bench scrub`.

`bench_restore`: the streamed restore (fps, time shares, memory over a long film);
`bench_restore_models`: the shipped models at a size (`--models`); `bench_scrub`: what the
player waits for a frame, through the engine process.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from panchro.engine.bench.io import FPS, _make_clip
from panchro.engine.procmem import peak_rss_mb, rss_mb


class _IdentityStage:
    """A stage that changes nothing: what the float round trip and the stage thread cost."""

    key = "bench-identity"

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Any, pick: Any, film: Any) -> None:
        return None

    def process(self, batch: Any) -> Any:
        return batch


def _restore_worker(path: str, output: str, stage: bool, conn: Any) -> None:
    """In a fresh process: restore `path`, sampling RSS at every tenth of the way."""
    from panchro.engine.progress import Progress
    from panchro.engine.restore.pipeline import restore

    start_rss = rss_mb()
    samples: list[tuple[int, float]] = []

    def sample(state: Any) -> None:
        # With a stage, shots are detected first (stage "shots"): not the restore itself.
        if state.stage == "shots" or not state.total:
            return
        if state.done * 10 // state.total > len(samples):
            samples.append((state.done, rss_mb()))

    summary = restore(
        path, output, progress=Progress(None, sample), stages=[_IdentityStage()] if stage else None
    )
    conn.send(
        {
            "frames": summary.frames,
            "seconds": summary.seconds,
            "rss_start_mb": start_rss,
            "samples": samples,
            "peak_mb": peak_rss_mb(),
        }
    )
    conn.close()


def bench_restore_models(
    *,
    width: int = 1920,
    height: int = 1080,
    seconds: float = 4.0,
    upscale: int = 2,
    codec: str = "prores",
    device: str | None = None,
    batch: int = 8,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the whole job with the shipped models: colorize + ×`upscale` to
    `codec`, on `device` (default: CUDA when present), with the busy-time shares.

    The issue's real-time target is 1080p -> colorize + ×2 -> 4K ProRes at ≥ 24 fps
    on an H100; on a CPU use a small size (e.g. 426x240) to see the same parts run.
    """
    import torch

    from panchro.engine.inference.device import engine_cpu_precision, resolve_device
    from panchro.engine.project import Settings
    from panchro.engine.restore.pipeline import restore
    from panchro.engine.restore.stages import build_stages

    device = str(resolve_device(device))
    gpu = (
        torch.cuda.get_device_name(0)
        if device.startswith("cuda")
        else f"no GPU; upscaler in {engine_cpu_precision()}"
    )
    results: dict[str, Any] = {
        "width": width, "height": height, "upscale": upscale, "codec": codec,
        "device": device, "gpu": gpu, "batch": batch,
    }  # fmt: skip
    out(
        f"restore with models: {width}x{height} -> colorize + x{upscale} -> "
        f"{width * upscale}x{height * upscale} {codec}, device {device} ({gpu}), "
        f"batch {batch}, {os.cpu_count()} CPU cores"
    )
    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        n = max(2, int(round(seconds * FPS)))
        _make_clip(clip, n, width, height, preset="veryfast")
        settings = Settings(colorize=True, upscale=upscale)
        stages = build_stages(settings, device=device)
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        target = tmp / ("out.mov" if codec == "prores" else "out.mkv")
        summary = restore(clip, target, stages=stages, codec=codec, batch=batch)
        busy = summary.decode_s + summary.stages_s + summary.encode_s or 1.0
        results.update(
            frames=summary.frames,
            fps=round(summary.fps, 2),
            decode_share=round(summary.decode_s / busy, 3),
            stages_share=round(summary.stages_s / busy, 3),
            encode_share=round(summary.encode_s / busy, 3),
            peak_rss_mb=round(peak_rss_mb(), 1),
            # What the run wrote beside the clip (its record, its project) goes with the
            # temporary folder: a note pointing there would name a file that is gone.
            notes=[n for n in summary.notes if tmp_name not in n],
            not_kept=sum(tmp_name in n for n in summary.notes),
        )
        if device.startswith("cuda"):
            results["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    out(
        f"  {summary.frames} frames in {summary.seconds:.1f} s: {results['fps']:.2f} fps   "
        f"busy time: decode {100 * results['decode_share']:.0f}% / stages "
        f"{100 * results['stages_share']:.0f}% / encode {100 * results['encode_share']:.0f}%"
    )
    memory = f"  peak RSS {results['peak_rss_mb']:.0f} MB"
    if "peak_cuda_mb" in results:
        memory += f", peak CUDA memory {results['peak_cuda_mb']:.0f} MB"
    out(memory)
    for note in results["notes"]:
        out(f"  note: {note}")
    if results["not_kept"]:
        out("  (the run's restoration record was written beside the test clip and not kept)")
    return results


def bench_restore(
    *,
    seconds: float = 10.0,
    minutes: float = 2.0,
    long_minutes: float | None = None,
    width: int = 854,
    height: int = 480,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return `panchro restore` figures on this machine, generated media only.

    A `seconds`-long 480p H.264 clip restored to H.264 (crf 18, medium) with no
    stage (decode -> encode) and with an identity stage (the float YCbCr round
    trip and the stage thread, no model): frames per second (with a stage and
    no project, shot detection runs first and is counted) and the share of
    busy time in decode / stages / encode (the parts overlap in threads). Then
    the host memory of restoring a `minutes`-long film (and a `long_minutes`
    one, if given) in a fresh process: RSS every tenth of the way and the peak,
    which stay flat however long the film.
    """
    import av

    from panchro.engine.restore.pipeline import restore

    results: dict[str, Any] = {"width": width, "height": height, "cpu_count": os.cpu_count()}
    out(
        f"restore benchmark: {width}x{height}, {os.cpu_count()} CPU cores, PyAV {av.__version__}, "
        "output H.264 crf 18 medium"
    )

    def line(label: str, value: str) -> None:
        out(f"  {label:<44} {value}")

    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        n_clip = max(2, int(round(seconds * FPS)))
        _make_clip(clip, n_clip, width, height, preset="veryfast")
        for label, stages in (("no stage (decode -> encode)", None), ("identity stage", True)):
            target = tmp / "out.mp4"
            summary = restore(clip, target, stages=[_IdentityStage()] if stages else None)
            target.unlink()
            busy = summary.decode_s + summary.stages_s + summary.encode_s or 1.0
            shares = (
                f"decode {100 * summary.decode_s / busy:.0f}% / "
                f"stages {100 * summary.stages_s / busy:.0f}% / "
                f"encode {100 * summary.encode_s / busy:.0f}%"
            )
            line(label, f"{summary.fps:6.1f} fps   busy time: {shares}")
            key = "passthrough" if stages is None else "identity_stage"
            results[key] = {
                "fps": round(summary.fps, 1),
                "decode_s": summary.decode_s,
                "stages_s": summary.stages_s,
                "encode_s": summary.encode_s,
            }
        clip.unlink()

        lengths = [minutes] + ([long_minutes] if long_minutes else [])
        for length in lengths:
            film = tmp / "film.mp4"
            n = max(2, int(round(length * 60 * FPS)))
            t0 = time.perf_counter()
            _make_clip(film, n, width, height, preset="ultrafast")
            line(f"generate a {length:g} min film", f"{n} frames, {time.perf_counter() - t0:.0f} s")
            ctx = multiprocessing.get_context("spawn")
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_restore_worker, args=(str(film), str(tmp / "film_out.mp4"), True, send)
            )
            proc.start()
            send.close()
            stats = recv.recv()
            proc.join()
            points = ", ".join(
                f"{100 * done / stats['frames']:.0f}%: {rss:.0f}" for done, rss in stats["samples"]
            )
            line(
                "restore it (identity stage), fresh process",
                f"{stats['frames']} frames, {stats['frames'] / stats['seconds']:.1f} fps",
            )
            line("  RSS before opening", f"{stats['rss_start_mb']:.0f} MB")
            out(f"      RSS along the film (MB) {points}")
            line("  peak RSS of the restoring process", f"{stats['peak_mb']:.0f} MB")
            results[f"memory_{length:g}min"] = {
                "frames": stats["frames"],
                "rss_start_mb": round(stats["rss_start_mb"], 1),
                "rss_mb": [(d, round(r, 1)) for d, r in stats["samples"]],
                "peak_rss_mb": round(stats["peak_mb"], 1),
            }
            film.unlink()
            (tmp / "film_out.mp4").unlink(missing_ok=True)
    return results


def bench_scrub(
    *,
    width: int = 1920,
    height: int = 1080,
    seconds: float = 10.0,
    max_side: int = 1280,
    reads: int = 30,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return how long the player waits for a frame, through the engine.

    A `seconds`-long clip encoded as films are (H.264, x264 `medium`: B-frames
    with a pyramid, a keyframe every 2 s) is opened by an engine process, and
    `frame` requests are timed from the request to the JPEG in hand, as the
    GUI sends them (`max_side` as a 1280-pixel view asks): `reads` random
    positions, the same number of one-frame steps forward, and the same
    number of steps backward (each one a seek).
    """
    import numpy as np

    from panchro.engine.service.client import EngineClient
    from panchro.engine.service.protocol import Request

    results: dict[str, Any] = {"width": width, "height": height, "cpu_count": os.cpu_count()}
    out(
        f"scrub benchmark: {width}x{height} H.264 (x264 medium, keyframe every 2 s), "
        f"preview {max_side} px JPEG, {os.cpu_count()} CPU cores, through an engine process"
    )
    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        clip = Path(tmp_name) / "clip.mp4"
        n = max(8, int(round(seconds * FPS)))
        _make_clip(clip, n, width, height, preset="medium")
        rng = np.random.default_rng(0)
        plans = {
            "random position": [int(i) for i in rng.integers(0, n, size=reads)],
            "step forward": list(range(n // 3, n // 3 + reads)),
            "step backward": list(range(n - 2, max(-1, n - 2 - reads), -1)),
        }
        with EngineClient.start(stderr=subprocess.DEVNULL) as engine:
            film = engine.request(Request.OPEN, path=str(clip)).data["film"]
            engine.request(Request.FRAME, film=film, index=n - 1, max_side=max_side)
            for label, indices in plans.items():
                ms = []
                for i in indices:
                    t0 = time.perf_counter()
                    reply = engine.request(
                        Request.FRAME, film=film, index=i, max_side=max_side,
                        blob_type="image/jpeg",
                    )  # fmt: skip
                    ms.append(1000 * (time.perf_counter() - t0))
                    if reply.data["index"] != i:
                        raise RuntimeError(f"asked for frame {i}, got {reply.data['index']}")
                arr = np.asarray(ms)
                row = {
                    "median_ms": round(float(np.median(arr)), 1),
                    "p90_ms": round(float(np.percentile(arr, 90)), 1),
                    "max_ms": round(float(arr.max()), 1),
                }
                results[label.replace(" ", "_")] = row
                out(
                    f"  {label:<18} median {row['median_ms']:6.1f} ms   "
                    f"p90 {row['p90_ms']:6.1f} ms   max {row['max_ms']:6.1f} ms"
                )
    return results
