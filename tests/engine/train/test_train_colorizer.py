"""Colorizer training data and loop: examples, split, shards, checkpoints, resume, export."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.errors import BadInputError, OutputError
from panchro.engine.imaging.color import quantize_chroma
from panchro.engine.models.weights import load_model
from panchro.engine.train.colorizer import (
    config_named,
    export_checkpoint,
    lr_at,
    train_colorizer,
)
from panchro.engine.train.data import (
    ColorDataset,
    TrainStream,
    collect_items,
    colour_items,
    colour_only,
    is_heldout,
    load_rgb,
    pack_shards,
    split_items,
)
from tests.makemedia import make_video

SMALL = config_named("small")  # 64 x 64 grey -> 8 x 8 chroma


def picture(i: int) -> np.ndarray:
    """A little landscape: blue sky, green ground, a red or yellow sun, sizes that vary."""
    rng = np.random.default_rng(i)
    h, w = (int(v) for v in rng.integers(40, 110, 2))
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.float32)
    horizon = h * rng.uniform(0.4, 0.7)
    sky = np.array([70, 130, 230]) * (0.7 + 0.3 * y[..., None] / h)
    ground = np.array([50, 150, 40]) * (0.6 + 0.4 * (1 - y[..., None] / h))
    img[:] = np.where(y[..., None] < horizon, sky, ground)
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, horizon), rng.uniform(5, 15)
    sun = [230, 40, 30] if i % 2 else [240, 220, 40]
    img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = sun
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 pictures: PNGs at the top, JPEGs in a subfolder, and one grey picture."""
    root = tmp_path_factory.mktemp("photos")
    (root / "more").mkdir()
    for i in range(20):
        if i < 12:
            Image.fromarray(picture(i)).save(root / f"p{i:02d}.png")
        else:
            Image.fromarray(picture(i)).save(root / "more" / f"p{i:02d}.jpg", quality=95)
    Image.fromarray(np.full((50, 60, 3), 128, np.uint8)).save(root / "grey.png")
    (root / "notes.txt").write_text("not a picture")
    return root


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=24, audio=False)


# --- data -----------------------------------------------------------------------------------


def test_collect_items_finds_images_zips_and_video_frames(photos: Path, clip: Path, tmp_path):
    zpath = tmp_path / "z.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(photos / "p00.png", "inner/a.png")
        zf.writestr("readme.txt", "ignored")
    items = collect_items([photos, zpath, clip], video_every=8)
    keys = [it.key for it in items]
    assert len(items) == 21 + 1 + 3  # 21 files, 1 zip member, frames 0, 8, 16
    assert "more" not in keys[0] and "p12.jpg" in keys and "inner/a.png" in keys
    frames = [it for it in items if it.frame is not None]
    assert [f.frame for f in frames] == [0, 8, 16]
    assert {f.group for f in frames} == {"clip.mp4"}  # one clip, one side of the split
    assert load_rgb(frames[1]).size == (160, 120)
    member = next(it for it in items if it.member == "inner/a.png")
    assert np.array_equal(np.asarray(load_rgb(member)), picture(0))


