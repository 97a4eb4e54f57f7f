"""The parts every training run shares (engine/train/common.py): keeping the best."""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch

from panchro.engine.train import common, export


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
    assert export.load_best(model, tmp_path, best)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in at_10.items())
    assert not export.load_best(model, tmp_path / "elsewhere", best)
    assert not export.load_best(model, tmp_path, common.Best())
    with torch.no_grad():
        model.weight.add_(1.0)
    assert common.keep_if_best(best, 2.0, 40, model, tmp_path) and best.step == 40


def _loop(tmp_path: Path, *, time_limit: float | None) -> tuple[list[int], int, bool]:
    """A tiny regression through `common.train_loop` -> (steps validated, last step, stopped)."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(4, 2), torch.randn(4, 1)
    validated: list[int] = []

    def forward(_: object) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        loss = torch.nn.functional.mse_loss(model(x), y)
        return loss, {"loss": loss.detach()}

    step, stopped = common.train_loop(
        model=model, opt=opt, loader=range(20), forward=forward, step=0, steps=20, end=20,
        lr=0.1, warmup=0, clip=0.0, batch=4, device=torch.device("cpu"), figures=("loss",),
        speed="items_per_s", describe=lambda row, rate: "", validate=validated.append,
        checkpoint=lambda at: None, log_path=tmp_path / "log.jsonl", log_every=5,
        sample_every=10, checkpoint_every=100, time_limit=time_limit,
        t_start=time.perf_counter(), elapsed_before=0.0, say=lambda s: None,
    )  # fmt: skip
    return validated, step, stopped


def test_a_run_stopped_by_its_time_limit_measures_where_it_stopped(tmp_path: Path) -> None:
    """The kit closes a time-boxed run at the step it reached and exports the best held-out
    weights: the last weights (the lowest rate reached) must be among those measured."""
    assert _loop(tmp_path, time_limit=None) == ([10, 20], 20, False)
    validated, step, stopped = _loop(tmp_path, time_limit=0.0)
    assert stopped and step == 1 and validated == [1]
