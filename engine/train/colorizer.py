"""Training the colorizer: `train_colorizer(data, out, ...)`, resumable, logged, exported.

What one run writes under `out/`:
  checkpoint.json            the latest checkpoint: step, config, options, files (written last)
  checkpoints/step-N.model.safetensors   model weights at step N
  checkpoints/step-N.optim.safetensors   AdamW moments, flattened ("state.<param>.<name>"),
                                         and the torch RNG state; no pickles anywhere
  log.jsonl                  one JSON object a line: {"step", "loss" (nats), "bits" (per chroma
                             value), "lr", "images_per_s", "elapsed_s"} every `log_every`
                             steps, and {"step", "val_bits", "val_images"} at each validation
  samples/step-N.png         rows of held-out pictures: grey | 3 samples at T=1 | argmax | original
  colorizer.safetensors      the exported model (`panchro.engine.weights.save_model`) once
                             the run reaches `steps`

The recipe: AdamW (no weight decay on biases and norms), linear warm-up then
cosine decay to 5% of the peak rate, cross-entropy of the quantized chroma
(`Colorizer.loss`), gradient clipping, bf16 autocast and optional
torch.compile on CUDA only. Examples come from `panchro.engine.train.data`;
a held-out split (by name hash) gives validation NLL and the sample pictures.

Resuming (`resume=True`) restores weights, optimizer moments, the step and
the RNG; the data stream is a pure function of (seed, position), so on the
same device the resumed run computes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.utils.data import DataLoader

from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.evaluate import bins_to_hwc, merge_prediction, nll_bits, write_sheet
from panchro.engine.fsutil import atomic_write
from panchro.engine.models.colorizer import Colorizer, ColorizerConfig, build
from panchro.engine.train.data import (
    MATRIX,
    ColorDataset,
    ImageItem,
    StreamSampler,
    TrainStream,
    collect_items,
    describe_items,
    iter_batches,
    load_rgb,
    rgb_to_example,
    split_items,
    square_view,
)

FORMAT = "panchro.train.colorizer.v1"
CONFIG_NAMES = ("default", "small", "cpu")
MIN_LR_FRACTION = 0.05
SAMPLE_IMAGES = 4
KEEP_CHECKPOINTS = 2

PrintFn = Callable[[str], None]


def config_named(name: str) -> ColorizerConfig:
    """ "default" (224 -> 28x28, ~10 M params), "small" (tests) or "cpu" (a run on two cores).

    "cpu" keeps the 28x28 chroma of the default but sees a 112x112 grey input
    through a single stride-2 stage and a narrower, shallower PixelCNN: about
    1.4 M parameters and about a seventh of the default's compute per picture.
    """
    if name == "default":
        return ColorizerConfig()
    if name == "small":
        return ColorizerConfig.small()
    if name == "cpu":
        return ColorizerConfig(
            image_size=112,
            chroma_size=28,
            stem_channels=32,
            resnet_widths=(64,),
            resnet_blocks=(2,),
            context_dilations=(2, 4, 8),
            cond_channels=64,
            norm_groups=8,
            embed_dim=8,
            pixelcnn_channels=64,
            pixelcnn_layers=6,
            kernel_size=5,
            head_channels=64,
            dropout=0.0,
        )
    raise BadInputError(f"unknown colorizer config {name!r} (use one of {CONFIG_NAMES})")


def lr_at(step: int, *, steps: int, lr: float, warmup: int) -> float:
    """Learning rate for the update that takes the model from `step` to `step + 1`."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return lr * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    # Decay only matrices and kernels; decaying norms' gains and biases just fights them.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), eps=1e-8)


# --- checkpoints --------------------------------------------------------------------------


def _write_json(path: Path, data: dict[str, Any]) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")

    atomic_write(path, write)


