"""Size and start-up times of a built bundle, as `make package` prints them.

    python packaging/measure.py dist/Panchro-0.1.0-linux-x86_64 [--runs 3]

- size: the whole folder (what `du` says) and its biggest parts;
- engine: launch of `panchro-engine engine serve` -> its "ready" log line, and -> the answer
  to hello (what the GUI waits for: hello imports torch and looks at the weights);
- window: launch of `Panchro --startup-time` -> the window's first paint. Measured outside
  (wall clock until the line arrives) and inside (from the process's start time in /proc).
  Without a screen it runs on Qt's offscreen platform, which paints into memory: an X server
  adds a little (see docs/packaging.md for both).

Each is run `--runs` times; the first run after a build reads from disk, later ones mostly
from the page cache, so both the first and the median are printed. Timing only: nothing
here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from panchro.engine.service.client import EngineClient
from panchro.engine.service.protocol import PROTOCOL_VERSION


def tree_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def biggest_parts(folder: Path, n: int = 8) -> list[tuple[int, str]]:
    """The largest entries one and two levels under _internal/ (torch/lib, PySide6/Qt...)."""
    internal = folder / "_internal"
    sizes: list[tuple[int, str]] = []
    for top in internal.iterdir() if internal.is_dir() else []:
        if top.is_symlink():  # PyInstaller links shared libraries to their package's copy
            continue
        if top.is_dir():
            for sub in top.iterdir():
                if sub.is_symlink():
                    continue
                size = tree_bytes(sub) if sub.is_dir() else sub.stat().st_size
                sizes.append((size, str(sub.relative_to(folder))))
        else:
            sizes.append((top.stat().st_size, str(top.relative_to(folder))))
    return sorted(sizes, reverse=True)[:n]


def engine_start(bundle: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from launch to the engine's 'ready' log line, and to its hello answer."""
    ready_at: list[float] = []
    t0 = time.monotonic()
    client = EngineClient.start(
        [str(bundle / "panchro-engine"), "engine", "serve"], env=env, stderr=subprocess.PIPE
    )
    assert client.process is not None and client.process.stderr is not None
    err = client.process.stderr

    def watch() -> None:
        for line in iter(err.readline, b""):
            if not ready_at and b" ready (protocol" in line:
                ready_at.append(time.monotonic() - t0)

    threading.Thread(target=watch, daemon=True).start()
    client.request("hello", 300, protocol=PROTOCOL_VERSION, client="measure")
    hello = time.monotonic() - t0
    code = client.close(timeout=30)
    if code != 0:
        raise SystemExit(f"the bundled engine exited with code {code}")
    return (ready_at[0] if ready_at else float("nan")), hello


def window_start(bundle: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from launch to the first paint: measured outside, and as the app says."""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [str(bundle / "Panchro"), "--startup-time"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    outside = inside = float("nan")
    for line in proc.stdout:
        if line.startswith("window visible"):
            outside = time.monotonic() - t0
            inside = float(line.split()[2])
    if proc.wait(60) != 0 or outside != outside:
        raise SystemExit(f"Panchro --startup-time failed (exit {proc.returncode})")
    return outside, inside


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle", type=Path)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    bundle: Path = args.bundle
    if not (bundle / "Panchro").is_file():
        print(f"{bundle}: not a built bundle", file=sys.stderr)
        return 2

    size = tree_bytes(bundle)
    print(f"bundle: {bundle}")
    print(f"size: {size / 2**20:.0f} MiB ({size / 1e9:.2f} GB), goal < 1 GB")
    for n, name in biggest_parts(bundle):
        print(f"  {n / 2**20:7.1f} MiB  {name}")

    env = dict(os.environ)
    # The bundle must not lean on this checkout or this venv.
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    screen = env.get("QT_QPA_PLATFORM") or "X11/Wayland"

    engine = [engine_start(bundle, env) for _ in range(args.runs)]
    window = [window_start(bundle, env) for _ in range(args.runs)]

    def fmt(values: list[float]) -> str:
        return f"first {values[0]:.2f} s, median {statistics.median(values):.2f} s"

    print(f"engine: launch -> ready line: {fmt([r for r, _ in engine])}")
    print(f"engine: launch -> hello answered (GUI 'ready'): {fmt([h for _, h in engine])}")
    print(
        f"window ({screen}): launch -> first paint: {fmt([o for o, _ in window])}"
        f" (the app's own count: {fmt([i for _, i in window])}), goal <= 3 s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
