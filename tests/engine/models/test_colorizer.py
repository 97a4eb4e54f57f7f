"""The colorizer network: shapes, causality, conditioning, weights on disk, and that it learns."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from panchro.engine.errors import BadInputError, ModelMissingError, OutputError
from panchro.engine.imaging.color import dequantize_chroma as bins_to_chroma
from panchro.engine.imaging.color import quantize_chroma as chroma_to_bins
from panchro.engine.inference.sampling import sample_chroma
from panchro.engine.models import registry, weights
from panchro.engine.models.colorizer import ColorizerConfig, build

SMALL = ColorizerConfig.small()
CARD = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (test)"}


def _model(seed: int = 0, dtype: torch.dtype = torch.float64):
    torch.manual_seed(seed)
    return build(SMALL).to(dtype).eval()


def _inputs(batch: int = 1, seed: int = 1, dtype: torch.dtype = torch.float64):
    gen = torch.Generator().manual_seed(seed)
    s, n = SMALL.image_size, SMALL.chroma_size
    grey = torch.rand(batch, 1, s, s, generator=gen, dtype=dtype)
    bins = torch.randint(0, SMALL.levels, (batch, 2, n, n), generator=gen)
    return grey, bins


# --- shapes and config ----------------------------------------------------------------------


def test_shapes_and_loss_small() -> None:
    model = _model()
    grey, bins = _inputs(batch=3)
    logits = model(grey, bins)
    assert logits.shape == (3, 2, SMALL.levels, SMALL.chroma_size, SMALL.chroma_size)
    nll, bits = model.loss(grey, bins)
    assert nll.dim() == 0 and torch.isfinite(nll)
    assert bits.item() == pytest.approx(nll.item() / math.log(2))
    # an untrained net is close to uniform over 32 bins: about 5 bits per value
    assert 3.0 < bits.item() < 8.0


def test_default_config_shapes() -> None:
    cfg = ColorizerConfig()
    model = build(cfg).eval()
    grey = torch.rand(1, 1, 224, 224)
    bins = torch.zeros(1, 2, 28, 28, dtype=torch.long)
    with torch.no_grad():
        assert model.condition(grey).shape == (1, cfg.cond_channels, 28, 28)
        assert model(grey, bins).shape == (1, 2, 32, 28, 28)
    with pytest.raises(ValueError, match="grey must be"):
        model.condition(torch.rand(1, 1, 64, 64))


def test_cpu_configs_see_112_or_56_pixels_and_share_every_weight_shape() -> None:
    from panchro.engine.train.colorizer import config_named

    cpu, cpu56 = config_named("cpu"), config_named("cpu56")
    shapes = {}
    for cfg in (cpu, cpu56):
        model = build(cfg).eval()
        grey = torch.rand(2, 1, cfg.image_size, cfg.image_size)
        with torch.no_grad():
            assert model.condition(grey).shape == (2, cfg.cond_channels, 28, 28)
        shapes[cfg.image_size] = {k: v.shape for k, v in model.state_dict().items()}
    # the stride-1 stem changes only where the stem samples, not the network's size: the two
    # differ in what the network sees, so a sweep compares like with like
    assert shapes[112] == shapes[56]
    # weights written before stem_stride existed load as stride 2
    old = {k: v for k, v in cpu.to_dict().items() if k != "stem_stride"}
    assert ColorizerConfig.from_dict(old) == cpu


def test_config_validation_and_round_trip() -> None:
    with pytest.raises(ValueError, match="image_size"):
        ColorizerConfig(image_size=200)
    with pytest.raises(ValueError, match="stride-1 stem"):
        ColorizerConfig(image_size=224, stem_stride=1)
    with pytest.raises(ValueError, match="stem_stride"):
        ColorizerConfig(stem_stride=4)
    with pytest.raises(ValueError, match="even"):
        ColorizerConfig(pixelcnn_channels=127)
    assert ColorizerConfig.from_dict(SMALL.to_dict()) == SMALL
    with pytest.raises(ValueError, match="unknown config fields"):
        ColorizerConfig.from_dict({**SMALL.to_dict(), "wings": 2})


def test_bin_convention() -> None:
    bins = torch.arange(32)
    centres = bins_to_chroma(bins)
    assert centres[0].item() == pytest.approx(-0.5)
    assert centres[16].item() == 0.0  # grey is a bin centre: grey stays grey
    assert centres[31].item() == pytest.approx(0.5 - 1 / 32)
    assert torch.equal(chroma_to_bins(centres), bins)
    edges = torch.tensor([-0.5, -0.49, 0.0, 0.49, 0.5, -3.0, 3.0])
    assert chroma_to_bins(edges).tolist() == [0, 0, 16, 31, 31, 0, 31]


# --- causality --------------------------------------------------------------------------------


def _dependence(model, grey, bins, i: int, j: int, c: int) -> torch.Tensor:
    """(2, H, W): how much each output's logits move when the input value at (c, i, j) changes."""
    changed = bins.clone()
    changed[0, c, i, j] = (changed[0, c, i, j] + 11) % SMALL.levels
    with torch.no_grad():
        return (model(grey, changed) - model(grey, bins)).abs().amax(dim=2)[0]


