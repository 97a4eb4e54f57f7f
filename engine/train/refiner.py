"""Training the refiner: `train_refiner(data, out, ...)`, resumable, logged, exported.

One example (`make_refiner_example`), from a colour picture or a video frame:
  grey    (1, S, S)  Y of a random square crop (side 50-100 % of the picture's short
                     side, resized to S = the config's working size), flipped half the time
  target  (2, S, S)  its true Cb/Cr (BT.601 full range, as `train.data` uses)
  hint    (2, h, h)  the chroma the colorizer would hand over, disturbed: the crop's
                     chroma area-averaged to h x h (h = 28), seen through a small random
                     affine map (rotation, scale, shift: `HintNoise`) so the hint is
                     misaligned and partly shows what lies outside the crop, rotated in
                     hue and scaled in saturation a little, then quantized to 32 bins and
                     dequantized (`color.quantize_chroma` / `dequantize_chroma`).
                     For a video frame the hint is usually taken from *another frame of
                     the same clip*, 5 to 30 frames away, at the same crop box: the net
                     learns to carry a colour choice across motion, not to copy positions.
Loss: mean squared error of the chroma (plus `l1_weight` x L1).

What one run writes under `out/` (`train.common`'s run folder, format "panchro.train.refiner.v1"):
  checkpoint.json, checkpoints/step-N.{model,optim}.safetensors   resumable state, no pickles
  log.jsonl        {"step", "loss", "mse", "lr", "images_per_s", "elapsed_s"} every
                   `log_every` steps; {"step", "val_mse", "val_psnr", "hint_psnr",
                   "val_images"} at each validation (step 0 too: the untrained net returns
                   the upsampled hint, so val_psnr starts at hint_psnr)
  samples/step-N.png   rows of held-out examples: grey | hint upsampled | prediction | truth
  refiner.safetensors  the exported model once the run reaches `steps`

Resuming restores weights, AdamW moments, the step and the RNG; examples are a pure
function of (seed, position), so a resumed run computes what an uninterrupted one would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from panchro.engine.errors import BadInputError
from panchro.engine.imaging.color import (
    CHROMA_LEVELS,
    dequantize_chroma,
    quantize_chroma,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.models.refiner import (
    PRESETS,
    Refiner,
    RefinerConfig,
    build,
    refiner_config,
    upsample_hint,
)
from panchro.engine.train import common
from panchro.engine.train import export as exports
from panchro.engine.train.common import PrintFn, make_optimizer
from panchro.engine.train.data import (
    MATRIX,
    ImageItem,
    TrainStream,
    colour_items,
    describe_items,
    load_rgb,
    packed_frame,
    split_items,
)
from panchro.engine.train.export import export_weights

FORMAT = "panchro.train.refiner.v1"
WHAT = "a refiner"  # for "not a refiner training checkpoint"
CONFIG_NAMES = PRESETS
SAMPLE_IMAGES = 4
VAL_SEED = 0x7A1  # validation examples (crops, disturbances) are fixed, whatever the run's seed
VIDEO_EVERY = 5  # frames of a clip 5 apart: partners 5..30 frames away exist for most frames

Example = tuple[Tensor, Tensor, Tensor]  # grey (1, S, S), hint (2, h, h), target (2, S, S)


def config_named(name: str) -> RefinerConfig:
    """The preset `name` ("default", "cpu", "small"), BadInputError for another."""
    try:
        return refiner_config(name)
    except ValueError as err:
        raise BadInputError(str(err)) from None


@dataclass(frozen=True)
class HintNoise:
    """How the training hint is disturbed; each part applies with its probability."""

    warp_p: float = 0.8
    rotate_deg: float = 5.0  # uniform in +-
    scale: tuple[float, float] = (0.9, 1.1)
    shift: float = 0.1  # of the crop's side, uniform in +- on each axis
    colour_p: float = 0.5
    hue_deg: float = 8.0  # rotation of the (Cb, Cr) plane, uniform in +-
    saturation: tuple[float, float] = (0.85, 1.15)
    # The target turned as the hint is: teaches the net to keep the hue and strength a mode
    # was picked with instead of pulling it back towards the truth it guesses.
    colour_follows: bool = False
    partner_p: float = 0.8  # video frames: hint from another frame of the clip
    partner_frames: tuple[int, int] = (5, 30)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


NO_NOISE = HintNoise(warp_p=0.0, colour_p=0.0, partner_p=0.0)


# --- examples -----------------------------------------------------------------------------

# A clip: a video and the step its frames were sampled with, or (the clip's name, 0) for
# frames that travel repacked as pictures (`data.pack_shards`, the GPU kit).
ClipKey = tuple[Path, int]
Clips = dict[ClipKey, dict[int, ImageItem]]  # clip -> its frames among the items, in order


def clip_of(item: ImageItem) -> tuple[ClipKey, int] | None:
    """(clip, frame index) of a video frame, sampled from a video or repacked; None for a
    picture."""
    if item.frame is not None:
        return (item.path, item.every), item.frame
    packed = packed_frame(item)
    return ((Path(packed[0]), 0), packed[1]) if packed is not None else None


def clip_frames(items: Sequence[ImageItem]) -> Clips:
    """The frames of each clip in `items`, by index, sorted, for picking hint partners."""
    clips: Clips = {}
    for it in items:
        found = clip_of(it)
        if found is not None:
            clips.setdefault(found[0], {})[found[1]] = it
    return {k: dict(sorted(v.items())) for k, v in clips.items()}


def pick_partner(
    item: ImageItem, clips: Clips, rng: np.random.Generator, noise: HintNoise
) -> ImageItem:
    """Another frame of `item`'s clip, `noise.partner_frames` away (either way), or `item`."""
    found = clip_of(item)
    if found is None or rng.random() >= noise.partner_p:
        return item
    key, frame = found
    frames = clips.get(key, {})
    lo, hi = noise.partner_frames
    near = [f for f in frames if lo <= abs(f - frame) <= hi]
    if not near:
        return item
    return frames[int(near[rng.integers(0, len(near))])]


