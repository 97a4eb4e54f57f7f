"""Training the colorizer: `train_colorizer(data, out, ...)`, resumable, logged, exported.

What one run writes under `out/`:
  checkpoint.json            the latest checkpoint: step, config, options, files (written last)
  checkpoints/step-N.model.safetensors   model weights at step N
  checkpoints/step-N.optim.safetensors   AdamW moments, flattened ("state.<param>.<name>"),
                                         and the torch RNG state; no pickles anywhere
  checkpoints/step-N.probe.safetensors   with `aux_weight`: the chroma probe's weights
  log.jsonl                  one JSON object a line: {"step", "loss" (nats), "bits" (per chroma
                             value), "lr", "images_per_s", "elapsed_s"} every `log_every`
                             steps, and {"step", "val_bits", "val_images"} at each validation
  samples/step-N.png         rows of held-out pictures: grey | 3 samples at T=1 | argmax | original
  colorizer.safetensors      the exported model (`panchro.engine.models.weights.save_model`) once
                             the run reaches `steps`

The recipe: AdamW (no weight decay on biases and norms), linear warm-up then
cosine decay to 5% of the peak rate, cross-entropy of the quantized chroma
(`Colorizer.loss`), gradient clipping, bf16 autocast and optional
torch.compile on CUDA only. Examples come from `panchro.engine.train.data`;
a held-out split (by name hash) gives validation NLL and the sample pictures.

Resuming (`resume=True`) restores weights, optimizer moments, the step and
the RNG; the data stream is a pure function of (seed, position), so on the
same device the resumed run computes exactly what an uninterrupted one would.
The run folder, checkpoints, log, schedule and optimizer are `train.common`'s,
shared with the other trainers; checkpoints here are tagged FORMAT.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import (
    dequantize_chroma,
    merge_prediction,
)
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.models.colorizer import Colorizer, ColorizerConfig, bins_to_hwc, build
from panchro.engine.train import common
from panchro.engine.train import export as exports
from panchro.engine.train.common import (  # lr_at and make_optimizer: re-exported from here
    PrintFn,
    lr_at,
    make_optimizer,
)
from panchro.engine.train.data import (
    MATRIX,
    ColorDataset,
    ImageItem,
    TrainStream,
    colour_items,
    describe_items,
    iter_batches,
    load_rgb,
    rgb_to_example,
    split_items,
    square_view,
)
from panchro.engine.train.export import export_weights

FORMAT = "panchro.train.colorizer.v1"
WHAT = "a colorizer"  # for "not a colorizer training checkpoint"
CONFIG_NAMES = ("default", "small", "cpu", "cpu56")
SAMPLE_IMAGES = 4


def config_named(name: str) -> ColorizerConfig:
    """ "default" (224 -> 28x28, ~10 M params), "small" (tests), "cpu" or "cpu56" (two cores).

    "cpu" keeps the 28x28 chroma of the default but sees a 112x112 grey input
    through a single stride-2 stage and a narrower, shallower PixelCNN: about
    1.4 M parameters and about a seventh of the default's compute per picture.
    "cpu56" is the same network seeing a 56x56 grey input through a stride-1 stem:
    the colour-semantics shards are 64 px, so it sees them at about their own scale
    instead of blown up to 112 (the model card compares the two per CPU-minute).
    """
    if name == "default":
        return ColorizerConfig()
    if name == "small":
        return ColorizerConfig.small()
    if name in ("cpu", "cpu56"):
        return ColorizerConfig(
            image_size=112 if name == "cpu" else 56,
            chroma_size=28,
            stem_channels=32,
            stem_stride=2 if name == "cpu" else 1,
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


# --- checkpoints (the shared format, tagged FORMAT) ---------------------------------------


def _probe_file(model_file: Path) -> Path:
    return model_file.with_name(model_file.name.replace(".model.", ".probe."))


def _save_probe(probe: torch.nn.Module, model_file: Path) -> None:
    from safetensors.torch import save_file

    from panchro.engine.fsutil import atomic_write

    weights = {k: v.detach().cpu().contiguous() for k, v in probe.state_dict().items()}
    model_file.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(_probe_file(model_file), lambda tmp: save_file(weights, tmp))


def _load_probe(probe: torch.nn.Module, model_file: Path) -> None:
    from safetensors.torch import load_file

    path = _probe_file(model_file)
    if not path.exists():
        raise BadInputError("the chroma probe's weights are missing", path=path)
    probe.load_state_dict(load_file(str(path)))


def save_checkpoint(
    out: Path, model: Colorizer, opt: torch.optim.Optimizer, step: int, meta: dict[str, Any]
) -> Path:
    """Write the step-N files, then checkpoint.json pointing at them; prune old ones."""
    return common.save_checkpoint(out, model, opt, step, meta, fmt=FORMAT)


def read_checkpoint(out: Path) -> dict[str, Any]:
    return common.read_checkpoint(out, fmt=FORMAT, what=WHAT)


def load_checkpoint(
    out: Path, model: Colorizer, opt: torch.optim.Optimizer | None, device: torch.device
) -> dict[str, Any]:
    """Restore weights (and optimizer and RNG when `opt` is given) -> the checkpoint record."""
    return common.load_checkpoint(out, model, opt, device, fmt=FORMAT, what=WHAT)


# --- pictures -----------------------------------------------------------------------------


def write_sample_grid(
    model: Colorizer, items: Sequence[ImageItem], path: Path, *, seed: int = 0
) -> Path:
    """Rows per picture: grey | 3 samples at T=1 | argmax (T=0) | original, at the input size."""
    from panchro.engine.inference.sampling import sample_chroma

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


# --- the chroma probe: an auxiliary regression of the conditioning features ----------------


def chroma_probe(cond_channels: int) -> torch.nn.Module:
    """A small head that regresses the 28 x 28 chroma (the bins' centres) from the
    conditioning features, for `train_colorizer(aux_weight=...)`: training only, never
    exported. Measured (session 26): the same conditioning network trained by this head's
    L2 alone, from random weights, for 20 CPU-minutes, coloured the held-out pictures
    better (+0.76 dB over grey) than the shipped colorizer's posterior mean (+0.62) after
    hours of cross-entropy, and this head on the shipped features reached only +0.65: the
    features are what holds the colorizer back, and dense L2 trains them far more cheaply
    than the PixelCNN's cross-entropy does."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(cond_channels, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 2, 1),
    )


