"""`panchro-gui [FILM]`: the desktop app.

`--screenshot PNG` opens FILM, waits until its first frame, its shots and their
thumbnails are shown, saves the window as PNG and quits: for the docs, and a
quick check that the whole app works on a machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from panchro.gui.engine_process import FAILED
from panchro.gui.main_window import APP_NAME, MainWindow, app_icon


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1280x800") from None
    if not (320 <= w <= 10000 and 240 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"{text!r}: use at least 320x240")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="panchro-gui", description="Panchro: restore old black-and-white films."
    )
    p.add_argument("film", nargs="?", help="a film, a folder of frames, or an image to open")
    p.add_argument("--fps", type=float, help="frame rate of a folder of frames")
    p.add_argument("--size", type=_size, default=(1280, 800), help="window size, e.g. 1280x800")
    p.add_argument(
        "--screenshot",
        metavar="PNG",
        type=Path,
        help="open FILM, wait for its frame and shots, save the window as PNG and quit",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="with --screenshot: give up after this many seconds (default 300)",
    )
    return p


def save_screenshot(window: MainWindow, path: Path) -> None:
    """The window as PNG, written under a temporary name and then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.png")
    if not window.grab().save(str(tmp), "PNG"):
        raise OSError(f"{path}: the screenshot could not be written")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.screenshot and not args.film:
        print("panchro-gui: --screenshot needs a FILM to open", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("panchro")
    app.setWindowIcon(app_icon())

    window = MainWindow()
    window.resize(*args.size)
    app.aboutToQuit.connect(window.engine.shutdown)
    window.show()
    if args.film:
        window.open_film(args.film, fps=args.fps)

    # Ctrl+C in the terminal quits cleanly; the timer lets Python see the signal.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    tick = QTimer(interval=250)
    tick.timeout.connect(lambda: None)
    tick.start()

    status = {"code": 0}
    if args.screenshot:

        def fail(reason: str) -> None:
            print(f"panchro-gui: no screenshot: {reason}", file=sys.stderr)
            status["code"] = 1
            app.quit()

        def shoot() -> None:
            try:
                save_screenshot(window, args.screenshot)
            except OSError as exc:
                fail(str(exc))
                return
            print(args.screenshot)
            app.quit()

        # A short pause lets the last thumbnails and the status bar paint.
        window.settled.connect(lambda: QTimer.singleShot(400, shoot))
        window.openFailed.connect(fail)
        window.engine.stateChanged.connect(
            lambda state, detail: fail(f"engine failed: {detail}") if state == FAILED else None
        )
        QTimer.singleShot(
            int(args.timeout * 1000), lambda: fail(f"not ready after {args.timeout:g} s")
        )
    app.exec()
    return status["code"]


if __name__ == "__main__":
    raise SystemExit(main())