def test_bad_sources_name_the_file(tmp_path: Path):
    with pytest.raises(BadInputError, match="does not exist"):
        collect_items([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="holds no images"):
        collect_items([tmp_path / "empty"])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    (item,) = collect_items([broken])
    with pytest.raises(BadInputError, match="broken.jpg"):
        load_rgb(item)


def test_examples_have_the_right_shapes_ranges_and_are_deterministic(photos: Path):
    items = collect_items([photos])
    stream = TrainStream(items, image_size=64, chroma_size=8, seed=3)
    grey, bins = stream[5]
    assert grey.shape == (1, 64, 64) and grey.dtype == torch.float32
    assert bins.shape == (2, 8, 8) and bins.dtype == torch.int64
    assert float(grey.min()) >= 0.0 and float(grey.max()) <= 1.0
    assert int(bins.min()) >= 0 and int(bins.max()) < 32
    again = TrainStream(items, image_size=64, chroma_size=8, seed=3)
    for pos in (5, 0, 40, 5):  # any order, also across epochs (21 items per epoch)
        assert torch.equal(stream[pos][0], again[pos][0])
        assert torch.equal(stream[pos][1], again[pos][1])
    # each epoch is a permutation of the items
    assert sorted(stream.item_at(p).key for p in range(21, 42)) == sorted(it.key for it in items)
    other = TrainStream(items, image_size=64, chroma_size=8, seed=4)
    assert any(not torch.equal(stream[p][0], other[p][0]) for p in range(4))


def test_target_is_bt601_chroma_of_the_picture(tmp_path: Path):
    rgb = np.array([200, 60, 30], np.float64)
    Image.fromarray(np.tile(rgb.astype(np.uint8), (40, 56, 1))).save(tmp_path / "red.png")
    (item,) = collect_items([tmp_path / "red.png"])
    grey, bins = ColorDataset([item], image_size=64, chroma_size=8)[0]
    r, g, b = rgb / 255
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb, cr = (b - y) / 1.772, (r - y) / 1.402
    assert torch.allclose(grey, torch.full_like(grey, y), atol=1e-5)
    assert (bins[0] == int(quantize_chroma(np.array(cb)))).all()
    assert (bins[1] == int(quantize_chroma(np.array(cr)))).all()


def test_heldout_split_is_by_name_and_stable(photos: Path, tmp_path: Path):
    items = collect_items([photos])
    train, held = split_items(items, 0.3)
    assert len(train) + len(held) == len(items) and held and train
    assert [it.key for it in split_items(items, 0.3)[1]] == [it.key for it in held]
    assert split_items(items, 0.0)[1] == []
    copy = tmp_path / "copy"
    copy.mkdir()
    for it in items[:6]:  # the same names elsewhere fall on the same side
        (copy / it.path.name).write_bytes(it.path.read_bytes())
    for a, b in zip(items[:6], collect_items([copy]), strict=True):
        assert is_heldout(a, 0.3) == is_heldout(b, 0.3)


def test_colour_models_learn_from_colour_pictures_only(photos: Path, clip: Path, tmp_path):
    """Grey photos and the frames of a black-and-white clip are left out (and said): a grey
    example teaches grey. A colour clip keeps all its frames; `skip_grey=False` keeps all."""
    bw = make_video(tmp_path / "bw.mp4", frames=24, audio=False, pix_fmt="gray")
    lines: list[str] = []
    everything = collect_items([photos, clip, bw], video_every=8)
    kept = colour_items([photos, clip, bw], video_every=8, say=lines.append)
    assert len(everything) == 21 + 3 + 3
    assert sorted(it.key for it in everything if it not in kept) == [
        "bw.mp4@f000000", "bw.mp4@f000008", "bw.mp4@f000016", "grey.png"]  # fmt: skip
    assert lines == ["left out 4 pictures without colour (grey photos, black-and-white clips)"]
    assert colour_only(kept) == (kept, 0)
    assert colour_items([photos, bw], video_every=8, skip_grey=False, say=lines.append) == (
        collect_items([photos, bw], video_every=8)
    )


def test_pack_shards_round_trip(photos: Path, clip: Path, tmp_path: Path):
    out = tmp_path / "shards"
    report = pack_shards([photos, clip], out, size=32, quality=90, per_shard=8, video_every=12)
    assert report["skipped_grey"] == 1  # grey.png carries no colour to learn from
    assert report["images"] == 20 + 2
    shards = report["shards"]
    assert [p.name for p in shards] == ["shard-000.zip", "shard-001.zip", "shard-002.zip"]
    assert sum(p.stat().st_size for p in shards) == report["bytes"]
    packed = collect_items(shards)
    assert len(packed) == 22
    for it in packed:
        w, h = load_rgb(it).size
        assert min(w, h) <= 32 and max(w, h) <= round(min(w, h) * 4 / 3)
    # the split by name is the same before and after packing (frames keep their clip)
    originals = {it.key.split("/")[-1].rsplit(".", 1)[0]: it for it in collect_items([photos])}
    for it in packed:
        if "@f" in it.key:
            assert it.group == "clip.mp4"
        else:
            assert is_heldout(it, 0.5) == is_heldout(originals[it.key[:-4]], 0.5)
    # packed colours are the originals', shrunk: mean colour within JPEG error
    sample = next(it for it in packed if it.key == "p03.jpg")
    src = Image.fromarray(picture(3))
    assert np.allclose(
        np.asarray(load_rgb(sample), np.float32).mean((0, 1)),
        np.asarray(src, np.float32).mean((0, 1)),
        atol=6,
    )
    with pytest.raises(OutputError, match="already holds"):
        pack_shards([photos], out)


def test_a_thumbnail_packed_at_its_own_size_and_quality_keeps_its_pixels(tmp_path: Path):
    """The GPU kit repacks the 64-px thumbnails (quality-75 JPEGs) at quality 75: nearly the
    same pixels, in fewer bytes than a plain re-encode (Huffman tables fitted: lossless)."""
    import io

    src = tmp_path / "thumbs"
    src.mkdir()
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(x / 7 + k) * np.cos(y / 9) for k in range(3)], -1)
    rgb = np.clip(rgb + np.random.default_rng(0).normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(src / "t.jpg", quality=75)
    report = pack_shards([src], tmp_path / "pack", size=64, quality=75)
    with zipfile.ZipFile(report["shards"][0]) as zf:
        data = zf.read("t.jpg")
    before = np.asarray(Image.open(src / "t.jpg").convert("RGB"), np.float32)
    after = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32)
    assert after.shape == before.shape == (64, 64, 3)
    assert np.abs(after - before).mean() < 1.5
    plain = io.BytesIO()
    Image.open(src / "t.jpg").convert("RGB").save(plain, format="JPEG", quality=75)
    assert len(data) < plain.tell()


