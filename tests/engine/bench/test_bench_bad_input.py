"""`panchro bench` refuses bad options in one line, `panchro: error: ...`, with a non-zero
exit and before any work: never a traceback, never figures of something not asked for
(random weights timed in place of a file that is not there)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from panchro.engine import cli
from tests.makemodels import save_small_set


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["sample", "-k", "a"], "-k 'a': give whole numbers"),
        (["sample", "-k", "1,0"], "each must be 1 or more"),
        (["sample", "--device", "tpu"], "--device 'tpu' is not one Panchro runs on"),
        (["refine", "--device", "gpu"], "a GPU is `cuda`"),
        (["upscale", "--device", "mps"], "use cpu or cuda"),
        (["stages", "--device", "tpu"], "use cpu or cuda"),
        (["refine", "--weights", "/nonexist.safetensors"], "no such file"),
        (["refine", "--batches", "x"], "--batches 'x'"),
        (["hints", "--film", "/nope.mp4"], "--film /nope.mp4: no such file"),
        (["hints", "--edits", "1"], "--edits must be 2 or more"),
        (["scrub", "--seconds", "0"], "--seconds must be above 0, got 0"),
        (["scrub", "--reads", "0"], "--reads must be 1 or more"),
        (["io", "--seconds", "-1"], "--seconds must be above 0, got -1"),
        (["io", "--minutes", "0"], "--minutes must be above 0"),
        (["restore", "--seconds", "-2"], "--seconds must be above 0"),
        (["restore", "--models", "--device", "tpu"], "use cpu or cuda"),
    ],
)
def test_bad_options_are_one_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["bench", *argv]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("panchro: error: ") and err.count("\n") == 1, err
    assert words in err, err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_cuda_where_there_is_none_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "upscale", "--device", "cuda"]) == cli.EXIT_BAD_INPUT
    assert "no CUDA device is available here" in capsys.readouterr().err


def test_a_film_the_engine_cannot_read_is_the_inputs_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a film")
    assert cli.main(["bench", "hints", "--film", str(junk)]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith(f"panchro: error: cannot open {junk}") and "Traceback" not in err, err


def test_bench_restore_models_names_no_file_it_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(save_small_set(tmp_path / "models")))
    argv = ["restore", "--models", "--size", "64x48", "--seconds", "0.25", "--codec", "ffv1",
            "--device", "cpu"]  # fmt: skip
    assert cli.main(["bench", *argv]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "panchro-bench-" not in out and "restoration record:" not in out, out
    assert "not kept" in out
