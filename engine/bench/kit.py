"""The GPU kit, whole: `panchro train kit --out DIR` (`make gpu-kit` on the GPU machine).

One call, for the minutes a GPU is lent: install the carried wheels of what the machine
lacks (`train.kit.install_wheels`), train each model of the plan within its share of the
budget on the packed data (`train.kit.train_model`), write the weights as fp16 safetensors
into the output folder, then time `bench sample` and the whole restore at 1920x1080 on the
same device, and bundle the logs, curves and figures. `--smoke` is the same path with the
tiny configs and sizes, on whatever device is here (the CPU in the tests).

The output folder holds at most `FILES_BACK` files of at most `FILE_BACK_LIMIT` bytes (what
the device tool hands back): the weights (a file over the limit in parts), `kit_report.json`
(the plan, each run's figures, the benches, the notes) and `kit_logs.tar.gz` (the console,
each run's log.jsonl, loss curves as CSV and PNG, the last sample sheet, the benches' text).

`--check` trains nothing: the GPU-marked tests (pytest, PyAV-free), `bench sample` of both
colorizer sizes (plain and with rows replayed as CUDA graphs), the stages bench with the
shipped models and the dust and scratches stages alone (`bench_around`), in a minute or
two: what a short device call should verify first.

Without PyAV (the GPU image has none) the restore bench cannot decode or encode a film: it
then times the restore's stages alone (colorize from a pick + x2 upscale, synthetic frames)
and says so; film I/O is CPU work measured by `panchro bench io` elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.train.kit import (
    FILE_BACK_LIMIT,
    FILES_BACK,
    MANIFEST,
    PLANS,
    SMOKE_PLAN,
    importable,
    install_wheels,
    pace_for,
    pack_problems,
    split_weights,
    to_fp16,
    train_model,
    write_curves,
)

FULL_BUDGET = 540.0  # seconds for everything, inside a device call of at most 600
SMOKE_BUDGET = 75.0
BENCH_SHARE = 0.2  # of the budget kept for the benches and the bundle
REPORT = "kit_report.json"
LOGS = "kit_logs.tar.gz"


class _Console:
    """Lines said, printed at once and kept for the log in the bundle."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.t0 = time.perf_counter()

    def __call__(self, line: str) -> None:
        stamped = f"[{time.perf_counter() - self.t0:6.1f} s] {line}"
        self.lines.append(stamped)
        print(stamped, flush=True)


