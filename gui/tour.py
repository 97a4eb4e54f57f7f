"""A scripted walk through the app that saves a screenshot at each stop (for docs/screenshots).

    xvfb-run -a -s "-screen 0 1400x900x24" python -m panchro.gui.tour /tmp/shots
    ... python -m panchro.gui.tour --theme dark /tmp/shots   (PNG names end _dark)

Drives the real window and engine on the sample film (or a film given with --film):
the film open with its shots, K colour modes of the key frame, one picked, the compare
view (before | after), colour hints placed with the point and brush tools over the pick
(`hints.png`; each preview's seconds from the edit are printed), with `--reference PIC`
the last shot coloured from that picture (`reference.png`), and an export in progress;
with `--album FOLDER`, that folder of photos as an album: its grid with two pictures
picked and the album's export under way (`album.png`), then colour hints placed on its
first picture as on the film's key frame (`album_hints.png`).
Each PNG is the window as drawn. docs/screenshots keeps them as lossless WebP (the same
pixels in two thirds of the bytes: the working tree travels to a GPU machine under a size
limit). (docs/screenshots/hints.webp is `hints.png` scaled to 1100 px wide and reduced to 256
colours with Pillow's fast octree, to stay small.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from panchro.engine.paths import sample_film
from panchro.gui.theme import THEMES, apply_theme
from panchro.gui.window.main_window import MainWindow

WAIT_MS = 300_000

# Hints for the sample film's key frame, as a person would give them: (tool, places as
# fractions of the picture, sRGB). The sky, the grass, the tree, the bunny's fur.
SAMPLE_HINTS = (
    ("brush", ((0.66, 0.07), (0.8, 0.05), (0.97, 0.1)), (120, 170, 235)),
    ("point", ((0.12, 0.88),), (70, 135, 45)),
    ("point", ((0.62, 0.92),), (95, 150, 50)),
    ("point", ((0.78, 0.32),), (35, 75, 35)),
    ("point", ((0.33, 0.55),), (200, 196, 188)),
)


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
        "--reference", type=Path, default=None, help="a colour picture for the last shot"
    )
    parser.add_argument(
        "--album", type=Path, default=None, help="a folder of photos to show as an album"
    )
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
        _hints(app, win, key)
        shoot("hints.png")
        win.player.show_film()
        if args.reference is not None:
            last = win.shots[-1] if win.shots else {"start": 0}
            win.player.seek(int(last.get("key_frame", last["start"])))
            compared.clear()
            win.colour_picks.colour_from_picture(str(args.reference))
            _wait(app, lambda: bool(compared))
            win.compare.canvas.set_split(0.5)
            shoot("reference.png")
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
    if args.album is not None:
        with tempfile.TemporaryDirectory() as tmp:
            _album(app, win, args.album, Path(tmp) / "colour", args.k, args.seed, args.pick)
            shoot("album.png")
            win.album.exports.cancel_job()
            _wait(app, lambda: not win.album.exports.busy)
            if win.album.pictures:
                _album_hints(app, win)
                shoot("album_hints.png")
    win.engine.shutdown()
    win.close()
    return 0


def _album(
    app: QApplication, win: MainWindow, folder: Path, out: Path, k: int, seed: int, pick: int
) -> None:
    """The folder as an album: every thumbnail in, colour mode `pick` of `k` picked for its
    first two pictures (when the colorizer is usable), the first selected, and the album's
    export into `out` under way (the caller cancels it once shot)."""
    settled: list[bool] = []
    win.album.settled.connect(lambda: settled.append(True))
    win.projects.open_any(str(folder))
    _wait(app, lambda: bool(settled))
    names = [p.name for p in win.album.pictures if not p.error]
    if win.colour.usable:
        win.colour.k_spin.setValue(k)
        win.colour.random_seed.setChecked(False)
        win.colour.seed.setValue(seed)
        for name in names[:2]:
            shown: list[int] = []
            win.album.modesShown.connect(shown.append)
            win.album_grid.select(name)
            win.album.sample_colour_modes()
            _wait(app, lambda shown=shown: bool(shown))
            win.album.modesShown.disconnect()
            win.album.pick_candidate(min(pick, k - 1))
    win.album.show_grid()
    if names:
        win.album_grid.select(names[0])
    panel = win.restore_panel
    progressed: list[float] = []
    panel.progress.valueChanged.connect(lambda *_: progressed.append(panel.frames_shown()))
    win.album.exports.export_album(str(out))
    _wait(app, lambda: any(v >= 1 for v in progressed) or not win.album.exports.busy)


def _hints(app: QApplication, win: MainWindow, key: int) -> None:
    """Colour hints over the pick on the key frame, placed with the mouse as a person
    would; prints the seconds from each edit to its preview in the view."""
    win.player.seek(key)
    _place_hints(app, win, int(win.info.get("height", 480)))


def _album_hints(app: QApplication, win: MainWindow) -> None:
    """The same hints on the album's first picture (H on it, in the grid)."""
    album = win.album
    album.show_grid()
    first = next(p for p in album.pictures if not p.error)
    album.grid.select(first.name)
    _place_hints(app, win, first.height or 480)


def _place_hints(app: QApplication, win: MainWindow, height: int) -> None:
    """SAMPLE_HINTS placed with the mouse on what H opens (a `height`-pixel picture)."""
    editor = win.hint_editor
    editor.latencies.clear()
    shown: list[float] = []
    editor.previewShown.connect(shown.append)
    editor.edit()
    _wait(app, lambda: bool(shown))
    canvas = win.compare.canvas
    for tool, places, rgb in SAMPLE_HINTS:
        editor.set_tool(tool)
        editor.use_colour(rgb)
        r = canvas.image_rect()
        at = [QPoint(r.x() + round(u * r.width()), r.y() + round(v * r.height()))
              for u, v in places]  # fmt: skip
        shown.clear()
        if tool == "brush":
            editor._set_width(max(4, round(0.04 * height)))
            QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at[0])
            for a, b in zip(at, at[1:], strict=False):
                for k in range(1, 9):
                    QTest.mouseMove(canvas, a + (b - a) * (k / 8))
            QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at[-1])
        else:
            QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at[0])
        _wait(app, lambda: bool(shown) and shown[-1] >= 0)
    editor.set_tool("point")
    canvas.set_split(0.3)
    editor.previewShown.disconnect(shown.append)
    seconds = ", ".join(f"{s:.2f}" for s in editor.latencies)
    print(f"hint previews, seconds from the edit to the picture: {seconds}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
