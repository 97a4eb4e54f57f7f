"""The GPU kit's make targets as a fresh checkout runs them: the data root is a variable, the
links folder is this checkout's own, the kit's python is the venv's where there is one, and
`gpu-kit-smoke` packs a few pictures of its own (a pack made in seconds, kit/ left alone)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panchro.engine.train.data import pack_shards
from panchro.engine.train.kit import SMOKE_PACK_PARTS, SMOKE_PLAN, pack_problems, plans_served

ROOT = Path(__file__).resolve().parents[3]


def _dry_run(*argv: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("no make here")
    done = subprocess.run(["make", "-n", "-s", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_pack_reads_the_data_variable() -> None:
    assert "kit-pack --data /elsewhere/data --kit kit" in _dry_run(
        "gpu-kit-pack", "DATA=/elsewhere/data"
    )
    assert "--data ../shared/data" in _dry_run("gpu-kit-pack")


def test_the_links_are_this_checkouts_and_its_venv_runs_the_kit() -> None:
    script = _dry_run("gpu-kit", "OUT=/tmp/o", "KIT_ARGS=--smoke")
    assert f"rm -rf {ROOT}/build/kit-path/panchro " in script, script
    assert "/tmp/panchro-kit-path" not in script
    python = ".venv/bin/python" if (ROOT / ".venv/bin/python").exists() else "python3"
    assert f" {python} -m panchro.engine train kit --out /tmp/o --kit kit --smoke" in script


def test_the_smoke_target_packs_its_own_kit() -> None:
    script = _dry_run("gpu-kit-smoke", "OUT=/tmp/o", "DATA=/d")
    assert "train kit-pack --smoke --data /d --kit build/kit-smoke" in script, script
    assert "train kit --out /tmp/o --kit build/kit-smoke --smoke" in script


def test_the_smoke_pack_serves_the_smoke_plan() -> None:
    manifest = {"parts": [{"name": p.name, "size": p.size, "images": p.limit}
                          for p in SMOKE_PACK_PARTS]}  # fmt: skip
    assert pack_problems(SMOKE_PLAN, manifest) == []
    assert plans_served(manifest)["smoke"] == []


def test_a_limited_pack_stops_at_its_limit(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(7):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(src / f"{i}.png")
    made = pack_shards([src], tmp_path / "out", size=32, per_shard=2, limit=3)
    assert made["images"] == 3 and len(made["shards"]) == 2
