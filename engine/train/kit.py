"""The GPU kit's training half: the data packed once, carried wheels, and time-boxed runs.

A GPU machine of this project is lent for minutes, starts bare, reaches no network and
receives only the checkout plus a few carried folders (64 MiB in all); what comes back is
at most 8 files of 16 MiB. So the kit is prepared here and spent there:

- `pack_kit` (on the CPU machine, `make gpu-kit-pack`): the shared training data repacked
  by `data.pack_shards` into `kit/data/<part>/shard-*.zip`, trimmed to a size cap computed
  from the tracked tree's size, with `kit/manifest.json` (counts, sources, sizes); and the
  wheels of the engine's pure-Python or manylinux needs the GPU image may lack, in
  `kit/wheels/`. `kit/` is ignored: the data's licences are research-only.
- `install_wheels` (there, first): the carried wheels of what is missing, installed offline
  into a folder on `sys.path`; stdlib only, since it runs before safetensors can be imported.
- `train_kit` (there): each model of a plan trained within its share of the budget. A short
  probe run measures steps per second, then the run resumes with a schedule that ends in
  the time left, so the cosine decay completes; the best held-out step is exported, as fp16
  (`to_fp16`), split in parts when a file would pass the 16 MiB limit (`split_weights`;
  `join_parts` rebuilds it here), with its loss curves as CSV and PNG (`write_curves`).

Only the standard library is imported at the top: this module must load before the
carried wheels are installed. `panchro.engine.bench.kit` runs the whole kit.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from panchro.engine.errors import BadInputError, OutputError

MiB = 2**20
TRANSFER_LIMIT = 64 * MiB  # the working tree plus carried folders, per device call
FILE_BACK_LIMIT = 16 * MiB  # one file back from the device
FILES_BACK = 8  # files back from the device, at most
DATA_CAP = 40 * MiB
MARGIN = 3 * MiB  # room for the tree to grow between packing and the call
MANIFEST = "manifest.json"
GPU_PYTHON = "3.12"  # the H200 image's python3 (KINDS.md: Python 3.12.3)
# distribution -> module: what the kit's path imports. PyAV is not among them on purpose.
NEEDS = {
    "torch": "torch",
    "numpy": "numpy",
    "pillow": "PIL",
    "scipy": "scipy",
    "safetensors": "safetensors",
    "platformdirs": "platformdirs",
}
# What is carried: small, and pure Python or abi3 manylinux (torch, numpy, scipy and Pillow
# are in the GPU image and far too large to carry).
WHEELS = ("safetensors>=0.4,<1", "platformdirs>=4,<5")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")

PrintFn = Callable[[str], None]


# --- the data pack ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackPart:
    """One folder of shards: where its pictures come from and how they are repacked."""

    name: str
    sources: tuple[str, ...]  # relative to the data root
    size: int  # short side of the repacked pictures
    quality: int
    video_every: int = 30
    per_shard: int = 500  # small shards, so the cap trims finely
    limit: int | None = None  # at most this many pictures (the smoke pack)


# The 64-px thumbnails are JPEGs of about quality 75 already: re-encoded at 75 (at their own
# size) they change by 0.2-0.4 of 255 on average and take 1,716 bytes each (optimized); at 90
# they took 2,655 for no detail the source had. So a pack holds half as many again.
THUMBS_QUALITY = 75

# In this order: the photos serve every model (the x4 upscaler needs 200-px crops, so 256),
# the clip frames the refiner and the upscalers, the 64-px thumbnails only the colorizer.
PACK_PARTS = (
    PackPart("photos", ("train_photos/imagenet_sample", "train_photos/bsds500"), 256, 88),
    PackPart("frames", ("video_clips",), 256, 88, video_every=10),
    PackPart("thumbs", ("train_photos/tiny_imagenet_64",), 64, THUMBS_QUALITY, per_shard=2000),
)
# For the "continue" plan: the shipped colorizer sees 112 px and the sharp upscalers crop at
# most 128 px, so the photos go smaller and the 64-px thumbnails (colour semantics, which the
# colorizer learns most from) fill what is left.
CONTINUE_PACK_PARTS = (
    PackPart("photos", ("train_photos/imagenet_sample", "train_photos/bsds500"), 144, 85),
    PackPart("frames", ("video_clips",), 144, 85, video_every=10),
    PackPart("thumbs", ("train_photos/tiny_imagenet_64",), 64, THUMBS_QUALITY, per_shard=1000),
)
# For the "refiner" plan: the refiner works at 256 px and learns the film's motion from the
# clips, so clip frames (first: at 256 px the photos alone fill the cap) and photos, no thumbnails.
REFINER_PACK_PARTS = (
    PackPart("frames", ("video_clips",), 256, 88, video_every=5),
    PackPart(
        "photos", ("train_photos/imagenet_sample", "train_photos/bsds500"), 256, 88, per_shard=125
    ),
)


def starting_at_shard(
    parts: Sequence[PackPart], data_root: str | Path, part: str, start: int
) -> tuple[PackPart, ...]:
    """`parts` with `part`'s zip shards listed from its `start`-th on (then the rest, wrapping
    round): the cap trims a part from its end, so a later pack can carry pictures an earlier
    one left out. The held-out split does not move (it hashes each picture's name)."""
    out = []
    for p in parts:
        if p.name == part:
            shards = sorted(f for src in p.sources for f in (Path(data_root) / src).glob("*.zip"))
            if not shards:
                raise BadInputError(f"the {part} part has no zip shards", path=data_root)
            k = start % len(shards)
            rel = [str(f.relative_to(data_root)) for f in shards[k:] + shards[:k]]
            p = replace(p, sources=tuple(rel))
        out.append(p)
    return tuple(out)


def tree_bytes(root: Path) -> int | None:
    """Bytes of what travels without `carry`: tracked and untracked-not-ignored files."""
    try:
        names = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        return None
    total = 0
    for name in filter(None, names):
        p = root / os.fsdecode(name)
        if p.is_file():
            total += p.stat().st_size
    return total


def _has_files(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(p.is_file() for p in path.rglob("*")))


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def pack_kit(
    data_root: str | Path,
    kit_dir: str | Path,
    *,
    cap: int | None = None,
    parts: Sequence[PackPart] = PACK_PARTS,
    wheels: bool = True,
    repo: str | Path = ".",
    plan: str | None = None,
    say: PrintFn = print,
) -> dict[str, Any]:
    """Pack the training data under `data_root` into `kit_dir`, at most `cap` bytes of shards.

    The cap defaults to DATA_CAP, lowered so that the tracked tree, the wheels and the data
    stay under TRANSFER_LIMIT. Parts are packed in order, each trimmed (whole shards from
    its end) to what is left. The folder is built aside and swapped in whole. -> the manifest.
    """
    root, kit = Path(data_root), Path(kit_dir)
    if not root.is_dir():
        raise BadInputError("the training data folder is not there", path=root)
    kit.mkdir(parents=True, exist_ok=True)
    wheel_info = download_wheels(kit / "wheels", say=say) if wheels else {"files": []}
    tree = tree_bytes(Path(repo))
    wheel_bytes = _folder_bytes(kit / "wheels") if (kit / "wheels").is_dir() else 0
    if cap is None:
        room = TRANSFER_LIMIT - (tree or 0) - wheel_bytes - MARGIN
        cap = min(DATA_CAP, room)
    if cap <= 0:
        raise BadInputError(f"no room for data: the tree is {tree} bytes")
    building = kit / ".data.building"
    shutil.rmtree(building, ignore_errors=True)
    used, records = 0, []
    from panchro.engine.train.data import pack_shards

    for part in parts:
        sources = [root / s for s in part.sources if _has_files(root / s)]
        record: dict[str, Any] = {**asdict(part), "sources": list(part.sources)}
        record.update(shards=[], images=0, bytes=0)
        if not sources or used >= cap:
            record["note"] = "no sources" if not sources else "no room left under the cap"
            records.append(record)
            continue
        t0 = time.perf_counter()
        made = pack_shards(
            sources,
            building / part.name,
            size=part.size,
            quality=part.quality,
            per_shard=part.per_shard,
            video_every=part.video_every,
            limit=part.limit,
        )
        shards = [Path(p) for p in made["shards"]]  # type: ignore[union-attr]
        dropped = 0
        while shards and used + sum(p.stat().st_size for p in shards) > cap:
            last = shards.pop()  # the cap decides: the last shard goes whole
            with zipfile.ZipFile(last) as zf:
                dropped += len(zf.namelist())
            last.unlink()
        for p in shards:
            with zipfile.ZipFile(p) as zf:
                n = len(zf.namelist())
            record["shards"].append({"file": p.name, "images": n, "bytes": p.stat().st_size})
            record["images"] += n
            record["bytes"] += p.stat().st_size
        if not shards:  # all over the cap: no empty folder for a trainer to trip on
            shutil.rmtree(building / part.name)
        record.update(skipped_grey=made["skipped_grey"], dropped_over_cap=dropped)
        used += record["bytes"]
        records.append(record)
        say(
            f"packed {part.name}: {record['images']} pictures, {record['bytes'] / MiB:.1f} MiB"
            f" ({dropped} left out by the cap) in {time.perf_counter() - t0:.0f} s"
        )
    final = kit / "data"
    shutil.rmtree(final, ignore_errors=True)
    if building.exists():
        building.rename(final)
    else:
        final.mkdir()
    manifest = {
        "format": "panchro.gpu-kit.v1",
        "made": time.strftime("%Y-%m-%d %H:%M:%S"),
        "plan": plan,  # what it was packed for; `plans_served` says what it can train
        "data_root": str(root.resolve()),
        "licence": "research-only sources (see the data's SOURCES.md): never commit kit/",
        "cap_bytes": cap,
        "data_bytes": used,
        "tree_bytes": tree,
        "wheel_bytes": wheel_bytes,
        "transfer_bytes": (tree or 0) + wheel_bytes + used,
        "transfer_limit": TRANSFER_LIMIT,
        "parts": records,
        "wheels": wheel_info,
    }
    (kit / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    say(
        f"kit: {used / MiB:.1f} MiB of data (cap {cap / MiB:.1f}), wheels"
        f" {wheel_bytes / MiB:.1f} MiB, tree {(tree or 0) / MiB:.1f} MiB:"
        f" {manifest['transfer_bytes'] / MiB:.1f} of {TRANSFER_LIMIT / MiB:.0f} MiB"
    )
    for name, problems in plans_served(manifest).items():
        say(f"plan {name}: " + ("served" if not problems else "not served: " + "; ".join(problems)))
    return manifest


def download_wheels(folder: Path, *, say: PrintFn = print) -> dict[str, Any]:
    """Wheels of WHEELS for the GPU machine's Python into `folder` (pip download)."""
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version", GPU_PYTHON, "--implementation", "cp", "-d", str(folder)]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    done = subprocess.run([*cmd, *WHEELS], capture_output=True, text=True)
    if done.returncode != 0:
        say(f"warning: pip download failed; the kit carries no wheels ({done.stderr.strip()})")
    files = sorted(p.name for p in folder.glob("*.whl"))
    return {"files": files, "for": f"cp{GPU_PYTHON.replace('.', '')} {PLATFORMS[0]}"}


# --- on the machine: what is missing ----------------------------------------------------------


def importable(module: str) -> bool:
    """Whether `module` can be imported here, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


def _dist_of(wheel: Path) -> str:
    return wheel.name.split("-")[0].lower().replace("_", "-")


def install_wheels(
    kit_dir: str | Path, site: str | Path, *, say: PrintFn = print
) -> dict[str, Any]:
    """Install the carried wheels of the needs missing here into `site`, offline; put it first
    on `sys.path` (and PYTHONPATH, for child processes). -> what was missing, installed, and
    still missing (not carried)."""
    missing = [dist for dist, module in NEEDS.items() if not importable(module)]
    wheels = {_dist_of(w): w for w in sorted(Path(kit_dir, "wheels").glob("*.whl"))}
    chosen = [wheels[d] for d in missing if d in wheels]
    if chosen:
        site = Path(site)
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
        cmd += ["--no-compile", "--upgrade", "--target", str(site), *map(str, chosen)]
        subprocess.run(cmd, check=True)
        sys.path.insert(0, str(site))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(site), os.environ.get("PYTHONPATH")])
        )
        importlib.invalidate_caches()
    still = [d for d in missing if not importable(NEEDS[d])]
    report = {
        "missing": missing,
        "installed": [w.name for w in chosen],
        "still_missing": still,
        "av": importable("av"),
    }
    say(
        f"packages: missing {missing or 'none'}; installed {report['installed'] or 'none'};"
        f" PyAV {'present' if report['av'] else 'absent (no video I/O: see the report)'}"
    )
    if still:
        raise BadInputError(f"missing and not carried in {kit_dir}/wheels: {', '.join(still)}")
    return report


# --- the training plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class KitModel:
    """One model the kit trains: its trainer, size, share of the budget and data parts."""

    name: str  # the weights' registry name
    trainer: str  # "colorizer", "refiner" or "upscaler"
    config: str
    share: float
    batch: int
    lr: float
    scale: int = 0
    patch: int = 0
    parts: tuple[str, ...] = ("photos", "frames")
    kind: str = "film"  # an upscaler's kind ("film" or "sharp")
    blocks: int = 0  # an upscaler's depth where it is not its preset's (0: the preset's)
    # (part, least short side in px) the pack must hold for this model to learn as meant:
    # checked before any GPU time is spent (`pack_problems`)
    needs: tuple[tuple[str, int], ...] = ()


FULL_PLAN = (
    KitModel("colorizer", "colorizer", "default", 0.4, 64, 5e-4,
             parts=("photos", "frames", "thumbs"), needs=(("photos", 224),)),
    KitModel("refiner", "refiner", "default", 0.2, 32, 1e-3,
             needs=(("photos", 256), ("frames", 256))),
    KitModel("upscaler_x2", "upscaler", "quality", 0.2, 32, 5e-4, scale=2, patch=48,
             needs=(("photos", 104),)),
    KitModel("upscaler_x4", "upscaler", "quality", 0.2, 32, 5e-4, scale=4, patch=32,
             needs=(("photos", 136),)),
)  # fmt: skip
# The shipped networks, trained on from their shipped weights (`shipped_init`): what the app
# runs on a CPU gets better at no cost in speed, and a few GPU minutes add to CPU-hours
# instead of starting again. The colorizer, furthest from its goals, gets the largest share;
# it learns colour semantics from the thumbnails, so a pack without them cannot serve it.
CONTINUE_PLAN = (
    KitModel("colorizer", "colorizer", "cpu", 0.55, 128, 3e-4,
             parts=("photos", "frames", "thumbs"), needs=(("thumbs", 64), ("photos", 112))),
    # the shipped sharp x2 is the fast preset 8 blocks deep, the sharp x4 16 (sessions 23-25:
    # deeper paid on a CPU)
    KitModel("upscaler_x2_sharp", "upscaler", "fast", 0.15, 64, 2e-4, scale=2, patch=32,
             parts=("photos",), kind="sharp", needs=(("photos", 72),), blocks=8),
    KitModel("upscaler_x4_sharp", "upscaler", "fast", 0.15, 64, 2e-4, scale=4, patch=32,
             parts=("photos",), kind="sharp", needs=(("photos", 136),), blocks=16),
)  # fmt: skip
# The shipped refiner on from its weights, alone: it needs 256-px pictures, which leave no
# room for the colorizer's thumbnails (session 11 trained it on the continue pack's 144-px
# photos, every crop enlarged, and it came back worse on film).
REFINER_PLAN = (
    KitModel("refiner", "refiner", "cpu", 1.0, 32, 3e-4,
             needs=(("photos", 256), ("frames", 256))),
)  # fmt: skip
PLANS = {"full": FULL_PLAN, "continue": CONTINUE_PLAN, "refiner": REFINER_PLAN}
# the pack each plan is meant to train from (`kit-pack --plan`)
# `kit-pack --smoke`: a few pictures of each part, for the smoke plan's tiny networks (which
# crop at most 48 px) on any machine: packed in seconds where a plan's pack takes minutes.
SMOKE_PACK_PARTS = (
    PackPart("photos", ("train_photos/imagenet_sample", "train_photos/bsds500"), 96, 85,
             per_shard=20, limit=60),
    PackPart("frames", ("video_clips",), 96, 85, video_every=30, per_shard=20, limit=40),
    PackPart("thumbs", ("train_photos/tiny_imagenet_64",), 64, THUMBS_QUALITY, per_shard=100,
             limit=200),
)  # fmt: skip
PLAN_PACKS = {"full": PACK_PARTS, "continue": CONTINUE_PACK_PARTS, "refiner": REFINER_PACK_PARTS}
SMOKE_PLAN = (
    KitModel(
        "colorizer", "colorizer", "small", 0.25, 4, 1e-3, parts=("photos", "frames", "thumbs")
    ),
    KitModel("refiner", "refiner", "small", 0.25, 4, 1e-3),
    KitModel("upscaler_x2", "upscaler", "small", 0.25, 4, 1e-3, scale=2, patch=12),
    KitModel("upscaler_x4", "upscaler", "small", 0.25, 4, 1e-3, scale=4, patch=8),
)


def pack_problems(models: Sequence[KitModel], manifest: dict[str, Any]) -> list[str]:
    """What the packed data lacks for `models` (their `needs`), one line each; [] if none.

    A manifest part counts when it holds pictures; its `size` is their short side."""
    parts = {p["name"]: p for p in manifest.get("parts", []) if p.get("images", 0) > 0}
    problems = []
    for m in models:
        for part, side in m.needs:
            have = parts.get(part)
            if have is None:
                problems.append(f"{m.name} needs the {part} part and the pack holds none")
            elif int(have.get("size", 0)) < side:
                problems.append(
                    f"{m.name} needs {part} at {side} px or more; the pack's are {have['size']} px"
                )
    return problems


def plans_served(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Each plan, and the smoke run's -> what the pack lacks for it ([] where it serves it)."""
    plans = {**PLANS, "smoke": SMOKE_PLAN}
    return {name: pack_problems(models, manifest) for name, models in plans.items()}


@dataclass(frozen=True)
class Pace:
    """Log, probe and warm-up lengths in steps; data loader processes."""

    log_every: int
    probe: int
    warmup: int
    workers: int


def pace_for(smoke: bool) -> Pace:
    if smoke:
        return Pace(log_every=2, probe=4, warmup=4, workers=0)
    # 16 cores there: decoding and degrading pictures, not the GPU, bounds the small models
    return Pace(
        log_every=20, probe=60, warmup=100, workers=max(1, min(12, (os.cpu_count() or 2) - 2))
    )


def model_config(m: KitModel) -> Any:
    """The config `m` trains (the registry's dataclass)."""
    if m.trainer == "colorizer":
        from panchro.engine.train.colorizer import config_named

        return config_named(m.config)
    if m.trainer == "refiner":
        from panchro.engine.train.refiner import config_named as refiner_named

        return refiner_named(m.config)
    from dataclasses import replace

    from panchro.engine.models.upscaler import UpscalerConfig

    cfg = UpscalerConfig.preset(m.config, scale=m.scale, kind=m.kind)
    return replace(cfg, blocks=m.blocks) if m.blocks else cfg


def shipped_init(m: KitModel) -> Path | None:
    """The shipped weights of `m` when they hold the same network (so training goes on from
    them), else None: a full-size config starts from scratch."""
    from panchro.engine.models.registry import get_spec
    from panchro.engine.models.weights import read_meta
    from panchro.engine.paths import resources_dir

    path = resources_dir() / "models" / f"{m.name}.safetensors"  # shipped, whatever the env
    if not path.is_file():
        return None
    meta = read_meta(path, expect=m.name)
    shipped = get_spec(m.name).config_cls.from_dict(meta["config"])
    return path if shipped == model_config(m) else None


def _speed(log: Path) -> float | None:
    """Steps a second of the last training row of a run's log (the warm one)."""
    rows = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if "loss" in r]
    for key in ("images_per_s", "windows_per_s"):
        if rows and key in rows[-1]:
            return float(rows[-1][key])
    return None


def train_model(
    m: KitModel,
    data: Sequence[Path],
    run: Path,
    seconds: float,
    *,
    device: str,
    pace: Pace,
    h264: bool,
    say: PrintFn = print,
) -> dict[str, Any]:
    """Train `m` on `data` in the folder `run` within about `seconds` -> its run summary.

    A probe of `pace.probe` steps measures the speed; the run then resumes with a schedule
    that ends in the time left (its time limit the guard), and a run stopped by the limit is
    closed at the step it reached, which exports its best held-out weights.
    """
    t0 = time.perf_counter()
    init = shipped_init(m)
    fn = _trainer(m, device=device, pace=pace, h264=h264, say=say)
    fn(data, run, steps=10**7, stop_at=pace.probe, init=init, sample_every=10**7)
    probe_s = time.perf_counter() - t0
    per_s = (_speed(run / "log.jsonl") or 1.0) / m.batch
    left = seconds - probe_s
    # a fresh call repeats the probe's setup (data listing, validation set); a fifth of
    # what is left pays for three validations and the export
    train_s = max(1.0, 0.8 * (left - probe_s / 2))
    steps = pace.probe + max(pace.log_every, int(per_s * train_s))
    sample_every = max(pace.log_every, steps // 3)
    say(f"{m.name}: {per_s:.2f} steps/s after the probe; scheduling {steps} steps in {left:.0f} s")
    result = fn(data, run, steps=steps, resume=True, time_limit=train_s, sample_every=sample_every)
    if result["weights"] is None:  # stopped by the limit: close the run where it stands
        result = fn(data, run, steps=result["step"], resume=True, sample_every=sample_every)
    result.update(
        name=m.name,
        init=str(init) if init else None,
        planned_steps=steps,
        probe_s=round(probe_s, 1),
        wall_s=round(time.perf_counter() - t0, 1),
        budget_s=round(seconds, 1),
    )
    return result


def _trainer(
    m: KitModel, *, device: str, pace: Pace, h264: bool, say: PrintFn
) -> Callable[..., Any]:
    """`m`'s trainer with the kit's settings bound; the call adds steps and the rest."""
    common = dict(
        batch=m.batch,
        lr=m.lr,
        config=m.config,
        warmup=pace.warmup,
        log_every=pace.log_every,
        checkpoint_every=10**7,  # one checkpoint at each call's end: the kit's runs are short
        device=device,
        workers=pace.workers,
        print_fn=say,
    )

    def call(data: Sequence[Path], run: Path, **kw: Any) -> dict[str, Any]:
        if m.trainer == "colorizer":
            from panchro.engine.train.colorizer import train_colorizer

            # the pack left grey pictures out already (pack_shards): no second look
            return train_colorizer(data, run, skip_grey=False, **common, **kw)
        if m.trainer == "refiner":
            from panchro.engine.train.refiner import train_refiner

            return train_refiner(data, run, skip_grey=False, **common, **kw)
        from panchro.engine.train.upscaler import train_upscaler

        return train_upscaler(
            data, run, scale=m.scale, patch=m.patch, kind=m.kind, h264=h264,
            blocks=m.blocks or None, **common, **kw,
        )  # fmt: skip

    return call


# --- weights out ------------------------------------------------------------------------------


def to_fp16(weights: str | Path, path: str | Path, *, extra: dict[str, Any]) -> Path:
    """The exported weights again in fp16 at `path`, the card saying so (and `extra`)."""
    from panchro.engine.models.weights import load_model, save_model

    model, cfg, meta = load_model(weights)
    card = {**meta["card"], "dtype": "float16", **extra}
    return save_model(model.half(), cfg, path, card=card)


PART_FORMAT = "panchro.weights.part.v1"  # not loadable alone: `join_parts` first


def split_weights(path: Path, limit: int = FILE_BACK_LIMIT) -> list[Path]:
    """Split a weights file over `limit` bytes into NAME.part-I-of-N.safetensors files, each
    under it, with the metadata in each; [path] when it fits."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    if path.stat().st_size <= limit:
        return [path]
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no iter
    groups: list[dict[str, Any]] = [{}]
    size = 0
    headroom = limit - 64 * 1024 - len(json.dumps(meta))  # header and metadata
    for key, t in tensors.items():
        n = t.numel() * t.element_size()
        if groups[-1] and size + n > headroom:
            groups.append({})
            size = 0
        groups[-1][key] = t
        size += n
    stem = path.name.removesuffix(".safetensors")
    parts = []
    for i, group in enumerate(groups, 1):
        part = path.with_name(f"{stem}.part-{i}-of-{len(groups)}.safetensors")
        save_file(
            group, str(part), metadata={**meta, "format": PART_FORMAT, "whole": meta["format"]}
        )
        parts.append(part)
    path.unlink()
    return parts


def join_parts(folder: str | Path) -> list[Path]:
    """Join every NAME.part-*-of-N.safetensors set in `folder` into NAME.safetensors."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    folder = Path(folder)
    sets: dict[str, list[Path]] = {}
    for p in sorted(folder.glob("*.part-*-of-*.safetensors")):
        sets.setdefault(p.name.split(".part-")[0], []).append(p)
    joined = []
    for stem, parts in sets.items():
        count = int(parts[0].name.split("-of-")[1].split(".")[0])
        if len(parts) != count:
            raise BadInputError(f"{stem}: {len(parts)} parts of {count}", path=folder)
        tensors, meta = {}, {}
        for p in parts:
            with safe_open(str(p), framework="pt") as f:
                meta = dict(f.metadata() or {})
                tensors.update({k: f.get_tensor(k) for k in f.keys()})  # noqa: SIM118
        meta["format"] = meta.pop("whole")
        target = folder / f"{stem}.safetensors"
        if target.exists():
            raise OutputError("exists already; the parts were not joined", path=target)
        save_file(tensors, str(target), metadata=meta)
        joined.append(target)
    return joined


def write_curves(log: Path, csv_path: Path, png_path: Path, title: str) -> None:
    """A run's log as CSV (one row a log line) and a PNG of its training loss and held-out
    figure against the step (Pillow only: the GPU image's plotting libraries are not ours)."""
    from PIL import Image, ImageDraw

    rows = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.strip()]
    keys = ["step"] + sorted({k for r in rows for k in r} - {"step"})
    lines = [",".join(keys)] + [",".join(str(r.get(k, "")) for k in keys) for r in rows]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    val_key = next((k for k in ("val_psnr", "val_bits") if any(k in r for r in rows)), None)
    series = [("loss", (200, 40, 40))] + ([(val_key, (40, 90, 200))] if val_key else [])
    w, h, pad = 640, 200, 30
    img = Image.new("RGB", (w, h * len(series)), "white")
    draw = ImageDraw.Draw(img)
    for n, (key, colour) in enumerate(series):
        pts = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), int | float)]
        top = n * h
        draw.text((pad, top + 4), f"{title}: {key}", fill="black")
        if len(pts) < 2:
            continue
        (x0, x1), (y0, y1) = (
            (min(p[0] for p in pts), max(p[0] for p in pts)),
            (
                min(p[1] for p in pts),
                max(p[1] for p in pts),
            ),
        )
        sx = (w - 2 * pad) / max(x1 - x0, 1e-9)
        sy = (h - 2 * pad) / max(y1 - y0, 1e-9)
        xy = [(pad + (x - x0) * sx, top + h - pad - (y - y0) * sy) for x, y in pts]
        draw.line(xy, fill=colour, width=2)
        draw.text(
            (pad, top + h - pad + 4), f"step {x0}..{x1}  {key} {y0:.4g}..{y1:.4g}", fill="black"
        )
    img.save(png_path)


__all__ = [
    "DATA_CAP",
    "FILES_BACK",
    "FILE_BACK_LIMIT",
    "CONTINUE_PLAN",
    "FULL_PLAN",
    "KitModel",
    "MANIFEST",
    "NEEDS",
    "CONTINUE_PACK_PARTS",
    "PLAN_PACKS",
    "REFINER_PACK_PARTS",
    "PACK_PARTS",
    "PackPart",
    "Pace",
    "PLANS",
    "REFINER_PLAN",
    "pack_problems",
    "plans_served",
    "SMOKE_PLAN",
    "TRANSFER_LIMIT",
    "download_wheels",
    "importable",
    "install_wheels",
    "join_parts",
    "model_config",
    "pace_for",
    "pack_kit",
    "shipped_init",
    "split_weights",
    "starting_at_shard",
    "to_fp16",
    "train_model",
    "tree_bytes",
    "write_curves",
]
