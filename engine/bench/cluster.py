"""`panchro bench restore --cluster local --workers 1,2`: how one film's chunks scale on Ray.

A generated clip is restored with the shipped models (colorize + x`upscale`, FFV1) on a
local Ray cluster of N workers, for each N asked, and the frames per second of the chunks'
rendering are printed with the scaling efficiency: fps(N) / (N x fps(1)). The cluster is the
one the tests use (`cluster.loopback`): Ray in a network namespace with only loopback, so
nothing leaves the machine; each run starts a fresh cluster with N CPUs.

What is timed: the render, from the first chunk handed to Ray to the last one back, with the
workers already started and torch imported in each (a warm-up task per worker before the
clock starts), so the figure is the steady rate a long film would see; the whole run
(opening the clip, shots and automatic picks here, then the render and the join) is printed
beside it. Every task uses one torch thread (`PANCHRO_THREADS=1`), so N workers use N cores
and a worker does not compete with itself. On a machine with fewer free cores than workers,
or one others are using, the efficiency says so: it is printed, never asserted.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from panchro.engine.bench.io import FPS, _make_clip
from panchro.engine.cluster import loopback
from panchro.engine.errors import BadInputError

# Runs inside the loopback namespace, after the cluster is up (`ray` imported, connected).
_SCRIPT = """
import json, os, time
from functools import partial

from panchro.engine.cluster.run import RayExecutor
from panchro.engine.project import Settings
from panchro.engine.restore.pipeline import restore
from panchro.engine.restore.stages import build_stages

p = json.loads(os.environ["PANCHRO_BENCH"])


@ray.remote(num_cpus=1)
def warm():
    import panchro.engine.restore.pipeline, panchro.engine.restore.stages, torch
    time.sleep(1.0)  # overlapping, so each task starts its own worker
    return os.getpid()


workers = len(set(ray.get([warm.remote() for _ in range(p["workers"])])))
settings = Settings(colorize=True, upscale=p["upscale"])
recipe = partial(build_stages, settings, seed=0, all_picked=True, device="cpu")
ray_executor = RayExecutor(recipe)
times = {"workers_started": workers}


def executor(job, plan, progress):
    times["chunks"] = len(job.pending())
    t0 = time.perf_counter()
    ray_executor(job, plan, progress)
    times["render_s"] = time.perf_counter() - t0


t0 = time.perf_counter()
summary = restore(p["clip"], p["out"], stages=build_stages(settings, seed=0, device="cpu"),
                  executor=executor, codec="ffv1", chunk_seconds=p["chunk_seconds"])
times["total_s"] = time.perf_counter() - t0
times["frames"] = summary.frames
times["notes"] = list(summary.notes)
print("RESULT", json.dumps(times))
"""


def bench_restore_cluster(
    *,
    workers: Sequence[int] = (1, 2),
    width: int = 320,
    height: int = 180,
    seconds: float = 6.0,
    upscale: int = 2,
    chunk_seconds: float = 0.5,
    out: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Print and return frames per second of one film's chunks on a local Ray cluster of each
    size in `workers`, and the scaling efficiency against one worker (module docstring)."""
    reason = loopback.skip_reason()
    if reason is not None:
        raise BadInputError(
            f"the cluster benchmark runs its Ray cluster in a loopback-only network namespace, "
            f"which cannot be made here: {reason}"
        )
    if not workers or any(n < 1 for n in workers):
        raise BadInputError("--workers: give counts of 1 or more, e.g. 1,2")
    n = max(2, round(seconds * FPS))
    cores = os.cpu_count()
    results: dict[str, Any] = {
        "width": width, "height": height, "frames": n, "upscale": upscale,
        "chunk_seconds": chunk_seconds, "cpu_count": cores, "runs": {},
    }  # fmt: skip
    out(
        f"cluster restore benchmark: {width}x{height} clip, {n} frames -> colorize + "
        f"x{upscale} ({width * upscale}x{height * upscale}) FFV1, chunks of {chunk_seconds:g} s,"
        f" shipped models; a local Ray cluster in a loopback-only namespace; 1 torch thread a"
        f" task; {cores} CPU cores"
    )
    with tempfile.TemporaryDirectory(prefix="panchro-bench-") as tmp_name:
        tmp = Path(tmp_name)
        clip = tmp / "clip.mp4"
        _make_clip(clip, n, width, height, preset="veryfast")
        for count in dict.fromkeys(workers):  # in the order given, once each
            load = os.getloadavg()[0]
            params = {
                "clip": str(clip),
                "out": str(tmp / f"out_{count}.mkv"),
                "upscale": upscale,
                "chunk_seconds": chunk_seconds,
                "workers": count,
            }
            env = {"PANCHRO_BENCH": json.dumps(params), "PANCHRO_THREADS": "1"}
            done = loopback.run_script(_SCRIPT, cpus=count, env=env, timeout=1800)
            if done.returncode != 0 or "RESULT " not in done.stdout:
                raise RuntimeError(f"the run with {count} worker(s) failed:\n{done.stderr[-3000:]}")
            run = json.loads(done.stdout.split("RESULT ", 1)[1].splitlines()[0])
            run["fps"] = run["frames"] / run["render_s"]
            run["load_before"] = load
            results["runs"][count] = run
            out(
                f"  {count} worker(s): {run['fps']:6.2f} fps rendering ({run['frames']} frames,"
                f" {run['chunks']} chunks in {run['render_s']:.1f} s); whole run "
                f"{run['total_s']:.1f} s with the shots and picks here; load before {load:.2f}"
            )
        runs = results["runs"]
        if 1 in runs:
            for count, run in runs.items():
                if count > 1:
                    efficiency = run["fps"] / (count * runs[1]["fps"])
                    run["efficiency"] = efficiency
                    out(
                        f"  scaling efficiency with {count} workers: {100 * efficiency:.0f}% "
                        f"({run['fps']:.2f} fps / ({count} x {runs[1]['fps']:.2f} fps))"
                    )
        if cores is not None and max(runs) > cores:
            out(f"  note: {max(runs)} workers on {cores} cores: they share cores")
    return results


__all__ = ["bench_restore_cluster"]
