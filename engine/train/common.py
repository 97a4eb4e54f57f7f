"""The plumbing every trainer shares: run folder, checkpoints, loss log, schedule, export.

The colorizer, refiner and upscaler trainers (`train.colorizer`, `train.refiner`,
`train.upscaler`) write the same kind of resumable run, so the code that writes
and reads it lives here once:

  checkpoint.json            the latest checkpoint: the run's options, step, files (written last)
  checkpoints/step-N.model.safetensors   model weights at step N
  checkpoints/step-N.optim.safetensors   AdamW moments, flattened ("state.<param>.<name>"),
                                         and the torch (and CUDA) RNG state; no pickles
  log.jsonl                  one JSON object a line, appended; cut back to the checkpoint's
                             step when a crashed run is resumed
  samples/                   the trainer's sample pictures

Each trainer keeps its own checkpoint `fmt` tag ("panchro.train.colorizer.v1", ...):
it is written into every file and checked on reading, so one trainer never
resumes another's run. The recipe's shared parts are here too: AdamW without
decay on biases and norms (`make_optimizer`) and linear warm-up then cosine decay
to 5 % of the peak rate (`lr_at`). What differs per trainer (examples, loss,
figures, the model card) stays in the trainer; the run's weights go out through
`train.export`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.utils.data import DataLoader, Dataset

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.fsutil import atomic_write
from panchro.engine.train.data import ImageItem, StreamSampler

MIN_LR_FRACTION = 0.05
KEEP_CHECKPOINTS = 2

PrintFn = Callable[[str], None]


# --- the recipe ---------------------------------------------------------------------------


def lr_at(step: int, *, steps: int, lr: float, warmup: int) -> float:
    """Learning rate for the update that takes the model from `step` to `step + 1`."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return lr * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW over `model`, with `weight_decay` on matrices and kernels only."""
    # Decaying norms' gains and biases just fights them.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), eps=1e-8)


def set_rate(opt: torch.optim.Optimizer, step: int, *, steps: int, lr: float, warmup: int) -> float:
    """Set every group's learning rate to `lr_at(step, ...)`; -> that rate."""
    rate = lr_at(step, steps=steps, lr=lr, warmup=warmup)
    for g in opt.param_groups:
        g["lr"] = rate
    return rate


def training_amp(device: torch.device, amp: bool) -> bool:
    """Whether a run trains under bf16 autocast: on CUDA when `amp`; on the CPU when `amp`
    and the CPU precision is bfloat16 (`inference.device.engine_cpu_precision`: cores that
    compute it natively, or $PANCHRO_CPU_BF16=1). There a step takes half the time (one
    thread: the `fast` x2 upscaler 0.25 -> 0.13 s for 16 patches of 48 px, the `cpu`
    colorizer 2.7 -> 1.3 s for 32 pictures); over whole runs, where making the examples and
    the optimizer's update do not speed up, 1.34x the upscaler's steps and 1.86x the
    colorizer's per CPU-minute (model card). The weights and the optimizer stay float32."""
    if not amp:
        return False
    if device.type == "cuda":
        return True
    from panchro.engine.inference.device import engine_cpu_precision

    return device.type == "cpu" and engine_cpu_precision() == "bfloat16"


def autocast(use_amp: bool, device_type: str = "cuda") -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on `device_type` when `use_amp`, else a context that does nothing."""
    if not use_amp:
        return contextlib.nullcontext()
    return torch.autocast(device_type, dtype=torch.bfloat16)


def update(
    model: torch.nn.Module, opt: torch.optim.Optimizer, loss: torch.Tensor, clip: float
) -> None:
    """One optimizer step on `loss`, the gradient norm clipped to `clip` when it is positive."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()


# --- checkpoints --------------------------------------------------------------------------


