"""Training the hint refiner: `train_hint_refiner(data, out, ...)`, resumable, logged, exported.

The learned route of issue 18 (Zhang et al. 2017, "Real-time user-guided image
colorization with learned deep priors": a network fed the grey picture and a
sparse map of hints, trained on hints sampled from the originals), built on what
Panchro already has: the refiner's U-Net, with three more inputs (the hint map's
Cb, Cr and mask), fed Levin et al. 2004's propagation of the same hints as its
base. Its last convolution starts at zero, so before any training it returns
Levin's answer exactly; training only learns corrections (where a colour belongs
to an object, how far it should spread). The encoder starts from the shipped
refiner's weights (`--init`), the new input channels at zero.

One example (`make_hint_example`), from a colour picture:
  a random square crop (50-100 % of the short side of the picture shrunk to a
  short side of at most 384 px, as large as a frame's working copy sees it),
  flipped half the time; N points (log-uniform in 1..64) at random pixels of the
  crop, each the 3 x 3 mean sRGB colour there (the simulated user of `panchro eval
  hints`), drawn at S x S by `imaging.hints.rasterize` exactly as at inference;
  grey = the crop's Y at S x S; base = Levin from the points; target = true Cb/Cr.
Loss: minus the mean per-picture chroma PSNR (`hint_loss`). Held-out figure: chroma PSNR
against Levin's on the same hints.

Run folder as every trainer's (`train.common`), format "panchro.train.hint_refiner.v1".
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import levin
from panchro.engine.imaging.color import merge_luma_chroma, rgb_to_ycbcr
from panchro.engine.imaging.hints import Hints, Point, Stroke, rasterize
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.models.refiner import Refiner, RefinerConfig, build, refiner_config
from panchro.engine.train import common
from panchro.engine.train import export as exports
from panchro.engine.train.common import PrintFn, make_optimizer
from panchro.engine.train.data import (
    ImageItem,
    TrainStream,
    collect_items,
    colour_only,
    load_rgb,
    split_items,
)

FORMAT = "panchro.train.hint_refiner.v1"
WHAT = "hint refiner"
MATRIX = "bt601"
VAL_SEED = 0x41D7
SAMPLE_IMAGES = 4
MAX_POINTS = 64
MAX_STROKES = 16
# how far (RGB distance of 3 x 3 means, 0-255) a simulated stroke's colour may drift from
# where it began before the hand stops: about "another thing" in a photo
STROKE_TOLERANCE = 40.0
SOURCE_SHORT = 384  # pictures are shrunk to this short side first: crops then look like frames

Example = tuple[Tensor, Tensor, Tensor, Tensor]  # grey, base, points, target


def hint_config(name: str = "cpu") -> RefinerConfig:
    """A refiner preset with the point inputs."""
    try:
        return replace(refiner_config(name), point_hints=True)
    except ValueError as err:
        raise BadInputError(str(err)) from None


def _resize(planes: np.ndarray, size: int) -> np.ndarray:
    """(C, H, W) -> (C, size, size), as `inference.hinting` shrinks the frame (antialiased)."""
    t = torch.from_numpy(np.ascontiguousarray(planes, np.float32))[None]
    return F.interpolate(
        t, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )[0].numpy()


def random_points(rgb_u8: np.ndarray, n: int, rng: np.random.Generator) -> Hints:
    """N points at random pixels, each the 3 x 3 mean colour of the picture there."""
    h, w = rgb_u8.shape[:2]
    ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
    pts = []
    for y, x in zip(ys, xs, strict=True):
        patch = rgb_u8[max(0, y - 1) : y + 2, max(0, x - 1) : x + 2].reshape(-1, 3)
        mean = np.rint(patch.astype(np.float64).mean(axis=0)).astype(int)
        pts.append(Point(0, float(x) + 0.5, float(y) + 0.5, tuple(mean.tolist())))
    return Hints(points=tuple(pts))


def _local_means(rgb_u8: np.ndarray) -> np.ndarray:
    """The 3 x 3 mean colour at every pixel (edges repeated), float32 (H, W, 3)."""
    f = np.pad(rgb_u8.astype(np.float32), ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = rgb_u8.shape[:2]
    return sum(f[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)) / 9.0


def random_strokes(rgb_u8: np.ndarray, n: int, rng: np.random.Generator) -> Hints:
    """N strokes as a person draws them: each from a random pixel (not on an edge) along
    a gently bending path (5-30 % of the short side) that stops where the picture's colour
    leaves the colour it started on (a hand keeps a stroke inside one thing), as wide as
    1-3 % of the short side, in one colour, the median of the colours under it."""
    h, w = rgb_u8.shape[:2]
    side = min(h, w)
    means = _local_means(rgb_u8)
    step = max(1.0, side / 64)
    strokes = []
    for _ in range(n):
        for _try in range(8):  # a hand starts inside a thing, not on the line between two
            x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
            j, i = min(h - 1, int(y)), min(w - 1, int(x))
            start = means[j, i]
            around = means[max(0, j - 1) : j + 2, max(0, i - 1) : i + 2].reshape(-1, 3)
            if float(np.abs(around - start).max()) <= STROKE_TOLERANCE / 2:
                break
        under = [start]
        pts = [(x, y)]
        theta = float(rng.uniform(0.0, 2 * math.pi))
        length = side * float(rng.uniform(0.05, 0.30))
        for _ in range(max(1, int(length / step))):
            theta += float(rng.normal(0.0, 0.25))
            nx, ny = x + step * math.cos(theta), y + step * math.sin(theta)
            if not (0 <= nx < w and 0 <= ny < h):
                break
            here = means[int(ny), int(nx)]
            if float(np.linalg.norm(here - start)) > STROKE_TOLERANCE:
                break
            x, y = nx, ny
            pts.append((x, y))
            under.append(here)
        rgb = np.rint(np.median(np.asarray(under), axis=0)).clip(0, 255).astype(int)
        width = max(2.0, side * float(rng.uniform(0.01, 0.03)))
        strokes.append(Stroke(0, tuple(pts), round(width, 2), tuple(rgb.tolist())))
    return Hints(strokes=tuple(strokes))


def random_hints(
    rgb_u8: np.ndarray, rng: np.random.Generator, *, stroke_share: float = 0.0
) -> Hints:
    """A training example's hints: points alone (1-64, log-uniform), or with probability
    `stroke_share` 1-16 strokes (log-uniform) and 0-16 points beside them."""
    if stroke_share > 0 and rng.random() < stroke_share:  # no draw otherwise: old runs' examples
        n = int(round(math.exp(rng.uniform(0.0, math.log(MAX_STROKES)))))
        k = int(rng.integers(0, MAX_STROKES + 1))
        strokes = random_strokes(rgb_u8, n, rng).strokes
        return Hints(points=random_points(rgb_u8, k, rng).points if k else (), strokes=strokes)
    n = int(round(math.exp(rng.uniform(0.0, math.log(MAX_POINTS)))))
    return random_points(rgb_u8, n, rng)


def make_hint_example(
    item: ImageItem, *, size: int, rng: np.random.Generator, stroke_share: float = 0.0
) -> Example:
    """One training example (grey (1,S,S), base (2,S,S), points (3,S,S), target (2,S,S))."""
    img = load_rgb(item)
    w, h = img.size
    if min(w, h) > SOURCE_SHORT:
        s = SOURCE_SHORT / min(w, h)
        img = img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BOX)
        w, h = img.size
    side = max(8, int(round(min(w, h) * rng.uniform(0.5, 1.0))))
    x0 = int(rng.integers(0, w - side + 1))
    y0 = int(rng.integers(0, h - side + 1))
    crop = img.crop((x0, y0, x0 + side, y0 + side))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    rgb = np.asarray(crop, dtype=np.uint8)
    hints = random_hints(rgb, rng, stroke_share=stroke_share)
    ycc = np.moveaxis(rgb_to_ycbcr(rgb, matrix=MATRIX), -1, 0)
    small = _resize(ycc, size)
    grey = np.clip(small[:1], 0.0, 1.0)
    target_true = np.clip(small[1:], -0.5, 0.5)
    hint_map, mask = rasterize(hints, frame_size=(side, side), shape=(size, size), matrix=MATRIX)
    base = levin.propagate(grey[0], hint_map, mask)
    points = np.concatenate([hint_map * mask, mask[None].astype(np.float32)])
    return (
        torch.from_numpy(np.ascontiguousarray(grey, np.float32)),
        torch.from_numpy(base),
        torch.from_numpy(np.ascontiguousarray(points, np.float32)),
        torch.from_numpy(np.ascontiguousarray(target_true, np.float32)),
    )


class HintStream(TrainStream):
    """The endless shuffled stream of `TrainStream`, yielding hint examples."""

    stroke_share = 0.0

    def __getitem__(self, position: int) -> Example:  # type: ignore[override]
        return make_hint_example(
            self.item_at(position),
            size=self.image_size,
            rng=np.random.default_rng([self.seed, int(position)]),
            stroke_share=self.stroke_share,
        )


class HintExamples(Dataset):
    """items[i] -> a fixed example (randomness from (VAL_SEED, i)): validation and samples."""

    def __init__(self, items: Sequence[ImageItem], *, size: int, stroke_share: float = 0.0) -> None:
        self.items, self.size, self.stroke_share = list(items), size, stroke_share
        self._cache: dict[int, Example] = {}  # Levin costs: solve each held-out example once

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Example:
        if i not in self._cache:
            rng = np.random.default_rng([VAL_SEED, i])
            self._cache[i] = make_hint_example(
                self.items[i], size=self.size, rng=rng, stroke_share=self.stroke_share
            )
        return self._cache[i]


GREY_CHROMA = 3 / 255  # no chroma beyond this anywhere: a grey picture, left out of the figure
LOSS_FLOOR = 1e-5  # MSE of a nearly perfect picture (50 dB): below it, no more to gain


def hint_loss(pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """(loss, MSE): minus the mean per-picture chroma PSNR, scaled to about MSE's size.

    The figure that matters is each picture's PSNR, averaged (what `panchro eval hints`
    reports). Plain MSE over the batch lets a few colourful pictures decide everything:
    trained on it from Levin's answer, the net spread colour into pictures Levin had
    almost right and fell 2 dB below Levin on held-out pictures after 2,000 steps.
    """
    mse = ((pred.float() - target) ** 2).mean(dim=(1, 2, 3))
    loss = torch.log10(mse + LOSS_FLOOR).mean() * 0.01
    return loss, mse.mean().detach()


def _psnr(mse: Tensor) -> Tensor:
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


@torch.no_grad()
def validate(model: Refiner, dataset: Dataset, *, batch: int, device: torch.device) -> dict:
    """Mean per-picture chroma PSNR of the model and of Levin alone, and the model's MSE,
    over the pictures that have colour (as `panchro eval hints` counts them: a grey picture's
    PSNR is near infinite for any method that leaves it grey, and would swamp the mean)."""
    was_training = model.training
    model.eval()
    sums = {"val_mse": 0.0, "val_psnr": 0.0, "levin_psnr": 0.0}
    n = 0
    try:
        for start in range(0, len(dataset), batch):
            parts = [dataset[i] for i in range(start, min(len(dataset), start + batch))]
            grey, base, points, target = (
                torch.stack(t).to(device) for t in zip(*parts, strict=True)
            )
            coloured = target.abs().amax(dim=(1, 2, 3)) > GREY_CHROMA
            if not coloured.any():
                continue
            grey, base, points, target = (t[coloured] for t in (grey, base, points, target))
            pred = model(grey, base, points=points).float()
            mse = ((pred - target) ** 2).mean(dim=(1, 2, 3))
            sums["val_mse"] += float(mse.sum())
            sums["val_psnr"] += float(_psnr(mse).sum())
            sums["levin_psnr"] += float(_psnr(((base - target) ** 2).mean(dim=(1, 2, 3))).sum())
            n += grey.shape[0]
    finally:
        model.train(was_training)
    return {k: v / n for k, v in sums.items()} if n else {k: math.nan for k in sums}


def _rgb(y: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    return merge_luma_chroma(y, chroma.transpose(1, 2, 0), matrix=MATRIX)


@torch.no_grad()
def write_sample_grid(model: Refiner, dataset: Dataset, path: Path, device: torch.device) -> Path:
    """Rows: grey with the points | Levin | the model | truth."""
    model.eval()
    rows = []
    for i in range(min(SAMPLE_IMAGES, len(dataset))):
        grey, base, points, target = dataset[i]
        pred = model(grey[None].to(device), base[None].to(device), points=points[None].to(device))
        y = grey[0].numpy()
        marked = np.repeat(y[..., None], 3, -1).copy()
        m = points[2].numpy() > 0
        marked[m] = _rgb(y, points[:2].numpy())[m]
        rows.append(
            [
                marked,
                _rgb(y, base.numpy()),
                _rgb(y, pred[0].float().cpu().numpy()),
                _rgb(y, target.numpy()),
            ]
        )
    model.train()
    return write_sheet(rows, path, height=max(96, grey.shape[-1]))


def init_from_refiner(model: Refiner, path: str | Path, say: PrintFn) -> dict[str, Any]:
    """The refiner's trained weights in a hint refiner of the same widths: the new input
    channels and the last convolution at zero, so the network starts as Levin's answer."""
    from panchro.engine.models.weights import load_model

    loaded, cfg, meta = load_model(path)
    if replace(cfg, point_hints=True, working_size=model.config.working_size) != model.config:
        raise BadInputError(
            f"holds a refiner of another shape ({cfg}); pass the --config it was made with",
            path=path,
        )
    own = model.state_dict()
    for name, value in loaded.state_dict().items():
        if own[name].shape == value.shape:
            own[name] = value
        else:  # the first convolution: its old channels kept, the point channels at zero
            fresh = torch.zeros_like(own[name])
            fresh[:, : value.shape[1]] = value
            own[name] = fresh
    own["head.weight"].zero_()
    own["head.bias"].zero_()
    model.load_state_dict(own)
    steps = int((meta.get("card") or {}).get("steps") or 0)
    say(f"starting from {path} (a refiner of {steps} steps; point inputs and head at zero)")
    return {"file": Path(path).name, "steps": steps, "what": "refiner"}


