"""`panchro bench refine | upscale | sample`: the models' speed and memory on each device."""

from __future__ import annotations

import functools
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from panchro.engine.errors import BadInputError
from panchro.engine.inference import device as compute
from panchro.engine.inference.sampling import sample_chroma
from panchro.engine.inference.upscale import (
    UpscaleStats,
    bytes_per_pixel,
    upscale_chroma,
    upscale_luma,
)
from panchro.engine.models import colorizer as colorizer_module
from panchro.engine.models.upscaler import Upscaler, UpscalerConfig
from panchro.engine.procmem import peak_rss_mb, reset_peak_rss


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

    from panchro.engine.errors import ModelMissingError
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
            reset = reset_peak_rss()
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
                "peak_rss_mb": round(peak_rss_mb(), 1),
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


def _bench_model(scale: int, device: torch.device, kind: str = "film") -> tuple[Upscaler, str]:
    from panchro.engine.models.upscaler import build
    from panchro.engine.models.weights import load_model, model_status

    name = f"upscaler_x{scale}" + ("_sharp" if kind == "sharp" else "")
    if model_status(name)["status"] in ("ready", "untrained"):
        model, _cfg, _meta = load_model(name, device)
        return model, f"{name} weights"
    torch.manual_seed(0)
    return build(UpscalerConfig.preset("fast", scale=scale)).to(device).eval(), (
        "fast preset, untrained (no weights: speed only)"
    )


def _timed(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (cuDNN algorithm search, allocator)
    t = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t) / repeats


def bench_upscale(device: str | None = None, *, frames: int = 8, kind: str = "film") -> None:
    """Print upscale speed and memory: 480p x2 on the CPU; on CUDA 1080p -> 4K and
    540p -> 1080p over batch sizes; and a small memory budget forcing tiles, with the
    largest difference from the untiled output. `kind`: the film or the sharp x2."""
    devices = [torch.device(device)] if device else [torch.device("cpu")]
    if device is None and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    rng = np.random.default_rng(0)
    for dev in devices:
        if dev.type == "cuda":
            torch.backends.cudnn.benchmark = True  # frame sizes are fixed within a film
        model, what = _bench_model(2, dev, kind)
        cfg = model.config
        name = (
            torch.cuda.get_device_name(dev)
            if dev.type == "cuda"
            else f"cpu, {torch.get_num_threads()} threads, {compute.engine_cpu_precision()}"
        )
        print(
            f"device {name}; model {what}: {cfg.channels} ch, {cfg.blocks} blocks, "
            f"{cfg.frames} frames"
        )
        sizes = [(480, 854)] if dev.type == "cpu" else [(1080, 1920), (540, 960)]
        batches = [1] if dev.type == "cpu" else [1, 4, 8, 16]
        for h, w in sizes:
            n = frames if dev.type == "cuda" else 3
            luma = rng.random((n + cfg.frames, h, w), dtype=np.float32)
            chroma = (rng.random((h, w, 2), dtype=np.float32) - 0.5) * 0.2
            for b in batches:
                if dev.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(dev)
                st = UpscaleStats()
                run = functools.partial(upscale_luma, model, luma, stop=n, batch=b, stats=st)
                sec = _timed(run, repeats=1 if dev.type == "cpu" else 3)
                fps = n / sec
                peak = (
                    f"peak GPU {torch.cuda.max_memory_allocated(dev) / 2**30:.2f} GiB"
                    if dev.type == "cuda"
                    else f"peak RSS {peak_rss_mb():.0f} MiB"
                )
                print(
                    f"  luma x2 {w}x{h} -> {2 * w}x{2 * h}, batch {st.batch}, tiles "
                    f"{st.tiles_per_frame}: {fps:.1f} fps ({1000 / fps:.1f} ms/frame), {peak}"
                )
            y_hr = np.zeros((2 * h, 2 * w), np.float32)
            csec = _timed(functools.partial(upscale_chroma, chroma, y_hr, device=dev), repeats=2)
            print(
                f"  chroma guided x2 {w}x{h}: {1 / csec:.1f} fps;"
                f" luma (batch {batches[-1]}) + chroma: {1 / (1 / fps + csec):.1f} fps"
            )
        _bench_tiling(model, dev, rng)


