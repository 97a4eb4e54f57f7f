"""The upscaler network and its inference: shapes, weights, tiling, out-of-memory, chroma, grain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from panchro.engine.errors import BadInputError, ModelMissingError
from panchro.engine.imaging import degrade as D
from panchro.engine.inference.upscale import (
    UpscaleOutOfMemoryError,
    UpscaleStats,
    measure_grain,
    plan_tiles,
    regrain,
    upscale_chroma,
    upscale_luma,
)
from panchro.engine.models import registry, weights
from panchro.engine.models.upscaler import UpscalerConfig, bicubic_up, build
from panchro.engine.models.weights import load_model, read_meta, save_model

CARD = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (test)"}


def model_for(scale: int, frames: int = 3, seed: int = 0) -> torch.nn.Module:
    """A small upscaler with every weight random, the head too (a fresh one is plain bicubic)."""
    torch.manual_seed(seed)
    model = build(UpscalerConfig(scale=scale, frames=frames, channels=8, blocks=1))
    with torch.no_grad():
        model.head.weight.normal_(0, 0.05)
        model.head.bias.normal_(0, 0.01)
    return model.eval()


def shot(t: int = 6, h: int = 45, w: int = 58, seed: int = 0) -> np.ndarray:
    """Distinct frames: texture moving a pixel a frame, plus the frame number as brightness."""
    rng = np.random.default_rng(seed)
    base = rng.random((h + t, w + t), dtype=np.float32)
    return np.stack([base[i : i + h, i : i + w] * 0.8 + 0.02 * i for i in range(t)])


# --- config and network ---------------------------------------------------------------------


def test_config_round_trip_presets_and_names():
    for name in ("fast", "quality", "small"):
        for scale in (1, 2, 4):
            cfg = UpscalerConfig.preset(name, scale=scale)
            assert UpscalerConfig.from_dict(cfg.to_dict()) == cfg
            assert cfg.model_name == f"upscaler_x{scale}"
            assert registry.spec_for_config(cfg).name == f"upscaler_x{scale}"
    assert UpscalerConfig.preset("fast", frames=3).frames == 3
    for bad in ({"scale": 3}, {"frames": 4}, {"channels": 0}):
        with pytest.raises(ValueError):
            UpscalerConfig(**bad)
    with pytest.raises(ValueError, match="unknown config fields"):
        UpscalerConfig.from_dict({"scale": 2, "wings": 2})
    with pytest.raises(ValueError, match="unknown upscaler preset"):
        UpscalerConfig.preset("huge")


@pytest.mark.parametrize("scale", [1, 2, 4])
@pytest.mark.parametrize("frames", [3, 5])
def test_output_shapes(scale: int, frames: int):
    model = model_for(scale, frames)
    out = model(torch.rand(2, frames, 13, 17))
    assert out.shape == (2, 1, 13 * scale, 17 * scale)
    with pytest.raises(ValueError, match="expected a window"):
        model(torch.rand(2, frames + 2, 13, 17))
    restored = upscale_luma(model, shot(4, 21, 30))
    assert restored.shape == (4, 21 * scale, 30 * scale) and restored.dtype == np.float32


def test_a_fresh_network_is_bicubic_of_the_middle_frame():
    model = build(UpscalerConfig(scale=2, frames=5, channels=8, blocks=1)).eval()
    x = torch.rand(1, 5, 12, 16)
    with torch.no_grad():
        assert torch.allclose(model(x), bicubic_up(x[:, 2:3], 2), atol=1e-6)


def test_receptive_radius_bounds_what_an_output_pixel_sees():
    scale = 2
    model = model_for(scale, 3)
    cfg = model.config
    x = torch.rand(1, 3, 40, 40)
    y = x.clone()
    y[0, 0, 20, 20] += 0.5  # one pixel of a neighbouring frame
    with torch.no_grad():
        diff = (model(y) - model(x)).abs()[0, 0]
    changed = torch.nonzero(diff > 0)
    assert len(changed) > 0  # neighbours do matter
    reach = (changed // scale - 20).abs().max().item()
    assert reach <= cfg.receptive_radius


def test_weights_round_trip_by_path_and_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    model = model_for(4, 5)
    path = save_model(model, model.config, tmp_path / "upscaler_x4.safetensors", card=CARD)
    assert read_meta(path)["model"] == "upscaler_x4"
    loaded, cfg, meta = load_model(path)
    assert cfg == model.config and meta["card"]["steps"] == 0
    x = torch.rand(1, 5, 9, 11)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path))
    assert weights.model_status("upscaler_x4")["status"] == "untrained"
    assert weights.model_status("upscaler_x2")["status"] == "missing"
    by_name, _, _ = load_model("upscaler_x4")
    with torch.no_grad():
        assert torch.equal(by_name(x), model(x))


# --- tiled inference ------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_tiled_equals_untiled(scale: int):
    model = model_for(scale, 3)
    frames = shot(5, 70, 90)
    whole_stats, tiled_stats = UpscaleStats(), UpscaleStats()
    whole = upscale_luma(model, frames, stats=whole_stats)
    tiled = upscale_luma(model, frames, tile=32, overlap=8, batch=2, stats=tiled_stats)
    assert whole_stats.tiles_per_frame == 1 and tiled_stats.tiles_per_frame == 3 * 4
    assert np.abs(tiled - whole).max() < 1e-3


def test_memory_budget_picks_tiles_when_a_frame_does_not_fit():
    cfg = UpscalerConfig.preset("fast", scale=2)
    side, batch = plan_tiles(1080, 1920, cfg, 64 << 30, torch.float16)
    assert side == 1920 and batch > 1  # whole frames, several at once
    side, batch = plan_tiles(1080, 1920, cfg, 100 << 20, torch.float16)
    assert 32 <= side < 1080 and batch == 1
    stats = UpscaleStats()
    frames = shot(3, 64, 64)
    small_budget = upscale_luma(model_for(2), frames, budget_bytes=600_000, stats=stats)
    assert stats.tile != 0 and stats.tiles_per_frame > 1
    assert np.abs(small_budget - upscale_luma(model_for(2), frames)).max() < 1e-3


def test_out_of_memory_halves_the_tile_and_returns_every_frame_in_order():
    model = model_for(2, 3)
    frames = shot(7, 64, 80)
    expect = upscale_luma(model, frames)
    stats = UpscaleStats()
    # a whole frame batch is 4 x 64 x 80 = 20480 input pixels: fails until the tile is 32
    got = upscale_luma(model, frames, batch=4, max_tile_pixels=4 * 50 * 50, stats=stats)
    assert stats.retries >= 1 and stats.oom_sizes[0] == (80, 4)
    assert stats.tile == 40 and stats.frames == 7
    assert got.shape == expect.shape
    for i in range(7):  # every frame, in order, none repeated
        assert np.abs(got[i] - expect[i]).max() < 1e-3
        others = [j for j in range(7) if j != i]
        assert min(np.abs(got[i] - expect[j]).max() for j in others) > 0.01


def test_out_of_memory_falls_back_to_one_frame_then_gives_up():
    model = model_for(2, 3)
    frames = shot(5, 32, 32)
    stats = UpscaleStats()
    # one 32x32 tile with its halo fits, two frames of it do not
    got = upscale_luma(model, frames, batch=4, max_tile_pixels=32 * 32, stats=stats)
    assert stats.batch == 1 and stats.frames == 5
    assert np.abs(got - upscale_luma(model, frames)).max() < 1e-3
    with pytest.raises(UpscaleOutOfMemoryError):
        upscale_luma(model, frames, max_tile_pixels=100)


def test_start_stop_and_the_windows_at_the_shots_ends():
    model = model_for(2, 5)
    frames = shot(6, 20, 24)
    full = upscale_luma(model, frames)
    part = upscale_luma(model, frames, start=2, stop=4)
    assert np.abs(part - full[2:4]).max() < 1e-6
    # frame 0's window repeats the first frame where it runs past the start
    window = torch.from_numpy(frames[[0, 0, 0, 1, 2]])[None]
    with torch.no_grad():
        first = model(window)[0, 0].clamp(0, 1).numpy()
    assert np.abs(full[0] - first).max() < 1e-6
    with pytest.raises(Exception, match="outside"):
        upscale_luma(model, frames, start=3, stop=9)


# --- chroma and grain -----------------------------------------------------------------------


def test_chroma_guided_by_luma_beats_bicubic_where_colour_follows_luma():
    h, w, s = 64, 64, 4
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx - 30) ** 2 + (yy - 34) ** 2 < 18**2) | ((xx > 45) & (yy < 20))
    luma = np.where(inside, 0.8, 0.3).astype(np.float32)
    cbcr = np.stack([np.where(inside, 0.25, -0.1), np.where(inside, -0.2, 0.1)], -1)
    cbcr = cbcr.astype(np.float32)
    small = np.stack([D.downscale(cbcr[..., k], s) for k in range(2)], -1)
    guided = upscale_chroma(small, luma)
    plain = upscale_chroma(small, luma, radius=0)  # no guidance
    bicubic = np.clip(np.stack([D.resize(small[..., k], (h, w)) for k in range(2)], -1), -0.5, 0.5)
    assert guided.shape == (h, w, 2)
    assert np.abs(plain - bicubic).max() < 1e-6
    assert np.abs(guided - cbcr).mean() < 0.5 * np.abs(bicubic - cbcr).mean()
    flat = upscale_chroma(
        np.full((8, 8, 2), 0.1, np.float32),
        np.random.default_rng(0).random((32, 32), dtype=np.float32),
    )
    assert np.abs(flat - 0.1).max() < 1e-5
    frames = upscale_chroma(np.stack([small, small]), np.stack([luma, luma]))
    assert frames.shape == (2, h, w, 2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_chroma_enlarged_on_cuda_equals_the_cpu():
    """The upscale stage enlarges chroma where its network runs: on CUDA, in bands, the
    same as on the CPU up to rounding."""
    rng = np.random.default_rng(3)
    small = rng.uniform(-0.3, 0.3, (2, 40, 64, 2)).astype(np.float32)
    luma = rng.random((2, 80, 128), dtype=np.float32)
    cpu = upscale_chroma(small, luma)
    cuda = upscale_chroma(small, luma, device="cuda", band_pixels=4096)
    assert cuda.shape == cpu.shape and np.abs(cuda - cpu).max() < 1e-4


def test_measure_grain_follows_the_grain_and_ignores_edges():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:96, 0:96]
    picture = np.where(x > 48, 0.6, 0.4).astype(np.float32) + 0.001 * y
    clean = measure_grain(picture)
    light = measure_grain(D.film_grain(picture, rng, 0.02, 1.0))
    heavy = measure_grain(D.film_grain(picture, rng, 0.06, 1.0))
    assert clean < 0.002 < light < heavy
    assert 2.3 < heavy / light < 3.7


def test_regrain_matches_the_sources_grain_at_the_output_size():
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:64, 0:64]
    clean = (0.3 + 0.4 * x / 64).astype(np.float32)
    source = D.film_grain(clean, rng, 0.04, 0.8)
    restored = D.resize(clean, (256, 256))  # what a perfect x4 clean-up gives
    out = regrain(source, restored, np.random.default_rng(2))
    target = measure_grain(source)
    assert abs(measure_grain(out, sigma=4) - target) < 0.15 * target
    half = regrain(source, restored, np.random.default_rng(2), strength=0.5)
    assert measure_grain(half, sigma=4) < 0.65 * target
    assert abs(out.mean() - restored.mean()) < 0.01


# --- evaluation -----------------------------------------------------------------------------


def test_eval_protocol_a_fresh_network_scores_exactly_bicubic(tmp_path: Path):
    from PIL import Image

    from panchro.engine.evaluate.upscaler import before_after, eval_upscaler, studio_y
    from tests.makemedia import make_video

    assert np.allclose(studio_y(np.array([0.0, 1.0])), [16 / 255, 235 / 255])
    pics = tmp_path / "set"
    pics.mkdir()
    for i in range(2):
        rgb = (shot(1, 50, 66, seed=i)[0, :, :, None] * [255, 200, 150]).astype(np.uint8)
        Image.fromarray(rgb).save(pics / f"p{i}.png")
    fresh = build(UpscalerConfig(scale=2, frames=3, channels=8, blocks=1))  # zero head: bicubic
    path = save_model(fresh, fresh.config, tmp_path / "x2.safetensors", card=CARD)
    result = eval_upscaler(2, path, data=[pics], print_fn=None, sheet=tmp_path / "sheet.png")
    bench = result["sets"]["set"]
    assert bench["n"] == 2 and 10 < bench["bicubic"][0] < 60
    assert bench["model"] == pytest.approx(bench["bicubic"], abs=1e-6)
    real = result["realistic"]
    assert real["n"] == 2 and real["model"] == pytest.approx(real["bicubic"], abs=1e-6)
    assert "h264" in real["chain"] and (tmp_path / "sheet.png").is_file()
    with pytest.raises(Exception, match="x2, not x4"):
        eval_upscaler(4, path, data=[pics], print_fn=None)

    film = make_video(tmp_path / "film.mp4", frames=6, audio=False)  # 160x120
    out = before_after(film, tmp_path / "ba.png", scale=2, weights=path, frame=2, crop=40)
    assert Image.open(out).size == (4 + 3 * (80 + 4), 80 + 8)


def test_frames_get_the_same_bits_however_the_caller_splits_them():
    """The pipeline hands the upscaler a shot in temporal batches whose edges move with
    `--batch`, chunking and resumes; by default a frame's output does not depend on them."""
    model = model_for(2)
    frames = shot(t=9, h=40, w=52)
    whole = upscale_luma(model, frames)
    for cuts in ((4,), (1, 2, 7), (3, 6)):
        edges = [0, *cuts, 9]
        spans = zip(edges, edges[1:], strict=False)
        parts = [upscale_luma(model, frames, start=a, stop=b) for a, b in spans]
        assert np.array_equal(np.concatenate(parts), whole)


