"""Fixtures for the GUI tests: a tiny film in three shots, and a window on a real engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from makemedia import make_video  # tests/conftest.py puts tests/ on sys.path


@dataclass(frozen=True)
class Film:
    path: Path
    frames: int = 48
    size: tuple[int, int] = (160, 120)
    fps: int = 24
    shot_starts: tuple[int, ...] = (0, 16, 32)


@pytest.fixture(scope="session")
def film(tmp_path_factory: pytest.TempPathFactory) -> Film:
    """48 frames of 160x120 at 24 fps, cut at 16 and 32, with an AAC tone and subtitles;
    black and white, as the films the app colours are (`colour_film`: the same in colour)."""
    spec = Film(tmp_path_factory.mktemp("gui_media") / "three_shots.mp4")
    make_video(
        spec.path,
        frames=spec.frames,
        size=spec.size,
        fps=spec.fps,
        audio=True,
        subtitles=True,
        cuts=spec.shot_starts[1:],
        pattern="gray",
    )
    return spec


@pytest.fixture(scope="session")
def colour_film(tmp_path_factory: pytest.TempPathFactory) -> Film:
    """The same film in colour: its shots keep their own colours unless picked."""
    spec = Film(tmp_path_factory.mktemp("gui_media") / "three_colour_shots.mp4")
    make_video(spec.path, frames=spec.frames, size=spec.size, fps=spec.fps, audio=True,
               subtitles=True, cuts=spec.shot_starts[1:])  # fmt: skip
    return spec


@pytest.fixture(scope="session")
def long_film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """240 frames of 320x240 at 24 fps (10 s, four 2-s chunks of export), cut at 120, with
    an AAC tone: long enough that an export cancelled part way has finished chunks."""
    folder = tmp_path_factory.mktemp("gui_long")
    return make_video(folder / "long.mp4", frames=240, size=(320, 240), cuts=(120,))


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator:
    """A shown main window whose engine is ready; the engine is shut down afterwards."""
    from panchro.gui.engine_process import EngineProcess
    from panchro.gui.window.main_window import MainWindow

    engine = EngineProcess(log_path=tmp_path / "engine.log")
    win = MainWindow(engine)
    # A modal question about unsaved picks at teardown (qtbot closes the window before the
    # fixture's own teardown) would hang a test that failed midway; the tests of the
    # question turn it on themselves.
    win.confirm_discard = False
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(engine.is_ready, timeout=60_000)
    yield win
    engine.shutdown()


@pytest.fixture
def coloured_window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A window whose engine has small, untrained colorizer (28 x 28 chroma) and refiner."""
    from makemodels import TINY28, save_small_colorizer, save_small_refiner

    from panchro.gui.engine_process import EngineProcess
    from panchro.gui.window.main_window import MainWindow

    models = tmp_path / "models"
    save_small_colorizer(models, config=TINY28)
    save_small_refiner(models)
    monkeypatch.setenv("PANCHRO_MODELS_DIR", str(models))  # QProcess inherits the environment
    engine = EngineProcess(log_path=tmp_path / "engine.log")
    win = MainWindow(engine)
    win.confirm_discard = False  # a modal question would block the test run at teardown
    qtbot.addWidget(win)
    win.resize(1100, 720)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(engine.is_ready, timeout=60_000)
    yield win
    engine.shutdown()
