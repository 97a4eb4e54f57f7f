"""Benchmarks that print figures (never assert them): `panchro bench io` is `bench_io()`,
`panchro bench refine` is `bench_refine()` (frames per second of the refiner, see there),
`panchro bench restore` is `bench_restore()` (the streamed restore: fps, time shares, memory),
`panchro bench scrub` is `bench_scrub()` (what the player waits for a frame, through the engine),
`panchro bench huge` is `bench_huge()` (peak memory and time of one huge picture).

`bench_io` measures film I/O on this machine with generated media only:
decode speed of a 1080p H.264 clip (to RGB and to YCbCr 4:4:4), random-access
latency, encode speed for FFV1 and H.264, and the memory of streaming a long
film: it generates a `stream_minutes`-long 1080p film with a fast encoder
setting, streams it in a fresh process and prints that process's RSS every
tenth of the way and its peak, to show memory stays flat however long the film.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

FPS = 24


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    """Resident memory of this process now (VmRSS); the peak where /proc is missing."""
    rss = _proc_status_mb("VmRSS")
    return rss if rss is not None else _peak_rss_mb()


def _peak_rss_mb() -> float:
    """Peak resident memory of this process.

    VmHWM first: getrusage's ru_maxrss survives exec, so a freshly spawned
    process would report its parent's peak.
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _frame_pool(width: int, height: int, n: int) -> list[Any]:
    """`n` YCbCr 4:2:0 frames of a moving bar pattern: cheap to make, not trivial to code."""
    import av
    import numpy as np

    pool = []
    x = np.arange(width)
    y = np.arange(height)[:, None]
    for i in range(n):
        luma = ((x[None, :] + 8 * i) // 64 % 2 * 120 + 60 + (y // 90 % 2) * 40).astype(np.uint8)
        luma = np.broadcast_to(luma, (height, width)).copy()
        luma[(y[:, 0] + 4 * i) % height == 0, :] = 235  # a line that moves down
        frame = av.VideoFrame(width, height, "yuv420p")
        planes = frame.planes
        np.frombuffer(planes[0], np.uint8).reshape(height, planes[0].line_size)[:, :width] = luma
        for p, v in ((planes[1], 128 + (i % 16)), (planes[2], 128 - (i % 16))):
            np.frombuffer(p, np.uint8)[:] = v
        pool.append(frame)
    return pool


def _make_clip(path: Path, frames: int, width: int, height: int, preset: str) -> None:
    import av

    pool = _frame_pool(width, height, 48)
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream(
            "libx264", rate=FPS, options={"preset": preset, "crf": "23", "g": "48"}
        )
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.codec_context.thread_count = 0
        for i in range(frames):
            frame = pool[i % len(pool)]
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _stream_worker(path: str, conn: Any) -> None:
    """In a fresh process: stream every frame of `path` as RGB, sampling RSS as it goes."""
    from panchro.engine.media import open_source

    start_rss = _rss_mb()
    samples: list[tuple[int, float]] = []
    peak_sampled = start_rss
    t0 = time.perf_counter()
    with open_source(path) as src:
        n = src.info.frame_count
        marks = {max(0, min(n - 1, round(n * k / 10) - 1)) for k in range(1, 11)}
        count = 0
        for frame in src.frames(fmt="rgb24"):
            count += 1
            if count % 16 == 0 or frame.index in marks:
                rss = _rss_mb()
                peak_sampled = max(peak_sampled, rss)
                if frame.index in marks:
                    samples.append((frame.index + 1, rss))
    seconds = time.perf_counter() - t0
    conn.send(
        {
            "frames": count,
            "seconds": seconds,
            "rss_start_mb": start_rss,
            "samples": samples,
            "peak_sampled_mb": peak_sampled,
            "peak_mb": _peak_rss_mb(),
        }
    )
    conn.close()


def bench_io(
    *,
    seconds: float = 10.0,
    stream_minutes: float = 10.0,
    width: int = 1920,
    height: int = 1080,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return film I/O figures for this machine (see the module docstring)."""
    import av
    import numpy as np

    from panchro.engine.media import VideoWriter, open_source

    results: dict[str, Any] = {
        "width": width,
        "height": height,
        "cpu_count": os.cpu_count(),
        "pyav": av.__version__,
        "ffmpeg": ".".join(map(str, av.library_versions["libavcodec"])),
    }
    out(
        f"io benchmark: {width}x{height}, {os.cpu_count()} CPU cores, PyAV {av.__version__}, "
        f"libavcodec {results['ffmpeg']}"
    )

    def line(label: str, value: str) -> None:
        out(f"  {label:<40} {value}")

    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        n_clip = max(2, int(round(seconds * FPS)))
        t0 = time.perf_counter()
        _make_clip(clip, n_clip, width, height, preset="veryfast")
        line(
            f"generate {seconds:g} s H.264 clip",
            f"{n_clip} frames, {time.perf_counter() - t0:.1f} s",
        )

        with open_source(clip) as src:
            for fmt in ("rgb24", "yuv444p"):
                t0 = time.perf_counter()
                count = sum(1 for _ in src.frames(fmt=fmt))
                fps = count / (time.perf_counter() - t0)
                results[f"decode_h264_{fmt}_fps"] = round(fps, 1)
                line(f"decode H.264 -> {fmt}", f"{fps:7.1f} fps")

            rng = np.random.default_rng(0)
            picks = rng.integers(0, n_clip, size=min(10, n_clip))
            t0 = time.perf_counter()
            for i in picks:
                src.read_frame(int(i))
            ms = (time.perf_counter() - t0) / len(picks) * 1000
            results["random_access_ms"] = round(ms, 1)
            line("random access read_frame (mean of 10)", f"{ms:7.1f} ms")

            # Encode from frames held in memory, so the figure is the encoder's alone.
            held = [f.image for f in src.frames(0, min(24, n_clip), fmt="yuv444p")]
            info = src.info
        for codec, label, name in (
            ("ffv1", "FFV1 (yuv444p)", "out.mkv"),
            ("h264", "H.264 8-bit (crf 18, medium)", "out.mp4"),
        ):
            t0 = time.perf_counter()
            with VideoWriter(
                tmp / name,
                codec=codec,
                width=width,
                height=height,
                time_base=Fraction(1, FPS),
                fps=Fraction(FPS),
                source=info,
            ) as writer:
                for i in range(n_clip):
                    writer.write(held[i % len(held)], i, fmt="yuv444p")
            fps = n_clip / (time.perf_counter() - t0)
            results[f"encode_{codec}_fps"] = round(fps, 1)
            line(f"encode {label}", f"{fps:7.1f} fps")
        del held
        (tmp / "out.mkv").unlink(missing_ok=True)
        (tmp / "out.mp4").unlink(missing_ok=True)

        film = tmp / "film.mp4"
        n_film = max(2, int(round(stream_minutes * 60 * FPS)))
        t0 = time.perf_counter()
        _make_clip(film, n_film, width, height, preset="ultrafast")
        size_mb = film.stat().st_size / 1e6
        line(
            f"generate {stream_minutes:g} min film (ultrafast)",
            f"{n_film} frames, {size_mb:.0f} MB, {time.perf_counter() - t0:.1f} s",
        )
        ctx = multiprocessing.get_context("spawn")
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_stream_worker, args=(str(film), send))
        proc.start()
        send.close()
        stats = recv.recv()
        proc.join()
        fps = stats["frames"] / stats["seconds"]
        points = ", ".join(
            f"{100 * done / stats['frames']:.0f}%: {rss:.0f}" for done, rss in stats["samples"]
        )
        line("stream the film -> rgb24", f"{stats['frames']} frames, {fps:7.1f} fps")
        line("  RSS before opening", f"{stats['rss_start_mb']:.0f} MB")
        out(f"    RSS along the film (MB) {points}")
        line("  peak RSS of the streaming process", f"{stats['peak_mb']:.0f} MB")
        results.update(
            stream_frames=stats["frames"],
            stream_fps=round(fps, 1),
            stream_rss_start_mb=round(stats["rss_start_mb"], 1),
            stream_rss_mb=[(done, round(rss, 1)) for done, rss in stats["samples"]],
            stream_peak_rss_mb=round(stats["peak_mb"], 1),
        )
    return results


def _reset_peak_rss() -> bool:
    """Start this process's peak RSS (VmHWM) afresh; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # 5: reset the peak resident set size (Linux >= 4.0)
        return True
    except OSError:
        return False


def bench_refine(
    *,
    device: str | None = None,
    weights: str = "refiner",
    config: str | None = None,
    cpu_size: tuple[int, int] = (480, 854),
    cpu_batches: tuple[int, ...] = (1, 4),
    cuda_size: tuple[int, int] = (1080, 1920),
    cuda_batches: tuple[int, ...] = (1, 4, 8, 16, 32),
    frames: int | None = None,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Frames per second of `refine.refine_chroma` for batches of T frames; prints a table.

    CPU at 480p (854x480) for each T in `cpu_batches`; CUDA, when present, at
    1080p for each T in `cuda_batches`. Each row: frames per second (wall clock,
    host numpy in and out, the guided upsampling included), wall and CPU
    milliseconds per frame, the peak host RSS while that row ran (and the peak
    CUDA memory allocated). Uses the shipped weights `weights` (a registry name
    or a path) when they exist, else random weights of `config` ("cpu" on CPU,
    "default" on CUDA, by default), and says which: speed does not depend on the
    weights' values, only on the config.
    """
    import numpy as np
    import torch

    from panchro.engine.errors import BadInputError, ModelMissingError
    from panchro.engine.inference.refine import refine_chroma, working_shape
    from panchro.engine.models.refiner import build, refiner_config
    from panchro.engine.models.weights import load_model

    devices = [device] if device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    results: dict[str, Any] = {"cpu_count": os.cpu_count(), "threads": torch.get_num_threads()}
    out(f"refine benchmark: {os.cpu_count()} CPU cores, torch {torch.__version__}")
    try:
        shipped, _, meta = load_model(weights)
        trained_note = "trained" if meta["card"].get("trained") else "untrained"
        source = f"weights {weights} ({trained_note}, config {meta['config']})"
    except ModelMissingError:
        shipped, source = None, None
    header = (
        f"  {'device':<6} {'frames':>11} {'T':>3} {'fps':>7} {'ms/frame':>9}"
        f" {'CPU ms/frame':>12} {'peak RSS MB':>12} {'peak CUDA MB':>13}"
    )
    for dev in devices:
        cuda = dev.startswith("cuda")
        height, width = cuda_size if cuda else cpu_size
        batches = cuda_batches if cuda else cpu_batches
        if shipped is not None:
            model = shipped.to(dev)
            what = source
        else:
            name = config or ("default" if cuda else "cpu")
            try:
                cfg = refiner_config(name)
            except ValueError as err:
                raise BadInputError(str(err)) from None
            torch.manual_seed(0)
            model = build(cfg).to(dev)
            what = f"RANDOM weights, config {name!r} (no trained refiner found; speed only)"
        cfg = model.config
        wh, ww = working_shape(height, width, cfg.working_size)
        threads = "" if cuda else f", {torch.get_num_threads()} threads"
        out(f"{dev}{threads}: {what}; working resolution {ww}x{wh}")
        out(header)
        rng = np.random.default_rng(0)
        hint = (rng.random((2, cfg.hint_size, cfg.hint_size), dtype=np.float32) - 0.5) * 0.3
        sync = torch.cuda.synchronize if cuda else (lambda: None)
        rows = []
        for t in batches:
            n = max(t, frames if frames is not None else (4 * t if cuda else max(8, t)))
            n = -(-n // t) * t  # whole batches
            luma = rng.random((t, height, width), dtype=np.float32)
            refine_chroma(model, luma, hint, batch=t)  # warm-up: kernels, allocator, caches
            sync()
            reset = _reset_peak_rss()
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n // t):
                refine_chroma(model, luma, hint, batch=t)
            sync()
            wall, cpu_s = time.perf_counter() - t0, time.process_time() - c0
            row = {
                "device": dev,
                "size": f"{width}x{height}",
                "batch": t,
                "frames": n,
                "fps": round(n / wall, 2),
                "ms_per_frame": round(1000 * wall / n, 1),
                "cpu_ms_per_frame": round(1000 * cpu_s / n, 1),
                "peak_rss_mb": round(_peak_rss_mb(), 1),
                "peak_rss_is_lifetime": not reset,
                "peak_cuda_mb": (
                    round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None
                ),
            }
            rows.append(row)
            cuda_mb = f"{row['peak_cuda_mb']:.0f}" if cuda else "-"
            out(
                f"  {dev:<6} {row['size']:>11} {t:>3} {row['fps']:>7.2f}"
                f" {row['ms_per_frame']:>9.1f} {row['cpu_ms_per_frame']:>12.1f}"
                f" {row['peak_rss_mb']:>12.0f} {cuda_mb:>13}"
            )
        if rows and rows[0]["peak_rss_is_lifetime"]:
            out("  (peak RSS is the process's lifetime peak: /proc/self/clear_refs was refused)")
        results[dev] = {"model": what, "working": f"{ww}x{wh}", "rows": rows}
    return results


class _IdentityStage:
    """A stage that changes nothing: what the float round trip and the stage thread cost."""

    key = "bench-identity"

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        return width, height

    def begin_shot(self, shot_index: int, shot: Any, pick: Any) -> None:
        return None

    def process(self, batch: Any) -> Any:
        return batch


def _restore_worker(path: str, output: str, stage: bool, conn: Any) -> None:
    """In a fresh process: restore `path`, sampling RSS at every tenth of the way."""
    from panchro.engine.progress import Progress
    from panchro.engine.restore.pipeline import restore

    start_rss = _rss_mb()
    samples: list[tuple[int, float]] = []

    def sample(state: Any) -> None:
        # With a stage, shots are detected first (stage "shots"): not the restore itself.
        if state.stage == "shots" or not state.total:
            return
        if state.done * 10 // state.total > len(samples):
            samples.append((state.done, _rss_mb()))

    summary = restore(
        path, output, progress=Progress(None, sample), stages=[_IdentityStage()] if stage else None
    )
    conn.send(
        {
            "frames": summary.frames,
            "seconds": summary.seconds,
            "rss_start_mb": start_rss,
            "samples": samples,
            "peak_mb": _peak_rss_mb(),
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

    from panchro.engine.project import Settings
    from panchro.engine.restore.pipeline import build_stages, restore

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") else "no GPU"
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
        stages = build_stages(settings, source=clip, device=device)
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
            peak_rss_mb=round(_peak_rss_mb(), 1),
            notes=list(summary.notes),
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


def _huge_picture(path: Path, width: int, height: int) -> None:
    """A grey picture with detail at every scale (gradients, edges, noise), written as PNG."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
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


def _huge_worker(picture: str, output: str, case: str, codec: str, conn: Any) -> None:
    """In a fresh process: restore one picture with the `case` stages, sampling RSS and
    counting the progress reports that arrive while the frame is being worked on."""
    import threading

    from panchro.engine.progress import Progress
    from panchro.engine.project import Settings
    from panchro.engine.restore.pipeline import build_stages, restore

    settings = Settings(colorize=case == "colorize", upscale=2 if case == "upscale" else 1)
    stages = build_stages(settings, source=picture, device="cpu")
    base = _rss_mb()
    peak = [base]
    stop = threading.Event()

    def sampler() -> None:  # VmHWM covers the peak; this one tells when it happened
        while not stop.wait(0.05):
            peak[0] = max(peak[0], _rss_mb())

    reports: list[float] = []

    def report(state: Any) -> None:
        if state.stage != "shots":
            reports.append(state.done + float(getattr(state, "partial", 0.0)))

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    reset = _reset_peak_rss()
    t0 = time.perf_counter()
    try:
        summary = restore(
            picture, output, codec=codec, stages=stages, progress=Progress(None, report)
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
            "peak_mb": _peak_rss_mb() if reset else peak[0],
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
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return the peak memory and time of restoring one huge picture.

    A `width` x `height` grey picture is restored to `codec` in a fresh process
    per case: "none" (decode -> encode), "upscale" (x2 with the shipped
    upscaler) and "colorize" (the shipped colorizer and refiner), all on the
    CPU. Each row: seconds, peak RSS of the restoring process (VmHWM, reset
    after the models are loaded, so it is the restore's own), RSS before, and
    how many progress reports arrived while the one frame was in work (0 means
    the bar stood still until the frame was done).
    """
    results: dict[str, Any] = {"width": width, "height": height, "codec": codec, "rows": {}}
    out(
        f"huge picture benchmark: {width}x{height} ({width * height / 1e6:.1f} Mpx) grey PNG "
        f"-> {codec}, CPU only, {os.cpu_count()} CPU cores"
    )
    ext = {"h264": ".mp4", "h265": ".mp4", "prores": ".mov", "ffv1": ".mkv"}.get(codec, "")
    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        picture = tmp / "picture.png"
        _huge_picture(picture, width, height)
        out(
            f"  {'case':<10} {'output':>12} {'seconds':>8} {'peak RSS MB':>12}"
            f" {'RSS before MB':>14} {'reports in frame':>17}"
        )
        for case in cases:
            ctx = multiprocessing.get_context("spawn")
            recv, send = ctx.Pipe(duplex=False)
            target = tmp / f"out_{case}{ext}"
            proc = ctx.Process(
                target=_huge_worker, args=(str(picture), str(target), case, codec, send)
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
                f" {row['rss_before_mb']:>14.0f} {row['reports_within_frame']:>17}"
            )
            if row["error"]:
                out(f"    {row['error']}")
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
    return results


if __name__ == "__main__":
    bench_io()
