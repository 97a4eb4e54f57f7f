"""The speck finder's network and how a picture is looked at with it (`models.specks`,
`inference.specks`): tiles answer as the whole picture does, a lower strength takes less,
the shrunk copies of a large scan join in, and weights travel through safetensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from panchro.engine.inference import specks
from panchro.engine.models import weights
from panchro.engine.models.specks import SpeckConfig, build, multiply_adds_per_pixel, speck_config


def _model(name: str = "small", seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build(speck_config(name)).eval()


def _picture(h: int, w: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.random((h, w), dtype=np.float32))


def test_tiles_answer_as_the_whole_picture() -> None:
    model = _model("cpu")
    y = _picture(150, 211)
    whole = specks.logits(model, y, tile=1024)
    tiled = specks.logits(model, y, tile=64)  # 3 x 4 tiles, odd edges
    assert torch.allclose(whole, tiled, atol=1e-4)


def test_a_lower_strength_takes_a_part_of_what_a_higher_one_takes() -> None:
    model = _model()
    with torch.no_grad():  # a bias that puts the logits round the thresholds
        model.head.bias.fill_(specks.THRESHOLD + 0.5)
    y = _picture(96, 96, seed=1)
    strong, weak = specks.find_specks(model, y, 1.0), specks.find_specks(model, y, 0.5)
    assert bool(strong.any()) and int(weak.sum()) < int(strong.sum())
    assert not bool((weak & ~strong).any())
    with pytest.raises(ValueError, match="within 0..1"):
        specks.threshold(0.0)


def test_a_large_scan_is_also_looked_at_shrunk(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []

    def fake_logits(model: object, y: torch.Tensor, tile: int = 0) -> torch.Tensor:
        seen.append(tuple(y.shape))
        out = torch.full(y.shape, -10.0)
        if len(seen) == 3:  # the copy shrunk by 4 finds one pixel of dirt
            out[10, 20] = 10.0
        return out

    monkeypatch.setattr(specks, "logits", fake_logits)
    monkeypatch.setattr(specks, "HALO", 0)
    found = specks.find_specks(_model(), torch.zeros(1600, 1700))
    assert seen == [(1600, 1700), (800, 850), (400, 425)]
    # the shrunk copy's pixel is the scan's 4 x 4 block
    assert int(found.sum()) == 16 and bool(found[40:44, 80:84].all())
    seen.clear()
    specks.find_specks(_model(), torch.zeros(500, 900))  # too small to shrink
    assert seen == [(500, 900)]


def test_the_rim_of_what_is_found_is_taken_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_pixel(model: object, y: torch.Tensor, tile: int = 0) -> torch.Tensor:
        out = torch.full(y.shape, -10.0)
        out[5, 5] = 10.0
        return out

    monkeypatch.setattr(specks, "logits", one_pixel)
    found = specks.find_specks(_model(), torch.zeros(20, 20))
    assert int(found.sum()) == (2 * specks.HALO + 1) ** 2


def test_weights_round_trip(tmp_path: Path) -> None:
    model = _model("small", seed=3)
    config = model.config
    card = {"trained": False, "scale": "cpu-reduced", "steps": 0, "data": "none (test)"}
    path = weights.save_model(model, config, tmp_path / "speck_finder.safetensors", card=card)
    loaded, cfg, meta = weights.load_model(path)
    assert cfg == config and meta["model"] == "speck_finder"
    y = _picture(40, 40)[None, None]
    with torch.no_grad():
        assert torch.equal(loaded(y), model(y))
    assert SpeckConfig.from_dict(config.to_dict()) == config


def test_the_cpu_preset_is_small() -> None:
    model = _model("cpu")
    assert model.num_params() < 100_000
    assert multiply_adds_per_pixel(model.config) < 40_000
    with pytest.raises(ValueError, match="unknown speck finder preset"):
        speck_config("huge")
