"""`bench restore --cluster local --workers ...` runs end to end on a tiny clip on the
loopback-only cluster, and reports its figures (never asserts a time); wrong options are
refused in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from panchro.engine import cli
from panchro.engine.cluster import loopback
from tests.makemodels import TINY28, save_small_colorizer, save_small_refiner, save_small_upscaler


@pytest.mark.slow
def test_bench_restore_cluster_runs_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reason = loopback.skip_reason()
    if reason:
        pytest.skip(reason)
    from panchro.engine.bench.cluster import bench_restore_cluster

    save_small_colorizer(tmp_path, config=TINY28)  # the shipped models' stand-ins
    save_small_refiner(tmp_path)
    save_small_upscaler(tmp_path, scale=2)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(tmp_path))

    lines: list[str] = []
    result = bench_restore_cluster(
        workers=(1,), width=64, height=48, seconds=1.0, chunk_seconds=0.25, out=lines.append
    )
    run = result["runs"][1]
    assert run["frames"] == 24 and run["chunks"] >= 2 and run["workers_started"] == 1
    assert run["fps"] > 0 and run["render_s"] <= run["total_s"]
    assert "efficiency" not in run  # one worker: nothing to scale against
    assert any("1 worker(s):" in line and "fps rendering" in line for line in lines)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--cluster", "head:6379"], "use --cluster local"),
        (["--workers", "1,2"], "--workers goes with --cluster local"),
        (["--cluster", "local", "--models"], "two benchmarks"),
    ],
)
def test_bench_restore_cluster_options_are_checked(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["bench", "restore", *argv]) == cli.EXIT_BAD_INPUT
    assert words in capsys.readouterr().err


def test_bench_restore_workers_must_be_counts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["bench", "restore", "--cluster", "local", "--workers", "0,2"])
    assert "worker counts are 1 or more" in capsys.readouterr().err
