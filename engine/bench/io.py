"""Benchmarks that print figures (never assert them): `panchro bench io` is `bench_io()`,
`panchro bench refine` is `bench_refine()` (frames per second of the refiner, see there),
`panchro bench restore` is `bench_restore()` (the streamed restore: fps, time shares, memory),
`panchro bench scrub` is `bench_scrub()` (what the player waits for a frame, through the engine),
`panchro bench huge` is `bench_huge()` (peak memory and time of one huge picture).

`bench_io` measures film I/O on this machine with generated media only:
opening a film (its packet index and idet's first look at its scan), decode
speed of a 1080p H.264 clip (to RGB and to YCbCr 4:4:4, deinterlaced by
bwdif, field matched), opening a film flagged interlaced (idet's whole check), random-access
latency, deflicker's and stabilize's cost (their measuring, and their stages on whole
frames), the dust and scratches stages' (on the first `DUST_FRAMES` frames), encode speed
for FFV1 and H.264, a folder of DPX frames opened and read, and the memory of streaming a
long film: it generates a `stream_minutes`-long 1080p film with a fast encoder setting,
streams it in a fresh process and prints that process's RSS every tenth of the way and its
peak, to show memory stays flat however long the film.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from panchro.engine.procmem import peak_rss_mb, rss_mb

FPS = 24
DUST_FRAMES = 24  # the dust stage is slow on a CPU: a second of film tells its rate


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


def _make_clip(
    path: Path, frames: int, width: int, height: int, preset: str, *, interlaced: bool = False
) -> None:
    import av

    pool = _frame_pool(width, height, 48)
    options = {"preset": preset, "crf": "23", "g": "48"}
    if interlaced:  # coded and flagged as interlaced (the pictures themselves are not)
        options |= {"flags": "+ilme+ildct", "x264-params": "tff=1"}
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=FPS, options=options)
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

    start_rss = rss_mb()
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
                rss = rss_mb()
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
            "peak_mb": peak_rss_mb(),
        }
    )
    conn.close()


def _bench_steady(src: Any, line: Callable[[str, str], None]) -> dict[str, float]:
    """Frames per second of deflicker's and stabilize's measuring alone, and of each stage on
    whole frames as the pipeline hands them over (8 at a time, measuring included)."""
    import numpy as np

    from panchro.engine.imaging import flicker, weave
    from panchro.engine.restore.batch import frame_batch
    from panchro.engine.restore.deflicker import DeflickerStage
    from panchro.engine.restore.dust import DustStage
    from panchro.engine.restore.scratches import ScratchStage
    from panchro.engine.restore.stabilize import StabilizeStage
    from panchro.engine.shots import Shot, analysis_size

    info = src.info
    n = info.frame_count
    results: dict[str, float] = {}
    t0 = time.perf_counter()
    size = analysis_size(info.width, info.height, flicker.ANALYSIS_WIDTH)
    for f in src.frames(fmt="gray", size=size):
        flicker.levels(f.image)
        flicker.tiles(f.image)
    results["deflicker_measure_fps"] = round(n / (time.perf_counter() - t0), 1)
    line("deflicker: measure (160-px grey copies)", f"{results['deflicker_measure_fps']:7.1f} fps")
    t0 = time.perf_counter()
    size = analysis_size(info.width, info.height, weave.ANALYSIS_WIDTH)
    previous = None
    for f in src.frames(fmt="gray", size=size):
        if previous is not None:
            weave.motion(previous, f.image)
        previous = f.image
    results["stabilize_measure_fps"] = round(n / (time.perf_counter() - t0), 1)
    line("stabilize: measure (320-px grey copies)", f"{results['stabilize_measure_fps']:7.1f} fps")
    frames = list(src.frames(fmt="yuv444p"))
    for name, stage in (("deflicker", DeflickerStage()), ("stabilize", StabilizeStage())):
        stage.begin_shot(0, Shot(0, n, 0), None, src)
        spent = 0.0
        for start in range(0, n, 8):
            part = frames[start : start + 8]
            ycc = np.stack([f.image for f in part]).astype(np.float32) / 255
            batch = frame_batch(part, ycc, info.time_base, 0, "bt709")
            t0 = time.perf_counter()
            stage.process(batch)
            spent += time.perf_counter() - t0
        results[f"{name}_stage_fps"] = round(n / spent, 1)
        line(f"{name} stage ({info.width}x{info.height} planes)", f"{n / spent:7.1f} fps")
    # Dust and scratches: on whole frames, each judged by its neighbours (the batch's context)
    for stage in (DustStage(), ScratchStage()):
        stage.begin_shot(0, Shot(0, n, 0), None, src)
        spent, done = 0.0, 0
        for start in range(0, min(n, DUST_FRAMES), 8):
            part = frames[start : start + 8]
            ycc = np.stack([f.image for f in part]).astype(np.float32) / 255
            later = frames[start + 8 : start + 10]
            around = np.stack([f.image[..., 0] for f in later]) / 255 if later else None
            batch = frame_batch(part, ycc, info.time_base, 0, "bt709", after=around)
            t0 = time.perf_counter()
            stage.process(batch)
            spent += time.perf_counter() - t0
            done += len(part)
        results[f"{stage.name}_stage_fps"] = round(done / spent, 2)
        line(f"{stage.name} stage ({info.width}x{info.height} planes)", f"{done / spent:7.2f} fps")
    return results


def _read_fps(src: Any, fmt: str) -> float:
    """Frames a second the whole of `src` is read at, in `fmt`."""
    t0 = time.perf_counter()
    count = sum(1 for _ in src.frames(fmt=fmt))
    return count / (time.perf_counter() - t0)


SCAN_FRAMES = 48  # DPX frames of the scan read back (8 MB each at 1080p)


def _bench_scan(
    folder: Path, held: list[Any], info: Any, width: int, height: int, line: Any
) -> dict[str, float]:
    """A folder of 10-bit DPX frames, as a film scanner writes a reel: opening it (every
    file's size from its header) and reading it, to grey and to RGB."""
    from panchro.engine.media import VideoWriter, open_source

    rate = Fraction(FPS)
    with VideoWriter(
        folder, codec="dpx", width=width, height=height, time_base=1 / rate, fps=rate, source=info
    ) as writer:
        for i in range(SCAN_FRAMES):
            writer.write(held[i % len(held)], i, fmt="yuv444p")
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    with open_source(folder) as src:
        ms = (time.perf_counter() - t0) * 1000
        out["open_dpx_scan_ms"] = round(ms, 1)
        line(f"open a DPX scan ({SCAN_FRAMES} 10-bit frames)", f"{ms:7.1f} ms")
        for fmt in ("gray16", "rgb48"):
            fps = _read_fps(src, fmt)
            out[f"read_dpx_{fmt}_fps"] = round(fps, 1)
            line(f"read the DPX scan -> {fmt}", f"{fps:7.1f} fps")
    return out


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

        t0 = time.perf_counter()
        with open_source(clip) as src:
            ms = (time.perf_counter() - t0) * 1000
            results["open_ms"] = round(ms, 1)
            line("open (index, idet's first look)", f"{ms:7.1f} ms")
            for fmt in ("rgb24", "yuv444p"):
                fps = _read_fps(src, fmt)
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

            for mode, key, label in (
                ("tff", "deinterlaced", "bwdif"),
                ("telecine", "field_matched", "field matched"),
            ):
                with open_source(clip, deinterlace=mode) as read:
                    fps = _read_fps(read, "yuv444p")
                results[f"decode_h264_yuv444p_{key}_fps"] = round(fps, 1)
                line(f"decode H.264 -> yuv444p, {label}", f"{fps:7.1f} fps")

            # A faded film's levels: measured once (48 frames spread, inside the borders),
            # then a straight line on every value as each frame is converted.
            from panchro.engine.survey import film_levels

            t0 = time.perf_counter()
            film_levels(src)
            ms = (time.perf_counter() - t0) * 1000
            results["measure_levels_ms"] = round(ms, 1)
            line("measure a film's levels (48 frames, borders)", f"{ms:7.1f} ms")
            with open_source(clip, levels=(0.1, 0.9)) as read:
                fps = _read_fps(read, "yuv444p")
            results["decode_h264_yuv444p_levels_fps"] = round(fps, 1)
            line("decode H.264 -> yuv444p, levels stretched", f"{fps:7.1f} fps")

            # Deflicker and stabilize: what they read (small grey copies, a second decode)
            # and, with it, what their stages add to batches of float planes.
            results |= _bench_steady(src, line)

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
        results |= _bench_scan(tmp / "scan", held, info, width, height, line)
        del held
        flagged = tmp / "flagged.mp4"
        _make_clip(flagged, min(n_clip, 10 * FPS), width, height, "veryfast", interlaced=True)
        t0 = time.perf_counter()
        with open_source(flagged) as src:
            ms = (time.perf_counter() - t0) * 1000
            said = src.info.deinterlace
        results["open_flagged_interlaced_ms"] = round(ms, 1)
        line(
            "open a film flagged interlaced (idet, field matching: 48)",
            f"{ms:7.1f} ms ({said.split(' (')[0]})",
        )
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


if __name__ == "__main__":
    bench_io()
