"""The hint refiner's training (examples as at inference, starts as Levin, resumes, exports its
best step) and `panchro eval hints` (a simulated user; Levin beats grey on made pictures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panchro.engine.cli import main
from panchro.engine.evaluate.hints import eval_hints, simulated_points, simulated_strokes
from panchro.engine.models.refiner import build
from panchro.engine.models.weights import load_model
from panchro.engine.train.data import collect_items
from panchro.engine.train.hints import (
    hint_config,
    hint_loss,
    init_from_refiner,
    make_hint_example,
    random_hints,
    random_points,
    random_strokes,
    train_hint_refiner,
)
from tests.engine.train.test_train_refiner import picture
from tests.makemodels import save_small_refiner


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hint_photos")
    for i in range(10):
        Image.fromarray(picture(i)).save(root / f"h{i:02d}.png")
    return root


def test_an_example_is_grey_levin_points_and_truth(photos: Path) -> None:
    item = collect_items([photos])[0]
    grey, base, points, target = make_hint_example(
        item, size=24, rng=np.random.default_rng(0)
    )  # fmt: skip
    assert grey.shape == (1, 24, 24) and base.shape == target.shape == (2, 24, 24)
    assert points.shape == (3, 24, 24)
    mask = points[2] > 0
    assert 1 <= int(mask.sum()) <= 64 * 4
    # Levin's base holds the points, and the points are near the truth there
    assert torch.allclose(base[:, mask], points[:2, mask], atol=1e-5)
    assert (points[:2, mask] - target[:, mask]).abs().mean() < 0.08
    again = make_hint_example(item, size=24, rng=np.random.default_rng(0))
    assert all(torch.equal(a, b) for a, b in zip((grey, base), again[:2], strict=True))


def _halves() -> np.ndarray:
    """Red on the left, blue on the right, with a little noise."""
    img = np.zeros((80, 120, 3), np.float32)
    img[:, :60] = [200, 40, 30]
    img[:, 60:] = [30, 60, 210]
    img += np.random.default_rng(1).normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_a_simulated_stroke_stays_on_one_colour_and_takes_it() -> None:
    rgb = _halves()
    hints = random_strokes(rgb, 30, np.random.default_rng(5))
    assert len(hints.strokes) == 30 and not hints.points
    long = 0
    for s in hints.strokes:
        xs = [x for x, _ in s.points]
        left = xs[0] < 60
        # the hand stops before the other half (the 3 x 3 mean at the seam is already off)
        assert all((x < 61) if left else (x >= 59) for x in xs)
        want = (200, 40, 30) if left else (30, 60, 210)
        assert np.abs(np.subtract(s.rgb, want)).max() <= 4
        assert 2.0 <= s.width <= 0.03 * 80 + 1e-6
        long += len(s.points) > 3
    assert long >= 15  # most strokes are strokes, not dots
    assert random_strokes(rgb, 3, np.random.default_rng(5)) == random_strokes(
        rgb, 3, np.random.default_rng(5)
    )


def test_stroke_examples_only_when_asked_and_old_examples_unchanged() -> None:
    rgb = _halves()
    # without strokes the random draws are as before strokes existed (old runs resume alike)
    a = random_hints(rgb, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    n = int(round(np.exp(rng.uniform(0.0, np.log(64)))))
    assert a == random_points(rgb, n, rng) and not a.strokes
    drawn = [random_hints(rgb, np.random.default_rng(i), stroke_share=1.0) for i in range(20)]
    assert all(1 <= len(h.strokes) <= 16 and len(h.points) <= 16 for h in drawn)
    half = [random_hints(rgb, np.random.default_rng(i), stroke_share=0.5) for i in range(60)]
    assert 15 <= sum(bool(h.strokes) for h in half) <= 45


def test_the_loss_is_minus_the_mean_picture_psnr() -> None:
    target = torch.zeros(2, 2, 4, 4)
    pred = target.clone()
    pred[0] += 0.1  # one picture off by 0.1, one perfect
    loss, mse = hint_loss(pred, target)
    expected = (np.log10(0.01 + 1e-5) + np.log10(1e-5)) / 2 * 0.01
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(mse) == pytest.approx(0.005)


def test_a_run_starts_as_levin_resumes_and_exports(photos: Path, tmp_path: Path) -> None:
    ref = save_small_refiner(tmp_path / "ref")
    model = build(hint_config("small")).eval()
    with pytest.raises(Exception, match="another shape"):
        init_from_refiner(model, ref, print)  # the test refiner's hint is 28, small's is 8
    out = tmp_path / "run"
    lines: list[str] = []
    kw = dict(size=24, batch=2, config="small", sample_every=2, val_fraction=0.3, lr=1e-3)
    first = train_hint_refiner([photos], out, steps=4, time_limit=None, print_fn=lines.append,
                               **kw)  # fmt: skip
    assert first["step"] == 4 and Path(first["weights"]).is_file()
    val0 = json.loads((out / "log.jsonl").read_text().splitlines()[0])
    assert val0["val_psnr"] == pytest.approx(val0["levin_psnr"], abs=1e-4)  # head at zero
    _, cfg, meta = load_model(first["weights"])
    assert cfg.point_hints and meta["card"]["trained"] is True and meta["card"]["steps"] == 4
    more = train_hint_refiner([photos], out, steps=6, resume=True, print_fn=lines.append, **kw)
    assert more["step"] == 6
    assert any("steps 4..6" in line for line in lines)
    with pytest.raises(Exception, match="stroke_share"):  # strokes would change the stream
        train_hint_refiner([photos], out, steps=8, resume=True, stroke_share=0.5, **kw)


def test_a_run_with_strokes_scores_them_apart(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    kw = dict(size=24, batch=2, config="small", sample_every=2, val_fraction=0.3, lr=1e-3)
    done = train_hint_refiner([photos], out, steps=2, stroke_share=0.5, print_fn=None, **kw)
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    val = [r for r in rows if "val_psnr" in r]
    assert val and all("val_stroke_psnr" in r and "levin_stroke_psnr" in r for r in val)
    assert val[0]["val_stroke_psnr"] == pytest.approx(val[0]["levin_stroke_psnr"], abs=1e-4)
    _, _, meta = load_model(done["weights"])
    assert "strokes" in meta["card"]["hints"]


def test_eval_hints_scores_grey_levin_and_the_learned_row(photos: Path, tmp_path: Path) -> None:
    rgb = np.asarray(Image.open(photos / "h00.png"))
    pts = simulated_points(rgb, 5, "h00.png", 0)
    assert len(pts.points) == 5 and pts == simulated_points(rgb, 5, "h00.png", 0)
    assert pts != simulated_points(rgb, 5, "h01.png", 0)
    sheet = tmp_path / "sheet.png"
    result = eval_hints([photos], points=(1, 10), learned=None, split="all", limit=6,
                        out_sheet=sheet, print_fn=None)  # fmt: skip
    m = result["methods"]
    assert result["images"] == 6 and set(m) == {"grey", "levin"}
    assert m["levin"][10]["psnr"] > m["grey"][10]["psnr"] + 3
    assert m["levin"][10]["de00"] < m["grey"][10]["de00"]
    assert m["levin"][10]["psnr"] > m["levin"][1]["psnr"]
    assert Image.open(sheet).size[0] > 0
    assert "no weights" in eval_hints([photos], points=(1,), learned=tmp_path / "x.safetensors",
                                      split="all", limit=1, print_fn=None)["learned"]  # fmt: skip


def test_eval_hints_with_strokes(photos: Path) -> None:
    rgb = np.asarray(Image.open(photos / "h00.png"))
    s = simulated_strokes(rgb, 4, "h00.png", 0)
    assert len(s.strokes) == 4 and s == simulated_strokes(rgb, 4, "h00.png", 0)
    result = eval_hints([photos], points=(1, 5), kind="strokes", learned=None, split="all",
                        limit=6, print_fn=None)  # fmt: skip
    m = result["methods"]
    assert result["kind"] == "strokes"
    assert m["levin"][5]["psnr"] > m["grey"][5]["psnr"] + 2
    assert m["levin"][5]["psnr"] > m["levin"][1]["psnr"]
    with pytest.raises(Exception, match="points or strokes"):
        eval_hints([photos], kind="scribbles", learned=None, print_fn=None)


def test_cli_eval_hints_prints_the_table(photos: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["eval", "hints", "--data", str(photos), "--points", "3", "--split", "all",
                 "--limit", "2", "--no-learned"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "levin over grey: N=3" in out and "PSNR N=3" in out
    assert "points 3" in out
    code = main(["eval", "hints", "--data", str(photos), "--strokes", "2", "--split", "all",
                 "--limit", "2", "--no-learned"])  # fmt: skip
    assert code == 0 and "strokes 2" in capsys.readouterr().out