def test_the_sharp_kind_is_its_own_model_with_one_frame(tmp_path: Path):
    from panchro.engine.models.upscaler import model_name
    from panchro.engine.models.weights import train_command
    from panchro.engine.restore.stages import UpscaleStage
    from tests.makemodels import save_small_upscaler

    cfg = UpscalerConfig.preset("fast", scale=4, kind="sharp")
    assert cfg.frames == 1 and cfg.model_name == "upscaler_x4_sharp" == model_name(4, "sharp")
    assert UpscalerConfig.from_dict({**cfg.to_dict(), "kind": "film"}).model_name == "upscaler_x4"
    old = {k: v for k, v in cfg.to_dict().items() if k != "kind"}  # a file from before kinds
    assert UpscalerConfig.from_dict(old).kind == "film"
    with pytest.raises(ValueError, match="scale is 2 or 4"):
        UpscalerConfig.preset("fast", scale=1, kind="sharp")
    assert registry.weights_path("upscaler_x2_sharp").name == "upscaler_x2_sharp.safetensors"
    assert train_command("upscaler_x2_sharp") == "panchro train upscaler --scale 2 --kind sharp"

    sharp = save_small_upscaler(tmp_path, scale=2, kind="sharp")
    film = save_small_upscaler(tmp_path, scale=2)
    stage = UpscaleStage(scale=2, kind="sharp", weights_path=str(sharp))
    assert stage.context == 0  # one frame: no neighbours to bring
    with pytest.raises(ModelMissingError, match="holds upscaler_x2, not upscaler_x2_sharp"):
        UpscaleStage(scale=2, kind="sharp", weights_path=str(film))
    with pytest.raises(ModelMissingError, match="upscaler_x4_sharp.safetensors"):
        UpscaleStage(
            scale=4, kind="sharp", weights_path=str(tmp_path / "upscaler_x4_sharp.safetensors")
        )


