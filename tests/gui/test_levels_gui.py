"""A faded film in the window: its levels measured as the shots are found and said on the
Damage line, Colour ▸ Stretch the film's faded levels reads it stretched, and the project
keeps the choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import write_still

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def _faded_folder(path: Path, n: int = 6) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    x = np.linspace(0.0, 1.0, 64)[None, :].repeat(48, 0)
    for i in range(n):
        faded = 0.2 + 0.55 * np.roll(x, 3 * i, axis=1)  # tones within 20..75 %
        write_still(path / f"f{i:03d}.png", np.round(faded * 255).astype(np.uint8))
    return path


def test_a_faded_film_is_said_stretched_and_kept(qtbot, window, tmp_path: Path) -> None:
    win = window
    folder = _faded_folder(tmp_path / "faded")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(folder)
    qtbot.waitUntil(lambda: win.measured_levels is not None, timeout=WAIT_MS)
    black, white = win.measured_levels
    assert abs(black - 0.2) < 0.02 and abs(white - 0.75) < 0.02
    damage = win.facts.values["damage"].text()
    assert damage.endswith("; faded (20–75 %)")
    tip = win.facts.values["damage"].toolTip()
    assert "lie at 20 % and 75 % of the range (faded); Colour ▸" in tip
    assert win.levels_action.isEnabled() and not win.levels_action.isChecked()
    win.levels_action.trigger()
    qtbot.waitUntil(lambda: bool(win.info.get("levels")), timeout=WAIT_MS)
    assert win.film_levels == win.measured_levels
    assert win.facts.values["damage"].text().endswith("; levels stretched (20–75 %)")
    # Compare shows what the stretch did, with nothing else to restore: before as filed.
    win.restore_panel.colorize.setChecked(False)  # no models here
    with qtbot.waitSignal(win.compareShown, timeout=WAIT_MS):
        win.exporter.compare_frame()
    assert "before as its file holds it, after with levels stretched from 20%–75%" in (
        win.compare.header.text()
    )
    before = win.compare.canvas.before.toImage()
    after = win.compare.canvas.after.toImage()
    mid = (before.width() // 2, before.height() // 2)
    assert before.pixelColor(*mid).lightness() != after.pixelColor(*mid).lightness()
    win.player.show_film()
    project = tmp_path / "faded.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    from panchro.engine.project import Project

    assert list(Project.load(project).settings.levels or ()) == win.measured_levels
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: bool(win.info.get("levels")), timeout=WAIT_MS)
    assert win.levels_action.isChecked() and win.film_levels == [black, white]
    assert win.restore_panel.settings()["levels"] == [black, white]
    # read as a negative, its tones are others: the stretch is dropped and measured again
    win.negative_action.trigger()
    qtbot.waitUntil(lambda: win.info.get("scan") == "a negative turned positive", timeout=WAIT_MS)
    assert win.film_levels is None and not win.levels_action.isChecked()
    qtbot.waitUntil(lambda: win.measured_levels is not None, timeout=WAIT_MS)
    assert abs(win.measured_levels[0] - 0.25) < 0.02 and abs(win.measured_levels[1] - 0.8) < 0.02


def test_a_faded_films_grey_border_is_found_once_it_is_stretched(
    qtbot, window, tmp_path: Path
) -> None:
    win = window
    folder = tmp_path / "bordered"
    folder.mkdir()
    x = np.linspace(0.25, 0.75, 56)[None, :].repeat(40, 0)
    for i in range(6):
        frame = np.full((48, 64), 0.2)  # the gate's black, faded to a grey
        frame[4:44, 4:60] = np.roll(x, 3 * i, axis=1)
        write_still(folder / f"f{i:03d}.png", np.round(frame * 255).astype(np.uint8))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(folder)
    qtbot.waitUntil(lambda: win.measured_levels is not None, timeout=WAIT_MS)
    assert not any(win.restore_panel.borders or ())  # grey: not taken for a border
    win.levels_action.trigger()
    qtbot.waitUntil(lambda: any(win.restore_panel.borders or ()), timeout=WAIT_MS)
    assert all(4 <= side <= 6 for side in win.restore_panel.borders)
