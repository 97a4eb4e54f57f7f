"""A real Ray cluster that can only talk to itself, for tests and benchmarks on one machine.

On Linux Ray registers a node under the machine's network address even when told 127.0.0.1,
and a test or a benchmark must send no traffic anywhere but loopback. So `run_script` runs a
small Python script inside new network and PID namespaces (`unshare --net --pid`, root
only): the network has nothing but `lo`, where Ray falls back to 127.0.0.1, and every
process started there dies with the script, whatever stops it (a timeout, a kill), so no
stray raylet outlives a run. Every address in `ray.nodes()` must be 127.0.0.1: otherwise the
run fails with an AssertionError (it never skips).

Two kinds of cluster, started before the script's body runs:

* `cluster="init"`: `ray.init(num_cpus=cpus)`, the cluster `--cluster local` makes.
* `cluster="nodes"`: a head started with `ray start --head` (`cpus` CPUs) and the driver
  connected to it at `ADDRESS`; the body may then call `add_node(cpus, env=None)` (a second
  node, `ray start --address`, in its own session; returns its process) and
  `kill_node(process)` (SIGKILL to every process of that node, as a machine lost: its
  raylet, its agents and its workers; returns once Ray has marked the node dead). The head
  notices a dead node within about 2 s here (its health checks are made quick).

`skip_reason()` says why this cannot run here (Ray not installed, namespaces not permitted),
for a test's `pytest.skip` or a benchmark's refusal. Ray's files (sockets, logs, its token)
go to a short temporary folder removed afterwards; HOME points there too, so nothing lands in
the home of the person running it.
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
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

NOT_LOOPBACK = 97  # the exit status of a script that found a node outside 127.0.0.1
PORT = 6379  # the head's port: a fresh network namespace has every port free
ADDRESS = f"127.0.0.1:{PORT}"
# Unshare: a network with only `lo`; a PID namespace whose first process is the script, so
# that everything Ray starts dies with it (--kill-child: and the script dies with unshare).
UNSHARE = ["--net", "--pid", "--fork", "--kill-child", "--mount-proc"]

_COMMON = """
import json, os, signal, socket, subprocess, sys, time
import ray

_RAY_DIR = os.environ["PANCHRO_LOOPBACK_RAY_DIR"]
_RAY = [sys.executable, "-m", "ray.scripts.scripts"]
ADDRESS = "{address}"


def _check_loopback():
    addresses = sorted({{n["NodeManagerAddress"] for n in ray.nodes()}})
    if addresses != ["127.0.0.1"]:
        print(f"ray nodes outside loopback: {{addresses}}", file=sys.stderr)
        sys.exit({not_loopback})


def _alive():
    return [n for n in ray.nodes() if n["Alive"]]


def _wait(what, test, seconds=90):
    end = time.monotonic() + seconds
    while not test():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {{what}}")
        time.sleep(0.2)


def _start(args, env=None):
    # Its own session: the node's processes are then the ones of that session.
    return subprocess.Popen(
        _RAY + ["start", *args, f"--temp-dir={{_RAY_DIR}}", "--disable-usage-stats", "--block"],
        start_new_session=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _session_of(pid):
    with open(f"/proc/{{pid}}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[3])


def add_node(cpus, env=None):
    before = len(_alive())
    process = _start([f"--address={{ADDRESS}}", f"--num-cpus={{cpus}}"],
                     env=None if env is None else {{**os.environ, **env}})
    _wait("the new node", lambda: len(_alive()) > before)
    _check_loopback()
    return process


def kill_node(process):
    # Workers lead their own process groups, so the whole session is killed, not one group.
    before = len(_alive())
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if _session_of(int(name)) == process.pid:
                    os.kill(int(name), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
    _wait("Ray to mark the node dead", lambda: len(_alive()) < before)
"""

_INIT = """
ray.init(num_cpus={cpus}, include_dashboard=False, logging_level="warning", _temp_dir=_RAY_DIR)
_check_loopback()
"""

_NODES = """
_quick = json.dumps({{"health_check_period_ms": 500, "health_check_timeout_ms": 500,
                     "health_check_failure_threshold": 3, "health_check_initial_delay_ms": 0}})
_head = _start(["--head", "--port={port}", "--num-cpus={cpus}", "--include-dashboard=false",
                "--system-config", _quick])


def _listening():
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", {port})) == 0


_wait("the head", _listening)
ray.init(address=ADDRESS, logging_level="warning")
_wait("the head's node", lambda: len(_alive()) >= 1)
_check_loopback()
"""


@functools.cache
def skip_reason() -> str | None:
    """Why a loopback cluster cannot run here, or None when it can."""
    if importlib.util.find_spec("ray") is None:
        return "Ray is not installed (pip install 'panchro[cluster]')"
    unshare, ip = shutil.which("unshare"), _ip()
    if unshare is None or ip is None:
        return "needs `unshare` and `ip` (util-linux, iproute2) for a loopback-only network"
    probe = subprocess.run(
        [unshare, *UNSHARE, ip, "link", "set", "lo", "up"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        why = probe.stderr.strip() or f"exit status {probe.returncode}"
        return f"`unshare --net --pid` is not permitted here (it needs root): {why}"
    return None


def _ip() -> str | None:
    return shutil.which("ip") or next(
        (p for p in ("/usr/sbin/ip", "/sbin/ip") if os.path.exists(p)), None
    )


def run_script(
    body: str,
    *,
    cluster: Literal["init", "nodes"] | None = "init",
    cpus: int = 2,
    python_path: Sequence[str | os.PathLike[str]] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `body` (Python) in a loopback-only namespace -> the finished process (stdout,
    stderr). `cluster` (see the module's docstring) is started there first with `cpus` CPUs
    on its first node and its nodes checked (AssertionError when one is not on 127.0.0.1); it
    stops with the script. `python_path` goes first on the script's (and Ray workers')
    PYTHONPATH; `env` adds variables. Raises subprocess.TimeoutExpired past `timeout`
    seconds, everything the script started killed."""
    reason = skip_reason()
    if reason is not None:
        raise RuntimeError(reason)
    ray_dir = tempfile.mkdtemp(prefix="pr-ray-")  # short: Ray's socket paths have a limit
    try:
        code = ""
        if cluster is not None:
            code = _COMMON.format(address=ADDRESS, not_loopback=NOT_LOOPBACK)
            code += (_INIT if cluster == "init" else _NODES).format(cpus=int(cpus), port=PORT)
        code += textwrap.dedent(body)
        if cluster is not None:
            code += "\nray.shutdown()\n"
        paths = [*map(str, python_path), *filter(None, [os.environ.get("PYTHONPATH")])]
        variables = {
            **os.environ,
            "HOME": ray_dir,
            "PANCHRO_LOOPBACK_RAY_DIR": ray_dir,
            "RAY_USAGE_STATS_ENABLED": "0",
            **({"PYTHONPATH": os.pathsep.join(paths)} if paths else {}),
            **(env or {}),
        }
        script = Path(ray_dir) / "script.py"
        script.write_text(code, encoding="utf-8")
        shell = f'{_ip()} link set lo up && exec "$0" "$1"'
        done = subprocess.run(
            ["unshare", *UNSHARE, "sh", "-c", shell, sys.executable, str(script)],
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


__all__ = ["ADDRESS", "NOT_LOOPBACK", "PORT", "run_script", "skip_reason"]