# --- precision on the CPU -------------------------------------------------------------------


def test_cpu_precision_comes_from_the_environment_or_the_cores(monkeypatch) -> None:
    from panchro.engine.inference import device as compute

    monkeypatch.setenv(compute.ENV_CPU_BF16, "1")
    assert compute.engine_cpu_precision() == "bfloat16"
    monkeypatch.setenv(compute.ENV_CPU_BF16, "0")
    assert compute.engine_cpu_precision() == "float32"
    monkeypatch.setenv(compute.ENV_CPU_BF16, "yes")
    with pytest.raises(BadInputError, match="PANCHRO_CPU_BF16 must be 0 or 1"):
        compute.engine_cpu_precision()
    monkeypatch.delenv(compute.ENV_CPU_BF16)
    for native in (True, False):
        monkeypatch.setattr(compute, "cpu_has_native_bf16", lambda native=native: native)
        assert compute.engine_cpu_precision() == ("bfloat16" if native else "float32")
    # a run fixes it: the environment no longer counts
    assert compute.fix_cpu_precision("bfloat16") == "bfloat16"
    monkeypatch.setenv(compute.ENV_CPU_BF16, "0")
    assert compute.cpu_dtype() == torch.bfloat16
    compute.fix_cpu_precision("float32")
    assert compute.cpu_dtype() == torch.float32
    with pytest.raises(ValueError, match="CPU precision"):
        compute.fix_cpu_precision("float16")


