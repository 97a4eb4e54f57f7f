"""`panchro-gui [FILM]`: the desktop app.

`--screenshot PNG` opens FILM, waits until its first frame, its shots and their
thumbnails are shown, saves the window as PNG and quits: for the docs, and a
quick check that the whole app works on a machine.

`--self-test` runs `panchro self-test` through the engine program (the bundled
`panchro-engine` in a bundle) and exits with its code; it needs no screen.
`--startup-time` prints how long the window took to appear after launch, and quits.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from panchro.engine import __version__
from panchro.gui.engine_process import FAILED, self_test_command
from panchro.gui.theme import THEMES, apply_theme, saved_theme
from panchro.gui.window import APP_NAME
from panchro.gui.window.main_window import MainWindow, app_icon


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
    p.add_argument("--version", action="version", version=f"Panchro {__version__}")
    p.add_argument("film", nargs="?", help="a film, a folder of frames, or an image to open")
    p.add_argument("--fps", type=float, help="frame rate of a folder of frames")
    p.add_argument("--size", type=_size, default=None,
                   help="window size, e.g. 1280x800 (default: 1280x800, or less to fit the "
                   "screen)")  # fmt: skip
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
    p.add_argument(
        "--theme",
        choices=THEMES,
        default=None,
        help="light or dark colours (default: as chosen in View > Theme, else the system's)",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check the installation end to end on the sample film, print a report, exit 0/1",
    )
    p.add_argument(
        "--startup-time",
        action="store_true",
        help="print the seconds from launch to the window's first paint, then quit",
    )
    return p


def seconds_since_launch() -> float:
    """Seconds since this process started (from /proc on Linux: the bundle's loader and
    Python's start count too; elsewhere since this module was imported)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


_IMPORTED = time.monotonic()


class _FirstPaint(QObject):
    """Calls `then` once, at the watched widget's first paint."""

    def __init__(self, then: Callable[[], None]) -> None:
        super().__init__()
        self._then: Callable[[], None] | None = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self._then is not None:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)
        return False


def save_screenshot(window: MainWindow, path: Path) -> None:
    """The window as PNG, written under a temporary name and then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.png")
    if not window.grab().save(str(tmp), "PNG"):
        raise OSError(f"{path}: the screenshot could not be written")
    os.replace(tmp, path)


DEFAULT_SIZE = (1280, 800)


def fitted_size(room: tuple[int, int] | None) -> tuple[int, int]:
    """The window's first size: 1280 x 800, or less where the screen's room (less its
    panels) is smaller, with a margin for the window's frame. It ran off a 1366 x 768
    laptop's screen, or one scaled 1.5 times."""
    if room is None:
        return DEFAULT_SIZE
    return (min(DEFAULT_SIZE[0], max(640, room[0] - 16)),
            min(DEFAULT_SIZE[1], max(480, room[1] - 48)))  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        program, rest = self_test_command()
        return subprocess.call([program, *rest])
    if args.screenshot and not args.film:
        print("panchro-gui: --screenshot needs a FILM to open", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("panchro")
    app.setWindowIcon(app_icon())
    apply_theme(app, args.theme or saved_theme())

    window = MainWindow()
    screen = app.primaryScreen()
    room = screen.availableGeometry().size() if screen is not None else None
    window.resize(*(args.size or fitted_size(room and (room.width(), room.height()))))
    app.aboutToQuit.connect(window.engine.shutdown)
    if args.startup_time:

        def shown() -> None:
            print(f"window visible {seconds_since_launch():.2f} s after launch", flush=True)
            app.quit()

        painted = _FirstPaint(shown)
        window.installEventFilter(painted)
    window.show()
    if args.film:
        if str(args.film).endswith(".panchro"):
            window.projects.open_project(args.film)  # a project double-clicked in a file manager
        else:
            window.projects.open_film(args.film, fps=args.fps)

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