def _bench_tiling(model: Upscaler, dev: torch.device, rng: np.random.Generator) -> None:
    """A small device simulated: the same frames with a cap on memory, compared with no cap."""
    cfg = model.config
    if dev.type == "cuda":
        h, w, n = 1080, 1920, 16  # ~14 GB untiled in fp16: more than the cap
        total = torch.cuda.get_device_properties(dev).total_memory
        cap = 8 * 2**30
    else:
        h, w, n = 480, 854, 2
        cap = 256 * 2**20
    luma = rng.random((n, h, w), dtype=np.float32)
    free = upscale_luma(model, luma, batch=n)
    st = UpscaleStats()
    if dev.type == "cuda":
        # a real cap: the allocator refuses past 8 GB, the sizing does not know it
        torch.cuda.empty_cache()
        torch.cuda.set_per_process_memory_fraction(min(1.0, cap / total), dev)
        try:
            capped = upscale_luma(model, luma, batch=n, tile=max(h, w), stats=st)
        finally:
            torch.cuda.set_per_process_memory_fraction(1.0, dev)
    else:
        cap_px = cap // bytes_per_pixel(cfg, torch.float32)
        capped = upscale_luma(
            model, luma, batch=n, tile=max(h, w), max_tile_pixels=cap_px, stats=st
        )
    diff = float(np.abs(capped - free).max())
    print(
        f"  {cap / 2**30:.2f} GiB budget simulated on {w}x{h} x2, {n} frames:"
        f" {st.retries} out-of-memory retries {st.oom_sizes}, then tile {st.tile}"
        f" ({st.tiles_per_frame} per frame), batch {st.batch};"
        f" {st.frames} frames out; max |tiled - untiled| = {diff:.2e}"
    )


def bench_sample(
    device: str | torch.device | None = None,
    ks: tuple[int, ...] = (1, 4, 8),
    *,
    config: colorizer_module.ColorizerConfig | None = None,
    method: str = "cached",
    graphs: bool | None = None,
    print_fn: Callable[[str], None] | None = print,
) -> dict[str, dict[int, dict[str, float | bool]]]:
    """Time `sample_chroma` for each K on each device (CPU, and CUDA when present).

    Untrained weights: the time does not depend on them. Returns
    {device: {K: {"seconds": s, "seconds_per_sample": s / K}}}; prints a line per K. On CUDA
    the cached method is timed again with its rows replayed as CUDA graphs ("graphs_seconds";
    "graphs_first_seconds" the call at that K that captured them) and "graphs_equal" says
    whether it drew the very same bins.
    """
    devices = [str(device)] if device is not None else ["cpu"]
    if device is None and torch.cuda.is_available():
        devices.append("cuda")
    cfg = config or colorizer_module.ColorizerConfig()
    results: dict[str, dict[int, dict[str, float | bool]]] = {}
    for dev in devices:
        torch.manual_seed(0)
        model = colorizer_module.build(cfg).to(dev).eval()
        grey = torch.rand(
            cfg.image_size, cfg.image_size, generator=torch.Generator().manual_seed(0)
        )
        cuda = dev.startswith("cuda")
        sync = torch.cuda.synchronize if cuda else (lambda: None)
        threads = f", {torch.get_num_threads()} threads" if dev == "cpu" else ""
        # `graphs` None: the graphed rows too where they matter, on CUDA (on the CPU they
        # run as they are, kept between calls: the same figures, the bench's path tested)
        both = (cuda if graphs is None else graphs) and method == "cached"
        variants = [False, True] if both else [False]
        # warm-up: allocator, kernels and caches; not counted. A capture that fails says so
        # in a warning (and the rows run uncaptured): kept for the figures
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for graphed in variants:
                sample_chroma(model, grey, k=min(ks), seed=0, method=method, graphs=graphed)
            sync()
        capture_errors = [str(w.message) for w in caught if "CUDA graph" in str(w.message)]
        if capture_errors and print_fn is not None:
            print_fn(f"sample {dev}: {capture_errors[0]}")
        results[dev] = {}
        for k in ks:
            row: dict[str, float | bool] = {}
            bins = {}
            for graphed in variants:
                if graphed:  # the first call at this K captures its graph: timed apart
                    t0 = time.perf_counter()
                    sample_chroma(model, grey, k=k, seed=2, method=method, graphs=True)
                    sync()
                    row["graphs_first_seconds"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                bins[graphed] = sample_chroma(
                    model, grey, k=k, seed=1, method=method, graphs=graphed
                )
                sync()
                dt = time.perf_counter() - t0
                if graphed:
                    row["graphs_seconds"] = dt
                    row["graphs_equal"] = bool(torch.equal(bins[True], bins[False]))
                    row["graphs_captured"] = not capture_errors
                else:
                    row.update(seconds=dt, seconds_per_sample=dt / k)
            results[dev][k] = row
            if print_fn is not None:
                dt = row["seconds"]
                graphed = (
                    f"; rows as CUDA graphs {row['graphs_seconds']:.2f} s (the first call,"
                    f" capturing, {row['graphs_first_seconds']:.2f} s),"
                    f" {'the same bins' if row['graphs_equal'] else 'OTHER BINS'}"
                    if "graphs_seconds" in row
                    else ""
                )
                print_fn(
                    f"sample {dev}{threads}: K={k} {dt:.2f} s ({dt / k:.2f} s/sample,"
                    f" {cfg.chroma_size}x{cfg.chroma_size}x2 steps, {method}){graphed}"
                )
    return results
