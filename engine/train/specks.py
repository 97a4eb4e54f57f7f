"""Training the speck finder (`models.specks`): photographs with dirt laid on them, where
what is dirt is known. `train_speck_finder(data, out, ...)`, resumable, logged, exported.

One example (`make_speck_example`), from any picture (colour or grey; its luma is used):
  the picture shrunk at random (or, a third of the time, enlarged up to 2.5 times: a scan
  finer than the print's detail, where dirt is sharper than the picture), a square crop,
  flipped and turned; the print's own grain half the time; then dirt (`lay_dirt`): blots of
  0.5-5 px radius made of one to three overlapping ellipses with soft edges, dark or light
  or a step off the picture round them, and now and then a hair; a quarter of the crops
  get none, so the finder learns what clean pictures look like; then the scan (a little
  blur, noise, JPEG), which blurs the dirt as it blurs the picture.
Target: the pixels a blot covers by more than TAKEN and changes by more than CHANGED; the
blots' faint rims (covered, not counted) are left out of the loss either way.
Loss: binary cross-entropy per pixel, dirt weighed POSITIVE_WEIGHT (it is rare).
Held-out figure: F1 of the pixels found against the dirt laid, on fixed crops of held-out
pictures (`validate`, which also says how many blots were found and how much of the clean
crops was taken for dirt).

Run folder as every trainer's (`train.common`), format "panchro.train.speck_finder.v1".
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from panchro.engine.errors import BadInputError
from panchro.engine.imaging import degrade
from panchro.engine.imaging.sheets import write_sheet
from panchro.engine.inference.device import resolve_device
from panchro.engine.models.specks import SpeckConfig, SpeckFinder, build, speck_config
from panchro.engine.train import common
from panchro.engine.train import export as exports
from panchro.engine.train.common import PrintFn, make_optimizer
from panchro.engine.train.data import ImageItem, TrainStream, collect_items, load_rgb, split_items
from panchro.engine.train.upscaler import rgb_to_luma

FORMAT = "panchro.train.speck_finder.v1"
WHAT = "speck finder"
VAL_SEED = 0x5BEC
SAMPLE_IMAGES = 4
TAKEN = 0.4  # a blot covering a pixel by more than this share is dirt there ...
CHANGED = 0.04  # ... where it changes the pixel by more than this (of the 0..1 range)
RIM = 0.05  # a pixel covered by more than this and not dirt: left out of the loss
POSITIVE_WEIGHT = 3.0
CLEAN_SHARE = 0.25  # crops with no dirt at all
MAX_RADIUS = 5.0
MIN_RADIUS = 0.5
# An old print's dirt is often faint: soft specks a few pixels across, a step of 0.06-0.2
# off the picture (what the film's dust stage finds on the 1952 film, seen at 960 px).
FAINT_SHARE = 0.35  # of the pieces laid in training (`lay_dirt`'s `faint`)
FAINT_STEP = (0.06, 0.2)
FAINT_SOFT = (1.2, 2.5)  # px of soft edge
HAIR_CROPS = 0.5  # the share of dirty crops with hairs ...
HAIRS_PER_CROP = 0.6  # ... and their mean number in a 96 px crop

Example = tuple[Tensor, Tensor, Tensor]  # dirty luma (1,S,S), dirt (1,S,S), weight (1,S,S)


def _ellipse(
    alpha: np.ndarray, cx: float, cy: float, rx: float, ry: float, angle: float, soft: float
) -> None:
    """Lay a soft-edged, turned ellipse into the coverage `alpha` (H, W) in place (max)."""
    h, w = alpha.shape
    r = max(rx, ry) + soft + 1
    x0, x1 = max(0, int(cx - r)), min(w, int(cx + r) + 2)
    y0, y1 = max(0, int(cy - r)), min(h, int(cy + r) + 2)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    c, s = math.cos(angle), math.sin(angle)
    u, v = (c * dx + s * dy) / rx, (-s * dx + c * dy) / ry
    # distance outside the edge in pixels (roughly): 0 on it, negative inside
    d = (np.sqrt(u * u + v * v) - 1.0) * min(rx, ry)
    a = np.clip(0.5 - d / soft, 0.0, 1.0)
    np.maximum(alpha[y0:y1, x0:x1], a, out=alpha[y0:y1, x0:x1])


def _blot(
    h: int, w: int, rng: np.random.Generator, soft_range: tuple[float, float] = (0.4, 1.2)
) -> np.ndarray:
    """One blot's coverage (H, W): one to three overlapping ellipses, an irregular speck."""
    alpha = np.zeros((h, w), np.float32)
    radius = math.exp(rng.uniform(math.log(MIN_RADIUS), math.log(MAX_RADIUS)))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    soft = rng.uniform(*soft_range)
    for k in range(int(rng.integers(1, 4))):
        rx = radius * rng.uniform(0.5, 1.0) * (1.0 if k == 0 else rng.uniform(0.4, 0.9))
        ry = rx * rng.uniform(0.4, 1.0)
        ox, oy = (0.0, 0.0) if k == 0 else rng.normal(0, radius * 0.6, 2)
        _ellipse(
            alpha, cx + ox, cy + oy, max(rx, 0.35), max(ry, 0.35), rng.uniform(0, math.pi), soft
        )
    return alpha


