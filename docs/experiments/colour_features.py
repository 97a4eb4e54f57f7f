"""How much colour do the colorizer's conditioning features hold? (session 26, model card)

Two measurements, each scored as `panchro eval colorizer` scores one colouring, on the same
193 held-out colour pictures (`--split heldout --limit 200 --seed 0`, grey ones left out):

* `probe`: a small head (`train.colorizer.chroma_probe`) trained by L2 on the 28 x 28 chroma
  from the shipped colorizer's features, frozen (N training pictures, a random crop each).
* `regress`: the same conditioning network from random weights and the same head, trained
  end to end by that L2 alone, for S seconds of one CPU thread (bf16 autocast).

    python docs/experiments/colour_features.py probe 4000 3000    # pictures, head steps
    python docs/experiments/colour_features.py regress 1200       # CPU seconds
    python docs/experiments/colour_features.py regress 600 out/l2.safetensors
    python docs/experiments/colour_features.py regress 1200 - cond_channels=96 resnet_widths=96

`regress` takes the shipped config's fields changed as `name=value` (a tuple as `2,4,8`), to
compare conditioning networks by held-out colour per CPU-minute (session 41); `-` for no file.

With a file, `regress` also writes a colorizer whose conditioning network is the one the L2
trained and whose PixelCNN is untrained (random, seed 0): a start for `panchro train
colorizer --init FILE` (the features first, the sampler on top).

The data is ../shared/data/train_photos (or PANCHRO_TRAIN_PHOTOS): its Tiny-ImageNet shards,
ImageNet samples and BSDS500, split by name as the trainers split them.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from panchro.engine.evaluate.colorizer import MATRIX, _Accumulator, _is_grey, _score_predictions
from panchro.engine.imaging.color import rgb_to_ycbcr
from panchro.engine.imaging.metrics import colourfulness, srgb_to_lab
from panchro.engine.models.colorizer import (
    Colorizer,
    ColorizerConfig,
    ConditioningNet,
    bins_to_hwc,
)
from panchro.engine.models.weights import load_model, save_model
from panchro.engine.train.colorizer import chroma_probe
from panchro.engine.train.data import (
    collect_items,
    load_rgb,
    rgb_to_example,
    split_items,
    square_view,
)

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = Path(os.environ.get("PANCHRO_TRAIN_PHOTOS", ROOT.parent / "shared/data/train_photos"))
SHIPPED = ROOT / "resources/models/colorizer.safetensors"


def _data() -> tuple[list, list]:
    sources = [PHOTOS / "tiny_imagenet_64", PHOTOS / "imagenet_sample", PHOTOS / "bsds500"]
    return split_items(collect_items(sources), 0.02)


def _score(colour: torch.nn.Module, held: list, size: int, c: int, levels: int) -> str:
    pick = np.random.default_rng(0).choice(len(held), size=200, replace=False)
    accs = {"grey": _Accumulator(), "model": _Accumulator()}
    n, col_true = 0, 0.0
    with torch.no_grad():
        for item in [held[i] for i in sorted(pick)]:
            img = load_rgb(item)
            rgb_u8 = np.asarray(img, dtype=np.uint8)
            if _is_grey(rgb_u8):
                continue
            n += 1
            col_true += colourfulness(rgb_u8)
            ycc = rgb_to_ycbcr(rgb_u8, matrix=MATRIX)
            rgb = rgb_u8.astype(np.float32) / 255
            lab = srgb_to_lab(rgb)
            grey, _ = rgb_to_example(square_view(img, size), c, levels)
            pred = colour(grey[None])[0].permute(1, 2, 0).float().numpy()[None]
            _score_predictions(rgb, ycc, lab, np.zeros((1, c, c, 2), np.float32), accs["grey"])
            _score_predictions(rgb, ycc, lab, pred, accs["model"])
    g, m = accs["grey"], accs["model"]
    return (
        f"{n} pictures: grey {g.mean('psnr_mean'):.2f} dB / CIEDE2000 {g.mean('de00_mean'):.2f};"
        f" this {m.mean('psnr_mean'):.2f} dB / {m.mean('de00_mean'):.2f}, colourfulness"
        f" {m.mean('colourfulness') / (col_true / n):.3f} of the originals'"
    )


def _batch(items: list, size: int, c: int, levels: int, rng: np.random.Generator):
    pairs = [rgb_to_example(square_view(load_rgb(it), size, rng), c, levels) for it in items]
    grey, bins = (torch.stack(x) for x in zip(*pairs, strict=True))
    return grey, torch.from_numpy(bins_to_hwc(bins, levels)).permute(0, 3, 1, 2).float()


def probe(pictures: int, steps: int) -> None:
    model, cfg, _ = load_model(SHIPPED, device="cpu")
    model.eval()
    size, c, levels = cfg.image_size, cfg.chroma_size, cfg.levels
    train, held = _data()
    rng = np.random.default_rng(5)
    chosen = [train[i] for i in rng.choice(len(train), pictures, replace=False)]
    feats, targets = [], []
    with torch.no_grad():
        for j in range(0, pictures, 64):
            grey, target = _batch(chosen[j : j + 64], size, c, levels, rng)
            feats.append(model.condition(grey).half())  # half: 4,000 pictures in 400 MB
            targets.append(target)
    x, y = torch.cat(feats), torch.cat(targets)
    head = chroma_probe(cfg.cond_channels)
    opt = torch.optim.AdamW(head.parameters(), 2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    for _ in range(steps):
        idx = torch.randint(0, len(x), (64,))
        loss = (head(x[idx].float()) - y[idx]).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    head.eval()
    both = torch.nn.Sequential(model.cond_net, head)
    print(f"probe on the shipped features, {pictures} pictures, {steps} steps:")
    print(_score(both, held, size, c, levels))


def _changed(cfg: ColorizerConfig, changes: list[str]) -> ColorizerConfig:
    values = {}
    for change in changes:
        name, value = change.split("=", 1)
        old = getattr(cfg, name)
        values[name] = (
            tuple(int(v) for v in value.split(",")) if isinstance(old, tuple) else int(value)
        )
    return dataclasses.replace(cfg, **values)


def _mult_adds(net: torch.nn.Module, size: int) -> int:
    total = 0

    def count(module: torch.nn.Module, _inputs: tuple, out: torch.Tensor) -> None:
        nonlocal total
        k = module.weight[0].numel()  # in/groups x kh x kw
        total += out.numel() * k

    hooks = [
        m.register_forward_hook(count) for m in net.modules() if isinstance(m, torch.nn.Conv2d)
    ]
    with torch.no_grad():
        net(torch.zeros(1, 1, size, size))
    for h in hooks:
        h.remove()
    return total


def regress(seconds: float, save: str | None = None, changes: list[str] | None = None) -> None:
    torch.manual_seed(0)
    _, cfg, _ = load_model(SHIPPED, device="cpu")
    cfg = _changed(cfg, changes or [])
    size, c, levels = cfg.image_size, cfg.chroma_size, cfg.levels
    net = torch.nn.Sequential(ConditioningNet(cfg), chroma_probe(cfg.cond_channels))
    params = sum(p.numel() for p in net[0].parameters())
    print(
        f"conditioning network {changes or 'as shipped'}: {params:,} parameters,"
        f" {_mult_adds(net[0], cfg.image_size):,} multiply-adds per picture",
        flush=True,
    )
    train, held = _data()
    rng = np.random.default_rng(7)
    opt = torch.optim.AdamW(net.parameters(), 5e-4, weight_decay=1e-4)
    t0, step = time.process_time(), 0
    while (spent := time.process_time() - t0) < seconds:
        grey, target = _batch([train[i] for i in rng.choice(len(train), 32)], size, c, levels, rng)
        for g in opt.param_groups:  # warm-up, then a cosine over the time given
            g["lr"] = 5e-4 * min(1.0, step / 50) * 0.5 * (1 + np.cos(np.pi * spent / seconds))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = net(grey)
        loss = (pred.float() - target).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
    net.eval()
    print(f"regression from random weights, {step} steps of 32 in {seconds:.0f} CPU-s:")
    print(_score(net, held, size, c, levels))
    if save:
        torch.manual_seed(0)
        model = Colorizer(cfg)
        model.cond_net.load_state_dict(net[0].state_dict())
        card = {
            "trained": False,  # the sampler on top is not: a start for training, not for use
            "scale": "cpu-reduced",
            "steps": 0,
            "data": f"conditioning network only: {step} steps of 32 by L2 on the 28x28 chroma",
        }
        save_model(model, cfg, save, card=card)
        print(f"wrote {save}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    what, *rest = sys.argv[1:]
    if what == "probe":
        probe(int(rest[0]), int(rest[1]))
    else:
        save = rest[1] if len(rest) > 1 and rest[1] != "-" else None
        regress(float(rest[0]), save, rest[2:])