def test_under_bfloat16_the_picture_stays_float32_and_only_the_residual_is_rounded() -> None:
    """A fresh network is plain bicubic (its head is zero): under bf16 autocast it must give
    the float32 bicubic exactly. (The sum used to be taken in the network's dtype, which left
    8 bits of the picture: too few for a 10- or 16-bit export.)"""
    torch.manual_seed(0)
    fresh = build(UpscalerConfig(scale=2, frames=3, channels=8, blocks=1)).eval()
    window = torch.rand(1, 3, 20, 24)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = fresh(window)
    assert out.dtype == torch.float32
    assert torch.equal(out, bicubic_up(window[:, 1:2], 2))


def test_bfloat16_on_the_cpu_is_close_to_float32_and_used_when_fixed() -> None:
    from panchro.engine.inference import device as compute

    model, frames = model_for(2), shot()
    compute.fix_cpu_precision("float32")
    exact = upscale_luma(model, frames)
    compute.fix_cpu_precision("bfloat16")
    fast = upscale_luma(model, frames)
    assert fast.dtype == np.float32 and fast.shape == exact.shape
    err = float(np.sqrt(np.mean((fast - exact) ** 2)))
    assert 0 < err < 2e-3  # bf16 was used, and it is within a fraction of an 8-bit level
    assert np.abs(fast - exact).max() < 1e-2
    again = upscale_luma(model, frames)
    assert np.array_equal(again, fast)  # and it is as exact run to run as float32
