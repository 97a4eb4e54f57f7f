"""A scripted walk through the app that saves a screenshot at each stop (for docs/screenshots).

    xvfb-run -a -s "-screen 0 1400x900x24" python -m panchro.gui.tour docs/screenshots
    ... python -m panchro.gui.tour --theme dark /tmp/shots   (PNG names end _dark)

Drives the real window and engine on the sample film (or a film given with --film):
the film open with its shots, K colour modes of the key frame, one picked, the compare
view (before | after), and an export in progress. Each PNG is the window as drawn.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from panchro.engine.paths import sample_film
from panchro.gui.theme import THEMES, apply_theme
from panchro.gui.window.main_window import MainWindow

WAIT_MS = 300_000


def _wait(app: QApplication, done: Callable[[], bool], timeout_ms: int = WAIT_MS) -> None:
    loop = QEventLoop()
    timer = QTimer(interval=50)
    timer.timeout.connect(lambda: loop.quit() if done() else None)
    QTimer.singleShot(timeout_ms, loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    if not done():
        raise TimeoutError("the app did not get there in time")


def _settle(app: QApplication, ms: int = 400) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m panchro.gui.tour")
    parser.add_argument("out", type=Path, help="folder for the PNGs")
    parser.add_argument("--film", type=Path, default=None, help="default: the sample film")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pick", type=int, default=1, help="which mode to pick, from 0")
    parser.add_argument(
        "--theme", choices=THEMES, default="system", help="PNG names end _dark, _light"
    )
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, args.theme)
    suffix = "" if args.theme == "system" else f"_{args.theme}"
    args.out.mkdir(parents=True, exist_ok=True)
    win = MainWindow()
    win.confirm_discard = False
    win.resize(1360, 860)
    win.show()
    film = args.film or sample_film()
    shots: list[str] = []

    def shoot(name: str) -> None:
        _settle(app)
        path = args.out / name.replace(".png", f"{suffix}.png")
        win.grab().save(str(path))
        shots.append(str(path))
        print(path, flush=True)

    _wait(app, win.engine.is_ready)
    settled = []
    win.settled.connect(lambda: settled.append(True))
    win.projects.open_film(film)
    _wait(app, lambda: bool(settled))
    key = int(win.shots[0].get("key_frame", 0)) if win.shots else 0
    win.player.seek(key)
    _wait(app, lambda: win.player.displayed == key)
    shoot("sample_film.png")

    if win.colour.usable:
        win.colour.k_spin.setValue(args.k)
        win.colour.random_seed.setChecked(False)
        win.colour.seed.setValue(args.seed)
        shown = []
        win.colourModesShown.connect(shown.append)
        win.colour_picks.sample_colour_modes()
        _wait(app, lambda: bool(shown))
        win.colour_picks.pick_candidate(min(args.pick, args.k - 1))
        shoot("colour_modes.png")

        win.player.show_film()
        win.player.seek(key)
        compared = []
        win.compareShown.connect(lambda: compared.append(True))
        win.exporter.compare_frame()
        _wait(app, lambda: bool(compared))
        win.compare.canvas.set_split(0.5)
        shoot("compare.png")
        win.player.show_film()

        with tempfile.TemporaryDirectory() as tmp:
            progressed = []
            panel = win.restore_panel
            panel.progress.valueChanged.connect(lambda *_: progressed.append(panel.frames_shown()))
            finished = []
            win.jobFinished.connect(lambda *a: finished.append(a))
            win.jobFailed.connect(lambda *a: finished.append(a))
            win.exporter.export(str(Path(tmp) / "restored.mp4"))
            _wait(app, lambda: any(v > 10 for v in progressed) or bool(finished))
            shoot("export.png")
            win.exporter.cancel_job()
            _wait(app, lambda: bool(finished))
    else:
        print("the colorizer is not usable here: only the first screenshot", file=sys.stderr)
    win.engine.shutdown()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