def test_causality_raster_order_cb_before_cr() -> None:
    """Position s = (row, col, channel) may depend only on positions before it in raster order."""
    model = _model()
    grey, bins = _inputs()
    n = SMALL.chroma_size
    for t in range(2 * n * n):
        pixel, c = divmod(t, 2)
        i, j = divmod(pixel, n)
        dep = _dependence(model, grey, bins, i, j, c)
        order = dep.permute(1, 2, 0).reshape(-1)  # index (row * n + col) * 2 + channel
        assert order[: t + 1].max().item() == 0.0, f"position {t} leaks into itself or earlier"
        if t + 1 < order.numel():
            assert order[t + 1 :].max().item() > 1e-8, f"nothing after position {t} reads it"


def test_channel_masks_within_a_pixel() -> None:
    model = _model()
    grey, bins = _inputs()
    i, j = 3, 4
    dep_cb = _dependence(model, grey, bins, i, j, c=0)
    dep_cr = _dependence(model, grey, bins, i, j, c=1)
    assert dep_cb[1, i, j] > 1e-8  # Cr at a pixel reads that pixel's Cb (mask A)
    assert dep_cb[0, i, j] == 0  # Cb does not read itself
    assert dep_cr[0, i, j] == 0  # Cb does not read the pixel's Cr
    assert dep_cr[1, i, j] == 0


def test_no_blind_spot_up_right() -> None:
    """The vertical stack covers the pixels up and to the right, which a masked PixelCNN misses."""
    model = _model()
    grey, bins = _inputs()
    i, j = 4, 3
    for di, dj in [(1, 1), (1, 2), (2, 2), (1, -1)]:
        for c in (0, 1):
            dep = _dependence(model, grey, bins, i - di, j + dj, c)
            assert dep[0, i, j] > 1e-8, f"Cb at ({i},{j}) is blind to channel {c} at -{di},+{dj}"
            assert dep[1, i, j] > 1e-8, f"Cr at ({i},{j}) is blind to channel {c} at -{di},+{dj}"


def test_conditioning_changes_logits() -> None:
    model = _model()
    grey, bins = _inputs()
    other = 1.0 - grey
    with torch.no_grad():
        diff = (model(grey, bins) - model(other, bins)).abs()
    moved = diff.amax(dim=2)[0] > 1e-6  # (2, H, W)
    # the first pixel has no chroma before it: only the grey frame can move its logits
    assert moved[0, 0, 0] and moved[1, 0, 0]
    # (a tiny random net has the odd position whose head ReLUs are all off, hence not "all")
    assert moved.float().mean().item() > 0.9


# --- weights on disk ------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path: Path) -> None:
    model = _model(seed=3, dtype=torch.float32)
    path = weights.save_model(model, SMALL, tmp_path / "colorizer.safetensors", card=CARD)
    assert [p.name for p in tmp_path.iterdir()] == ["colorizer.safetensors"]  # no temp left
    loaded, config, meta = weights.load_model(path)
    assert config == SMALL
    assert meta["model"] == "colorizer"
    assert meta["card"] == CARD
    assert not loaded.training
    grey, bins = _inputs(batch=2, dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(model(grey, bins), loaded(grey, bins))
    same = sample_chroma(loaded, grey[0], k=2, seed=9)
    assert torch.equal(same, sample_chroma(model, grey[0], k=2, seed=9))


def test_save_refuses_bad_card_and_places(tmp_path: Path) -> None:
    model = _model(dtype=torch.float32)
    with pytest.raises(ValueError, match="trained"):
        weights.save_model(model, SMALL, tmp_path / "a.safetensors", card={"scale": "full"})
    with pytest.raises(ValueError, match="scale"):
        weights.save_model(model, SMALL, tmp_path / "a.safetensors", card={**CARD, "scale": "xl"})
    with pytest.raises(OutputError, match="does not exist"):
        weights.save_model(model, SMALL, tmp_path / "no" / "a.safetensors", card=CARD)
    with pytest.raises(OutputError, match="safetensors"):
        weights.save_model(model, SMALL, tmp_path / "a.pt", card=CARD)
    with pytest.raises(ValueError, match="another config"):
        weights.save_model(model, ColorizerConfig(), tmp_path / "a.safetensors", card=CARD)
    assert list(tmp_path.iterdir()) == []


def test_missing_weights_name_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "models_dir", lambda: tmp_path)
    with pytest.raises(ModelMissingError) as err:
        weights.load_model("colorizer")
    assert str(tmp_path / "colorizer.safetensors") in str(err.value)
    assert err.value.code == "model_missing"
    with pytest.raises(ModelMissingError, match="nowhere.safetensors"):
        weights.load_model(tmp_path / "nowhere.safetensors")


