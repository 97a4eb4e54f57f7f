"""The speck finder's training (dirt laid where it is known, a run that resumes and exports
its best step) and `panchro eval specks` (the finder beside the median rule)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.evaluate.specks import eval_specks, median_rule
from panchro.engine.models.weights import load_model
from panchro.engine.train.data import collect_items
from panchro.engine.train.specks import (
    FAINT_STEP,
    RIM,
    lay_dirt,
    make_speck_example,
    train_speck_finder,
)
from tests.engine.train.test_train_refiner import picture


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("speck_photos")
    for i in range(8):
        Image.fromarray(picture(i)).save(root / f"s{i:02d}.png")
    return root


def test_dirt_is_marked_where_it_changes_the_picture() -> None:
    clean = np.full((64, 64), 0.5, np.float32)
    dirty, dirt, rim = lay_dirt(clean, np.random.default_rng(3), blots=12, hairs=1)
    changed = np.abs(dirty - clean) > 0.04
    assert dirt.any() and not (dirt & rim).any()
    assert (changed[dirt]).all()  # every pixel called dirt was changed by it
    assert changed[~dirt & ~rim].sum() == 0  # and nothing changed outside dirt and rims
    same, none, no_rim = lay_dirt(clean, np.random.default_rng(3), blots=0, hairs=0)
    assert np.array_equal(same, clean) and not none.any() and not no_rim.any()


def test_faint_dirt_is_a_soft_small_step_off_the_picture() -> None:
    clean = np.full((64, 64), 0.5, np.float32)
    dirty, dirt, rim = lay_dirt(clean, np.random.default_rng(4), blots=12, hairs=1, faint=1.0)
    change = np.abs(dirty - clean)
    assert dirt.any() and float(change.max()) <= FAINT_STEP[1] + 1e-6
    # (a later step the other way can take back an earlier one where two overlap)
    assert (change[dirt] > 0.04).mean() > 0.9
    # outside the dirt and its rim, no more than a rim's coverage of the faint step
    assert change[~dirt & ~rim].max() <= RIM * FAINT_STEP[1] + 1e-6
    sharp, _, _ = lay_dirt(clean, np.random.default_rng(4), blots=12, hairs=1)
    assert float(np.abs(sharp - clean).max()) > FAINT_STEP[1]  # the usual dirt is bolder


def test_an_example_and_its_clean_twin(photos: Path) -> None:
    item = collect_items([photos])[0]
    dirty, mask, weight = make_speck_example(item, size=32, rng=np.random.default_rng(5), dirt=True)
    assert dirty.shape == mask.shape == weight.shape == (1, 32, 32)
    assert float(dirty.min()) >= 0.0 and float(dirty.max()) <= 1.0
    assert bool((weight[mask > 0] > 1).all())  # dirt weighs more: it is rare
    again = make_speck_example(item, size=32, rng=np.random.default_rng(5), dirt=True)
    assert all(torch.equal(a, b) for a, b in zip((dirty, mask, weight), again, strict=True))
    _, none, flat = make_speck_example(item, size=32, rng=np.random.default_rng(5), dirt=False)
    assert not bool(none.any()) and bool((flat == 1).all())


def test_a_run_resumes_and_exports_its_best_step(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    lines: list[str] = []
    kw = dict(size=32, batch=2, config="small", sample_every=2, val_fraction=0.3, lr=1e-3)
    first = train_speck_finder([photos], out, steps=4, print_fn=lines.append, **kw)
    assert first["step"] == 4 and Path(first["weights"]).is_file()
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    val = [r for r in rows if "val_f1" in r]
    assert [r["step"] for r in val] == [0, 2, 4]
    assert all(0.0 <= r["val_clean_taken"] <= 1.0 and 0.0 <= r["val_f1"] <= 1.0 for r in val)
    model, cfg, meta = load_model(first["weights"])
    assert meta["model"] == "speck_finder" and meta["card"]["trained"] is True
    assert cfg.widths == (4, 8)
    more = train_speck_finder([photos], out, steps=6, resume=True, print_fn=lines.append, **kw)
    assert more["step"] == 6 and any("steps 4..6" in line for line in lines)
    best = tmp_path / "best.safetensors"
    assert main(["train", "specks", "--out", str(out), "--export-best", str(best)]) == 0
    assert load_model(best)[2]["card"]["planned_steps"] == 6


def test_the_median_rule_takes_plain_specks_off_a_smooth_picture() -> None:
    y = torch.linspace(0.2, 0.8, 64).repeat(64, 1)
    y[30:32, 40:42] = 0.0
    found = median_rule(y)
    assert bool(found[30:32, 40:42].all()) and int(found.sum()) == 4


def test_eval_specks_scores_the_finder_and_the_rule(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    weights = train_speck_finder(
        [photos], tmp_path / "run", steps=2, size=32, batch=2, config="small", sample_every=2,
        val_fraction=0.3, print_fn=None,
    )["weights"]  # fmt: skip
    result = eval_specks([photos], weights=weights, strengths=(1.0, 0.5), split="all",
                         limit=3, side=64, print_fn=None)  # fmt: skip
    assert result["pictures"] == 3 and result["trained"] is True
    rows = result["rows"]
    assert set(rows) == {f"{k} / {m}" for k in ("clean", "grainy")
                         for m in ("finder 1", "finder 0.5", "median rule")}  # fmt: skip
    rule = rows["clean / median rule"]
    assert rule["cleaned_db"] > rule["dirty_db"] and rule["blots"] > 0.3
    assert main(["eval", "specks", "--data", str(photos), "--weights", weights, "--split", "all",
                 "--limit", "2", "--side", "48"]) == 0  # fmt: skip
    assert "median rule" in capsys.readouterr().out


def test_a_picture_smaller_than_the_crop_is_enlarged_to_it() -> None:
    """The enlarging draw can come out at 1 (no resize): a picture under the crop's size is
    brought up to it all the same (a run stopped at step 8,300 on one)."""
    from panchro.engine.train.specks import _view

    class Even:  # a draw that picks the enlarging branch at a scale of exactly 1
        def random(self) -> float:
            return 0.0

        def uniform(self, low: float, high: float) -> float:
            return low

        def integers(self, low: int, high: int) -> int:
            assert high > low, "no room for the crop"
            return low

    small = np.random.default_rng(1).random((80, 120)).astype(np.float32)
    assert _view(small, 96, Even()).shape == (96, 96)  # type: ignore[arg-type]