def write_json(path: Path, data: dict[str, Any]) -> None:
    """`data` as indented JSON at `path`, atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")

    atomic_write(path, write)


def save_checkpoint(
    out: Path,
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    step: int,
    meta: dict[str, Any],
    *,
    fmt: str,
    keep: int = KEEP_CHECKPOINTS,
) -> Path:
    """Write the step-N files, then checkpoint.json naming them; keep the last `keep`."""
    folder = out / "checkpoints"
    folder.mkdir(exist_ok=True)
    stem = f"step-{step:08d}"
    model_file = folder / f"{stem}.model.safetensors"
    optim_file = folder / f"{stem}.optim.safetensors"
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(model_file, lambda tmp: save_file(weights, tmp, metadata={"format": fmt}))

    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for idx, st in sd["state"].items():
        for name, value in st.items():
            if torch.is_tensor(value):
                tensors[f"state.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{name}"] = value
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    atomic_write(optim_file, lambda tmp: save_file(tensors, tmp, metadata={"format": fmt}))

    record = {
        **meta,
        "format": fmt,
        "step": step,
        "model_file": str(model_file.relative_to(out)),
        "optim_file": str(optim_file.relative_to(out)),
        "optim_scalars": scalars,
        "param_groups": [dict(g) for g in sd["param_groups"]],
    }
    write_json(out / "checkpoint.json", record)
    # older checkpoints go only once the new one is complete and named in the JSON
    stems = sorted({p.name.split(".")[0] for p in folder.glob("step-*.safetensors")})
    for old in stems[:-keep]:
        for p in folder.glob(f"{old}.*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
    return out / "checkpoint.json"


def read_checkpoint(out: Path, *, fmt: str, what: str, to: str = "resume") -> dict[str, Any]:
    """The checkpoint record in `out`; BadInputError unless it is there, whole and `fmt`.

    `what` names the trainer in the refusal ("a colorizer", "an upscaler"); `to` what the
    record was wanted for ("resume", or "export from" for --export-best).
    """
    path = out / "checkpoint.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if to == "resume":
            raise BadInputError(
                "no checkpoint to resume here (checkpoint.json)", path=out
            ) from None
        raise BadInputError(
            f"no training run here to {to} (no checkpoint.json): give its run folder with --out",
            path=out,
        ) from None
    except (OSError, json.JSONDecodeError) as err:
        raise BadInputError(f"damaged checkpoint record ({err})", path=path) from None
    if record.get("format") != fmt:
        raise BadInputError(f"not {what} training checkpoint ({fmt})", path=path)
    return record


def load_checkpoint(
    out: Path,
    model: torch.nn.Module,
    opt: torch.optim.Optimizer | None,
    device: torch.device,
    *,
    fmt: str,
    what: str,
) -> dict[str, Any]:
    """Restore weights (and optimizer and RNG when `opt` is given) -> the checkpoint record."""
    record = read_checkpoint(out, fmt=fmt, what=what)
    model_file, optim_file = out / record["model_file"], out / record["optim_file"]
    try:
        model.load_state_dict(load_file(str(model_file)), strict=True)
        if opt is None:
            return record
        tensors = load_file(str(optim_file))
    except FileNotFoundError as err:
        raise BadInputError(f"checkpoint file missing ({err.filename})", path=out) from None
    except Exception as err:  # safetensors' own errors, shape mismatches
        raise BadInputError(f"cannot load the checkpoint ({err})", path=model_file) from None
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("state."):
            _, idx, name = key.split(".", 2)
            # left on the CPU: load_state_dict moves moments to their parameter's device
            # and keeps AdamW's step counter where a fresh run has it
            state.setdefault(int(idx), {})[name] = value
    for key, value in record.get("optim_scalars", {}).items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    groups = [
        {**g, "betas": tuple(g["betas"])} if isinstance(g.get("betas"), list) else dict(g)
        for g in record["param_groups"]
    ]
    opt.load_state_dict({"state": state, "param_groups": groups})
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and device.type == "cuda":
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return record


# --- the run folder and its log -----------------------------------------------------------


def open_run(out: str | Path, *, resume: bool) -> tuple[Path, Path, Path]:
    """Create the run folder, refusing one that holds a run unless resuming.

    -> (the folder, its log.jsonl, its samples/ folder, which this creates).
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder ({err.strerror})", path=out) from None
    if (out / "checkpoint.json").exists() and not resume:
        raise OutputError(
            "holds a training run already; resume it or choose another folder", path=out
        )
    samples_dir = out / "samples"
    samples_dir.mkdir(exist_ok=True)
    return out, out / "log.jsonl", samples_dir


@contextlib.contextmanager
def tidy_failed_start(out: str | Path) -> Iterator[None]:
    """On an error, take away what the run made in `out` while it wrote nothing: the folder
    itself when it was not there, and new folders that hold no file (`samples/`). A start
    refused for missing data or an empty `--resume` folder then leaves no run folder that
    looks like a run; a file the run wrote is never removed."""
    out = Path(out)
    existed = out.is_dir()
    before = set(out.iterdir()) if existed else set()
    try:
        yield
    except BaseException:
        if out.is_dir():
            for new in set(out.iterdir()) - before:
                if new.is_dir() and not new.is_symlink() and not _holds_files(new):
                    shutil.rmtree(new, ignore_errors=True)
            if not existed and not any(out.iterdir()):
                with contextlib.suppress(OSError):
                    out.rmdir()
        raise


