"""`bench_album` runs end to end on a few small pictures and reports its figures (never
asserts a time)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_bench_album_runs_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from panchro.engine.bench.album import album_pictures, bench_album
    from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner

    save_small_colorizer(tmp_path, config=TINY28)
    save_small_refiner(tmp_path)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path))
    lines: list[str] = []
    result = bench_album(count=3, megapixels=0.01, out=lines.append)
    for case in ("re-save", "colorize"):
        row = result["rows"][case]
        assert row["restored"] == 3 and row["failed"] == []
        assert row["pictures_per_s"] > 0 and row["median_s"] > 0
    assert any("pictures/s" in line for line in lines)
    assert any("UNTRAINED" in line for line in lines)
    # The scans are an album by the rule: their sizes differ.
    from panchro.engine import media

    made = album_pictures(tmp_path / "scans", 3, 0.01)
    assert len({media.picture_header(p).width for p in made}) == 3
    assert media.read_folder_as(tmp_path / "scans").kind == "album"