def _shrink_to(img: Image.Image, short: int) -> Image.Image:
    """Large photographs shrunk to a short side of `short`: crops then match film frames' scale."""
    w, h = img.size
    if min(w, h) <= short:
        return img
    s = short / min(w, h)
    return img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BOX)


def _chroma_of(img: Image.Image) -> Tensor:
    """(1, 2, H, W) float32 Cb/Cr of an RGB picture."""
    ycc = rgb_to_ycbcr(np.asarray(img, np.uint8), matrix=MATRIX)
    return torch.from_numpy(np.ascontiguousarray(ycc[..., 1:].transpose(2, 0, 1)))[None]


def hint_from_picture(
    img: Image.Image,
    box: tuple[float, float, float],
    hint_size: int,
    *,
    angle: float = 0.0,
    scale: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
    oversample: int = 8,
) -> Tensor:
    """Cb/Cr (2, h, h) of the square `box` (left, top, side) of `img` seen through an affine map.

    The hint's grid covers the box rotated by `angle` (radians) and scaled by
    `scale` about its centre, then moved by `shift` (fractions of the side); the
    picture is sampled bilinearly `oversample` times per hint pixel and side, then
    area-averaged. Outside the picture its border continues.
    """
    chroma = _chroma_of(img)
    width, height = img.size
    x0, y0, side = box
    g = hint_size * oversample
    u = (torch.arange(g, dtype=torch.float64) + 0.5) / g * 2 - 1
    vv, uu = torch.meshgrid(u, u, indexing="ij")
    cos, sin = math.cos(angle), math.sin(angle)
    half = side / 2 * scale
    x = x0 + side / 2 + shift[0] * side + half * (cos * uu - sin * vv)
    y = y0 + side / 2 + shift[1] * side + half * (sin * uu + cos * vv)
    grid = torch.stack([2 * x / width - 1, 2 * y / height - 1], dim=-1)[None].float()
    sampled = F.grid_sample(
        chroma, grid, mode="bilinear", padding_mode="border", align_corners=False
    )
    return F.avg_pool2d(sampled, oversample)[0]


def disturb_colour(hint: Tensor, angle: float, saturation: float) -> Tensor:
    """Rotate (Cb, Cr) by `angle` radians (a hue shift) and scale it by `saturation`."""
    cb, cr = hint[0], hint[1]
    cos, sin = math.cos(angle) * saturation, math.sin(angle) * saturation
    return torch.stack([cos * cb - sin * cr, sin * cb + cos * cr]).clamp_(-0.5, 0.5)


