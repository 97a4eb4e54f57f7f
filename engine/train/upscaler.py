"""Training the upscaler: `train_upscaler(data, out, scale=...)`, resumable, logged, exported.

Examples are windows of luma frames, degraded on the fly by
`panchro.engine.imaging.degrade.random_degradation` (the same code the
evaluation uses), with the clean middle frame as the target:

- from video clips (`collect_items` gives every `video_every`-th frame as a
  window centre): the frames around it, decoded once per clip as full-range
  BT.601 luma at most VIDEO_MAX_SIDE pixels on the long side (the shrink also
  cleans the clip's own compression), one random crop through all of them;
- from still pictures: `degrade.motion_window`, a crop moving along a short
  random path (still in a quarter of them, as a locked-off camera is),
  after a random shrink of the picture to 50-100% (which cleans JPEG
  artefacts and varies the scale of detail).

Either way, a random left-right flip and time reversal, then the degradation
chain, then 8-bit rounding of the input, as a decoded film has.

What one run writes under `out/`:
  checkpoint.json            the latest checkpoint: step, config, options, files (written last)
  checkpoints/step-N.model.safetensors, step-N.optim.safetensors
                             weights; AdamW moments flattened ("state.<param>.<name>") and
                             the torch RNG state; no pickles anywhere
  log.jsonl                  {"step", "loss" (L1), "lr", "windows_per_s", "elapsed_s"} every
                             `log_every` steps; {"step", "val_psnr", "val_bicubic_psnr",
                             "val_windows"} at each validation (Y PSNR, held-out windows)
  samples/step-N.png         rows of held-out windows: input (bicubic) | output | original
  upscaler_x{s}.safetensors  the exported model once the run reaches `steps`

Recipe: L1 loss, AdamW, warm-up then cosine decay (`train.common.lr_at`),
gradient clipping, bf16 autocast on CUDA. The run folder, checkpoints and log
are `train.common`'s, as for the other trainers. Resuming restores weights,
optimizer moments, step and RNG; the example at each stream position is a
function of (seed, position) alone, so a resumed run computes what an
uninterrupted one would.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import degrade
from panchro.engine.imaging.color import rgb_to_ycbcr
from panchro.engine.imaging.metrics import psnr
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.models.upscaler import PRESETS, Upscaler, UpscalerConfig, bicubic_up, build
from panchro.engine.train import common
from panchro.engine.train import export as exports
from panchro.engine.train.common import PrintFn, make_optimizer
from panchro.engine.train.data import (
    MATRIX,
    VIDEO_MAX_SIDE,
    ImageItem,
    collect_items,
    describe_items,
    load_rgb,
    split_items,
)
from panchro.engine.train.export import export_weights

FORMAT = "panchro.train.upscaler.v1"
WHAT = "an upscaler"  # for "not an upscaler training checkpoint"
SAMPLE_WINDOWS = 4
STILL_FRACTION = 0.25  # of windows from pictures that do not move at all


# --- examples -------------------------------------------------------------------------------


def rgb_to_luma(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> full-range BT.601 luma (H, W) float32 in [0, 1]."""
    y = rgb_to_ycbcr(rgb.astype(np.float32) / 255.0, matrix=MATRIX)[..., 0]
    return np.clip(y, 0.0, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=8)
def clip_luma(path: Path, max_side: int = VIDEO_MAX_SIDE) -> np.ndarray:
    """Every frame of a clip as luma (T, H, W) uint8, shrunk to at most `max_side`."""
    from panchro.engine import media

    with media.open_source(path) as src:
        size = media.fit_size(src.info.width, src.info.height, max_side)
        frames = [rgb_to_luma(f.image) for f in src.frames(fmt="rgb24", size=size)]
    if not frames:
        raise BadInputError("has no frames", path=path)
    return np.clip(np.rint(np.stack(frames) * 255), 0, 255).astype(np.uint8)