class _Trap:
    """Unpickling this touches a file: proof that a pickle was read."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickles_are_never_read(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Trap(marker))
    for name in ("colorizer.pt", "colorizer.pth", "colorizer.ckpt"):
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(BadInputError, match="never loaded"):
            weights.load_model(tmp_path / name)
    # a pickle wearing the right suffix is just a damaged file to safetensors
    (tmp_path / "fake.safetensors").write_bytes(payload)
    with pytest.raises(BadInputError, match="corrupt"):
        weights.load_model(tmp_path / "fake.safetensors")
    assert not marker.exists()


def test_corrupt_and_mismatched_files(tmp_path: Path) -> None:
    model = _model(dtype=torch.float32)
    good = weights.save_model(model, SMALL, tmp_path / "good.safetensors", card=CARD)
    data = good.read_bytes()

    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError, match="corrupt") as err:
        weights.load_model(truncated)
    assert "truncated.safetensors" in str(err.value)

    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    meta = {"format": weights.FORMAT, "model": "colorizer", "card": '{"trained": false}'}

    unknown = tmp_path / "unknown.safetensors"
    save_file(state, unknown, metadata={**meta, "config": '{"image_size": 64, "wings": 2}'})
    with pytest.raises(BadInputError, match="config does not fit"):
        weights.load_model(unknown)

    other = ColorizerConfig(**{**SMALL.to_dict(), "pixelcnn_channels": 32})
    wrong = tmp_path / "wrong.safetensors"
    save_file(state, wrong, metadata={**meta, "config": json.dumps(other.to_dict())})
    with pytest.raises(BadInputError, match="do not match their config"):
        weights.load_model(wrong)

    foreign = tmp_path / "foreign.safetensors"
    save_file(state, foreign)  # plain safetensors, no Panchro metadata
    with pytest.raises(BadInputError, match="not a Panchro weights file"):
        weights.load_model(foreign)


def test_model_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "models_dir", lambda: tmp_path)
    path = tmp_path / "colorizer.safetensors"
    assert weights.model_status("colorizer")["status"] == "missing"
    model = _model(dtype=torch.float32)
    weights.save_model(model, SMALL, path, card=CARD)
    status = weights.model_status("colorizer")
    assert status["status"] == "untrained" and status["path"] == str(path)
    assert status["meta"]["card"]["scale"] == "cpu-reduced"
    weights.save_model(model, SMALL, path, card={**CARD, "trained": True, "steps": 10})
    assert weights.model_status("colorizer")["status"] == "ready"
    path.write_bytes(b"garbage")
    status = weights.model_status("colorizer")
    assert status["status"] == "corrupt" and "corrupt" in status["error"]
    with pytest.raises(BadInputError, match="unknown model"):
        weights.model_status("flux-capacitor")


# --- it learns ------------------------------------------------------------------------------

RED = (-0.2, 0.3)  # (Cb, Cr)
BLUE = (0.3, -0.15)


def _synthetic_set() -> tuple[torch.Tensor, torch.Tensor]:
    """Four grey frames whose colour follows their pattern: stripes are red, blobs are blue."""
    s, n = SMALL.image_size, SMALL.chroma_size
    y, x = torch.meshgrid(torch.arange(s).float(), torch.arange(s).float(), indexing="ij")
    frames, colours = [], []
    for period in (8.0, 16.0):
        frames.append(0.5 + 0.35 * torch.sign(torch.sin(2 * math.pi * y / period)))
        colours.append(RED)
    for centres in (((20, 20), (44, 40)), ((16, 44), (40, 18), (50, 50))):
        img = torch.full((s, s), 0.15)
        for cy, cx in centres:
            img = img + 0.7 * torch.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * 6.0**2))
        frames.append(img.clamp(0, 1))
        colours.append(BLUE)
    grey = torch.stack(frames)[:, None]
    chroma = torch.tensor(colours)[:, :, None, None].expand(-1, -1, n, n)
    return grey, chroma_to_bins(chroma, SMALL.levels)


def test_tiny_overfit_learns_colour_from_grey() -> None:
    torch.manual_seed(0)
    model = build(SMALL)
    grey, bins = _synthetic_set()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    first = last = None
    for _ in range(150):
        loss, bits = model.loss(grey, bins)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = bits.item() if first is None else first
        last = bits.item()
    assert first is not None and last is not None
    assert first > 3.0  # starts near log2(32) = 5 bits
    assert last < 0.1 * first, f"loss {first:.2f} -> {last:.2f} bits"
    for index, colour in enumerate((RED, RED, BLUE, BLUE)):
        for seed in (0, 1):
            sample = sample_chroma(model, grey[index], k=1, seed=seed, temperature=0.0)
            mean = bins_to_chroma(sample, SMALL.levels).mean(dim=(0, 2, 3))
            assert mean.tolist() == pytest.approx(colour, abs=0.04), f"frame {index}"