# --- training ---------------------------------------------------------------------------


def test_lr_schedule_warms_up_then_decays():
    assert lr_at(0, steps=100, lr=1.0, warmup=10) == pytest.approx(0.1)
    assert lr_at(9, steps=100, lr=1.0, warmup=10) == pytest.approx(1.0)
    assert lr_at(10, steps=100, lr=1.0, warmup=10) == pytest.approx(1.0)
    assert lr_at(55, steps=100, lr=1.0, warmup=10) == pytest.approx(0.525)
    assert lr_at(100, steps=100, lr=1.0, warmup=10) == pytest.approx(0.05)


def _rows(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for r in rows:  # timings differ between runs; everything else must not
        r.pop("images_per_s", None)
        r.pop("elapsed_s", None)
        r.pop("cpu_s", None)
    return rows


RUN = dict(
    steps=30,
    batch=4,
    lr=3e-3,
    config="small",
    log_every=5,
    sample_every=10,
    checkpoint_every=10,
    val_fraction=0.25,
    seed=1,
    device="cpu",
    print_fn=None,
)


def test_training_writes_logs_samples_checkpoints_and_resumes_exactly(photos: Path, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    full = train_colorizer([photos], a, **RUN)
    assert full["finished"] and full["step"] == 30
    assert (a / "checkpoint.json").is_file()
    assert json.loads((a / "checkpoint.json").read_text())["step"] == 30
    assert len(list((a / "checkpoints").glob("*.model.safetensors"))) == 2  # the last two kept
    assert not list(a.rglob("*.pt")) and not list(a.rglob("*.tmp"))
    rows = _rows(a / "log.jsonl")
    train_rows = [r for r in rows if "loss" in r]
    assert [r["step"] for r in train_rows] == [5, 10, 15, 20, 25, 30]
    assert all({"loss", "bits", "lr"} <= r.keys() for r in train_rows)
    assert [r["step"] for r in rows if "val_bits" in r] == [10, 20, 30]
    assert train_rows[-1]["bits"] < train_rows[0]["bits"]  # it learns
    grid = Image.open(a / "samples" / "step-00000030.png")
    held = full["heldout_images"]
    assert grid.height == 4 + min(4, held) * (96 + 4)  # a row per held-out picture
    assert grid.width == 4 + 6 * (96 + 4)  # grey | 3 samples | argmax | original

    part = train_colorizer([photos], b, stop_at=15, **RUN)
    assert part["step"] == 15 and not part["finished"] and part["weights"] is None
    assert not (b / "colorizer.safetensors").exists()
    with pytest.raises(OutputError, match="resume it"):
        train_colorizer([photos], b, **RUN)
    with pytest.raises(BadInputError, match="batch"):
        train_colorizer([photos], b, resume=True, **(RUN | {"batch": 2}))
    rest = train_colorizer([photos], b, resume=True, **RUN)
    assert rest["finished"] and rest["step"] == 30

    # same device, same stream, restored moments and RNG: the same numbers exactly
    assert _rows(b / "log.jsonl") == rows
    ma, cfg, meta = load_model(a / "colorizer.safetensors")
    mb, _, _ = load_model(b / "colorizer.safetensors")
    for (name, pa), pb in zip(ma.state_dict().items(), mb.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert cfg == SMALL
    card = meta["card"]
    assert card["trained"] is True and card["scale"] == "cpu-reduced" and card["steps"] == 30
    assert "pictures" in card["data"] and card["val_bits"] == pytest.approx(full["val_bits"])


def test_export_of_a_stopped_run(photos: Path, tmp_path: Path):
    run = tmp_path / "run"
    train_colorizer([photos], run, stop_at=8, **(RUN | {"sample_every": 100}))
    path = export_checkpoint(run, tmp_path / "early.safetensors", data_note="test pictures")
    model, cfg, meta = load_model(path)
    assert meta["card"]["steps"] == 8 and meta["card"]["data"] == "test pictures"
    assert cfg == SMALL and not model.training
    with pytest.raises(BadInputError, match="no checkpoint"):
        export_checkpoint(tmp_path, tmp_path / "x.safetensors")
    # --export-best: no validation has run yet, so the latest weights, said so in the card
    best = tmp_path / "best.safetensors"
    cli = ["train", "colorizer", "--data", str(photos), "--out", str(run)]
    assert main([*cli, "--export-best", str(best)]) == 0
    kept, _, meta = load_model(best)
    assert meta["card"]["planned_steps"] == RUN["steps"] and "best_step" not in meta["card"]
    for (name, pa), pb in zip(model.state_dict().items(), kept.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name


def test_an_auxiliary_chroma_regression_trains_the_features_and_resumes_exactly(
    photos: Path, tmp_path: Path
):
    a, b = tmp_path / "a", tmp_path / "b"
    aux = RUN | {"aux_weight": 20.0}
    full = train_colorizer([photos], a, **aux)
    rows = _rows(a / "log.jsonl")
    probe = [r["aux"] for r in rows if "aux" in r]
    assert len(probe) == 6 and probe[-1] < probe[0]  # the probe learns the chroma
    assert len(list((a / "checkpoints").glob("*.probe.safetensors"))) == 2  # beside the last two
    # The exported colorizer is the plain network (no probe in it); its card says how it learnt.
    model, cfg, meta = load_model(a / "colorizer.safetensors")
    assert cfg == SMALL and meta["card"]["aux_regression"] == 20.0
    assert not any("probe" in k for k in model.state_dict())
    # The probe's gradient reaches the features: the same run without it ends elsewhere.
    plain = train_colorizer([photos], tmp_path / "plain", **RUN)
    assert plain["val_bits"] != full["val_bits"]

    train_colorizer([photos], b, stop_at=15, **aux)
    with pytest.raises(BadInputError, match="aux_weight 20"):
        train_colorizer([photos], b, resume=True, **RUN)  # without the probe it was trained with
    train_colorizer([photos], b, resume=True, **aux)
    assert _rows(b / "log.jsonl") == rows  # the probe and its moments restored too
    mb, _, _ = load_model(b / "colorizer.safetensors")
    for (name, pa), pb in zip(model.state_dict().items(), mb.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
