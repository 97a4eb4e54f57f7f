"""A real Ray cluster for tests that can only talk to itself: run in a network namespace with
nothing but loopback.

On Linux Ray registers a node under the machine's network address, and a test must send no
traffic anywhere but 127.0.0.1. So `run_script` re-executes a small Python script inside
`unshare -n` (a new network namespace, root only), brings `lo` up, and, when asked, starts a
Ray cluster there (`ray.init(num_cpus=2, include_dashboard=False)`) before the script's body
runs. Every address in `ray.nodes()` must be 127.0.0.1: otherwise the run fails (never skips).

`skip_reason()` says why these tests cannot run here (Ray not installed, `unshare` not
permitted), for `pytest.skip`. Ray's files (sockets, logs, its auth token) go to a short
temporary folder removed afterwards; HOME points there too, so nothing lands in the home of
the person running the tests.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NOT_LOOPBACK = 97  # the exit status of a script that found a node outside 127.0.0.1

# Starts Ray in the namespace and checks where its nodes are; the body follows.
_PREAMBLE = """
import os, sys
import ray

ray.init(num_cpus=2, include_dashboard=False, logging_level="warning",
         _temp_dir=os.environ["PANCHRO_TEST_RAY_DIR"])
_addresses = sorted({n["NodeManagerAddress"] for n in ray.nodes()})
if _addresses != ["127.0.0.1"]:
    print(f"ray nodes outside loopback: {_addresses}", file=sys.stderr)
    ray.shutdown()
    sys.exit(97)
"""


@functools.cache
def skip_reason() -> str | None:
    """Why a loopback cluster cannot run here, or None when it can."""
    if importlib.util.find_spec("ray") is None:
        return "Ray is not installed (pip install 'panchro[cluster]')"
    unshare = shutil.which("unshare")
    ip = shutil.which("ip") or next(
        (p for p in ("/usr/sbin/ip", "/sbin/ip") if os.path.exists(p)), None
    )
    if unshare is None or ip is None:
        return "needs `unshare` and `ip` (util-linux, iproute2) for a loopback-only network"
    probe = subprocess.run(
        [unshare, "-n", ip, "link", "set", "lo", "up"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"`unshare -n` is not permitted here: {probe.stderr.strip() or probe.returncode}"
    return None


def run_script(
    body: str,
    *,
    ray_cluster: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `body` (Python) in a loopback-only network namespace -> the finished process
    (stdout, stderr). With `ray_cluster`, a 2-CPU Ray cluster is started there first and
    its nodes checked (AssertionError when one is not on 127.0.0.1); it stops with the script.
    The script runs in the repository with its `tests` importable; `env` adds variables."""
    ip = shutil.which("ip") or "/usr/sbin/ip"
    ray_dir = tempfile.mkdtemp(prefix="pr-ray-")  # short: Ray's socket paths have a limit
    try:
        code = (_PREAMBLE if ray_cluster else "") + textwrap.dedent(body)
        if ray_cluster:
            code += "\nray.shutdown()\n"
        variables = {
            **os.environ,
            "HOME": ray_dir,
            "PANCHRO_TEST_RAY_DIR": ray_dir,
            "PYTHONPATH": os.pathsep.join(
                [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "RAY_USAGE_STATS_ENABLED": "0",
            **(env or {}),
        }
        script = Path(ray_dir) / "script.py"
        script.write_text(code, encoding="utf-8")
        shell = f'{ip} link set lo up && exec "$0" "$1"'
        done = subprocess.run(
            ["unshare", "-n", "sh", "-c", shell, sys.executable, str(script)],
            cwd=REPO,
            env=variables,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        shutil.rmtree(ray_dir, ignore_errors=True)
    if done.returncode == NOT_LOOPBACK:
        raise AssertionError(f"a Ray node registered outside loopback: {done.stderr[-2000:]}")
    return done