def quantize_hint(hint: Tensor, levels: int = CHROMA_LEVELS) -> Tensor:
    """Snap to the centres of the colorizer's bins, as a sampled hint is."""
    bins = quantize_chroma(hint.numpy(), levels)
    return torch.from_numpy(dequantize_chroma(bins, levels))


def make_refiner_example(
    item: ImageItem,
    *,
    size: int,
    hint_size: int,
    rng: np.random.Generator,
    noise: HintNoise = HintNoise(),
    clips: Clips | None = None,
    levels: int = CHROMA_LEVELS,
) -> Example:
    """(grey (1, S, S), hint (2, h, h), target (2, S, S)) float32 for one picture (see the top)."""
    img = _shrink_to(load_rgb(item), 2 * size)
    w, h = img.size
    short = min(w, h)
    lo = min(1.0, max(0.5, size / 2 / short))  # never zoom a crop past 2x (blur films lack)
    side = max(1, min(short, round(short * rng.uniform(lo, 1.0))))
    x0 = int(rng.integers(0, w - side + 1))
    y0 = int(rng.integers(0, h - side + 1))
    flip = bool(rng.integers(0, 2))
    view = img.resize((size, size), Image.Resampling.BILINEAR, box=(x0, y0, x0 + side, y0 + side))
    ycc = rgb_to_ycbcr(np.asarray(view, np.uint8), matrix=MATRIX).transpose(2, 0, 1)

    partner = pick_partner(item, clips or {}, rng, noise)
    source = img if partner == item else _shrink_to(load_rgb(partner), 2 * size)
    if source.size != img.size:  # a clip keeps its size; be safe with odd files
        source = source.resize(img.size, Image.Resampling.BILINEAR)
    angle, scale, shift = 0.0, 1.0, (0.0, 0.0)
    if rng.random() < noise.warp_p:
        angle = math.radians(rng.uniform(-noise.rotate_deg, noise.rotate_deg))
        scale = rng.uniform(*noise.scale)
        shift = (rng.uniform(-noise.shift, noise.shift), rng.uniform(-noise.shift, noise.shift))
    hint = hint_from_picture(
        source, (x0, y0, side), hint_size, angle=angle, scale=scale, shift=shift
    )
    grey = torch.from_numpy(np.ascontiguousarray(ycc[:1])).clamp_(0.0, 1.0)
    target = torch.from_numpy(np.ascontiguousarray(ycc[1:])).clamp_(-0.5, 0.5)
    if rng.random() < noise.colour_p:
        hue = math.radians(rng.uniform(-noise.hue_deg, noise.hue_deg))
        saturation = rng.uniform(*noise.saturation)
        hint = disturb_colour(hint, hue, saturation)
        if noise.colour_follows:
            target = disturb_colour(target, hue, saturation)
    hint = quantize_hint(hint, levels)

    if flip:
        grey, target, hint = grey.flip(-1), target.flip(-1), hint.flip(-1)
    return grey.contiguous(), hint.contiguous(), target.contiguous()


class RefinerStream(TrainStream):
    """The endless, shuffled stream of `TrainStream`, yielding refiner examples.

    Position p: item `item_at(p)`, randomness from (seed, p) alone.
    """

    def __init__(
        self,
        items: Sequence[ImageItem],
        *,
        size: int,
        hint_size: int,
        seed: int = 0,
        noise: HintNoise = HintNoise(),
    ) -> None:
        super().__init__(items, image_size=size, chroma_size=hint_size, seed=seed)
        self.noise = noise
        self.clips = clip_frames(self.items)

    def __getitem__(self, position: int) -> Example:  # type: ignore[override]
        return make_refiner_example(
            self.item_at(position),
            size=self.image_size,
            hint_size=self.chroma_size,
            rng=np.random.default_rng([self.seed, int(position)]),
            noise=self.noise,
            clips=self.clips,
        )