def _holds_files(folder: Path) -> bool:
    return any(not p.is_dir() for p in folder.rglob("*"))


def resume_step(
    record: dict[str, Any],
    options: dict[str, Any],
    keys: Sequence[str],
    *,
    steps: int,
    out: Path,
    log_path: Path,
    say: PrintFn,
    data_word: str = "pictures",
) -> tuple[int, float]:
    """Check a checkpoint `record` against this call's `options`; -> (step, elapsed_s before).

    The `keys` must match (they decide the data stream and the model);
    different training data only warn. Cuts the log back to the checkpoint's step.
    """
    for key in keys:
        if record.get(key) != options[key]:
            raise BadInputError(
                f"cannot resume: {key} was {record.get(key)!r}, now {options[key]!r}",
                path=out,
            )
    if record.get("data_fingerprint") != options["data_fingerprint"]:
        say(f"warning: the training {data_word} differ from the checkpoint's; the stream changes")
    step = int(record["step"])
    elapsed_before = float(record.get("elapsed_s", 0.0))
    if steps < step:
        raise BadInputError(f"cannot resume to {steps} steps: already at step {step}", path=out)
    truncate_log(log_path, step)
    say(f"resuming at step {step}")
    return step, elapsed_before


def append_log(path: Path, row: dict[str, Any]) -> None:
    """One JSON line at the end of the log."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def truncate_log(path: Path, step: int) -> None:
    """Drop rows a crashed run wrote after the checkpoint it is resumed from."""
    if not path.is_file():
        return
    kept = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line).get("step", 0) <= step
    ]
    atomic_write(path, lambda tmp: Path(tmp).write_text("".join(k + "\n" for k in kept)))


def train_rows(path: Path) -> list[dict[str, Any]]:
    """The training rows of a log (those with a "loss"), oldest first; [] without a log."""
    if not path.is_file():
        return []
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [r for r in rows if "loss" in r]


def stream_loader(
    stream: Dataset, *, batch: int, start: int, end: int, workers: int, device: torch.device
) -> DataLoader:
    """Batches of `stream` for steps start..end: positions start*batch .. end*batch."""
    return DataLoader(
        stream,
        batch_size=batch,
        sampler=StreamSampler(start * batch, end * batch),
        num_workers=workers,
        pin_memory=device.type == "cuda",
        drop_last=False,
    )


class LossWindow:
    """Per-step figures summed since the last log row, as device tensors, and the row they make.

    Summing on the device keeps the GPU from waiting on every step; only a log row
    reads the sums back.
    """

    def __init__(self, device: torch.device, names: Sequence[str]) -> None:
        self.sums = {name: torch.zeros((), device=device) for name in names}
        self.steps = 0
        self.since = time.perf_counter()

    def add(self, **figures: torch.Tensor) -> None:
        """One step's figures (detached), by name."""
        for name, value in figures.items():
            self.sums[name] += value
        self.steps += 1

    def row(
        self, step: int, rate: float, *, batch: int, now: float, speed: str, elapsed_s: float
    ) -> dict[str, Any]:
        """{"step", the mean of each figure, "lr", `speed` (examples a second), "elapsed_s",
        "cpu_s"}: `cpu_s` is this process's CPU time so far (not earlier runs'), what a run
        cost on a shared machine where the wall clock also counts the other jobs."""
        return {
            "step": step,
            **{name: float(total) / self.steps for name, total in self.sums.items()},
            "lr": rate,
            speed: self.steps * batch / max(now - self.since, 1e-9),
            "elapsed_s": elapsed_s,
            "cpu_s": round(time.process_time(), 2),
        }

    def reset(self) -> None:
        """Start the next window (after the row is logged and said)."""
        for total in self.sums.values():
            total.zero_()
        self.steps = 0
        self.since = time.perf_counter()


def out_of_time(
    t_start: float, time_limit: float | None, step: int, end: int, say: PrintFn
) -> bool:
    """True (and said) when `time_limit` seconds have passed since `t_start` before `end`."""
    if time_limit is not None and time.perf_counter() - t_start > time_limit and step < end:
        say(f"time limit reached at step {step}")
        return True
    return False


# --- the loop every model trains in -------------------------------------------------------