@contextlib.contextmanager
def _models_dir(folder: Path | None) -> Iterator[None]:
    """PANCHRO_MODELS_DIR set to `folder` for a while (None: left as it is)."""
    old = os.environ.get("PANCHRO_MODELS_DIR")
    if folder is not None:
        os.environ["PANCHRO_MODELS_DIR"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PANCHRO_MODELS_DIR", None)
        else:
            os.environ["PANCHRO_MODELS_DIR"] = old


def bench_stages(
    width: int,
    height: int,
    *,
    device: str,
    frames: int,
    batch: int,
    resident: bool = False,
    say: Any = print,
) -> dict[str, Any]:
    """Frames a second of the restore's stages alone (colorize from a pick, then x2), on
    synthetic frames: the restore bench's model work without a film to decode or encode.

    Each batch starts as the stage thread gets it (coded 8-bit frames from the decoder, on
    the host) and ends as the encoder takes it (coded 8-bit planes on the host), so both ways
    of running are timed for the same work: host arrays between the stages, or with
    `resident` the codes decoded on the device, the planes kept there and coded there
    (`restore.resident`)."""
    import numpy as np
    import torch

    from panchro.engine.imaging.color import decode_coded_planar, encode_coded_planar
    from panchro.engine.project import Pick, Settings
    from panchro.engine.restore import resident as planes
    from panchro.engine.restore.batch import frame_batch
    from panchro.engine.restore.stages import build_stages
    from panchro.engine.shots import Shot

    rng = np.random.default_rng(0)
    stages = build_stages(Settings(colorize=True, upscale=2), device=device, all_picked=True)
    pick = Pick(seed=0, temperature=1.0, index=0, chroma=rng.integers(8, 24, (2, 28, 28)))
    for stage in stages:
        stage.begin_shot(0, Shot(0, frames + batch, 0), pick, None)  # a pick: no film read
    on = planes.resident_device(stages, want=True) if resident else None
    if resident and on is None:
        raise BadInputError("the stages cannot keep their planes on one device")
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, None, :]
    # one batch of input made before the clock starts: drawing 8 noisy 1080p frames costs
    # a good part of a second, which is not the stages' work
    y0 = np.clip(ramp + rng.normal(0, 0.05, (batch, height, width)), 0, 1).astype(np.float32)
    codes = list(encode_coded_planar(y0, np.zeros((batch, 2, height, width), np.float32)))
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    spent = {type(s).__name__: 0.0 for s in stages}
    spent["coding"] = 0.0  # decoding the frames' codes, coding the planes (and the bus)

    def one(start: int) -> None:
        t = time.perf_counter()
        tb = Fraction(1, 24)
        # what a batch reads of its frames (`media.Frame`, whose package imports PyAV)
        frames = [SimpleNamespace(index=start + i, pts=start + i) for i in range(len(codes))]
        if on is not None:
            decoded = planes.decode_coded(codes, device=on)
            b = planes.frame_batch(frames, decoded, tb, 0, "bt709")
            sync()
        else:
            b = frame_batch(frames, decode_coded_planar(codes), tb, 0, "bt709")
        spent["coding"] += time.perf_counter() - t
        for stage in stages:
            t = time.perf_counter()
            b = stage.process(b)
            sync()  # each stage's own time, for where to look next
            spent[type(stage).__name__] += time.perf_counter() - t
        t = time.perf_counter()
        if on is not None:
            planes.encode_coded(b.y, b.cbcr)
        else:
            encode_coded_planar(b.y, b.cbcr)
        spent["coding"] += time.perf_counter() - t

    # the warm-up's time is not counted
    done, seconds = _timed(
        one, frames, batch, sync, lambda: spent.update(dict.fromkeys(spent, 0.0))
    )
    fps = done / seconds
    mode = "resident planes" if on is not None else "host arrays"
    each = ", ".join(f"{name} {s / done * 1000:.0f} ms" for name, s in spent.items())
    say(f"  stages only (no film decoded or encoded), {mode}: {done} frames {width}x{height} ->"
        f" x2 in {seconds:.1f} s: {fps:.2f} fps (a frame: {each})")  # fmt: skip
    return {"mode": "stages only", "planes": mode, "frames": done,
            "seconds": round(seconds, 2), "fps": round(fps, 2), "width": width,
            "height": height, "batch": batch,
            "stage_seconds": {k: round(v, 3) for k, v in spent.items()}}  # fmt: skip


def _timed(
    one: Callable[[int], None],
    frames: int,
    batch: int,
    sync: Callable[[], None],
    warm: Callable[[], None] = lambda: None,
) -> tuple[int, float]:
    """(frames done, seconds) of `one(start)` called batch by batch up to `frames`, after one
    call to warm up (kernels, allocator, cuDNN) and then `warm()`."""
    one(0)
    sync()
    warm()
    t0 = time.perf_counter()
    done = 0
    while done < frames:
        one(done)
        done += batch
    sync()
    return done, time.perf_counter() - t0


