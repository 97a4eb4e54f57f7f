"""Refiner training: examples and their disturbed hints, partners from clips, the loop,
checkpoints, exact resume, export, the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.imaging.color import downsample_chroma, quantize_chroma
from panchro.engine.models.refiner import build, refiner_config
from panchro.engine.models.weights import load_model
from panchro.engine.train.data import ImageItem, collect_items, load_rgb, pack_shards
from panchro.engine.train.refiner import (
    NO_NOISE,
    HintNoise,
    RefinerStream,
    clip_frames,
    clip_of,
    disturb_colour,
    export_checkpoint,
    hint_from_picture,
    make_refiner_example,
    pick_partner,
    refiner_loss,
    train_refiner,
)
from tests.makemedia import make_video

SMALL = refiner_config("small")  # 32 px crops, 8 x 8 hints


def picture(i: int) -> np.ndarray:
    """Sky over a field with a red or yellow sun; sizes vary (as the colorizer's tests draw)."""
    rng = np.random.default_rng(i)
    h, w = (int(v) for v in rng.integers(40, 110, 2))
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.float32)
    horizon = h * rng.uniform(0.4, 0.7)
    sky = np.array([70, 130, 230]) * (0.7 + 0.3 * y[..., None] / h)
    ground = np.array([50, 150, 40]) * (0.6 + 0.4 * (1 - y[..., None] / h))
    img[:] = np.where(y[..., None] < horizon, sky, ground)
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, horizon), rng.uniform(5, 15)
    img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = [230, 40, 30] if i % 2 else [240, 220, 40]
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    for i in range(12):
        Image.fromarray(picture(i)).save(root / f"p{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 frames 160x120: a white square moving 5 px right and 3 px down each frame."""
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=40, audio=False)


# --- examples -------------------------------------------------------------------------------


def test_examples_have_the_right_shapes_and_are_a_function_of_seed_and_position(photos: Path):
    items = collect_items([photos])
    stream = RefinerStream(items, size=32, hint_size=8, seed=3)
    grey, hint, target = stream[5]
    assert grey.shape == (1, 32, 32) and hint.shape == (2, 8, 8) and target.shape == (2, 32, 32)
    assert all(t.dtype == torch.float32 for t in (grey, hint, target))
    assert float(grey.min()) >= 0.0 and float(grey.max()) <= 1.0
    assert float(target.abs().max()) <= 0.5 and float(hint.abs().max()) <= 0.5
    again = RefinerStream(items, size=32, hint_size=8, seed=3)
    for pos in (5, 0, 30, 5):  # any order, across epochs
        for a, b in zip(stream[pos], again[pos], strict=True):
            assert torch.equal(a, b)
    other = RefinerStream(items, size=32, hint_size=8, seed=4)
    assert any(not torch.equal(stream[p][0], other[p][0]) for p in range(4))


def test_the_hint_sits_on_the_colorizers_bins(photos: Path):
    items = collect_items([photos])
    for i, item in enumerate(items[:4]):
        _, hint, _ = make_refiner_example(item, size=32, hint_size=8, rng=np.random.default_rng(i))
        centres = (np.arange(32) - 16) / 32
        assert np.isin(hint.numpy().round(6), centres.round(6)).all()


def test_an_undisturbed_hint_is_the_crops_chroma_cut_to_hint_size(photos: Path):
    items = collect_items([photos])
    exact, total = 0, 0
    for i, item in enumerate(items):
        _, hint, target = make_refiner_example(
            item, size=32, hint_size=8, rng=np.random.default_rng(i), noise=NO_NOISE
        )
        want = quantize_chroma(downsample_chroma(target.numpy().transpose(1, 2, 0), 8))
        got = quantize_chroma(hint.numpy().transpose(1, 2, 0))
        assert np.abs(got - want).max() <= 1  # sampled from the picture, not the resized crop
        exact += int((got == want).sum())
        total += got.size
    assert exact / total > 0.8