def hr_window(item: ImageItem, *, frames: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A clean window (frames, size, size) float32 from a clip or a still picture."""
    r = frames // 2
    if item.frame is not None:
        clip = clip_luma(item.path)
        t, h, w = clip.shape
        idx = np.clip(np.arange(item.frame - r, item.frame + r + 1), 0, t - 1)
        if h < size or w < size:  # a tiny clip: enlarge it, rare
            grow = size / min(h, w) * 1.01
            big = degrade.resize(clip[idx] / 255.0, (math.ceil(h * grow), math.ceil(w * grow)))
            return _crop(big.astype(np.float32), size, rng)
        return _crop(clip[idx].astype(np.float32) / 255.0, size, rng)
    luma = rgb_to_luma(np.asarray(load_rgb(item)))
    h, w = luma.shape
    least = (size + 8) / min(h, w)  # never shrink below what the crop needs
    shrink = rng.uniform(min(1.0, max(0.5, least)), 1.0) if least <= 1.0 else least
    if shrink != 1.0:
        luma = degrade.resize(luma, (max(1, round(h * shrink)), max(1, round(w * shrink))))
    speed = 0.0 if rng.random() < STILL_FRACTION else 3.0
    return degrade.motion_window(luma, frames, rng, size=(size, size), speed=speed, jitter=0.3)


def _crop(window: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    _, h, w = window.shape
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    return np.ascontiguousarray(window[:, y : y + size, x : x + size])


def make_window_example(
    item: ImageItem,
    config: UpscalerConfig,
    patch: int,
    rng: np.random.Generator,
    *,
    bicubic_only: float = 0.2,
    h264: bool = True,
) -> tuple[Tensor, Tensor]:
    """(degraded window (frames, patch, patch), clean middle frame (1, patch*s, patch*s)).

    `h264=False` degrades without PyAV (`degrade.plan_degradation`)."""
    s = config.scale
    hr = hr_window(item, frames=config.frames, size=patch * s, rng=rng)
    if rng.random() < 0.5:
        hr = hr[:, :, ::-1]
    if rng.random() < 0.5:
        hr = hr[::-1]
    # a copy, not ascontiguousarray: a flipped length-1 axis counts as contiguous but keeps
    # its negative stride, which torch refuses (frames=1 windows)
    hr = np.array(hr, dtype=np.float32, order="C", copy=True)
    lr = degrade.random_degradation(hr, s, rng, bicubic_only=bicubic_only, h264=h264)
    lr = np.rint(np.clip(lr, 0.0, 1.0) * 255.0) / 255.0  # what decoding an 8-bit film gives
    target = hr[config.frames // 2][None]
    return torch.from_numpy(lr.astype(np.float32)), torch.from_numpy(target.copy())


class WindowStream(Dataset):
    """An endless stream of degraded windows; index = position in the stream.

    Position p is item p % n of epoch p // n (each epoch its own permutation of
    the items, from (seed, epoch)); crop, motion and degradation come from
    (seed, p). Any position can be made alone, by any worker, in any order.
    """

    def __init__(
        self,
        items: Sequence[ImageItem],
        config: UpscalerConfig,
        *,
        patch: int,
        seed: int = 0,
        bicubic_only: float = 0.2,
        h264: bool = True,
    ) -> None:
        if not items:
            raise BadInputError("no training pictures (all were held out, or none were found)")
        self.items = list(items)
        self.config, self.patch, self.seed = config, patch, seed
        self.bicubic_only, self.h264 = bicubic_only, h264
        self._perm_epoch, self._perm = -1, np.arange(0)

    def __len__(self) -> int:
        return len(self.items)

    def item_at(self, position: int) -> ImageItem:
        epoch, offset = divmod(int(position), len(self.items))
        if epoch != self._perm_epoch:
            rng = np.random.default_rng([self.seed, 0x5EED, epoch])
            self._perm, self._perm_epoch = rng.permutation(len(self.items)), epoch
        return self.items[int(self._perm[offset])]

    def __getitem__(self, position: int) -> tuple[Tensor, Tensor]:
        rng = np.random.default_rng([self.seed, int(position)])
        return make_window_example(
            self.item_at(position),
            self.config,
            self.patch,
            rng,
            bicubic_only=self.bicubic_only,
            h264=self.h264,
        )


def fixed_windows(
    items: Sequence[ImageItem],
    config: UpscalerConfig,
    patch: int,
    *,
    seed: int = 1234,
    bicubic_only: float = 0.2,
    h264: bool = True,
) -> list[tuple[Tensor, Tensor]]:
    """One degraded window per item, the same every time (validation), degraded as the
    training examples are."""
    return [
        make_window_example(
            it,
            config,
            patch,
            np.random.default_rng([seed, i]),
            bicubic_only=bicubic_only,
            h264=h264,
        )
        for i, it in enumerate(items)
    ]


# --- checkpoints ----------------------------------------------------------------------------


def save_checkpoint(
    out: Path, model: Upscaler, opt: torch.optim.Optimizer, step: int, meta: dict[str, Any]
) -> Path:
    """Write the step-N files, then checkpoint.json naming them; prune the old ones."""
    return common.save_checkpoint(out, model, opt, step, meta, fmt=FORMAT)


def read_checkpoint(out: Path) -> dict[str, Any]:
    return common.read_checkpoint(out, fmt=FORMAT, what=WHAT)


def load_checkpoint(
    out: Path, model: Upscaler, opt: torch.optim.Optimizer | None, device: torch.device
) -> dict[str, Any]:
    """Restore weights (and optimizer and RNG when `opt` is given) -> the checkpoint record."""
    return common.load_checkpoint(out, model, opt, device, fmt=FORMAT, what=WHAT)


# --- validation and pictures ----------------------------------------------------------------


@torch.inference_mode()
def validate(
    model: Upscaler, windows: Sequence[tuple[Tensor, Tensor]], device: torch.device
) -> tuple[float, float]:
    """Mean Y PSNR (dB) of the model and of bicubic over held-out windows."""
    model.eval()
    ours, base = [], []
    for lr, hr in windows:
        x = lr[None].to(device)
        pred = model(x).clamp(0, 1)[0, 0].float().cpu().numpy()
        c = model.config.frames // 2
        bic = bicubic_up(x[:, c : c + 1], model.config.scale).clamp(0, 1)[0, 0].cpu().numpy()
        ours.append(psnr(pred, hr[0].numpy()))
        base.append(psnr(bic, hr[0].numpy()))
    model.train()
    return float(np.mean(ours)), float(np.mean(base))


@torch.inference_mode()
def write_samples(
    model: Upscaler,
    windows: Sequence[tuple[Tensor, Tensor]],
    path: Path,
    device: torch.device,
) -> Path:
    """Rows: the degraded middle frame (bicubic) | the model's output | the original."""
    model.eval()
    rows = []
    s, c = model.config.scale, model.config.frames // 2
    for lr, hr in windows:
        x = lr[None].to(device)
        pred = model(x).clamp(0, 1)[0, 0].float().cpu().numpy()
        bic = bicubic_up(x[:, c : c + 1], s).clamp(0, 1)[0, 0].float().cpu().numpy()
        rows.append([bic, pred, hr[0].numpy()])
    model.train()
    return write_sheet(rows, path, height=max(96, rows[0][0].shape[0]) if rows else 96)