def train_hint_refiner(
    data: Sequence[str | Path],
    out: str | Path,
    *,
    steps: int = 6000,
    batch: int = 16,
    size: int = 96,
    lr: float = 5e-4,
    config: str = "cpu",
    resume: bool = False,
    init: str | Path | None = None,
    log_every: int = 50,
    sample_every: int = 500,
    checkpoint_every: int = 500,
    val_fraction: float = 0.02,
    val_limit: int = 64,
    device: str | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    export: str | Path | None = None,
    stroke_share: float = 0.0,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Train the hint refiner on the colour pictures in `data` (see the module docstring).

    `stroke_share`: the share of examples whose hints are strokes (`random_hints`); above
    0 the held-out pictures are also scored with strokes (`val_stroke_psnr`), and the best
    step is the one with the best mean of the two figures.

    `init`: a refiner's weights to start from (the shipped refiner.safetensors) or a
    hint refiner's (to go on from shipped hint weights). Exports the best held-out
    step to `export` (default out/hint_refiner.safetensors) when the run reaches `steps`.
    """
    say = print_fn or (lambda _line: None)
    if steps < 1 or batch < 1 or lr <= 0 or size < 16:
        raise BadInputError("steps, batch and lr must be positive and size at least 16")
    if not 0.0 <= stroke_share <= 1.0:
        raise BadInputError(f"the share of stroke examples is 0..1, got {stroke_share}")
    cfg = hint_config(config)
    dev = resolve_device(device)
    out, log_path, samples_dir = common.open_run(out, resume=resume)
    export_path = Path(export) if export is not None else out / "hint_refiner.safetensors"
    items = [it for it in collect_items(data) if it.frame is None]
    items, grey = colour_only(items)
    if grey:
        say(f"left out {grey} pictures without colour (grey photos)")
    train_items, held = split_items(items, val_fraction)
    stream = HintStream(train_items, image_size=size, chroma_size=cfg.hint_size, seed=seed)
    stream.stroke_share = stroke_share
    val_set = HintExamples(common.spread(held, val_limit), size=size)
    val_strokes = (
        HintExamples(common.spread(held, val_limit), size=size, stroke_share=1.0)
        if stroke_share > 0
        else None
    )
    torch.manual_seed(seed)
    model = build(cfg).to(dev)
    started = None
    if init is not None and not resume:
        from panchro.engine.models.weights import load_model

        _, init_cfg, _ = load_model(init)
        if getattr(init_cfg, "point_hints", False):
            started = common.start_from(model, cfg, init, say)
        else:
            started = init_from_refiner(model, init, say)
    warm = min(200, max(1, steps // 20))
    opt = make_optimizer(model, lr, 1e-4)
    options = {
        "started_from": started,
        "steps": steps,
        "batch": batch,
        "size": size,
        "lr": lr,
        "warmup": warm,
        "seed": seed,
        "stroke_share": stroke_share,
        "val_fraction": val_fraction,
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
        record = common.load_checkpoint(out, model, opt, dev, fmt=FORMAT, what=WHAT)
        options["started_from"] = record.get("started_from")
        record["config"] = RefinerConfig.from_dict(record["config"]).to_dict()
        record.setdefault("stroke_share", 0.0)  # runs from before strokes had none
        step, elapsed_before = common.resume_step(
            record,
            options,
            ("batch", "seed", "size", "val_fraction", "config", "stroke_share"),
            steps=steps,
            out=out,
            log_path=log_path,
            say=say,
        )
        last_val = record.get("val")
        best = common.Best.from_dict(record.get("best"))
    say(
        f"hint refiner ({config}, {model.num_params() / 1e6:.2f} M params, {size} px) on"
        f" {common.device_name(dev)}: {len(train_items)} training pictures, {len(held)} held out;"
        f" steps {step}..{steps} of batch {batch}"
    )
    loader = common.stream_loader(stream, batch=batch, start=step, end=steps, workers=0, device=dev)
    t_start = time.perf_counter()

    def meta() -> dict[str, Any]:
        return {
            **options,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "val": last_val,
            "best": best.to_dict(),
            "device": common.device_name(dev),
        }

    def validate_and_sample(at: int) -> None:
        nonlocal last_val
        figures = validate(model, val_set, batch=batch, device=dev)
        score = figures["val_psnr"]
        said = ""
        if val_strokes is not None:
            drawn = validate(model, val_strokes, batch=batch, device=dev)
            figures["val_stroke_psnr"] = drawn["val_psnr"]
            figures["levin_stroke_psnr"] = drawn["levin_psnr"]
            score = (score + drawn["val_psnr"]) / 2
            said = (
                f"; strokes {drawn['val_psnr']:.2f} dB (Levin alone {drawn['levin_psnr']:.2f} dB)"
            )
        last_val = {k: round(v, 6) for k, v in figures.items()} | {"step": at}
        common.append_log(log_path, {"step": at, **figures, "val_images": len(val_set)})
        say(
            f"step {at}: held-out chroma PSNR {figures['val_psnr']:.2f} dB"
            f" (Levin alone {figures['levin_psnr']:.2f} dB, {len(val_set)} pictures){said}"
        )
        common.keep_if_best(best, score, at, model, out)
        write_sample_grid(model, val_set, samples_dir / f"step-{at:08d}.png", dev)

    if step == 0:
        validate_and_sample(0)

    def forward(item: Any) -> tuple[Tensor, dict[str, Tensor]]:
        grey, base, points, target = (t.to(dev) for t in item)
        pred = model(grey, base, points=points)
        loss, mse = hint_loss(pred, target)
        return loss, {"loss": loss.detach(), "mse": mse}

    step, stopped_early = common.train_loop(
        model=model, opt=opt, loader=loader, forward=forward, step=step, steps=steps,
        end=steps, lr=lr, warmup=warm, clip=1.0, batch=batch, device=dev,
        figures=("loss", "mse"), speed="images_per_s",
        describe=lambda row, rate: (
            f"step {row['step']}/{steps} MSE {row['mse']:.5f} lr {rate:.2e}"
            f" {row['images_per_s']:.1f} img/s"
        ),
        validate=validate_and_sample,
        checkpoint=lambda at: common.save_checkpoint(out, model, opt, at, meta(), fmt=FORMAT),
        log_path=log_path, log_every=log_every, sample_every=sample_every,
        checkpoint_every=checkpoint_every, time_limit=time_limit, t_start=t_start,
        elapsed_before=elapsed_before, say=say,
    )  # fmt: skip
    result = common.run_result(
        step=step, steps=steps, stopped_early=stopped_early, out=out, log_path=log_path,
        samples_dir=samples_dir, elapsed_s=meta()["elapsed_s"], val=last_val,
        train_images=len(train_items), heldout_images=len(held),
    )  # fmt: skip
    if step >= steps:
        m = meta()
        card = _card(m, step, model.num_params())
        written = exports.export_best(
            model, cfg, export_path, card=card, out=out, best=best, say=say
        )
        result["weights"] = str(written)
    return result


def _card(meta: dict[str, Any], step: int, params: int) -> dict[str, Any]:
    return {
        "started_from": meta.get("started_from"),
        "trained": True,
        "scale": "cpu-reduced",
        "steps": step,
        "planned_steps": meta["steps"],
        "data": exports.data_words(meta),
        "batch": meta["batch"],
        "size": meta["size"],
        "lr": meta["lr"],
        "params": params,
        "device": meta.get("device"),
        "wall_s": round(float(meta["elapsed_s"]), 1),
        "hints": f"1..{MAX_POINTS} points (log-uniform), 3x3 mean colour, Levin base"
        + (
            f"; {meta['stroke_share']:g} of examples 1..{MAX_STROKES} strokes"
            " (colour: the median under them) with 0..16 points"
            if meta.get("stroke_share")
            else ""
        ),
        "colour": f"YCbCr {MATRIX} full range",
    }


def export_run(out: str | Path, path: str | Path, print_fn: PrintFn | None = print) -> Path:
    """Export the best held-out weights of a run in `out` so far (one stopped early, or still
    going) as `path`, with the card of its latest checkpoint; the last checkpoint's weights
    when no validation has beaten step 0."""
    return exports.export_run(
        out, path, config_from_dict=RefinerConfig.from_dict, build=build, fmt=FORMAT, what=WHAT,
        card=_card, say=print_fn,
    )  # fmt: skip


__all__ = [
    "FORMAT",
    "export_run",
    "HintExamples",
    "HintStream",
    "hint_config",
    "init_from_refiner",
    "make_hint_example",
    "hint_loss",
    "random_hints",
    "random_points",
    "random_strokes",
    "train_hint_refiner",
    "validate",
]
