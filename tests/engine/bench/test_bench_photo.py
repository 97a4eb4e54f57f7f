"""`bench_photo` runs end to end on a small picture and reports its figures (never times)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_bench_photo_runs_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from panchro.engine.bench.photo import bench_photo
    from tests.makemodels import (
        TINY28,
        save_small_colorizer,
        save_small_refiner,
        save_small_speck_finder,
    )

    save_small_colorizer(tmp_path, config=TINY28)
    save_small_refiner(tmp_path)
    save_small_speck_finder(tmp_path)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path))  # the child process inherits it
    lines: list[str] = []
    result = bench_photo(width=320, height=240, out=lines.append)
    for case in ("re-save", "colorize", "dust"):
        row = result["rows"][case]
        assert row["exit_code"] == 0, row["said"]
        assert row["seconds"] > 0 and row["output_mb"] > 0
        assert row["peak_mb"] is None or row["peak_mb"] > 10
    assert any("peak RSS" in line for line in lines)
    assert any("UNTRAINED" in line for line in lines)  # the child's notes are shown
    assert any("dust: " in line for line in lines)  # what the finder took, said
