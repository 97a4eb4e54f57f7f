"""Install a built bundle into a throwaway HOME, start it the way a desktop does -- the Exec line
of its installed .desktop entry, with a film as %f -- and photograph the screen.

    xvfb-run -a -s "-screen 0 1400x900x24" \\
        .venv/bin/python packaging/desktop_screenshot.py dist/Panchro-0.1.0-linux-x86_64 \\
        /tmp/installed_app.png

(docs/screenshots/installed_app.webp is that PNG as lossless WebP.)
The picture is taken from the X server (the whole screen, as a person would see it), once
the screen has not changed for a few seconds: the film's frame, shots and thumbnails are in.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QImage


def desktop_exec(desktop: Path, file: str) -> list[str]:
    line = next(x for x in desktop.read_text().splitlines() if x.startswith("Exec="))
    return [file if arg == "%f" else arg for arg in shlex.split(line[len("Exec=") :])]


def grab() -> QImage:
    screen = QGuiApplication.primaryScreen()
    return screen.grabWindow(0).toImage()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle", type=Path)
    p.add_argument("png", type=Path)
    p.add_argument("--film", default=None, help="film to open (default: the bundled sample)")
    p.add_argument("--timeout", type=float, default=180.0)
    p.add_argument("--still", type=float, default=4.0, help="seconds without change = settled")
    args = p.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        print("desktop_screenshot: needs an X display (run it under xvfb-run)", file=sys.stderr)
        return 2
    app = QGuiApplication(["desktop_screenshot"])  # noqa: F841 - Qt needs it alive

    with tempfile.TemporaryDirectory(prefix="panchro-home-") as home:
        # What a desktop session gives a program it starts: nothing of this checkout's venv.
        env = {"HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        env |= {k: os.environ[k] for k in ("DISPLAY", "XAUTHORITY") if k in os.environ}
        done = subprocess.run(
            ["sh", str(args.bundle.resolve() / "install.sh")], env=env, capture_output=True
        )
        print(done.stdout.decode(), end="")
        if done.returncode != 0:
            print(done.stderr.decode(), file=sys.stderr)
            return 1
        share = Path(home) / ".local" / "share"
        app_dir = share / "panchro" / "app"
        film = args.film or str(app_dir / "_internal/panchro/resources/samples/bbb_bw.mp4")
        command = desktop_exec(share / "applications" / "panchro.desktop", film)
        print("Exec:", shlex.join(command))
        t0 = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            last, since = None, time.monotonic()
            while time.monotonic() - t0 < args.timeout:
                time.sleep(1.0)
                if proc.poll() is not None:
                    print(proc.stderr.read().decode() if proc.stderr else "", file=sys.stderr)
                    print(f"the app exited with code {proc.returncode}", file=sys.stderr)
                    return 1
                image = grab()
                if last is None or image != last:
                    last, since = image, time.monotonic()
                elif time.monotonic() - since >= args.still:
                    break
            else:
                print("the screen kept changing; taking it as it is", file=sys.stderr)
            assert last is not None
            args.png.parent.mkdir(parents=True, exist_ok=True)
            if not last.save(str(args.png), "PNG"):
                print(f"{args.png}: cannot write", file=sys.stderr)
                return 1
            print(f"{args.png}: settled {since - t0:.1f} s after launch")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