def train_loop(
    *,
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    loader: Any,
    forward: Callable[[Any], tuple[torch.Tensor, dict[str, torch.Tensor]]],
    step: int,
    steps: int,
    end: int,
    lr: float,
    warmup: int,
    clip: float,
    batch: int,
    device: torch.device,
    figures: Sequence[str],
    speed: str,
    describe: Callable[[dict[str, Any], float], str],
    validate: Callable[[int], None],
    checkpoint: Callable[[int], None],
    log_path: Path,
    log_every: int,
    sample_every: int,
    checkpoint_every: int,
    time_limit: float | None,
    t_start: float,
    elapsed_before: float,
    say: PrintFn,
) -> tuple[int, bool]:
    """Train from `step` until `end` (or the time limit) -> (last step, stopped early).

    Per batch: the learning rate of the schedule, `forward(batch)` -> (loss, the
    detached `figures` of this step), one optimiser update. Every `log_every` steps a
    log row of the figures' means and `describe(row, rate)` said; every
    `sample_every` steps (at `steps`, and where the time limit stops it) `validate(step)`;
    every `checkpoint_every` steps, and once at the end, `checkpoint(step)`. `t_start` and
    `elapsed_before` (the time of earlier runs of a resumed job) give the elapsed time logged.
    """
    window = LossWindow(device, figures)
    model.train()
    stopped_early = False
    for item in loader:
        rate = set_rate(opt, step, steps=steps, lr=lr, warmup=warmup)
        loss, shown = forward(item)
        update(model, opt, loss, clip)
        step += 1
        window.add(**shown)
        if step % log_every == 0 or step == end:
            now = time.perf_counter()
            row = window.row(
                step,
                rate,
                batch=batch,
                now=now,
                speed=speed,
                elapsed_s=elapsed_before + now - t_start,
            )
            append_log(log_path, row)
            say(describe(row, rate))
            window.reset()
        if step % sample_every == 0 or step == steps:
            validate(step)
        if step % checkpoint_every == 0 and step != end:
            checkpoint(step)
        if out_of_time(t_start, time_limit, step, end, say):
            stopped_early = True
            if step % sample_every != 0 and step != steps:
                # the weights a stopped run ends on (the lowest rate it reached) are measured
                # too, so they can be the ones exported
                validate(step)
            break
    checkpoint(step)
    return step, stopped_early


def run_result(
    *,
    step: int,
    steps: int,
    stopped_early: bool,
    out: Path,
    log_path: Path,
    samples_dir: Path,
    elapsed_s: float,
    **figures: Any,
) -> dict[str, Any]:
    """What every training run returns; `figures` (held-out scores, counts) go in the middle."""
    return {
        "step": step,
        "steps": steps,
        "finished": step >= steps,
        "stopped_early": stopped_early or step < steps,
        **figures,
        "checkpoint": str(out / "checkpoint.json"),
        "log": str(log_path),
        "samples": sorted(str(p) for p in samples_dir.glob("step-*.png")),
        "elapsed_s": elapsed_s,
        "weights": None,
    }


# --- small things the runs and their cards record -----------------------------------------


def spread(items: Sequence[ImageItem], n: int) -> list[ImageItem]:
    """n items spread evenly over the list (its order is by source, so this mixes them)."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, n).round().astype(int)]


def fingerprint(items: Sequence[ImageItem]) -> str:
    """16 hex digits of SHA-1 over the items' keys: tells whether a resumed run's data changed."""
    h = hashlib.sha1()
    for it in items:
        h.update(it.key.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


def device_name(device: torch.device, amp: bool = False) -> str:
    """The device as the log and the model card name it: "cuda (<GPU>)" or "cpu (<n> threads)",
    "cpu (<n> threads, bf16 autocast)" when a CPU run trains under `amp`."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    precision = ", bf16 autocast" if amp else ""
    return f"cpu ({torch.get_num_threads()} threads{precision})"


def start_from(model: torch.nn.Module, cfg: Any, path: str | Path, say: PrintFn) -> dict[str, Any]:
    """Put trained weights (the shipped file, or another run's export) into a new run's model.

    What lets training go on for days across machines: a fresh machine has only the
    repository, so a run starts from the shipped weights instead of random ones (with a new
    schedule; `--resume` continues a run folder instead). The file must hold this very
    network (the same config), or for an upscaler the same one with fewer blocks, which
    is deepened (`upscaler.deepened`). Returns {"file", "steps"} for the card.
    """
    from panchro.engine.models.weights import load_model

    loaded, loaded_cfg, meta = load_model(path)
    state = loaded.state_dict()
    deepened_from = _shallower_upscaler(loaded_cfg, cfg)
    if deepened_from is not None:
        from panchro.engine.models.upscaler import deepened

        state = deepened(state, deepened_from, model.state_dict())
        say(
            f"{path} has {deepened_from} blocks: spread through {cfg.blocks},"
            " the new ones starting as the identity"
        )
    elif loaded_cfg != cfg:
        raise BadInputError(init_mismatch(loaded_cfg, cfg), path=path)
    model.load_state_dict(state)
    steps = int((meta.get("card") or {}).get("steps") or 0)
    say(f"starting from {path} ({steps} steps of training already)")
    started: dict[str, Any] = {"file": Path(path).name, "steps": steps}
    if deepened_from is not None:
        started["deepened_from_blocks"] = deepened_from
    return started