def save_checkpoint(
    out: Path, model: Colorizer, opt: torch.optim.Optimizer, step: int, meta: dict[str, Any]
) -> Path:
    """Write the step-N files, then checkpoint.json pointing at them; prune old ones."""
    folder = out / "checkpoints"
    folder.mkdir(exist_ok=True)
    stem = f"step-{step:08d}"
    model_file, optim_file = (
        folder / f"{stem}.model.safetensors",
        folder / f"{stem}.optim.safetensors",
    )
    weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(model_file, lambda tmp: save_file(weights, tmp, metadata={"format": FORMAT}))

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
    atomic_write(optim_file, lambda tmp: save_file(tensors, tmp, metadata={"format": FORMAT}))

    record = {
        **meta,
        "format": FORMAT,
        "step": step,
        "model_file": str(model_file.relative_to(out)),
        "optim_file": str(optim_file.relative_to(out)),
        "optim_scalars": scalars,
        "param_groups": [
            {k: v for k, v in g.items() if k != "params"} | {"params": g["params"]}
            for g in sd["param_groups"]
        ],
    }
    _write_json(out / "checkpoint.json", record)
    # older checkpoints go only once the new one is complete and named in the JSON
    stems = sorted({p.name.split(".")[0] for p in folder.glob("step-*.safetensors")})
    for old in stems[:-KEEP_CHECKPOINTS]:
        for p in folder.glob(f"{old}.*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
    return out / "checkpoint.json"


def read_checkpoint(out: Path) -> dict[str, Any]:
    path = out / "checkpoint.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError("no checkpoint to resume here (checkpoint.json)", path=out) from None
    except (OSError, json.JSONDecodeError) as err:
        raise BadInputError(f"damaged checkpoint record ({err})", path=path) from None
    if record.get("format") != FORMAT:
        raise BadInputError(f"not a colorizer training checkpoint ({FORMAT})", path=path)
    return record


def load_checkpoint(
    out: Path, model: Colorizer, opt: torch.optim.Optimizer | None, device: torch.device
) -> dict[str, Any]:
    """Restore weights (and optimizer and RNG when `opt` is given) -> the checkpoint record."""
    record = read_checkpoint(out)
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
            state.setdefault(int(idx), {})[name] = value
    for key, value in record.get("optim_scalars", {}).items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    groups = []
    for g in record["param_groups"]:
        g = dict(g)
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
        groups.append(g)
    opt.load_state_dict({"state": state, "param_groups": groups})
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and device.type == "cuda":
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return record


# --- logging and pictures -----------------------------------------------------------------


def _append_log(path: Path, row: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def _truncate_log(path: Path, step: int) -> None:
    """Drop rows a crashed run wrote after the checkpoint it is resumed from."""
    if not path.is_file():
        return
    kept = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line).get("step", 0) <= step
    ]
    atomic_write(path, lambda tmp: Path(tmp).write_text("".join(k + "\n" for k in kept)))


def write_sample_grid(
    model: Colorizer, items: Sequence[ImageItem], path: Path, *, seed: int = 0
) -> Path:
    """Rows per picture: grey | 3 samples at T=1 | argmax (T=0) | original, at the input size."""
    from panchro.engine.sampling import sample_chroma

    cfg = model.config
    rows = []
    for n, item in enumerate(items):
        view = square_view(load_rgb(item), cfg.image_size)
        grey, _ = rgb_to_example(view, cfg.chroma_size, cfg.levels)
        y = grey[0].numpy()
        drawn = sample_chroma(model, grey, k=3, seed=seed + n, temperature=1.0)
        greedy = sample_chroma(model, grey, k=1, seed=seed + n, temperature=0.0)
        preds = [
            merge_prediction(y, c) for c in bins_to_hwc(torch.cat([drawn, greedy]), cfg.levels)
        ]
        rows.append([np.repeat(y[..., None], 3, axis=-1), *preds, view])
    return write_sheet(rows, path, height=max(96, cfg.image_size))


