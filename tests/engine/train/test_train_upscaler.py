"""Upscaler training: windows from clips and stills, a loop that learns, exact resume, export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from panchro.engine.cli import build_parser, main
from panchro.engine.errors import BadInputError, ModelMissingError, OutputError
from panchro.engine.models.upscaler import UpscalerConfig, bicubic_up, build, deepened
from panchro.engine.models.weights import load_model, read_meta
from panchro.engine.train.data import collect_items
from panchro.engine.train.upscaler import (
    WindowStream,
    clip_luma,
    export_checkpoint,
    hr_window,
    train_upscaler,
)
from tests.makemedia import make_video

SMALL_X2 = UpscalerConfig.preset("small", scale=2)  # 3 frames


def texture(i: int, h: int = 90, w: int = 110) -> np.ndarray:
    """A picture with detail at every scale: stripes, blobs and noise."""
    rng = np.random.default_rng(i)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 0.5 + 0.25 * np.sin(x / rng.uniform(1.5, 4)) * np.cos(y / rng.uniform(2, 6))
    g += 0.1 * rng.standard_normal((h, w))
    rgb = np.stack([g, g * 0.9, g * 0.8], -1)
    return np.clip(rgb * 255, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    for i in range(6):
        Image.fromarray(texture(i)).save(root / f"t{i}.png")
    return root


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=12, audio=False)


def test_windows_from_clips_are_consecutive_frames(clip: Path):
    items = collect_items([clip], video_every=4)
    frames = clip_luma(clip)
    assert frames.dtype == np.uint8 and frames.shape == (12, 120, 160)
    centre = items[1]  # frame 4
    win = hr_window(centre, frames=3, size=32, rng=np.random.default_rng(0))
    assert win.shape == (3, 32, 32)
    # the crop is one place cut through frames 3, 4, 5
    ys, xs = np.nonzero(
        [
            [
                np.allclose(frames[4, y : y + 32, x : x + 32] / 255.0, win[1], atol=1e-6)
                for x in range(129)
            ]
            for y in range(89)
        ]
    )
    assert len(ys) >= 1
    y, x = ys[0], xs[0]
    for k, f in enumerate((3, 4, 5)):
        assert np.allclose(frames[f, y : y + 32, x : x + 32] / 255.0, win[k])
    # at the clip's start the first frame is repeated
    first = hr_window(items[0], frames=3, size=32, rng=np.random.default_rng(0))
    assert np.array_equal(first[0], first[1])


def test_stream_is_deterministic_and_shaped(photos: Path, clip: Path):
    items = collect_items([photos, clip], video_every=6)
    stream = WindowStream(items, SMALL_X2, patch=16, seed=3)
    lr, hr = stream[5]
    assert lr.shape == (3, 16, 16) and hr.shape == (1, 32, 32)
    assert lr.dtype == torch.float32 and float(lr.min()) >= 0 and float(lr.max()) <= 1
    assert torch.allclose(lr * 255, (lr * 255).round(), atol=1e-3)  # 8-bit input, as decoded
    again = WindowStream(items, SMALL_X2, patch=16, seed=3)[5]
    assert torch.equal(again[0], lr) and torch.equal(again[1], hr)
    assert not torch.equal(stream[6][1], hr)
    with pytest.raises(BadInputError):
        WindowStream([], SMALL_X2, patch=16)


RUN = {
    "scale": 2,
    "config": "small",
    "steps": 12,
    "batch": 4,
    "patch": 16,
    "lr": 3e-3,
    "log_every": 3,
    "sample_every": 6,
    "checkpoint_every": 4,
    "val_fraction": 0.3,
    "val_limit": 4,
    "bicubic_only": 1.0,
    "print_fn": None,
}


def _rows(path: Path) -> list[dict]:
    """The log's rows without the timings, which differ from run to run."""
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return [
        {k: v for k, v in r.items() if k not in ("windows_per_s", "elapsed_s", "cpu_s")}
        for r in rows
    ]


