"""The parts every training run shares (engine/train/common.py): keeping the best."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from panchro.engine.train import common


def test_the_best_held_out_weights_are_kept_not_the_last(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    best = common.Best()
    assert not common.keep_if_best(best, 9.0, 0, model, tmp_path)  # untrained: not a result
    assert common.keep_if_best(best, 1.0, 10, model, tmp_path)
    at_10 = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)
    assert not common.keep_if_best(best, 0.5, 20, model, tmp_path)  # worse
    assert not common.keep_if_best(best, 1.0, 25, model, tmp_path)  # only as good
    assert not common.keep_if_best(best, math.nan, 30, model, tmp_path)
    assert (best.step, best.score) == (10, 1.0)
    assert common.Best.from_dict(best.to_dict()) == best
    assert common.Best.from_dict(None) == common.Best()
    assert common.load_best(model, tmp_path, best)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in at_10.items())
    assert not common.load_best(model, tmp_path / "elsewhere", best)
    assert not common.load_best(model, tmp_path, common.Best())
    with torch.no_grad():
        model.weight.add_(1.0)
    assert common.keep_if_best(best, 2.0, 40, model, tmp_path) and best.step == 40
