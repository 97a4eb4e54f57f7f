"""`make selftest-bundle` and `make package-archive` without a bundle (no venv, or before
`make package`) say to run `make package` first, not `dist//Panchro: not found` or tar's
"empty archive"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("target", ["selftest-bundle", "package-archive"])
def test_no_bundle_says_run_make_package(target: str) -> None:
    if shutil.which("make") is None:
        pytest.skip("no make here")
    done = subprocess.run(["make", "-s", target, "VENV=/nonexistent-venv"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "run make package first" in done.stdout, done.stdout + done.stderr
    assert "not found" not in done.stderr and "empty archive" not in done.stderr
