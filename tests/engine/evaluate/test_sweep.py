"""An architecture sweep read back: each held-out row placed at the CPU minutes the run had
spent (the wall clock only where a log has no CPU time, and said), runs compared at the same
CPU minutes, runs scored on other windows refused, and the curves drawn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.errors import BadInputError
from panchro.engine.evaluate.sweep import PALETTE, plot_sweep, read_run, read_sweep, sweep_table
from panchro.engine.models.upscaler import UpscalerConfig, macs_per_pixel


def _run(
    folder: Path,
    *,
    channels: int,
    blocks: int,
    cpu_per_step: float,
    vals: dict[int, float],
    bicubic: float = 28.0,
    cpu: bool = True,
) -> Path:
    folder.mkdir(parents=True)
    cfg = UpscalerConfig(scale=2, frames=1, channels=channels, blocks=blocks, kind="sharp")
    last = max(vals)
    record = {"config": cfg.to_dict(), "patch": 48, "step": last}
    (folder / "checkpoint.json").write_text(json.dumps(record))
    rows = []
    for step in range(50, last + 1, 50):
        row = {"step": step, "loss": 0.02, "windows_per_s": 100.0, "elapsed_s": 3 * step}
        if cpu:
            row["cpu_s"] = cpu_per_step * step  # the wall clock ran 3 s a step: a busy machine
        rows.append(row)
        if step in vals:
            rows.append({"step": step, "val_psnr": vals[step], "val_bicubic_psnr": bicubic})
    text = "\n".join(json.dumps(r) for r in rows) + '\n{"step": 99'  # a torn last line
    (folder / "log.jsonl").write_text(text)
    return folder


def test_rows_are_placed_at_cpu_minutes_and_compared_there(tmp_path: Path) -> None:
    # A cheap run: 0.6 CPU-s a step; a dear one: 2.4 CPU-s a step, better per step.
    cheap = _run(tmp_path / "cheap", channels=16, blocks=2, cpu_per_step=0.6,
                 vals={100: 29.0, 200: 29.5, 400: 30.0, 800: 30.2})  # fmt: skip
    dear = _run(tmp_path / "dear", channels=64, blocks=4, cpu_per_step=2.4,
                vals={100: 29.6, 200: 30.1})  # fmt: skip
    a, b = read_sweep([cheap, dear])
    assert a.clock == b.clock == "cpu"
    assert [p[0] for p in a.points] == pytest.approx([1.0, 2.0, 4.0, 8.0])  # minutes
    assert [p[0] for p in b.points] == pytest.approx([4.0, 8.0])
    assert a.at(3.0) == pytest.approx(29.75) and b.at(3.0) is None  # b's first row: 4 min
    assert a.at(8.0) == pytest.approx(30.2) and b.at(8.0) == pytest.approx(30.1)
    assert a.at(9.0) is None and a.best == 30.2
    cfg = UpscalerConfig(scale=2, frames=1, channels=64, blocks=4, kind="sharp")
    assert b.macs == round(macs_per_pixel(cfg) / 4) and b.params > a.params
    table = sweep_table([a, b], [2, 4, 8])
    head, _, first, second = table.splitlines()
    assert "2 CPU-min | 4 CPU-min | 8 CPU-min" in head
    # per CPU-minute the cheap run leads at 4 and 8 minutes, though the dear one is better
    # per step
    assert "| **+1.50** | **+2.00** | **+2.20** | **+2.20** (8.0) |" in first
    assert "| – | +1.60 | +2.10 | +2.10 (8.0) |" in second


def test_a_log_without_cpu_time_uses_the_wall_clock_and_says_so(tmp_path: Path) -> None:
    old = read_run(_run(tmp_path / "old", channels=32, blocks=4, cpu_per_step=1.0,
                        vals={100: 29.0, 200: 29.4}, cpu=False))  # fmt: skip
    assert old.clock == "wall" and [p[0] for p in old.points] == pytest.approx([5.0, 10.0])
    assert "old (wall clock)" in sweep_table([old], [5])


def test_runs_scored_on_other_windows_are_refused(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", channels=16, blocks=2, cpu_per_step=1, vals={100: 29.0})
    b = _run(tmp_path / "b", channels=16, blocks=2, cpu_per_step=1, vals={100: 29.0},
             bicubic=27.5)  # fmt: skip
    with pytest.raises(BadInputError, match="b held out other windows than a"):
        read_sweep([a, b])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="not a finished training run"):
        read_sweep([tmp_path / "empty"])


def test_the_curves_are_drawn_one_colour_a_run(tmp_path: Path) -> None:
    runs = read_sweep(
        [
            _run(tmp_path / "a", channels=16, blocks=2, cpu_per_step=0.6,
                 vals={100: 29.0, 200: 29.5}),
            _run(tmp_path / "b", channels=32, blocks=2, cpu_per_step=1.2,
                 vals={100: 29.2, 200: 29.9}),
        ]
    )  # fmt: skip
    png = plot_sweep(runs, tmp_path / "curves.png")
    pixels = np.asarray(Image.open(png).convert("RGB"))
    assert pixels.shape == (520, 900, 3)
    for colour in PALETTE[:2]:
        assert (pixels == colour).all(axis=2).sum() > 50  # a line and a key of each colour


def test_the_command_prints_the_table_and_writes_the_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from panchro.engine.cli import main

    run = _run(tmp_path / "r", channels=16, blocks=2, cpu_per_step=0.6, vals={100: 29.0})
    code = main(["eval", "sweep", str(run), "--minutes", "1", "--plot", str(tmp_path / "c.png")])
    out = capsys.readouterr().out
    assert code == 0 and "| r | 16 × 2 | 48 |" in out and (tmp_path / "c.png").is_file()


def _colour_run(
    folder: Path, *, image_size: int, cpu_per_step: float, vals: dict[int, float], data: str = "d1"
) -> Path:
    from panchro.engine.models.colorizer import ColorizerConfig

    folder.mkdir(parents=True)
    small = ColorizerConfig.small()
    # the small test net seeing 32 or 64 px: a stride-1 or stride-2 stem onto its 8 x 8 chroma
    cfg = ColorizerConfig(**{**small.to_dict(), "image_size": image_size,
                             "stem_stride": image_size // 32})  # fmt: skip
    last = max(vals)
    record = {"format": "panchro.train.colorizer.v1", "config": cfg.to_dict(), "step": last,
              "data_fingerprint": data}  # fmt: skip
    (folder / "checkpoint.json").write_text(json.dumps(record))
    rows = []
    for step in range(50, last + 1, 50):
        rows.append({"step": step, "loss": 1.0, "bits": 1.4, "images_per_s": 10.5,
                     "elapsed_s": 3 * step, "cpu_s": cpu_per_step * step})  # fmt: skip
        if step in vals:
            rows.append({"step": step, "val_bits": vals[step], "val_images": 64})
    (folder / "log.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    return folder


def test_colorizer_runs_compare_bits_per_cpu_minute_lower_is_better(tmp_path: Path) -> None:
    big = _colour_run(tmp_path / "big", image_size=64, cpu_per_step=1.2,
                      vals={100: 1.30, 200: 1.10})  # fmt: skip
    small = _colour_run(tmp_path / "small", image_size=32, cpu_per_step=0.6,
                        vals={100: 1.40, 200: 1.20, 400: 1.05})  # fmt: skip
    a, b = read_sweep([big, small])
    assert a.kind == b.kind == "colorizer" and a.lower_is_better
    assert [p[0] for p in b.points] == pytest.approx([1.0, 2.0, 4.0])
    assert a.best == 1.10 and b.best == 1.05
    # a stride-2 stem on 64 px and a stride-1 stem on 32 px give the same 32 x 32 map: the
    # same weights and the same multiply-adds, only what the network sees differs
    assert a.macs == b.macs > 0 and a.params == b.params
    table = sweep_table([a, b], [2, 4])
    head, _, first, second = table.splitlines()
    assert "input px | PixelCNN channels × layers" in head and "pictures/s" in head
    # at 2 minutes the big run measured 1.30 and the small one 1.20: the lower is bold
    assert first.startswith("| big | 64 | 16 × 3 |") and "| 1.300 | 1.100 | 1.100 (4.0) |" in first
    assert "| **1.200** | **1.050** | **1.050** (4.0) |" in second
    png = plot_sweep([a, b], tmp_path / "bits.png")
    pixels = np.asarray(Image.open(png).convert("RGB"))
    assert all((pixels == c).all(axis=2).sum() > 50 for c in PALETTE[:2])


def test_colorizer_runs_on_other_data_or_beside_upscalers_are_refused(tmp_path: Path) -> None:
    a = _colour_run(tmp_path / "a", image_size=64, cpu_per_step=1, vals={100: 1.2})
    b = _colour_run(tmp_path / "b", image_size=64, cpu_per_step=1, vals={100: 1.2}, data="d2")
    with pytest.raises(BadInputError, match="b held out other pictures than a"):
        read_sweep([a, b])
    up = _run(tmp_path / "up", channels=16, blocks=2, cpu_per_step=1, vals={100: 29.0})
    with pytest.raises(BadInputError, match="one sweep at a time"):
        read_sweep([a, up])