# The option that sets each upscaler field; a field missing here comes with its --config.
_UPSCALER_FLAGS = {
    "scale": "--scale",
    "kind": "--kind",
    "frames": "--frames",
    "channels": "--channels",
    "blocks": "--blocks",
}


def _model_kind(cfg: Any) -> str:
    """ "upscaler", "colorizer", "refiner": what a config's class builds."""
    return type(cfg).__name__.removesuffix("Config").lower() or "model"


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _listed(words: list[str]) -> str:
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


def init_mismatch(loaded_cfg: Any, cfg: Any) -> str:
    """Why an --init file cannot start this run, and the options that would make it fit.

    Names the very options (a shipped x4 with 8 blocks needs `--blocks 8` on top of the
    default preset's 4) instead of two configs to compare by eye; another kind of model
    (a colorizer given to `train upscaler`) is said plainly."""
    have, want = _model_kind(loaded_cfg), _model_kind(cfg)
    if type(loaded_cfg) is not type(cfg):
        return (
            f"holds {_a(have)}'s weights, not {_a(want)}'s: --init here takes {_a(want)}'s"
            f" file (e.g. resources/models/{want}*.safetensors)"
        )
    flags = _UPSCALER_FLAGS if have == "upscaler" else {}
    differ = [f.name for f in fields(cfg) if getattr(loaded_cfg, f.name) != getattr(cfg, f.name)]
    said = [f"{f} {getattr(loaded_cfg, f)} (this run: {getattr(cfg, f)})" for f in differ]
    options = [f"{flags[f]} {getattr(loaded_cfg, f)}" for f in differ if f in flags]
    if any(f not in flags for f in differ):
        options.append("the --config it was made with")
    return (
        f"holds {_a(have)} unlike the one this run builds: it has {', '.join(said)};"
        f" pass {_listed(options)} to go on from it"
    )


def _shallower_upscaler(loaded_cfg: Any, cfg: Any) -> int | None:
    """The loaded upscaler's depth when it is this run's network with fewer blocks, else None."""
    from panchro.engine.models.upscaler import UpscalerConfig

    if not (isinstance(loaded_cfg, UpscalerConfig) and isinstance(cfg, UpscalerConfig)):
        return None
    if loaded_cfg.blocks >= cfg.blocks or replace(loaded_cfg, blocks=cfg.blocks) != cfg:
        return None
    return loaded_cfg.blocks


BEST_FILE = "best.model.safetensors"


@dataclass
class Best:
    """The best held-out figure of a run so far (higher is better) and its step.

    Its weights sit in `out/best.model.safetensors`; the export takes them, not the last
    step's, so a run that overfits or wanders late still ships its best. Recorded in the
    checkpoint's metadata, so a resumed run keeps comparing against it.
    """

    step: int | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "score": self.score}

    @classmethod
    def from_dict(cls, d: Any) -> Best:
        if not isinstance(d, dict):
            return cls()
        return cls(step=d.get("step"), score=d.get("score"))


def keep_if_best(
    best: Best, score: float | None, step: int, model: torch.nn.Module, out: Path
) -> bool:
    """Save `model` as the run's best when `score` beats the best so far -> whether it did.

    Step 0 never counts: weights that have not trained are not a result.
    """
    if step <= 0 or score is None or not math.isfinite(score):
        return False
    if best.score is not None and score <= best.score:
        return False
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(out / BEST_FILE, lambda tmp: save_file(weights, tmp, metadata={"step": str(step)}))
    best.step, best.score = step, float(score)
    return True


__all__ = [
    "BEST_FILE",
    "Best",
    "KEEP_CHECKPOINTS",
    "LossWindow",
    "MIN_LR_FRACTION",
    "append_log",
    "autocast",
    "training_amp",
    "device_name",
    "keep_if_best",
    "fingerprint",
    "load_checkpoint",
    "lr_at",
    "make_optimizer",
    "open_run",
    "out_of_time",
    "read_checkpoint",
    "resume_step",
    "save_checkpoint",
    "set_rate",
    "spread",
    "start_from",
    "stream_loader",
    "train_rows",
    "truncate_log",
    "update",
    "write_json",
]