def _hair(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A hair or a fibre: a thin line bending as it goes, 8-80 px long."""
    alpha = np.zeros((h, w), np.float32)
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    heading = rng.uniform(0, 2 * math.pi)
    width = rng.uniform(0.35, 0.9)
    for _ in range(int(rng.integers(8, 80))):
        _ellipse(alpha, x, y, width, width, 0.0, 0.6)
        heading += rng.normal(0, 0.25)
        x, y = x + 0.8 * math.cos(heading), y + 0.8 * math.sin(heading)
    return alpha


def lay_dirt(
    clean: np.ndarray, rng: np.random.Generator, *, blots: float, hairs: float, faint: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`clean` luma (H, W) in 0..1 with dirt on it -> (dirty, dirt mask, rim mask).

    `blots` and `hairs`: the mean numbers laid (Poisson). Each piece of dirt is one tone,
    dark (dust on the print, most often), light (dust on the negative it was printed from),
    or a step darker or lighter than the picture round it; laid at 50-100 % opacity.
    `faint`: the share of pieces laid faint instead, a soft-edged step of `FAINT_STEP` off
    the picture (0: none, and the random draws are those of before it was added, so figures
    taken without it are taken again to the digit)."""
    h, w = clean.shape
    dirty = clean.astype(np.float32).copy()
    dirt = np.zeros((h, w), bool)
    rim = np.zeros((h, w), bool)
    pieces = [_blot] * int(rng.poisson(blots)) + [_hair] * int(rng.poisson(hairs))
    for make in pieces:
        is_faint = faint > 0 and rng.random() < faint
        alpha = _blot(h, w, rng, FAINT_SOFT) if is_faint and make is _blot else make(h, w, rng)
        covered = alpha > RIM
        if not covered.any():
            continue
        kind = rng.random() if not is_faint else None
        if kind is None:
            step = rng.uniform(*FAINT_STEP) * (1 if rng.random() < 0.5 else -1)
            tone = np.float32(np.clip(float(dirty[covered].mean()) + step, 0.0, 1.0))
        elif kind < 0.55:
            tone = np.float32(rng.uniform(0.0, 0.2))
        elif kind < 0.85:
            tone = np.float32(rng.uniform(0.8, 1.0))
        else:
            under = float(dirty[covered].mean())
            step = rng.uniform(0.1, 0.4) * (1 if rng.random() < 0.5 else -1)
            tone = np.float32(np.clip(under + step, 0.0, 1.0))
        a = alpha * np.float32(rng.uniform(0.8, 1.0) if is_faint else rng.uniform(0.5, 1.0))
        before = dirty.copy()
        dirty = dirty * (1 - a) + tone * a
        dirt |= (alpha > TAKEN) & (np.abs(dirty - before) > CHANGED)
        rim |= covered
    return dirty, dirt, rim & ~dirt


def _view(luma: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A size x size crop of the picture at a random scale, flipped and turned at random."""
    h, w = luma.shape
    if rng.random() < 1 / 3:
        scale = rng.uniform(1.0, 2.5)
    else:
        least = (size + 2) / min(h, w)
        scale = rng.uniform(min(1.0, max(0.4, least)), 1.0) if least <= 1.0 else least
    if abs(scale - 1.0) > 1e-3 or min(h, w) < size:  # (a picture smaller than the crop)
        size_hw = (max(size, round(h * scale)), max(size, round(w * scale)))
        luma = degrade.resize(luma, size_hw).astype(np.float32)
        h, w = luma.shape
    y0, x0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    crop = luma[y0 : y0 + size, x0 : x0 + size]
    crop = np.rot90(crop, int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.clip(np.ascontiguousarray(crop, np.float32), 0.0, 1.0)


def make_speck_example(
    item: ImageItem, *, size: int, rng: np.random.Generator, dirt: bool | None = None
) -> Example:
    """One example (see the module docstring); `dirt` False: the same crop with none laid."""
    luma = rgb_to_luma(np.asarray(load_rgb(item)))
    clean = _view(luma, size, rng)
    if rng.random() < 0.3:  # a faded print
        lo, hi = rng.uniform(0.0, 0.25), rng.uniform(0.7, 1.0)
        clean = lo + (hi - lo) * clean
    if rng.random() < 0.5:
        clean = degrade.film_grain(clean, rng, rng.uniform(0.01, 0.06), rng.uniform(0.5, 1.5))
    per_crop = size * size / (96 * 96)
    lay = (rng.random() >= CLEAN_SHARE) if dirt is None else dirt
    blots = math.exp(rng.uniform(math.log(0.5), math.log(25.0))) * per_crop if lay else 0.0
    hairs = (HAIRS_PER_CROP * per_crop if rng.random() < HAIR_CROPS else 0.0) if lay else 0.0
    dirty, mask, rim = lay_dirt(clean, rng, blots=blots, hairs=hairs, faint=FAINT_SHARE)
    if rng.random() < 0.4:
        dirty = degrade.gaussian_blur(dirty, rng.uniform(0.3, 1.0))
    if rng.random() < 0.5:
        dirty = degrade.gaussian_noise(dirty, rng, rng.uniform(0.003, 0.02))
    if rng.random() < 0.4:
        dirty = degrade.jpeg(dirty, int(rng.integers(50, 96)))
    weight = np.where(rim, 0.0, np.where(mask, POSITIVE_WEIGHT, 1.0)).astype(np.float32)
    return (
        torch.from_numpy(np.ascontiguousarray(dirty, np.float32))[None],
        torch.from_numpy(mask.astype(np.float32))[None],
        torch.from_numpy(weight)[None],
    )


class SpeckStream(TrainStream):
    """The endless shuffled stream of `TrainStream`, yielding speck examples."""

    def __getitem__(self, position: int) -> Example:  # type: ignore[override]
        return make_speck_example(
            self.item_at(position),
            size=self.image_size,
            rng=np.random.default_rng([self.seed, int(position)]),
        )


class SpeckExamples(Dataset):
    """items[i] -> a fixed example: even i with dirt, odd i the same crop clean
    (randomness from (VAL_SEED, i // 2)): validation and samples."""

    def __init__(self, items: Sequence[ImageItem], *, size: int) -> None:
        self.items, self.size = list(items), size
        self._cache: dict[int, Example] = {}

    def __len__(self) -> int:
        return 2 * len(self.items)

    def __getitem__(self, i: int) -> Example:
        if i not in self._cache:
            rng = np.random.default_rng([VAL_SEED, i // 2])
            self._cache[i] = make_speck_example(
                self.items[i // 2], size=self.size, rng=rng, dirt=i % 2 == 0
            )
        return self._cache[i]


def speck_loss(logits: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits.float(), target, weight=weight)


def _blots_found(found: np.ndarray, truth: np.ndarray) -> tuple[int, int]:
    """(blots of `truth` at least half found, blots): blots as 8-connected parts."""
    from scipy import ndimage

    labels, n = ndimage.label(truth, structure=np.ones((3, 3)))
    if n == 0:
        return 0, 0
    hit = ndimage.mean(found.astype(np.float32), labels, index=np.arange(1, n + 1))
    return int((np.asarray(hit) >= 0.5).sum()), n


@torch.no_grad()
def validate(model: SpeckFinder, dataset: Dataset, *, batch: int, device: torch.device) -> dict:
    """Pixel precision, recall and F1 of the dirt found (logit > 0) on the dirty crops, the
    share of blots at least half found, and the share of the clean crops taken for dirt."""
    was_training = model.training
    model.eval()
    tp = fp = fn = 0.0
    blots_hit = blots = 0
    clean_taken = clean_px = 0.0
    try:
        for start in range(0, len(dataset), batch):
            idx = list(range(start, min(len(dataset), start + batch)))
            dirty, mask, weight = (
                torch.stack(t) for t in zip(*(dataset[i] for i in idx), strict=True)
            )
            found = (model(dirty.to(device)).float() > 0).cpu()
            for k, i in enumerate(idx):
                f, m, counted = found[k, 0], mask[k, 0] > 0, weight[k, 0] > 0
                if i % 2:
                    clean_taken += float((f & counted).sum())
                    clean_px += float(counted.sum())
                    continue
                tp += float((f & m).sum())
                fp += float((f & ~m & counted).sum())
                fn += float((~f & m).sum())
                hit, n = _blots_found(f.numpy(), m.numpy())
                blots_hit, blots = blots_hit + hit, blots + n
    finally:
        model.train(was_training)
    precision = tp / max(tp + fp, 1.0)
    recall = tp / max(tp + fn, 1.0)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {
        "val_f1": f1,
        "val_precision": precision,
        "val_recall": recall,
        "val_blots_found": blots_hit / max(blots, 1),
        "val_clean_taken": clean_taken / max(clean_px, 1.0),
    }


@torch.no_grad()
def write_sample_grid(
    model: SpeckFinder, dataset: Dataset, path: Path, device: torch.device
) -> Path:
    """Rows: the dirty crop | what the finder takes for dirt (red) | the dirt laid (red)."""
    model.eval()
    rows = []
    for i in range(min(SAMPLE_IMAGES, len(dataset) // 2)):
        dirty, mask, _ = dataset[2 * i]
        found = (model(dirty[None].to(device)).float() > 0)[0, 0].cpu().numpy()
        y = dirty[0].numpy()
        grey = np.repeat(y[..., None], 3, -1)
        rows.append([grey, _marked(grey, found), _marked(grey, mask[0].numpy() > 0)])
    model.train()
    return write_sheet(rows, path, height=max(128, dataset[0][0].shape[-1]))


def _marked(grey: np.ndarray, where: np.ndarray) -> np.ndarray:
    out = grey.copy()
    out[where] = (1.0, 0.1, 0.1)
    return out


def train_speck_finder(
    data: Sequence[str | Path],
    out: str | Path,
    *,
    steps: int = 20000,
    batch: int = 16,
    size: int = 96,
    lr: float = 1e-3,
    config: str = "cpu",
    resume: bool = False,
    init: str | Path | None = None,
    log_every: int = 50,
    sample_every: int = 500,
    checkpoint_every: int = 500,
    val_fraction: float = 0.02,
    val_limit: int = 48,
    device: str | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    export: str | Path | None = None,
    amp: bool = True,
    print_fn: PrintFn | None = print,
) -> dict[str, Any]:
    """Train the speck finder on the pictures in `data` (see the module docstring).

    `init`: a speck finder's weights to go on from (the shipped speck_finder.safetensors).
    Exports the best held-out step to `export` (default out/speck_finder.safetensors) when
    the run reaches `steps`."""
    say = print_fn or (lambda _line: None)
    if steps < 1 or batch < 1 or lr <= 0 or size < 32:
        raise BadInputError("steps, batch and lr must be positive and size at least 32")
    try:
        cfg = speck_config(config)
    except ValueError as err:
        raise BadInputError(str(err)) from None
    dev = resolve_device(device)
    use_amp = common.training_amp(dev, amp)
    out, log_path, samples_dir = common.open_run(out, resume=resume)
    export_path = Path(export) if export is not None else out / "speck_finder.safetensors"
    items = [it for it in collect_items(data) if it.frame is None]
    train_items, held = split_items(items, val_fraction)
    stream = SpeckStream(train_items, image_size=size, chroma_size=1, seed=seed)
    val_set = SpeckExamples(common.spread(held, val_limit), size=128)
    torch.manual_seed(seed)
    model = build(cfg).to(dev)
    started = None
    if init is not None and not resume:
        started = common.start_from(model, cfg, init, say)
    warm = min(300, max(1, steps // 20))
    opt = make_optimizer(model, lr, 1e-4)
    options = {
        "started_from": started,
        "steps": steps,
        "batch": batch,
        "size": size,
        "lr": lr,
        "warmup": warm,
        "seed": seed,
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
        record["config"] = SpeckConfig.from_dict(record["config"]).to_dict()  # lists -> tuples
        step, elapsed_before = common.resume_step(
            record,
            options,
            ("batch", "seed", "size", "val_fraction", "config"),
            steps=steps,
            out=out,
            log_path=log_path,
            say=say,
        )
        last_val = record.get("val")
        best = common.Best.from_dict(record.get("best"))
    say(
        f"speck finder ({config}, {model.num_params() / 1e6:.3f} M params, {size} px) on"
        f" {common.device_name(dev, use_amp)}: {len(train_items)} training pictures,"
        f" {len(held)} held out; steps {step}..{steps} of batch {batch}"
    )
    loader = common.stream_loader(stream, batch=batch, start=step, end=steps, workers=0, device=dev)
    t_start = time.perf_counter()

    def meta() -> dict[str, Any]:
        return {
            **options,
            "elapsed_s": elapsed_before + (time.perf_counter() - t_start),
            "val": last_val,
            "best": best.to_dict(),
            "device": common.device_name(dev, use_amp),
        }

    def validate_and_sample(at: int) -> None:
        nonlocal last_val
        figures = validate(model, val_set, batch=batch, device=dev)
        last_val = {k: round(v, 6) for k, v in figures.items()} | {"step": at}
        common.append_log(log_path, {"step": at, **figures, "val_images": len(val_set)})
        say(
            f"step {at}: held-out F1 {figures['val_f1']:.3f} (precision"
            f" {figures['val_precision']:.3f}, recall {figures['val_recall']:.3f}; blots found"
            f" {figures['val_blots_found']:.1%}; clean crops taken for dirt"
            f" {figures['val_clean_taken']:.3%})"
        )
        common.keep_if_best(best, figures["val_f1"], at, model, out)
        write_sample_grid(model, val_set, samples_dir / f"step-{at:08d}.png", dev)

    if step == 0:
        validate_and_sample(0)

    def forward(item: Any) -> tuple[Tensor, dict[str, Tensor]]:
        dirty, mask, weight = (t.to(dev) for t in item)
        with common.autocast(use_amp, dev.type):
            logits = model(dirty)
        loss = speck_loss(logits, mask, weight)
        return loss, {"loss": loss.detach()}

    step, stopped_early = common.train_loop(
        model=model, opt=opt, loader=loader, forward=forward, step=step, steps=steps,
        end=steps, lr=lr, warmup=warm, clip=1.0, batch=batch, device=dev,
        figures=("loss",), speed="images_per_s",
        describe=lambda row, rate: (
            f"step {row['step']}/{steps} loss {row['loss']:.4f} lr {rate:.2e}"
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
        card = _card(meta(), step, model.num_params())
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
        # the folders by name: where they lay on the training machine is no one's business
        "data": exports.data_words(meta),
        "batch": meta["batch"],
        "size": meta["size"],
        "lr": meta["lr"],
        "params": params,
        "device": meta.get("device"),
        "wall_s": round(float(meta["elapsed_s"]), 1),
        "dirt": f"blots {MIN_RADIUS:g}-{MAX_RADIUS:g} px radius, hairs in {HAIR_CROPS:g}"
        f" of dirty crops; {FAINT_SHARE:g} of pieces faint (a soft step of"
        f" {FAINT_STEP[0]:g}-{FAINT_STEP[1]:g}); {CLEAN_SHARE:g} of crops clean",
    }


def export_run(out: str | Path, path: str | Path, print_fn: PrintFn | None = print) -> Path:
    """Export the best held-out weights of a run in `out` so far (one stopped early, or still
    going) as `path`, with the card of its latest checkpoint."""
    return exports.export_run(
        out, path, config_from_dict=SpeckConfig.from_dict, build=build, fmt=FORMAT, what=WHAT,
        card=_card, say=print_fn,
    )  # fmt: skip


__all__ = [
    "FORMAT",
    "SpeckExamples",
    "SpeckStream",
    "export_run",
    "lay_dirt",
    "make_speck_example",
    "speck_loss",
    "train_speck_finder",
    "validate",
]