class RefinerExamples(Dataset):
    """items[i] -> a fixed example (randomness from (VAL_SEED, i)): validation and samples."""

    def __init__(
        self,
        items: Sequence[ImageItem],
        *,
        size: int,
        hint_size: int,
        noise: HintNoise = HintNoise(),
    ) -> None:
        self.items = list(items)
        self.size, self.hint_size, self.noise = size, hint_size, noise
        self.clips = clip_frames(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Example:
        return make_refiner_example(
            self.items[i],
            size=self.size,
            hint_size=self.hint_size,
            rng=np.random.default_rng([VAL_SEED, i]),
            noise=self.noise,
            clips=self.clips,
        )


def _batches(dataset: Dataset, batch: int) -> Any:
    for start in range(0, len(dataset), batch):
        parts = [dataset[i] for i in range(start, min(len(dataset), start + batch))]
        yield tuple(torch.stack(t) for t in zip(*parts, strict=True))


# --- loss and validation ------------------------------------------------------------------


def refiner_loss(pred: Tensor, target: Tensor, l1_weight: float = 0.0) -> tuple[Tensor, Tensor]:
    """(loss, mse): MSE of the chroma, plus `l1_weight` x mean absolute error."""
    mse = F.mse_loss(pred.float(), target)
    loss = mse + l1_weight * F.l1_loss(pred.float(), target) if l1_weight else mse
    return loss, mse.detach()


def _psnr(mse: Tensor) -> Tensor:
    """Per-image chroma PSNR (peak 1: Cb/Cr span [-0.5, 0.5]), capped at 100 dB."""
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


@torch.no_grad()
def validate(
    model: Refiner, dataset: Dataset, *, batch: int, device: torch.device, amp: bool = False
) -> dict[str, float]:
    """Mean MSE and mean per-image PSNR of the prediction, and of the upsampled hint alone."""
    was_training = model.training
    model.eval()
    sums = {"val_mse": 0.0, "val_psnr": 0.0, "hint_mse": 0.0, "hint_psnr": 0.0}
    n = 0
    try:
        for grey, hint, target in _batches(dataset, batch):
            grey, hint, target = grey.to(device), hint.to(device), target.to(device)
            with common.autocast(amp):
                pred = model(grey, hint)
            up = upsample_hint(hint, (grey.shape[-2], grey.shape[-1]))
            for key, out in (("val", pred.float()), ("hint", up)):
                mse = ((out - target) ** 2).mean(dim=(1, 2, 3))
                sums[f"{key}_mse"] += float(mse.sum())
                sums[f"{key}_psnr"] += float(_psnr(mse).sum())
            n += grey.shape[0]
    finally:
        model.train(was_training)
    return {k: v / n for k, v in sums.items()} if n else {k: math.nan for k in sums}


def _rgb(y: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    return ycbcr_to_rgb(
        np.concatenate([y[..., None], chroma.transpose(1, 2, 0)], -1), matrix=MATRIX
    )


@torch.no_grad()
def write_sample_grid(
    model: Refiner, dataset: Dataset, path: Path, *, device: torch.device
) -> Path:
    """Rows per example: grey | hint upsampled | prediction | truth, merged with the true luma."""
    was_training = model.training
    model.eval()
    rows = []
    try:
        for i in range(min(SAMPLE_IMAGES, len(dataset))):
            grey, hint, target = dataset[i]
            pred = model(grey[None].to(device), hint[None].to(device))[0].float().cpu().numpy()
            up = upsample_hint(hint[None], (grey.shape[-2], grey.shape[-1]))[0].numpy()
            y = grey[0].numpy()
            rows.append(
                [
                    np.repeat(y[..., None], 3, -1),
                    _rgb(y, up),
                    _rgb(y, pred),
                    _rgb(y, target.numpy()),
                ]
            )
    finally:
        model.train(was_training)
    return write_sheet(rows, path, height=max(96, model.config.working_size))


# --- checkpoints --------------------------------------------------------------------------


def save_checkpoint(
    out: Path, model: Refiner, opt: torch.optim.Optimizer, step: int, meta: dict[str, Any]
) -> Path:
    """Write the step-N files, then checkpoint.json naming them; keep the last two."""
    return common.save_checkpoint(out, model, opt, step, meta, fmt=FORMAT)


def read_checkpoint(out: Path) -> dict[str, Any]:
    return common.read_checkpoint(out, fmt=FORMAT, what=WHAT)


def load_checkpoint(
    out: Path, model: Refiner, opt: torch.optim.Optimizer | None, device: torch.device
) -> dict[str, Any]:
    """Restore weights (and the optimizer and RNG when `opt` is given) -> the checkpoint record."""
    return common.load_checkpoint(out, model, opt, device, fmt=FORMAT, what=WHAT)


# --- the run ------------------------------------------------------------------------------


def train_refiner(
    data: Sequence[str | Path],
    out: str | Path,
    *,
    steps: int = 20000,
    batch: int = 16,
    lr: float = 1e-3,
    warmup: int | None = None,
    weight_decay: float = 1e-4,
    clip: float = 1.0,
    l1_weight: float = 0.0,
    config: str = "default",
    noise: HintNoise = HintNoise(),
    resume: bool = False,
    log_every: int = 50,
    sample_every: int = 1000,
    checkpoint_every: int = 1000,
    val_fraction: float = 0.02,
    val_limit: int = 128,
    video_every: int = VIDEO_EVERY,
    skip_grey: bool = True,
    device: str | None = None,
    amp: bool = True,
    workers: int = 0,
    seed: int = 0,
    stop_at: int | None = None,
    time_limit: float | None = None,
    export: str | Path | None = None,
    scale: str | None = None,
    data_note: str | None = None,
    threads: int | None = None,
    init: str | Path | None = None,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Train the refiner on the pictures and clips in `data`; checkpoints, logs, samples in `out`.

    `steps` is the length of the whole run (it sets the learning-rate schedule);
    `stop_at` (a step) or `time_limit` (seconds of this call) end this call early
    with a checkpoint, to be continued with `resume=True`. Once the run reaches
    `steps` the model is exported to `export` (default out/refiner.safetensors)
    with a card saying `scale` (by default "full" only for the default config on
    CUDA, else "cpu-reduced") and `data_note` (default: a count of the pictures by
    source). Returns a summary dict.
    """
    say = print_fn or (lambda _line: None)
    if steps < 1 or batch < 1 or lr <= 0 or log_every < 1 or sample_every < 1:
        raise BadInputError("steps, batch, lr, log_every and sample_every must be positive")
    if checkpoint_every < 1 or l1_weight < 0:
        raise BadInputError("checkpoint_every must be positive and l1_weight not negative")
    if threads is not None:
        torch.set_num_threads(threads)
    cfg = config_named(config)
    dev = resolve_device(device)
    use_amp = common.training_amp(dev, amp)
    warm = warmup if warmup is not None else min(500, max(1, steps // 20))
    scale = scale or ("full" if config == "default" and dev.type == "cuda" else "cpu-reduced")

    out, log_path, samples_dir = common.open_run(out, resume=resume)
    export_path = Path(export) if export is not None else out / "refiner.safetensors"

    items = colour_items(data, video_every=video_every, skip_grey=skip_grey, say=say)
    train_items, held = split_items(items, val_fraction)
    size, hint_size = cfg.working_size, cfg.hint_size
    stream = RefinerStream(train_items, size=size, hint_size=hint_size, seed=seed, noise=noise)
    val_set = RefinerExamples(
        common.spread(held, val_limit), size=size, hint_size=hint_size, noise=noise
    )
    sample_set = RefinerExamples(
        common.spread(held or train_items, SAMPLE_IMAGES),
        size=size,
        hint_size=hint_size,
        noise=noise,
    )
    n_frames = sum(1 for it in train_items if clip_of(it) is not None)
    description = data_note or (
        f"{describe_items(train_items)} (training; {n_frames} video frames, every"
        f" {video_every}th); {len(held)} held out (SHA-1 of the name < {val_fraction:g})"
    )

    torch.manual_seed(seed)
    model = build(cfg).to(dev)
    started = common.start_from(model, cfg, init, say) if init is not None and not resume else None
    opt = make_optimizer(model, lr, weight_decay)
    options = {
        "started_from": started,
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "warmup": warm,
        "weight_decay": weight_decay,
        "clip": clip,
        "l1_weight": l1_weight,
        "seed": seed,
        "val_fraction": val_fraction,
        "video_every": video_every,
        "noise": noise.to_dict(),
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
        record = load_checkpoint(out, model, opt, dev)
        options["started_from"] = record.get("started_from")  # kept across resumes
        record["config"] = RefinerConfig.from_dict(record["config"]).to_dict()  # lists -> tuples
        record["noise"] = HintNoise(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in record["noise"].items()}
        ).to_dict()
        step, elapsed_before = common.resume_step(
            record,
            options,
            ("batch", "seed", "val_fraction", "video_every", "config", "noise"),
            steps=steps,
            out=out,
            log_path=log_path,
            say=say,
        )
        last_val = record.get("val")
        best = common.Best.from_dict(record.get("best"))
    n_params = model.num_params()
    say(
        f"refiner ({config}, {n_params / 1e6:.2f} M params, {size} px crops) on"
        f" {common.device_name(dev, use_amp)}: {len(train_items)} training pictures"
        f" ({n_frames} video frames), {len(held)} held out; steps {step}..{steps} of batch {batch}"
    )

    end = steps if stop_at is None else max(step, min(steps, stop_at))
    loader = common.stream_loader(
        stream, batch=batch, start=step, end=end, workers=workers, device=dev
    )

    def meta() -> dict[str, Any]:
        return {
            **options,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "val": last_val,
            "best": best.to_dict(),
            "device": common.device_name(dev, use_amp),
        }

    def validate_and_sample(step: int) -> None:
        nonlocal last_val
        if len(val_set):
            # held-out figures in float32 on the CPU: comparable with the shipped weights'
            figures = validate(
                model, val_set, batch=batch, device=dev, amp=use_amp and dev.type == "cuda"
            )
            last_val = {k: round(v, 6) for k, v in figures.items()} | {"step": step}
            common.append_log(log_path, {"step": step, **figures, "val_images": len(val_set)})
            say(
                f"step {step}: held-out chroma MSE {figures['val_mse']:.5f},"
                f" PSNR {figures['val_psnr']:.2f} dB (hint alone {figures['hint_psnr']:.2f} dB,"
                f" {len(val_set)} pictures)"
            )
            common.keep_if_best(best, figures["val_psnr"], step, model, out)
        grid = write_sample_grid(
            model, sample_set, samples_dir / f"step-{step:08d}.png", device=dev
        )
        say(f"samples: {grid}")

    t_start = time.perf_counter()
    if step == 0:
        validate_and_sample(step)

    def forward(item: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        grey, hint, target = (t.to(dev, non_blocking=True) for t in item)
        with common.autocast(use_amp, dev.type):
            pred = model(grey, hint)
        loss, mse = refiner_loss(pred, target, l1_weight)
        return loss, {"loss": loss.detach(), "mse": mse}

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
        figures=("loss", "mse"),
        speed="images_per_s",
        describe=lambda row, rate: (
            f"step {row['step']}/{steps} loss {row['loss']:.5f} (MSE {row['mse']:.5f})"
            f" lr {rate:.2e} {row['images_per_s']:.1f} img/s"
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
        val=last_val,
        train_images=len(train_items),
        heldout_images=len(held),
    )
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
    val = meta.get("val") or {}
    return {
        "started_from": meta.get("started_from"),
        "trained": True,
        "scale": scale,
        "steps": step,
        "data": description,
        "batch": meta["batch"],
        "lr": meta["lr"],
        "l1_weight": meta["l1_weight"],
        "config_name": meta["config_name"],
        "params": n_params,
        "device": meta["device"],
        "wall_s": round(float(meta["elapsed_s"]), 1),
        "val_mse": val.get("val_mse"),
        "val_psnr": val.get("val_psnr"),
        "hint_psnr": val.get("hint_psnr"),
        "val_step": val.get("step"),
        "hints": "true chroma area-averaged to 28x28, affine-warped, hue/saturation noise,"
        " quantized to 32 bins; video: from a frame 5-30 frames away",
        "noise": meta["noise"],
        "colour": f"YCbCr {MATRIX} full range",
        "heldout": f"SHA-1(name) < {meta['val_fraction']:g}",
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
        out, path, config_from_dict=RefinerConfig.from_dict, build=build, fmt=FORMAT, what=WHAT,
        card=lambda record, step, params: _card(
            record, step, scale, data_note or exports.data_words(record), params
        ),
        best=best, say=print_fn,
    )  # fmt: skip


__all__ = [
    "CONFIG_NAMES",
    "HintNoise",
    "NO_NOISE",
    "RefinerExamples",
    "RefinerStream",
    "clip_frames",
    "clip_of",
    "config_named",
    "disturb_colour",
    "export_checkpoint",
    "export_weights",
    "hint_from_picture",
    "load_checkpoint",
    "make_refiner_example",
    "pick_partner",
    "quantize_hint",
    "read_checkpoint",
    "refiner_loss",
    "save_checkpoint",
    "train_refiner",
    "validate",
    "write_sample_grid",
]
