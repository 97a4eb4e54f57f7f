"""`panchro bench hints` times hint previews through a real engine: both cases, every edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from panchro.engine.bench.hints import bench_hints
from tests.makemedia import make_video
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner


def test_bench_hints_times_every_edit_in_both_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_small_colorizer(tmp_path, config=TINY28)
    save_small_refiner(tmp_path)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path))  # the engine process inherits it
    film = make_video(tmp_path / "film.mp4", frames=12, audio=False)
    lines: list[str] = []
    result = bench_hints(film, edits=3, out=lines.append)
    assert result["edits"] == 3 and result["film"] == str(film)
    for case in ("hints_alone", "over_a_pick"):
        row = result[case]
        assert 0 < row["min_s"] <= row["median_s"] <= row["max_s"] and row["first_s"] > 0
    assert lines[0].startswith("hint preview benchmark: film.mp4 160x120")
    assert any("over a pick" in line and "median" in line for line in lines)