def test_warps_and_colour_noise_disturb_the_hint_a_little(photos: Path):
    item = collect_items([photos])[3]
    img = load_rgb(item)
    box = (5.0, 5.0, 30.0)
    plain = hint_from_picture(img, box, 8)
    warped = hint_from_picture(img, box, 8, angle=math.radians(5), scale=1.1, shift=(0.1, -0.1))
    diff = (warped - plain).abs()
    assert float(diff.max()) > 0.02  # it moved
    assert float(diff.mean()) < float(plain.abs().mean())  # but it is the same picture
    identity = hint_from_picture(img, box, 8, angle=0.0, scale=1.0, shift=(0.0, 0.0))
    assert torch.equal(identity, plain)

    c = torch.tensor([[[0.1]], [[0.0]]])
    turned = disturb_colour(c, math.pi / 2, 1.0)
    assert torch.allclose(turned, torch.tensor([[[0.0]], [[0.1]]]), atol=1e-7)
    assert torch.allclose(disturb_colour(c, 0.0, 1.2), c * 1.2)
    grey = torch.zeros(2, 3, 3)
    assert torch.equal(disturb_colour(grey, 0.1, 1.1), grey)  # grey stays grey


def test_with_colour_follows_the_target_is_turned_as_the_hint_is(photos: Path):
    item = collect_items([photos])[2]
    always = HintNoise(warp_p=0.0, partner_p=0.0, colour_p=1.0, hue_deg=40.0)
    follows = HintNoise(warp_p=0.0, partner_p=0.0, colour_p=1.0, hue_deg=40.0, colour_follows=True)
    grey, hint, target = make_refiner_example(
        item, size=32, hint_size=8, rng=np.random.default_rng(7), noise=always
    )
    grey2, hint2, turned = make_refiner_example(
        item, size=32, hint_size=8, rng=np.random.default_rng(7), noise=follows
    )
    assert torch.equal(grey, grey2) and torch.equal(hint, hint2)  # the same draw
    assert not torch.allclose(turned, target, atol=1e-3)
    cut = torch.nn.functional.avg_pool2d(turned[None], 4)[0]
    plain_cut = torch.nn.functional.avg_pool2d(target[None], 4)[0]
    # the turned target's own 8 x 8 cut is nearer the (turned) hint than the true colours are
    assert float((cut - hint).abs().mean()) < float((plain_cut - hint).abs().mean())
    assert float(turned.abs().max()) <= 0.5


def test_video_hints_come_from_another_frame_of_the_clip(clip: Path):
    items = collect_items([clip], video_every=5)
    clips = clip_frames(items)
    assert {k: list(v) for k, v in clips.items()} == {(clip, 5): [0, 5, 10, 15, 20, 25, 30, 35]}
    item = next(it for it in items if it.frame == 20)
    rng = np.random.default_rng(0)
    always = HintNoise(partner_p=1.0)
    partners = {pick_partner(item, clips, rng, always).frame for _ in range(200)}
    assert partners == {0, 5, 10, 15, 25, 30, 35}  # 5..30 frames away, never itself
    never = HintNoise(partner_p=0.0)
    assert pick_partner(item, clips, rng, never) is item
    photo = ImageItem(Path("x.png"))
    assert pick_partner(photo, clips, rng, always) is photo

    # same crop, same target; the hint shows the square where it was in the other frame
    quiet = dict(warp_p=0.0, colour_p=0.0)
    own = make_refiner_example(
        item,
        size=32,
        hint_size=8,
        rng=np.random.default_rng(7),
        noise=HintNoise(partner_p=0.0, **quiet),
        clips=clips,
    )
    moved = make_refiner_example(
        item,
        size=32,
        hint_size=8,
        rng=np.random.default_rng(7),
        noise=HintNoise(partner_p=1.0, **quiet),
        clips=clips,
    )
    assert torch.equal(own[0], moved[0]) and torch.equal(own[2], moved[2])
    assert float((own[1] - moved[1]).abs().max()) > 0.05


# --- learning -------------------------------------------------------------------------------


