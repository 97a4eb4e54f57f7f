"""`panchro train`: --export-best trains nothing, so it asks for neither --data nor --scale and
says plainly when the folder holds no run; a start that fails (missing data, --resume into an
empty folder) leaves no run folder behind, nor an empty samples/ in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.cli import EXIT_BAD_INPUT, EXIT_OK, main
from panchro.engine.models.weights import load_model
from panchro.engine.train.upscaler import train_upscaler

RUN = {"scale": 2, "config": "small", "steps": 8, "batch": 2, "patch": 16, "frames": 1,
       "log_every": 2, "sample_every": 4, "checkpoint_every": 2, "device": "cpu"}  # fmt: skip


def _photos(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_export_best_needs_only_the_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert train_upscaler([_photos(tmp_path / "p")], run, stop_at=6, **RUN)["step"] == 6
    out = tmp_path / "best.safetensors"
    assert main(["train", "upscaler", "--out", str(run), "--export-best", str(out)]) == EXIT_OK
    assert load_model(out)[2]["card"]["planned_steps"] == 8


@pytest.mark.parametrize("model", ["upscaler", "colorizer", "refiner", "hints"])
def test_export_best_from_a_folder_without_a_run_says_so(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", model, "--out", str(tmp_path), "--export-best", str(tmp_path / "w.st")]
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "no training run here to export from" in err and "resume" not in err, err


def test_training_still_needs_data_and_an_upscalers_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "colorizer", "--out", str(tmp_path / "c")]) == EXIT_BAD_INPUT
    assert "--data is needed to train" in capsys.readouterr().err
    assert main(["train", "upscaler", "--data", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "--scale is needed" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_a_failed_start_leaves_no_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "new_run"
    argv = ["train", "upscaler", "--scale", "2", "--data", str(tmp_path / "nope"), "--out"]
    assert main([*argv, str(out)]) == EXIT_BAD_INPUT
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    photos = _photos(tmp_path / "p")
    argv = ["train", "upscaler", "--scale", "2", "--data", str(photos), "--resume", "--out"]
    assert main([*argv, str(empty)]) == EXIT_BAD_INPUT
    assert empty.is_dir() and not any(empty.iterdir())
