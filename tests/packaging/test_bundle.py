"""The built bundle (`make package`), when there is one: it runs without this checkout's Python,
says its version, and passes its own self-test headless. Skipped without a bundle of this
version in dist/ (building one takes minutes; CI runs `make package selftest-bundle`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from panchro.engine import __version__

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import bundle  # noqa: E402

BUNDLE = ROOT / "dist" / bundle.bundle_name(__version__)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BUNDLE / "Panchro").is_file(), reason=f"no bundle at {BUNDLE}"),
]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # No venv on PATH either: the bundle must carry everything it needs.
    env["PATH"] = "/usr/bin:/bin"
    env["PANCHRO_USER_DIR"] = str(tmp_path / "user")
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_the_bundle_says_its_version(tmp_path: Path) -> None:
    for exe, name in (("Panchro", "Panchro"), ("panchro-engine", "panchro")):
        done = subprocess.run(
            [str(BUNDLE / exe), "--version"],
            env=_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and done.stdout.strip() == f"{name} {__version__}"
    assert (BUNDLE / "VERSION").read_text().strip() == __version__


def test_the_bundle_passes_its_self_test_headless(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BUNDLE / "Panchro"), "--self-test"],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED:" in done.stdout
    assert f"engine: {BUNDLE / 'panchro-engine'} engine serve" in done.stdout
