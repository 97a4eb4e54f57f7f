"""A restore stopped by the signals scripts send: Ctrl-C's SIGINT, and SIGTERM from
`timeout`, cron or a job queue. Either is an interruption (exit 130, said on stderr, the
half-written chunk cleared away) and the same command resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from panchro.engine.paths import job_folder
from panchro.engine.restore.threads import wait_for_workers
from tests.makemedia import make_video


def _done_chunks(out: Path) -> int:
    try:
        manifest = json.loads((job_folder(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return 0
    return sum(1 for c in manifest.get("chunks", []) if c.get("status") == "done")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_restore_says_so_cleans_up_and_resumes(
    sig: signal.Signals, tmp_path: Path
) -> None:
    film = make_video(tmp_path / "film.mp4", frames=240, size=(320, 240), audio=False)
    out = tmp_path / "out.mp4"
    argv = [sys.executable, "-m", "panchro.engine", "restore", str(film), str(out),
            "--deflicker", "1", "--chunk-seconds", "1", "-q"]  # fmt: skip
    env = {**os.environ, "PANCHRO_USER_DIR": str(tmp_path / "user"), "PANCHRO_THREADS": "1"}
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _done_chunks(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the restore ended before it could be stopped"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err and "terminate called" not in err
    assert not out.exists()
    left = [p.name for p in job_folder(out).iterdir() if ".part" in p.name]
    assert not left, left  # the chunk it was writing is not left half-made
    kept = _done_chunks(out)
    assert kept >= 1
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert out.is_file() and not job_folder(out).exists()


def test_the_workers_of_a_stopped_run_are_waited_for() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait, name="panchro-stages", daemon=True)
    worker.start()
    assert not wait_for_workers(0.05)  # still in its batch
    release.set()
    assert wait_for_workers(5.0)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_stdout_to_a_full_disk_is_one_line_not_a_bug(tmp_path: Path) -> None:
    """`panchro info film > /dev/full` said "internal error (a bug…)" with a traceback."""
    film = make_video(tmp_path / "film.mp4", frames=6, audio=False)
    with open("/dev/full", "w") as full:
        argv = [sys.executable, "-m", "panchro.engine", "info", str(film)]
        proc = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "panchro: error: no space left to write the output ([Errno 28] No space left on device)"
    ]
