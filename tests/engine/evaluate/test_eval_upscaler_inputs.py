"""`panchro eval upscaler` says plainly what is wrong with its inputs: another model's weights
are named as such (no AttributeError), and a --data that is not a folder says so, and where
the benchmark sets are, instead of asking for the --data that was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from panchro.engine import cli
from tests.makemodels import save_small_colorizer, save_small_upscaler


def test_a_colorizers_weights_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    colorizer = save_small_colorizer(tmp_path)
    argv = ["eval", "upscaler", "--scale", "2", "--weights", str(colorizer)]
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "holds a colorizer's weights, not an upscaler's" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_bare_set_name_is_not_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    weights = save_small_upscaler(tmp_path / "m", scale=2)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    for data, said in (("Set5", "nothing is there"), ("notes.txt", "is a file, not a folder")):
        argv = ["eval", "upscaler", "--scale", "2", "--weights", str(weights), "--data", data]
        assert cli.main(argv) == cli.EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert f"{data}: {said}" in err and "sr_eval/Set5" in err, err
        assert "(pass --data)" not in err