# --- the run --------------------------------------------------------------------------------


def train_upscaler(
    data: Sequence[str | Path],
    out: str | Path,
    *,
    scale: int = 2,
    config: str = "fast",
    frames: int | None = None,
    kind: str = "film",
    channels: int | None = None,
    blocks: int | None = None,
    steps: int = 50000,
    batch: int = 16,
    patch: int = 48,
    lr: float = 5e-4,
    warmup: int | None = None,
    weight_decay: float = 0.0,
    clip: float = 1.0,
    bicubic_only: float | None = None,
    resume: bool = False,
    log_every: int = 50,
    sample_every: int = 1000,
    checkpoint_every: int = 1000,
    val_fraction: float = 0.02,
    val_limit: int = 64,
    val_patch: int | None = None,
    video_every: int = 10,
    device: str | None = None,
    amp: bool = True,
    workers: int = 0,
    seed: int = 0,
    stop_at: int | None = None,
    time_limit: float | None = None,
    export: str | Path | None = None,
    card_scale: str | None = None,
    data_note: str | None = None,
    threads: int | None = None,
    init: str | Path | None = None,
    h264: bool = True,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Train the upscaler for `scale` (1, 2 or 4) on the clips and pictures in `data`.

    `config` is a preset ("fast", "quality", "small"); `frames`, `channels` and
    `blocks` override its window, width and depth (an architecture sweep). `patch` is the
    side of an input crop (the target is patch x scale).
    `steps` is the length of the whole run (it sets the schedule); `stop_at` or
    `time_limit` (seconds of this call) end the call early with a checkpoint, to
    be continued with `resume=True`. At `steps` the model is exported to
    `export` (default out/upscaler_x{scale}.safetensors) with a card whose scale
    is `card_scale` (default "full" for the quality preset on CUDA, else
    "cpu-reduced"). `h264=False` puts JPEG where the degradation would draw H.264 (a
    machine without PyAV); the card says so. `val_patch` (default `patch`) is the
    side of the held-out crops, so runs with different patches are scored on the
    same windows. Returns a summary dict.
    """
    say = print_fn or (lambda _line: None)
    if min(steps, batch, patch, log_every, sample_every, checkpoint_every) < 1 or lr <= 0:
        raise BadInputError(
            "steps, batch, patch, lr, log_every, sample_every and checkpoint_every must be positive"
        )
    if config not in PRESETS:
        raise BadInputError(f"unknown upscaler config {config!r} (use one of {PRESETS})")
    try:
        cfg = UpscalerConfig.preset(config, scale=scale, frames=frames, kind=kind)
        if channels is not None or blocks is not None:
            cfg = replace(
                cfg,
                channels=cfg.channels if channels is None else channels,
                blocks=cfg.blocks if blocks is None else blocks,
            )
    except ValueError as err:
        raise BadInputError(str(err)) from None
    if bicubic_only is None:  # a sharp model learns the plain shrink alone
        bicubic_only = 1.0 if kind == "sharp" else 0.2
    if threads is not None:
        torch.set_num_threads(threads)
    dev = resolve_device(device)
    use_amp = common.training_amp(dev, amp)
    warm = warmup if warmup is not None else min(1000, max(1, steps // 20))
    card_scale = card_scale or (
        "full" if config == "quality" and dev.type == "cuda" else "cpu-reduced"
    )

    out, log_path, samples_dir = common.open_run(out, resume=resume)
    export_path = Path(export) if export is not None else out / f"{cfg.model_name}.safetensors"

    items = collect_items(data, video_every=video_every)
    train_items, held = split_items(items, val_fraction)
    stream = WindowStream(
        train_items, cfg, patch=patch, seed=seed, bicubic_only=bicubic_only, h264=h264
    )
    val_windows = fixed_windows(
        common.spread(held, val_limit),
        cfg,
        val_patch or patch,
        bicubic_only=bicubic_only,
        h264=h264,
    )
    sample_windows = fixed_windows(
        common.spread(held or train_items, SAMPLE_WINDOWS),
        cfg,
        patch,
        bicubic_only=bicubic_only,
        h264=h264,
    )
    description = data_note or (
        f"{describe_items(train_items)} (training windows); {len(held)} held out"
        f" (SHA-1 of the name < {val_fraction:g}); degraded by engine/imaging/degrade.py"
    )

    torch.manual_seed(seed)
    model = build(cfg).to(dev)
    started = common.start_from(model, cfg, init, say) if init is not None and not resume else None
    opt = make_optimizer(model, lr, weight_decay)
    options = {
        "started_from": started,
        "steps": steps,
        "batch": batch,
        "patch": patch,
        "lr": lr,
        "warmup": warm,
        "weight_decay": weight_decay,
        "clip": clip,
        "bicubic_only": bicubic_only,
        "h264": h264,
        "seed": seed,
        "val_fraction": val_fraction,
        "video_every": video_every,
        "config_name": config,
        "config": cfg.to_dict(),
        "data": [str(d) for d in data],
        "data_fingerprint": common.fingerprint(train_items),
        "train_items": len(train_items),
        "heldout_items": len(held),
    }
    step, elapsed_before = 0, 0.0
    last_val: tuple[float, float] | None = None
    best = common.Best()
    if resume:
        record = load_checkpoint(out, model, opt, dev)
        options["started_from"] = record.get("started_from")  # kept across resumes
        step, elapsed_before = common.resume_step(
            record,
            options,
            ("batch", "patch", "seed", "val_fraction", "config", "bicubic_only"),
            steps=steps,
            out=out,
            log_path=log_path,
            say=say,
            data_word="data",
        )
        if record.get("val_psnr") is not None:
            last_val = (record["val_psnr"], record["val_bicubic_psnr"])
            best = common.Best.from_dict(record.get("best"))
    model.to(memory_format=torch.channels_last)  # faster convolutions with cuDNN and oneDNN
    n_params = model.num_params()
    say(
        f"{cfg.model_name} ({config}, {n_params / 1e6:.3f} M params, {cfg.frames} frames) on"
        f" {common.device_name(dev, use_amp)}: {len(train_items)} training items,"
        f" {len(held)} held out;"
        f" steps {step}..{steps} of batch {batch} x {patch}px"
    )

    end = steps if stop_at is None else max(step, min(steps, stop_at))
    loader = common.stream_loader(
        stream, batch=batch, start=step, end=end, workers=workers, device=dev
    )

    def meta() -> dict[str, Any]:
        return {
            **options,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "val_psnr": last_val[0] if last_val else None,
            "val_bicubic_psnr": last_val[1] if last_val else None,
            "best": best.to_dict(),
            "device": common.device_name(dev, use_amp),
        }

    def validate_and_sample(step: int) -> None:
        nonlocal last_val
        if val_windows:
            last_val = validate(model, val_windows, dev)
            common.append_log(
                log_path,
                {
                    "step": step,
                    "val_psnr": last_val[0],
                    "val_bicubic_psnr": last_val[1],
                    "val_windows": len(val_windows),
                },
            )
            say(
                f"step {step}: held-out Y PSNR {last_val[0]:.2f} dB"
                f" (bicubic {last_val[1]:.2f} dB, {len(val_windows)} windows)"
            )
            common.keep_if_best(best, last_val[0], step, model, out)
        sheet = write_samples(model, sample_windows, samples_dir / f"step-{step:08d}.png", dev)
        say(f"samples: {sheet}")

    t_start = time.perf_counter()

    def forward(item: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        lr_batch, hr_batch = item
        lr_batch = lr_batch.to(dev, non_blocking=True).contiguous(memory_format=torch.channels_last)
        hr_batch = hr_batch.to(dev, non_blocking=True)
        with common.autocast(use_amp, dev.type):
            pred = model(lr_batch)
        loss = (pred.float() - hr_batch).abs().mean()
        return loss, {"loss": loss.detach()}

    step, stopped_early = common.train_loop(
        model=model,
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
        figures=("loss",),
        speed="windows_per_s",
        describe=lambda row, rate: (
            f"step {row['step']}/{steps} L1 {row['loss']:.5f} lr {rate:.2e}"
            f" {row['windows_per_s']:.1f} windows/s"
        ),
        validate=validate_and_sample,
        checkpoint=lambda at: save_checkpoint(out, model, opt, at, meta()),
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
        val_psnr=last_val[0] if last_val else None,
        val_bicubic_psnr=last_val[1] if last_val else None,
        train_items=len(train_items),
        heldout_items=len(held),
    )
    losses = [r["loss"] for r in common.train_rows(log_path)]
    if losses:
        result["loss_first"], result["loss"] = losses[0], losses[-1]
    if step >= steps:
        card = _card(meta(), step, card_scale, description, n_params)
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
        "patch": meta["patch"],
        "lr": meta["lr"],
        "config_name": meta["config_name"],
        "params": n_params,
        "device": meta["device"],
        "wall_s": round(float(meta["elapsed_s"]), 1),
        "val_psnr": meta.get("val_psnr"),
        "val_bicubic_psnr": meta.get("val_bicubic_psnr"),
        "luma": f"Y {MATRIX} full range in [0, 1]",
        "degradation": "engine/imaging/degrade.py random_degradation"
        f" (plain bicubic in {meta['bicubic_only']:.0%})"
        + ("" if meta.get("h264", True) else "; JPEG in place of H.264 (no PyAV)"),
        "heldout": f"SHA-1(name) < {meta['val_fraction']:g}",
    }


def export_checkpoint(
    out: str | Path,
    path: str | Path,
    *,
    scale: str = "cpu-reduced",
    data_note: str | None = None,
    kind: str | None = None,
    card_extra: dict[str, Any] | None = None,
    best: bool = False,
    print_fn: PrintFn | None = print,
) -> Path:
    """Export the latest checkpoint of a run in `out` (e.g. one stopped early) as weights;
    with `best`, the run's best held-out weights so far (`exports.export_run`).

    `kind` names what the run learned when its checkpoint predates `UpscalerConfig.kind`
    (a sharp run made with --bicubic-only 1 --frames 1); `card_extra` adds or corrects
    card fields (figures measured after the run)."""

    def corrected(model: Any, cfg: UpscalerConfig) -> UpscalerConfig:
        if kind is not None and kind != cfg.kind:
            cfg = replace(cfg, kind=kind)
            model.config = cfg
        return cfg

    def card(record: dict[str, Any], step: int, params: int) -> dict[str, Any]:
        words = data_note or exports.data_words(record, "items")
        return _card(record, step, scale, words, params) | (card_extra or {})

    return exports.export_run(
        out, path, config_from_dict=UpscalerConfig.from_dict, build=build, fmt=FORMAT,
        what=WHAT, card=card, best=best, adjust=corrected, say=print_fn,
    )  # fmt: skip


__all__ = [
    "WindowStream",
    "clip_luma",
    "export_checkpoint",
    "export_weights",
    "fixed_windows",
    "hr_window",
    "load_checkpoint",
    "make_window_example",
    "read_checkpoint",
    "rgb_to_luma",
    "save_checkpoint",
    "train_upscaler",
    "validate",
    "write_samples",
]