def test_a_tiny_model_overfits_a_few_pictures(photos: Path):
    items = collect_items([photos])[:4]
    examples = [
        make_refiner_example(it, size=32, hint_size=8, rng=np.random.default_rng(i))
        for i, it in enumerate(items)
    ]
    grey, hint, target = (torch.stack(t) for t in zip(*examples, strict=True))
    torch.manual_seed(0)
    model = build(SMALL)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        loss, mse = refiner_loss(model(grey, hint), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(mse))
    assert losses[-1] < 0.5 * losses[0]  # from the upsampled hint's error to well under half
    loss, mse = refiner_loss(model(grey, hint), target, l1_weight=0.5)
    assert float(loss.detach()) > float(mse)


def _rows(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for r in rows:  # timings differ between runs; everything else must not
        r.pop("images_per_s", None)
        r.pop("elapsed_s", None)
        r.pop("cpu_s", None)
    return rows


RUN = dict(
    steps=20,
    batch=4,
    lr=2e-3,
    config="small",
    log_every=5,
    sample_every=10,
    checkpoint_every=10,
    val_fraction=0.25,
    seed=1,
    device="cpu",
    print_fn=None,
)


def test_training_logs_samples_checkpoints_and_resumes_exactly(photos: Path, clip: Path, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    full = train_refiner([photos, clip], a, **RUN)
    assert full["finished"] and full["step"] == 20
    assert len(list((a / "checkpoints").glob("*.model.safetensors"))) == 2
    assert not list(a.rglob("*.pt")) and not list(a.rglob("*.tmp"))
    rows = _rows(a / "log.jsonl")
    assert [r["step"] for r in rows if "loss" in r] == [5, 10, 15, 20]
    val = [r for r in rows if "val_mse" in r]
    assert [r["step"] for r in val] == [0, 10, 20]
    assert val[0]["val_mse"] == pytest.approx(val[0]["hint_mse"])  # step 0: the hint upsampled
    assert all(r["hint_mse"] == val[0]["hint_mse"] for r in val)  # a fixed validation set
    grid = Image.open(a / "samples" / "step-00000020.png")
    assert grid.width == 4 + 4 * (96 + 4)  # grey | hint | prediction | truth
    assert grid.height == 4 + min(4, full["heldout_images"]) * (96 + 4)

    part = train_refiner([photos, clip], b, stop_at=10, **RUN)
    assert part["step"] == 10 and not part["finished"] and part["weights"] is None
    with pytest.raises(OutputError, match="resume it"):
        train_refiner([photos, clip], b, **RUN)
    with pytest.raises(BadInputError, match="batch"):
        train_refiner([photos, clip], b, resume=True, **(RUN | {"batch": 2}))
    rest = train_refiner([photos, clip], b, resume=True, **RUN)
    assert rest["finished"] and rest["step"] == 20

    assert _rows(b / "log.jsonl") == rows
    ma, cfg, meta = load_model(a / "refiner.safetensors")
    mb, _, _ = load_model(b / "refiner.safetensors")
    for (name, pa), pb in zip(ma.state_dict().items(), mb.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert cfg == SMALL
    card = meta["card"]
    assert card["trained"] is True and card["scale"] == "cpu-reduced" and card["steps"] == 20
    assert "video frames" in card["data"] and card["val_psnr"] == pytest.approx(val[-1]["val_psnr"])


def test_export_of_a_stopped_run_and_the_cli(photos: Path, tmp_path: Path):
    run = tmp_path / "run"
    train_refiner([photos], run, stop_at=4, **(RUN | {"sample_every": 100}))
    path = export_checkpoint(run, tmp_path / "early.safetensors", data_note="test pictures")
    model, cfg, meta = load_model(path)
    assert meta["card"]["steps"] == 4 and meta["card"]["data"] == "test pictures"
    assert cfg == SMALL and not model.training
    with pytest.raises(BadInputError, match="no checkpoint"):
        export_checkpoint(tmp_path, tmp_path / "x.safetensors")
    best = export_checkpoint(run, tmp_path / "best.safetensors", best=True, print_fn=None)
    assert load_model(best)[2]["card"]["planned_steps"] == RUN["steps"]

    out = tmp_path / "cli"
    args = ["train", "refiner", "--data", str(photos), "--config", "small", "--steps", "3"]
    args += ["--batch", "2", "--out", str(out), "--log-every", "1", "--device", "cpu"]
    assert main(args) == 0
    assert load_model(out / "refiner.safetensors")[2]["card"]["steps"] == 3
    assert main([*args[:4], "--config", "huge", "--out", str(tmp_path / "x")]) == 2


def test_checkpoints_are_tagged_per_trainer_pruned_and_restore_exactly(tmp_path: Path):
    from safetensors import safe_open

    from panchro.engine.train import colorizer as C
    from panchro.engine.train import refiner as R
    from panchro.engine.train import upscaler as U
    from panchro.engine.train.common import make_optimizer

    def trained(seed: int) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
        opt = make_optimizer(model, 1e-2, 0.1)
        for _ in range(3):
            opt.zero_grad()
            model(torch.randn(5, 3)).square().mean().backward()
            opt.step()
        return model, opt

    model, opt = trained(0)
    for step in (1, 2, 3):
        R.save_checkpoint(tmp_path, model, opt, step, {"note": "x"})
    kept = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert kept == [f"step-0000000{s}.{k}.safetensors" for s in (2, 3) for k in ("model", "optim")]
    for name in kept:
        with safe_open(str(tmp_path / "checkpoints" / name), "pt") as f:
            assert f.metadata() == {"format": R.FORMAT}
    expect_rng = torch.get_rng_state()
    assert R.read_checkpoint(tmp_path)["format"] == "panchro.train.refiner.v1"
    with pytest.raises(BadInputError, match="not a colorizer training checkpoint"):
        C.read_checkpoint(tmp_path)
    with pytest.raises(BadInputError, match="not an upscaler training checkpoint"):
        U.load_checkpoint(tmp_path, model, opt, torch.device("cpu"))

    torch.manual_seed(99)  # another RNG state, other weights and moments: all replaced
    other, other_opt = trained(1)
    record = R.load_checkpoint(tmp_path, other, other_opt, torch.device("cpu"))
    assert record["step"] == 3 and record["note"] == "x"
    assert torch.equal(torch.get_rng_state(), expect_rng)
    for a, b in zip(model.state_dict().values(), other.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    mine, theirs = opt.state_dict(), other_opt.state_dict()
    assert mine["param_groups"] == theirs["param_groups"]
    for i, st in mine["state"].items():
        for k, v in st.items():
            assert torch.equal(v, theirs["state"][i][k]), (i, k)


def test_repacked_frames_still_take_hints_from_their_clip(clip: Path, tmp_path: Path) -> None:
    """Frames repacked as pictures (the GPU kit's pack: "<clip>@f<index>.jpg" in zips) keep
    their clip: a hint partner is another frame of the same clip, from whichever shard."""
    packed = pack_shards([clip], tmp_path / "pack", size=32, quality=90, video_every=10,
                         per_shard=2)  # fmt: skip
    items = collect_items([tmp_path / "pack"])
    assert len(packed["shards"]) == 2 and all(it.frame is None for it in items)
    clips = clip_frames(items)
    assert {k: list(v) for k, v in clips.items()} == {(Path(clip.name), 0): [0, 10, 20, 30]}
    item = next(it for it in items if it.member and "@f000020" in it.member)
    assert clip_of(item) == ((Path(clip.name), 0), 20)
    rng = np.random.default_rng(0)
    partners = {pick_partner(item, clips, rng, HintNoise(partner_p=1.0)) for _ in range(100)}
    assert {clip_of(p)[1] for p in partners} == {0, 10, 30}  # 5..30 frames away
    assert {p.path for p in partners} == {Path(s) for s in packed["shards"]}  # both shards
    photo = ImageItem(tmp_path / "p.png")
    assert clip_of(photo) is None
    assert pick_partner(photo, clips, rng, HintNoise(partner_p=1.0)) is photo