def bench_around(
    width: int, height: int, *, device: str, frames: int, kind: str = "dust", say: Any = print
) -> dict:
    """Frames a second of the dust or the scratches stage (`kind`) alone on synthetic frames
    (a textured picture panning, specks on every frame, a scratch down them), 8 at a time
    with their neighbours, as the pipeline hands them over: their figure where no film can
    be decoded (the GPU image has no PyAV)."""
    import numpy as np
    import torch

    from panchro.engine.restore.batch import frame_batch
    from panchro.engine.restore.dust import DustStage
    from panchro.engine.restore.scratches import ScratchStage
    from panchro.engine.shots import Shot

    rng = np.random.default_rng(0)
    batch = 8
    big = rng.random((height // 8 + 8, width // 8 + 8)).astype(np.float32)
    big = np.kron(big, np.ones((8, 8), np.float32))
    y = np.stack([big[k % 16 : k % 16 + height, k % 32 : k % 32 + width] for k in range(batch + 4)])
    spots = rng.random(y.shape) < 2e-4
    y = np.where(spots, 1.0 - y, y).astype(np.float32)
    y[:, :, width // 3] = np.minimum(y[:, :, width // 3] + 0.2, 1.0)
    stage = (DustStage if kind == "dust" else ScratchStage)(device=device)
    stage.begin_shot(0, Shot(0, frames + batch + 4, 0), None, None)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    ycc = np.stack([y[2:-2], np.zeros_like(y[2:-2]), np.zeros_like(y[2:-2])], axis=-1)
    tb = Fraction(1, 24)

    def one(start: int) -> None:
        part = [SimpleNamespace(index=start + 2 + i, pts=start + 2 + i) for i in range(batch)]
        b = frame_batch(part, ycc, tb, 0, "bt709", before=y[:2], after=y[-2:])
        stage.process(b)

    done, seconds = _timed(one, frames, batch, sync)
    say(f"  {kind} stage alone: {done} frames {width}x{height} in {seconds:.1f} s:"
        f" {done / seconds:.2f} fps")  # fmt: skip
    return {"frames": done, "seconds": round(seconds, 2), "fps": round(done / seconds, 2),
            "width": width, "height": height}  # fmt: skip


def _bench_restore(size: tuple[int, int], *, device: str, smoke: bool, av: bool, say: Any) -> dict:
    width, height = size
    if av:
        from panchro.engine.bench.restore import bench_restore_models

        return bench_restore_models(
            width=width, height=height, seconds=0.5 if smoke else 2.0, device=device,
            batch=2 if smoke else 8, out=say,
        )  # fmt: skip
    return bench_stages(width, height, device=device, frames=4 if smoke else 48,
                        batch=2 if smoke else 8, say=say)  # fmt: skip


def _bench_resident(size: tuple[int, int], *, device: str, smoke: bool, say: Any) -> dict:
    """The stages bench with resident planes, beside the host arrays' figure."""
    width, height = size
    return bench_stages(width, height, device=device, frames=4 if smoke else 48,
                        batch=2 if smoke else 8, resident=True, say=say)  # fmt: skip


def run_kit(
    out: str | Path,
    *,
    kit_dir: str | Path = "kit",
    budget: float | None = None,
    smoke: bool = False,
    plan: str = "full",
    only: Sequence[str] = (),
    bench: bool = True,
    check: bool = False,
    device: str | None = None,
    work: str | Path | None = None,
    say: Any = None,
) -> dict[str, Any]:
    """Run the GPU kit into `out` (see the module's text) -> the report written there.

    `budget` is the seconds for everything (FULL_BUDGET, or SMOKE_BUDGET with `smoke`);
    `work` keeps the run folders (default: a temporary folder, removed). `plan` names what is
    trained (`PLANS`: "full", the full-size networks from scratch; "continue", the shipped
    networks on from their weights); `smoke` trains tiny ones instead. A full-size plan wants
    CUDA and says so on a machine without it. `only` keeps those of the plan's models (their
    shares of the budget scaled up); without `bench` the whole budget goes to training.
    `check` trains nothing and needs no packed data: the GPU tests and the benches of the
    shipped models (`check_device`).
    """
    if plan not in PLANS:
        raise BadInputError(f"no kit plan {plan!r}: one of {', '.join(PLANS)}")
    models = SMOKE_PLAN if smoke else PLANS[plan]
    unknown = sorted(set(only) - {m.name for m in models})
    if unknown:
        raise BadInputError(f"not in the plan: {', '.join(unknown)}"
                            f" (it trains {', '.join(m.name for m in models)})")  # fmt: skip
    models = tuple(m for m in models if not only or m.name in only)
    plan_name = "smoke" if smoke else plan
    if check:
        models, plan_name = (), "check"
    console = _Console()
    say = say or console
    t_start = time.perf_counter()
    kit, out = Path(kit_dir), Path(out)
    budget = budget or (SMOKE_BUDGET if smoke else FULL_BUDGET)
    manifest_path = kit / MANIFEST
    if not manifest_path.is_file() and not check:
        do = (
            "`make gpu-kit-smoke OUT=DIR` packs a few pictures and runs the smoke kit on them"
            if smoke
            else "run `make gpu-kit-pack` first"
        )
        raise BadInputError(f"no packed kit here: {do}", path=kit)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if not check else {}
    # before any device time goes: a model trained on the wrong pack comes back worse, silently
    problems = pack_problems(models, manifest)
    if problems:
        packed_for = manifest.get("plan") or "unrecorded"
        lacks = "; ".join(problems)
        raise BadInputError(
            f"the packed data (for plan {packed_for}) cannot serve plan {plan_name}: {lacks}."
            f" Pack for it: make gpu-kit-pack KIT_PACK_ARGS='--plan {plan}'",
            path=kit,
        )
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise OutputError("is not empty; the kit writes a fresh folder", path=out)
    with contextlib.ExitStack() as stack:
        if work is None:
            work = stack.enter_context(tempfile.TemporaryDirectory(prefix="panchro-kit-"))
        work = Path(work)
        packages = install_wheels(kit, work / "site", say=say)

        from panchro.engine.inference.device import resolve_device

        dev = str(resolve_device(device))
        if not smoke and plan == "full" and not dev.startswith("cuda"):
            raise BadInputError("the full kit trains on CUDA and none is here (--smoke: CPU)")
        notes = [] if packages["av"] else [
            "no PyAV: the upscalers' degradations put JPEG where they would draw H.264, and"
            " the restore bench times the stages alone (no film decoded or encoded)"
        ]  # fmt: skip
        pace = pace_for(smoke)
        train_budget = budget * (1 - BENCH_SHARE) if bench else budget - 5.0
        say(
            f"kit on {dev}, plan {plan_name}: {len(models)} models in {train_budget:.0f} s"
            + (", then the benches" if bench else "")
        )
        models_dir = work / "models"
        models_dir.mkdir(parents=True, exist_ok=True)
        runs, extras = [], []
        for i, m in enumerate(models):
            spent = time.perf_counter() - t_start
            rest = sum(x.share for x in models[i:])
            seconds = max(5.0, (train_budget - spent) * m.share / rest)
            data = [kit / "data" / p for p in m.parts if any((kit / "data" / p).glob("*.zip"))]
            run = work / "runs" / m.name
            say(f"--- {m.name} ({m.trainer}, {m.config}): {seconds:.0f} s")
            r = train_model(m, data, run, seconds, device=dev, pace=pace,
                            h264=packages["av"], say=say)  # fmt: skip
            whole = to_fp16(r["weights"], models_dir / f"{m.name}.safetensors",
                            extra={"kit": {"budget_s": r["budget_s"], "smoke": smoke}})  # fmt: skip
            shipped = [out / p.name for p in split_weights(_copy(whole, out / whole.name))]
            r["files"] = [{"file": p.name, "bytes": p.stat().st_size} for p in shipped]
            write_curves(run / "log.jsonl", run / "curves.csv", run / "curves.png", m.name)
            extras += [(run / n, f"{m.name}/{n}") for n in ("log.jsonl", "curves.csv",
                       "curves.png", "checkpoint.json")]  # fmt: skip
            sheets = sorted((run / "samples").glob("step-*.png"))
            extras += [(sheets[-1], f"{m.name}/{sheets[-1].name}")] if sheets else []
            runs.append({k: r.get(k) for k in _RUN_KEYS})
        benches: dict[str, Any] = {}
        if check:
            benches = check_device(dev, smoke, packages["av"], say)
        elif bench:
            say("--- benches")
            benches = _benches(dev, smoke, packages["av"], models_dir, say)
        report = {
            "format": "panchro.gpu-kit-report.v1",
            "smoke": smoke,
            "plan": plan_name,
            "only": list(only),
            "device": dev,
            "budget_s": budget,
            "wall_s": round(time.perf_counter() - t_start, 1),
            "packages": packages,
            "data": {k: manifest.get(k) for k in ("made", "data_bytes", "parts")},
            "runs": runs,
            "benches": benches,
            "notes": notes,
        }
        (work / REPORT).write_text(json.dumps(report, indent=1, default=str) + "\n")
        (work / "console.log").write_text("\n".join(getattr(say, "lines", [])) + "\n")
        extras += [(work / REPORT, REPORT), (work / "console.log", "console.log")]
        with tarfile.open(out / LOGS, "w:gz") as tar:
            for path, name in extras:
                if path.is_file():
                    tar.add(path, arcname=name)
        report["wall_s"] = round(time.perf_counter() - t_start, 1)
        (out / REPORT).write_text(json.dumps(report, indent=1, default=str) + "\n")
    _check_out(out, say)
    return report


_RUN_KEYS = (
    "name", "init", "step", "planned_steps", "stopped_early", "probe_s", "wall_s", "budget_s",
    "val_psnr", "val_bicubic_psnr", "val_bits", "val", "loss", "files",
)  # fmt: skip


def _copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def _benches(dev: str, smoke: bool, av: bool, models: Path, say: Any) -> dict[str, Any]:
    """`bench sample` (the full-size colorizer's config, or the small one) and the restore at
    1920x1080 (smoke: 128x72) with the shipped models and with the kit's."""
    from panchro.engine.bench.models import bench_sample
    from panchro.engine.train.colorizer import config_named

    cfg = config_named("small" if smoke else "default")
    sample = bench_sample(dev, (1, 4, 8), config=cfg, print_fn=say)
    size = (128, 72) if smoke else (1920, 1080)
    _restorable(models, say)
    restore = {}
    from panchro.engine.paths import resources_dir

    for label, folder in (("shipped models", resources_dir() / "models"), ("kit models", models)):
        say(f"restore bench, {label}:")
        with _models_dir(folder):
            restore[label] = _bench_restore(size, device=dev, smoke=smoke, av=av, say=say)
    return {"sample": {str(k): v for k, v in sample.items()}, "restore": restore}


def check_device(dev: str, smoke: bool, av: bool, say: Any) -> dict[str, Any]:
    """No training: the GPU-marked tests, `bench sample` of the full-size and the shipped
    colorizer, and the restore bench with the shipped models -> their figures."""
    from panchro.engine.bench.models import bench_sample
    from panchro.engine.train.colorizer import config_named

    say("--- GPU tests (pytest -m gpu)")
    tests = run_gpu_tests(say)
    sample = {}
    for name in ("small",) if smoke else ("default", "cpu"):
        say(f"--- bench sample, the {name} colorizer")
        # 16: the 8 candidates a person sees are drawn twice over (inference.defaults)
        got = bench_sample(dev, (1, 8) if smoke else (1, 8, 16), config=config_named(name),
                           print_fn=say)  # fmt: skip
        sample[name] = {str(k): v for k, v in got.items()}
    say("--- restore bench, shipped models")
    from panchro.engine.paths import resources_dir

    size = (128, 72) if smoke else (1920, 1080)
    with _models_dir(resources_dir() / "models"):
        restore = _bench_restore(size, device=dev, smoke=smoke, av=av, say=say)
        stages = bench_stages(size[0], size[1], device=dev, frames=4 if smoke else 48,
                              batch=2 if smoke else 8, say=say)  # fmt: skip
        kept = _bench_resident(size, device=dev, smoke=smoke, say=say)
    say("--- the dust and scratches stages")
    around = {kind: bench_around(size[0], size[1], device=dev, frames=8 if smoke else 48,
                                 kind=kind, say=say) for kind in ("dust", "scratches")}  # fmt: skip
    return {"tests": tests, "sample": sample, "restore": {"shipped models": restore},
            "stages": {"host arrays": stages, "resident planes": kept}} | around  # fmt: skip


# the test files holding GPU-marked tests; none imports PyAV at its top (the GPU image has none)
GPU_TEST_FILES = (
    "tests/engine/inference/test_sampling.py",
    "tests/engine/inference/test_upscaler.py",
    "tests/engine/restore/test_resident.py",
)


def run_gpu_tests(say: Any) -> dict[str, Any]:
    """pytest -m gpu on `GPU_TEST_FILES` in a child process, without the conftest (it makes
    films with PyAV) -> its exit code and last lines."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]  # the checkout: engine/ is linked, not copied
    files = [f for f in GPU_TEST_FILES if (root / f).is_file()]
    if not files:
        say("no tests here: the GPU tests were not run")
        return {"rc": None, "tail": []}
    cmd = [sys.executable, "-m", "pytest", "--noconftest", "-p", "no:cacheprovider", "-m", "gpu",
           "-q", "-rA", *files]  # fmt: skip
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
    for line in tail:
        say(f"  {line}")
    return {"rc": done.returncode, "tail": tail}


def _restorable(models: Path, say: Any) -> None:
    """The bench's models folder made whole: the shipped weights of every model the plan did
    not train; and since a restore works on a 28x28 chroma grid, a kit colorizer or refiner
    of another grid (the smoke's small ones) set aside for the shipped one, which is said."""
    from panchro.engine.models.weights import read_meta
    from panchro.engine.paths import resources_dir

    for shipped in sorted((resources_dir() / "models").glob("*.safetensors")):
        if not (models / shipped.name).exists():  # a plan that trains some models only
            _copy(shipped, models / shipped.name)
    for name, key in (("colorizer", "chroma_size"), ("refiner", "hint_size")):
        mine = models / f"{name}.safetensors"
        if mine.is_file() and read_meta(mine)["config"].get(key) != 28:
            mine.rename(models / f"{name}.not-28x28.safetensors")
            _copy(resources_dir() / "models" / f"{name}.safetensors", mine)
            say(f"the kit's {name} has no 28x28 grid: the restore bench uses the shipped one")


def _check_out(out: Path, say: Any) -> None:
    """Say (never hide) what the device tool would not hand back."""
    files = [p for p in out.rglob("*") if p.is_file()]
    if len(files) > FILES_BACK:
        say(f"warning: {len(files)} files in {out}; the device hands back {FILES_BACK}")
    for p in files:
        if p.stat().st_size > FILE_BACK_LIMIT:
            say(f"warning: {p.name} is over {FILE_BACK_LIMIT} bytes; it would not come back")


def importable_av() -> bool:
    """Whether PyAV is here (without importing it)."""
    return importable("av")


__all__ = ["FULL_BUDGET", "SMOKE_BUDGET", "bench_stages", "importable_av", "run_kit"]
