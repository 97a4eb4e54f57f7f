"""What `make run` says and checks before the app starts (issue 15), read from `make -n`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def _dry_run(*args: str, **env: str) -> list[str]:
    run = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.splitlines()


def test_setting_up_the_venv_says_what_the_wait_is_for() -> None:
    lines = _dry_run("-W", "pyproject.toml", "venv")  # as if pyproject.toml had changed
    said = next(n for n, line in enumerate(lines) if "Setting up .venv" in line)
    first_pip = next(n for n, line in enumerate(lines) if "pip install" in line)
    assert said < first_pip
    assert "PyTorch CPU build, about 1 GB, a minute or so" in lines[said]


def test_run_checks_that_qt_can_open_a_window_before_starting_the_app() -> None:
    recipe = "\n".join(_dry_run("-o", ".venv/.installed", "run", DISPLAY=":0"))
    check = recipe.index("panchro.gui.display_check")
    assert check < recipe.index("panchro-gui ")
    assert "|| exit 1" in recipe[check : recipe.index("panchro-gui ")]