def test_training_logs_resumes_exactly_and_exports(photos: Path, tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    full = train_upscaler([photos], a, **RUN)
    assert full["finished"] and full["step"] == 12
    rows = _rows(a / "log.jsonl")
    assert [r["step"] for r in rows if "loss" in r] == [3, 6, 9, 12]
    assert [r["step"] for r in rows if "val_psnr" in r] == [6, 12]
    assert (a / "samples" / "step-00000012.png").is_file()
    assert len(list((a / "checkpoints").glob("*.model.safetensors"))) == 2
    assert not list(a.rglob("*.tmp"))

    part = train_upscaler([photos], b, stop_at=6, **RUN)
    assert part["step"] == 6 and part["weights"] is None
    # A run a session's end stopped at step 10: its best held-out weights so far (step 6,
    # the one validation), not its last checkpoint's; from the CLI too.
    c = tmp_path / "c"
    assert train_upscaler([photos], c, stop_at=10, **RUN)["step"] == 10
    stopped = tmp_path / "stopped.safetensors"
    cli = ["train", "upscaler", "--scale", "2", "--data", str(photos), "--out", str(c)]
    assert main([*cli, "--export-best", str(stopped)]) == 0
    model, _, meta = load_model(stopped)
    assert meta["card"]["best_step"] == 6 and meta["card"]["planned_steps"] == 12
    kept = load_file(str(c / "best.model.safetensors"))
    assert all(torch.equal(kept[name], v) for name, v in model.state_dict().items())
    last = load_file(str(c / "checkpoints" / "step-00000010.model.safetensors"))
    assert not all(torch.equal(last[name], v) for name, v in model.state_dict().items())
    with pytest.raises(OutputError, match="resume it"):
        train_upscaler([photos], b, **RUN)
    with pytest.raises(BadInputError, match="patch"):
        train_upscaler([photos], b, resume=True, **(RUN | {"patch": 8}))
    rest = train_upscaler([photos], b, resume=True, **RUN)
    assert rest["finished"]
    assert _rows(b / "log.jsonl") == rows  # the same numbers, row for row
    ma, cfg, meta = load_model(a / "upscaler_x2.safetensors")
    mb, _, _ = load_model(b / "upscaler_x2.safetensors")
    for (name, pa), pb in zip(ma.state_dict().items(), mb.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert cfg == SMALL_X2 and meta["model"] == "upscaler_x2"
    card = meta["card"]
    assert card["trained"] is True and card["scale"] == "cpu-reduced" and card["steps"] == 12
    assert card["val_psnr"] == pytest.approx(full["val_psnr"])
    # The export is the best held-out step's weights, also after a resume.
    scores = {r["step"]: r["val_psnr"] for r in rows if "val_psnr" in r}
    best_step = max(scores, key=lambda k: scores[k])
    assert card["best_step"] == best_step and card["best_score"] == pytest.approx(scores[best_step])
    assert load_model(b / "upscaler_x2.safetensors")[2]["card"]["best_step"] == best_step
    kept = load_file(str(a / "best.model.safetensors"))
    assert all(torch.equal(kept[name], value) for name, value in ma.state_dict().items())

    early = export_checkpoint(b, tmp_path / "early.safetensors", data_note="test textures")
    assert load_model(early)[2]["card"]["data"] == "test textures"


def stripes(h: int = 90, w: int = 110) -> np.ndarray:
    """Fine slanted bars: what bicubic blurs and a network can learn to draw sharp."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 0.5 + 0.21 * np.sign(np.sin(x / 2.2 + y / 5)) + 0.1 * np.sin(y / 1.7)
    return np.clip(np.stack([g] * 3, -1) * 255, 0, 255).astype(np.uint8)


def test_a_tiny_run_overfits(tmp_path: Path):
    one = tmp_path / "one"
    one.mkdir()
    Image.fromarray(stripes()).save(one / "only.png")
    run = RUN | {
        "steps": 50,
        "lr": 1e-2,
        "log_every": 10,
        "sample_every": 50,
        "checkpoint_every": 100,
        "val_fraction": 0.0,
    }
    result = train_upscaler([one], tmp_path / "run", **run)
    losses = [r["loss"] for r in _rows(tmp_path / "run" / "log.jsonl") if "loss" in r]
    # it starts as bicubic (a zero head) and learns to beat it on the one picture
    assert losses[-1] < 0.85 * losses[0], losses
    assert result["loss"] == losses[-1] and result["loss_first"] == losses[0]


@pytest.mark.parametrize(
    ("model", "command"),
    [
        ("upscaler_x1", "panchro train upscaler --scale 1"),
        ("upscaler_x4", "panchro train upscaler --scale 4"),
        ("colorizer", "panchro train colorizer"),
        ("hint_refiner", "panchro train hints"),
        ("speck_finder", "panchro train specks"),
    ],
)
def test_missing_weights_name_a_train_command_that_parses(tmp_path: Path, model: str, command: str):
    with pytest.raises(ModelMissingError) as err:
        read_meta(tmp_path / f"{model}.safetensors", expect=model)
    assert f"(train them with `{command}`)" in str(err.value)
    # the hint is a command the CLI takes (with the data it needs), for that very model
    args = build_parser().parse_args([*command.split()[1:], "--data", str(tmp_path)])
    trains = "upscaler" if model.startswith("upscaler") else command.split()[2]
    assert args.func.__name__ == f"cmd_train_{trains}"
    assert getattr(args, "scale", None) == (int(model[-1]) if trains == "upscaler" else None)


def test_a_new_run_starts_from_trained_weights(photos: Path, tmp_path: Path):
    """A fresh machine has only the repository: a run starts from the shipped weights."""
    first = train_upscaler([photos], tmp_path / "a", **RUN)
    shipped = Path(first["weights"])
    again = train_upscaler([photos], tmp_path / "b", init=shipped, stop_at=0, **RUN)
    assert again["step"] == 0
    start = load_file(str(next((tmp_path / "b" / "checkpoints").glob("*.model.safetensors"))))
    trained = load_model(shipped)[0].state_dict()
    assert all(torch.equal(start[name], value) for name, value in trained.items())
    done = train_upscaler([photos], tmp_path / "b", resume=True, **RUN)
    card = load_model(done["weights"])[2]["card"]
    assert card["started_from"] == {"file": shipped.name, "steps": 12}
    with pytest.raises(BadInputError, match="--scale"):  # another network: refused
        train_upscaler([photos], tmp_path / "c", init=shipped, **(RUN | {"scale": 4}))
    args = build_parser().parse_args(
        ["train", "upscaler", "--scale", "2", "--data", "d", "--init", str(shipped)]
    )
    assert args.init == shipped


def test_a_deeper_run_starts_from_a_shallower_network_computing_the_same(
    photos: Path, tmp_path: Path
):
    """More blocks from the shipped file: the old blocks spread through, the new ones identity."""
    first = train_upscaler([photos], tmp_path / "a", **RUN)
    shallow, shallow_cfg, _ = load_model(first["weights"])
    deeper = train_upscaler(
        [photos], tmp_path / "b", init=first["weights"], stop_at=0, blocks=3, **RUN
    )
    assert deeper["step"] == 0
    start = load_file(str(next((tmp_path / "b" / "checkpoints").glob("*.model.safetensors"))))
    deep_cfg = replace(shallow_cfg, blocks=3)
    deep = build(deep_cfg)
    deep.load_state_dict(start)
    window = torch.rand(2, deep_cfg.frames, 20, 24)
    with torch.no_grad():  # the same picture out, to float rounding
        assert torch.allclose(deep(window), shallow.float()(window), atol=1e-6)
        assert deep(window).sub(bicubic_up(window[:, 1:2], 2)).abs().max() > 1e-3
    done = train_upscaler([photos], tmp_path / "b", resume=True, blocks=3, **RUN)
    card = load_model(done["weights"])[2]["card"]
    assert card["started_from"]["deepened_from_blocks"] == 1
    with pytest.raises(BadInputError, match="pass --blocks 3 "):  # shallower: refused
        train_upscaler([photos], tmp_path / "c", init=done["weights"], blocks=2, **RUN)


def test_deepened_places_old_blocks_evenly_and_zeroes_the_new_ones_residual():
    cfg = UpscalerConfig.preset("small", scale=2)
    shallow = build(replace(cfg, blocks=2)).state_dict()
    fresh = build(replace(cfg, blocks=5)).state_dict()
    out = deepened(shallow, 2, fresh)
    assert torch.equal(out["body.0.conv1.weight"], shallow["body.0.conv1.weight"])
    assert torch.equal(out["body.2.conv2.weight"], shallow["body.1.conv2.weight"])
    for j in (1, 3, 4):
        assert not out[f"body.{j}.conv2.weight"].any() and not out[f"body.{j}.conv2.bias"].any()
        assert torch.equal(out[f"body.{j}.conv1.weight"], fresh[f"body.{j}.conv1.weight"])
    with pytest.raises(ValueError, match="cannot spread"):
        deepened(fresh, 5, shallow)


def test_on_a_cpu_with_bfloat16_a_run_trains_under_autocast_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PANCHRO_CPU_BF16=1 (or cores with native bf16): the steps run under CPU bf16
    autocast (about twice the steps per CPU-minute), the weights stay float32, the run
    still learns, and its card names the precision; =0 trains in float32 as before."""
    from panchro.engine.train import common

    seen: list[tuple[bool, str]] = []
    real = common.autocast

    def spy(use_amp: bool, device_type: str = "cuda"):
        seen.append((use_amp, device_type))
        return real(use_amp, device_type)

    monkeypatch.setattr(common, "autocast", spy)
    one = tmp_path / "one"
    one.mkdir()
    Image.fromarray(stripes()).save(one / "only.png")
    run = RUN | {"steps": 50, "lr": 1e-2, "log_every": 10, "sample_every": 50,
                 "checkpoint_every": 100, "val_fraction": 0.0}  # fmt: skip
    monkeypatch.setenv("PANCHRO_CPU_BF16", "1")
    assert common.training_amp(torch.device("cpu"), True)
    assert not common.training_amp(torch.device("cpu"), False)
    result = train_upscaler([one], tmp_path / "bf16", **run)
    assert seen and set(seen) == {(True, "cpu")}
    losses = [r["loss"] for r in _rows(tmp_path / "bf16" / "log.jsonl") if "loss" in r]
    assert losses[-1] < 0.85 * losses[0], losses
    model, _, meta = load_model(tmp_path / "bf16" / "upscaler_x2.safetensors")
    assert "bf16 autocast" in meta["card"]["device"] and result["finished"]
    assert all(p.dtype == torch.float32 for p in model.parameters())

    seen.clear()
    monkeypatch.setenv("PANCHRO_CPU_BF16", "0")
    assert not common.training_amp(torch.device("cpu"), True)
    train_upscaler([one], tmp_path / "fp32", **(run | {"steps": 3}))
    assert set(seen) == {(False, "cpu")}
    meta = load_model(tmp_path / "fp32" / "upscaler_x2.safetensors")[2]
    assert "bf16" not in meta["card"]["device"]