def loss_with_probe(
    model: Colorizer, probe: torch.nn.Module, weight: float, grey: torch.Tensor, bins: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(cross-entropy + `weight` x the probe's mean squared chroma error, the cross-entropy in
    bits, the probe's error), the features computed once for both."""
    feats = model.condition(grey)
    logits = model.pixelcnn(bins, feats)
    nll = F.cross_entropy(logits.float().transpose(1, 2), bins)
    target = dequantize_chroma(bins, model.config.levels)
    err = (probe(feats).float() - target).pow(2).mean()
    return nll + weight * err, nll.detach() / math.log(2), err.detach()


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
    skip_grey: bool = True,
    threads: int | None = None,
    init: str | Path | None = None,
    aux_weight: float = 0.0,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Train the colorizer on the pictures in `data`; write checkpoints, logs and samples to `out`.

    `steps` is the length of the whole run (it sets the learning-rate schedule);
    `stop_at` (a step) or `time_limit` (seconds of this call) end this call early
    with a checkpoint, to be continued with `resume=True`. Once the run reaches
    `steps` the model is exported to `export` (default out/colorizer.safetensors)
    with a card saying `scale` ("full", or "cpu-reduced": by default "full" only
    for the default config on CUDA) and `data_note` (default: a count of the
    pictures by source). `aux_weight` > 0 also trains the conditioning features by a chroma
    regression (`chroma_probe`, its squared error weighed so in the loss; its weights are kept
    beside each checkpoint, never exported; at 20, from random weights for 25 CPU-minutes, it
    left the colorizer worse on every figure: model card). Returns a summary dict.
    """
    say = print_fn or (lambda _line: None)
    if not 0.0 <= aux_weight <= 1000.0:
        raise BadInputError(f"aux_weight must be within 0..1000, got {aux_weight}")
    if steps < 1 or batch < 1 or lr <= 0 or log_every < 1 or sample_every < 1:
        raise BadInputError("steps, batch, lr, log_every and sample_every must be positive")
    if checkpoint_every < 1:
        raise BadInputError("checkpoint_every must be positive")
    if threads is not None:
        torch.set_num_threads(threads)
    cfg = config_named(config)
    dev = resolve_device(device)
    use_amp = common.training_amp(dev, amp)
    if compile_model and dev.type != "cuda":
        say("torch.compile is used on CUDA only; training uncompiled")
    warm = warmup if warmup is not None else min(1000, max(1, steps // 20))
    scale = scale or ("full" if config == "default" and dev.type == "cuda" else "cpu-reduced")

    out, log_path, samples_dir = common.open_run(out, resume=resume)
    export_path = Path(export) if export is not None else out / "colorizer.safetensors"

    items = colour_items(data, video_every=video_every, skip_grey=skip_grey, say=say)
    train_items, held = split_items(items, val_fraction)
    stream = TrainStream(
        train_items,
        image_size=cfg.image_size,
        chroma_size=cfg.chroma_size,
        levels=cfg.levels,
        seed=seed,
    )
    val_items = common.spread(held, val_limit)
    sample_items = common.spread(held or train_items, SAMPLE_IMAGES)
    val_set = ColorDataset(
        val_items, image_size=cfg.image_size, chroma_size=cfg.chroma_size, levels=cfg.levels
    )
    description = data_note or (
        f"{describe_items(train_items)} (training); {len(held)} held out"
        f" (SHA-1 of the name < {val_fraction:g})"
    )

    torch.manual_seed(seed)
    model = build(cfg).to(dev)
    started = common.start_from(model, cfg, init, say) if init is not None and not resume else None
    probe = chroma_probe(cfg.cond_channels).to(dev) if aux_weight > 0 else None
    # One optimizer over both (the colorizer's parameters first, as a run without the probe
    # has them): a checkpoint's moments then restore either way.
    trained = model if probe is None else torch.nn.ModuleList([model, probe])
    opt = make_optimizer(trained, lr, weight_decay)
    options = {
        "started_from": started,
        "aux_weight": aux_weight,
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
        "data_fingerprint": common.fingerprint(train_items),
        "train_images": len(train_items),
        "heldout_images": len(held),
    }
    step, elapsed_before, last_val = 0, 0.0, None
    best = common.Best()
    if resume:
        before = float(common.read_checkpoint(out, fmt=FORMAT, what=WHAT).get("aux_weight", 0.0))
        if before != aux_weight:  # before the moments are loaded: the probe's are among them
            raise BadInputError(
                f"this run was trained with aux_weight {before:g}, not {aux_weight:g}: resume it"
                " with the same",
                path=out,
            )
        record = load_checkpoint(out, model, opt, dev)
        if probe is not None:
            _load_probe(probe, out / record["model_file"])
        options["started_from"] = record.get("started_from")  # kept across resumes
        record["config"] = ColorizerConfig.from_dict(record["config"]).to_dict()  # lists -> tuples
        record.setdefault("aux_weight", 0.0)  # a checkpoint from before the option
        step, elapsed_before = common.resume_step(
            record,
            options,
            ("batch", "seed", "val_fraction", "config", "aux_weight"),
            steps=steps,
            out=out,
            log_path=log_path,
            say=say,
        )
        last_val = record.get("val_bits")
        best = common.Best.from_dict(record.get("best"))
    n_params = model.num_params()
    say(
        f"colorizer ({config}, {n_params / 1e6:.2f} M params) on"
        f" {common.device_name(dev, use_amp)}:"
        f" {len(train_items)} training pictures, {len(held)} held out; steps {step}..{steps}"
        f" of batch {batch}"
    )

    loss_fn: Any = model.loss
    if probe is not None:
        loss_fn = functools.partial(loss_with_probe, model, probe, aux_weight)
    if compile_model and dev.type == "cuda":
        loss_fn = torch.compile(loss_fn)
    end = steps if stop_at is None else max(step, min(steps, stop_at))
    loader = common.stream_loader(
        stream, batch=batch, start=step, end=end, workers=workers, device=dev
    )

    def meta() -> dict[str, Any]:
        return {
            **options,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "val_bits": last_val,
            "best": best.to_dict(),
            "device": common.device_name(dev, use_amp),
        }

    def validate_and_sample(step: int) -> None:
        nonlocal last_val
        if val_items:
            batches = iter_batches(val_set, range(len(val_set)), batch)
            last_val, n = nll_bits(model, batches, device=dev, amp=use_amp)
            common.append_log(log_path, {"step": step, "val_bits": last_val, "val_images": n})
            say(f"step {step}: held-out NLL {last_val:.4f} bits per chroma value ({n} pictures)")
            common.keep_if_best(best, -last_val, step, model, out)  # fewer bits is better
        grid = write_sample_grid(model, sample_items, samples_dir / f"step-{step:08d}.png")
        say(f"samples: {grid}")

    t_start = time.perf_counter()

    def forward(item: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        grey, bins = (t.to(dev, non_blocking=True) for t in item)
        with common.autocast(use_amp, dev.type):
            if probe is None:
                loss, bits = loss_fn(grey, bins)
                return loss, {"loss": loss.detach().float(), "bits": bits.float()}
            loss, bits, err = loss_fn(grey, bins)
        return loss, {"loss": loss.detach().float(), "bits": bits.float(), "aux": err.float()}

    def checkpoint(at: int) -> None:
        if probe is not None:  # first: the record written last names a complete step
            _save_probe(probe, out / "checkpoints" / f"step-{at:08d}.model.safetensors")
        save_checkpoint(out, model, opt, at, meta())

    step, stopped_early = common.train_loop(
        model=trained,
        opt=opt,
        loader=loader,
        forward=forward,
        step=step,
        steps=steps,
        end=end,
        lr=lr,
        warmup=warm,
        clip=clip,
        batch=batch,
        device=dev,
        figures=("loss", "bits") if probe is None else ("loss", "bits", "aux"),
        speed="images_per_s",
        describe=lambda row, rate: (
            f"step {row['step']}/{steps} loss {row['loss']:.4f} ({row['bits']:.3f} bits)"
            + (f" probe {row['aux']:.5f}" if probe is not None else "")
            + f" lr {rate:.2e} {row['images_per_s']:.1f} img/s"
        ),
        validate=validate_and_sample,
        checkpoint=checkpoint,
        log_path=log_path,
        log_every=log_every,
        sample_every=sample_every,
        checkpoint_every=checkpoint_every,
        time_limit=time_limit,
        t_start=t_start,
        elapsed_before=elapsed_before,
        say=say,
    )
    result = common.run_result(
        step=step,
        steps=steps,
        stopped_early=stopped_early,
        out=out,
        log_path=log_path,
        samples_dir=samples_dir,
        elapsed_s=meta()["elapsed_s"],
        val_bits=last_val,
        train_images=len(train_items),
        heldout_images=len(held),
    )
    rows = common.train_rows(log_path)
    if rows:
        result["loss"], result["bits"] = rows[-1]["loss"], rows[-1]["bits"]
    if step >= steps:
        card = _card(meta(), step, scale, description, n_params)
        written = exports.export_best(
            model, cfg, export_path, card=card, out=out, best=best, say=say
        )
        result["weights"] = str(written)
    return result


def _card(
    meta: dict[str, Any], step: int, scale: str, description: str, n_params: int
) -> dict[str, Any]:
    return {
        "started_from": meta.get("started_from"),
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
        # the conditioning features also trained by a chroma regression (`chroma_probe`)
        **({"aux_regression": meta["aux_weight"]} if meta.get("aux_weight") else {}),
    }


def export_checkpoint(
    out: str | Path,
    path: str | Path,
    *,
    scale: str = "cpu-reduced",
    data_note: str | None = None,
    best: bool = False,
    print_fn: PrintFn | None = print,
) -> Path:
    """Export the latest checkpoint of a run in `out` (e.g. one stopped early) as weights;
    with `best`, the run's best held-out weights so far (`exports.export_run`)."""
    return exports.export_run(
        out, path, config_from_dict=ColorizerConfig.from_dict, build=build, fmt=FORMAT, what=WHAT,
        card=lambda record, step, params: _card(
            record, step, scale, data_note or exports.data_words(record), params
        ),
        best=best, say=print_fn,
    )  # fmt: skip


__all__ = [
    "CONFIG_NAMES",
    "bits_each",
    "config_named",
    "export_checkpoint",
    "export_weights",
    "load_checkpoint",
    "lr_at",
    "make_optimizer",
    "nll_bits",
    "read_checkpoint",
    "save_checkpoint",
    "train_colorizer",
    "write_sample_grid",
]


@torch.no_grad()
def nll_bits(
    model: torch.nn.Module,
    batches: Sequence[tuple[torch.Tensor, torch.Tensor]] | Any,
    *,
    device: torch.device | str = "cpu",
    amp: bool = False,
) -> tuple[float, int]:
    """Mean teacher-forced NLL in bits per chroma value over (grey, bins) batches -> (bits, n).

    Every image weighs the same (all have the same number of chroma values).
    """
    total, count = 0.0, 0
    for grey, bins in batches:
        total += float(bits_each(model, grey, bins, device=device, amp=amp).sum())
        count += grey.shape[0]
    return (total / count if count else math.nan), count


def bits_each(
    model: torch.nn.Module,
    grey: torch.Tensor,
    bins: torch.Tensor,
    *,
    device: torch.device | str = "cpu",
    amp: bool = False,
) -> torch.Tensor:
    """Teacher-forced NLL in bits per chroma value of each picture of a batch -> (B,), on the CPU.

    With drawn samples as `bins` (and the grey repeated), how likely the model finds each
    of its own colourings."""
    was_training = model.training
    model.eval()
    dev = torch.device(device)
    try:
        grey, bins = grey.to(dev), bins.to(dev)
        ctx = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if amp and dev.type == "cuda"
            else contextlib.nullcontext()
        )
        with torch.no_grad(), ctx:
            logits = model(grey, bins)
        nll = F.cross_entropy(logits.float().transpose(1, 2), bins, reduction="none")
        return (nll.mean(dim=(1, 2, 3)) / math.log(2)).cpu()
    finally:
        model.train(was_training)