def _spread(items: Sequence[ImageItem], n: int) -> list[ImageItem]:
    """n items spread evenly over the list (its order is by source, so this mixes classes)."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, n).round().astype(int)]


def _fingerprint(items: Sequence[ImageItem]) -> str:
    h = hashlib.sha1()
    for it in items:
        h.update(it.key.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


# --- the run ------------------------------------------------------------------------------


def train_colorizer(
    data: Sequence[str | Path],
    out: str | Path,
    *,
    steps: int = 20000,
    batch: int = 32,
    lr: float = 5e-4,
    warmup: int | None = None,
    weight_decay: float = 0.01,
    clip: float = 1.0,
    config: str = "default",
    resume: bool = False,
    log_every: int = 50,
    sample_every: int = 1000,
    checkpoint_every: int = 1000,
    val_fraction: float = 0.02,
    val_limit: int = 256,
    video_every: int = 30,
    device: str | None = None,
    amp: bool = True,
    compile_model: bool = False,
    workers: int = 0,
    seed: int = 0,
    stop_at: int | None = None,
    time_limit: float | None = None,
    export: str | Path | None = None,
    scale: str | None = None,
    data_note: str | None = None,
    threads: int | None = None,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Train the colorizer on the pictures in `data`; write checkpoints, logs and samples to `out`.

    `steps` is the length of the whole run (it sets the learning-rate schedule);
    `stop_at` (a step) or `time_limit` (seconds of this call) end this call early
    with a checkpoint, to be continued with `resume=True`. Once the run reaches
    `steps` the model is exported to `export` (default out/colorizer.safetensors)
    with a card saying `scale` ("full", or "cpu-reduced": by default "full" only
    for the default config on CUDA) and `data_note` (default: a count of the
    pictures by source). Returns a summary dict.
    """
    say = print_fn or (lambda _line: None)
    if steps < 1 or batch < 1 or lr <= 0 or log_every < 1 or sample_every < 1:
        raise BadInputError("steps, batch, lr, log_every and sample_every must be positive")
    if checkpoint_every < 1:
        raise BadInputError("checkpoint_every must be positive")
    if threads is not None:
        torch.set_num_threads(threads)
    cfg = config_named(config)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    use_amp = amp and dev.type == "cuda"
    if compile_model and dev.type != "cuda":
        say("torch.compile is used on CUDA only; training uncompiled")
    warm = warmup if warmup is not None else min(1000, max(1, steps // 20))
    scale = scale or ("full" if config == "default" and dev.type == "cuda" else "cpu-reduced")

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder ({err.strerror})", path=out) from None
    if (out / "checkpoint.json").exists() and not resume:
        raise OutputError(
            "holds a training run already; resume it or choose another folder", path=out
        )
    log_path = out / "log.jsonl"
    samples_dir = out / "samples"
    samples_dir.mkdir(exist_ok=True)
    export_path = Path(export) if export is not None else out / "colorizer.safetensors"

    items = collect_items(data, video_every=video_every)
    train_items, held = split_items(items, val_fraction)
    stream = TrainStream(
        train_items,
        image_size=cfg.image_size,
        chroma_size=cfg.chroma_size,
        levels=cfg.levels,
        seed=seed,
    )
    val_items = _spread(held, val_limit)
    sample_items = _spread(held or train_items, SAMPLE_IMAGES)
    val_set = ColorDataset(
        val_items, image_size=cfg.image_size, chroma_size=cfg.chroma_size, levels=cfg.levels
    )
    description = data_note or (
        f"{describe_items(train_items)} (training); {len(held)} held out"
        f" (SHA-1 of the name < {val_fraction:g})"
    )

    torch.manual_seed(seed)
    model = build(cfg).to(dev)
    opt = make_optimizer(model, lr, weight_decay)
    options = {
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "warmup": warm,
        "weight_decay": weight_decay,
        "clip": clip,
        "seed": seed,
        "val_fraction": val_fraction,
        "video_every": video_every,
        "config_name": config,
        "config": cfg.to_dict(),
        "data": [str(d) for d in data],
        "data_fingerprint": _fingerprint(train_items),
        "train_images": len(train_items),
        "heldout_images": len(held),
    }
    step, elapsed_before, last_val = 0, 0.0, None
    if resume:
        record = load_checkpoint(out, model, opt, dev)
        record["config"] = ColorizerConfig.from_dict(record["config"]).to_dict()  # lists -> tuples
        for key in ("batch", "seed", "val_fraction", "config"):
            if record.get(key) != options[key]:
                raise BadInputError(
                    f"cannot resume: {key} was {record.get(key)!r}, now {options[key]!r}",
                    path=out,
                )
        if record.get("data_fingerprint") != options["data_fingerprint"]:
            say("warning: the training pictures differ from the checkpoint's; the stream changes")
        step = int(record["step"])
        elapsed_before = float(record.get("elapsed_s", 0.0))
        last_val = record.get("val_bits")
        if steps < step:
            raise BadInputError(f"cannot resume to {steps} steps: already at step {step}", path=out)
        _truncate_log(log_path, step)
        say(f"resuming at step {step}")
    n_params = model.num_params()
    say(
        f"colorizer ({config}, {n_params / 1e6:.2f} M params) on {_device_name(dev)}:"
        f" {len(train_items)} training pictures, {len(held)} held out; steps {step}..{steps}"
        f" of batch {batch}"
    )

    loss_fn = model.loss
    if compile_model and dev.type == "cuda":
        loss_fn = torch.compile(model.loss)
    end = steps if stop_at is None else max(step, min(steps, stop_at))
    loader = DataLoader(
        stream,
        batch_size=batch,
        sampler=StreamSampler(step * batch, end * batch),
        num_workers=workers,
        pin_memory=dev.type == "cuda",
        drop_last=False,
    )

    def meta() -> dict[str, Any]:
        return {
            **options,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "val_bits": last_val,
            "device": _device_name(dev),
        }

    def validate_and_sample() -> None:
        nonlocal last_val
        if val_items:
            batches = iter_batches(val_set, range(len(val_set)), batch)
            last_val, n = nll_bits(model, batches, device=dev, amp=use_amp)
            _append_log(log_path, {"step": step, "val_bits": last_val, "val_images": n})
            say(f"step {step}: held-out NLL {last_val:.4f} bits per chroma value ({n} pictures)")
        grid = write_sample_grid(model, sample_items, samples_dir / f"step-{step:08d}.png")
        say(f"samples: {grid}")

    t_start = time.perf_counter()
    t_window, n_window = time.perf_counter(), 0
    loss_sum = torch.zeros((), device=dev)
    bits_sum = torch.zeros((), device=dev)
    model.train()
    stopped_early = False
    for grey, bins in loader:
        grey = grey.to(dev, non_blocking=True)
        bins = bins.to(dev, non_blocking=True)
        rate = lr_at(step, steps=steps, lr=lr, warmup=warm)
        for g in opt.param_groups:
            g["lr"] = rate
        ctx = torch.autocast("cuda", dtype=torch.bfloat16) if use_amp else contextlib.nullcontext()
        with ctx:
            loss, bits = loss_fn(grey, bins)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        step += 1
        loss_sum += loss.detach().float()
        bits_sum += bits.float()
        n_window += 1
        if step % log_every == 0 or step == end:
            now = time.perf_counter()
            row = {
                "step": step,
                "loss": float(loss_sum) / n_window,
                "bits": float(bits_sum) / n_window,
                "lr": rate,
                "images_per_s": n_window * batch / max(now - t_window, 1e-9),
                "elapsed_s": elapsed_before + now - t_start,
            }
            _append_log(log_path, row)
            say(
                f"step {step}/{steps} loss {row['loss']:.4f} ({row['bits']:.3f} bits)"
                f" lr {rate:.2e} {row['images_per_s']:.1f} img/s"
            )
            loss_sum.zero_()
            bits_sum.zero_()
            t_window, n_window = time.perf_counter(), 0
        if step % sample_every == 0 or step == steps:
            validate_and_sample()
        if step % checkpoint_every == 0 and step != end:
            save_checkpoint(out, model, opt, step, meta())
        if time_limit is not None and time.perf_counter() - t_start > time_limit and step < end:
            say(f"time limit reached at step {step}")
            stopped_early = True
            break
    save_checkpoint(out, model, opt, step, meta())

    result: dict[str, Any] = {
        "step": step,
        "steps": steps,
        "finished": step >= steps,
        "stopped_early": stopped_early or step < steps,
        "val_bits": last_val,
        "checkpoint": str(out / "checkpoint.json"),
        "log": str(log_path),
        "samples": sorted(str(p) for p in samples_dir.glob("step-*.png")),
        "elapsed_s": meta()["elapsed_s"],
        "train_images": len(train_items),
        "heldout_images": len(held),
        "weights": None,
    }
    last_row = _last_train_row(log_path)
    if last_row is not None:
        result["loss"], result["bits"] = last_row["loss"], last_row["bits"]
    if step >= steps:
        card = _card(meta(), step, scale, description, n_params)
        result["weights"] = str(export_weights(model, cfg, export_path, card=card))
        say(f"exported {result['weights']} ({scale}, {step} steps)")
    return result


def _last_train_row(log_path: Path) -> dict[str, Any] | None:
    if not log_path.is_file():
        return None
    rows = [json.loads(x) for x in log_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if "loss" in r]
    return rows[-1] if rows else None


def _card(
    meta: dict[str, Any], step: int, scale: str, description: str, n_params: int
) -> dict[str, Any]:
    return {
        "trained": True,
        "scale": scale,
        "steps": step,
        "data": description,
        "batch": meta["batch"],
        "lr": meta["lr"],
        "config_name": meta["config_name"],
        "params": n_params,
        "device": meta["device"],
        "wall_s": round(float(meta["elapsed_s"]), 1),
        "val_bits": meta.get("val_bits"),
        "colour": f"YCbCr {MATRIX} full range; chroma area-averaged, 32 uniform bins",
        "heldout": f"SHA-1(name) < {meta['val_fraction']:g}",
    }


def export_weights(
    model: Colorizer, cfg: ColorizerConfig, path: str | Path, *, card: dict[str, Any]
) -> Path:
    from panchro.engine.weights import save_model

    return save_model(model.to("cpu").eval(), cfg, path, card=card)


def export_checkpoint(
    out: str | Path,
    path: str | Path,
    *,
    scale: str = "cpu-reduced",
    data_note: str | None = None,
) -> Path:
    """Export the latest checkpoint of a run in `out` (e.g. one stopped early) as weights."""
    out = Path(out)
    record = read_checkpoint(out)
    cfg = ColorizerConfig.from_dict(record["config"])
    model = build(cfg)
    load_checkpoint(out, model, None, torch.device("cpu"))
    description = data_note or (
        f"{record['train_images']} training pictures from {', '.join(record['data'])};"
        f" {record['heldout_images']} held out"
    )
    card = _card(record, int(record["step"]), scale, description, model.num_params())
    return export_weights(model, cfg, path, card=card)


__all__ = [
    "CONFIG_NAMES",
    "config_named",
    "export_checkpoint",
    "load_checkpoint",
    "lr_at",
    "read_checkpoint",
    "save_checkpoint",
    "train_colorizer",
    "write_sample_grid",
]
