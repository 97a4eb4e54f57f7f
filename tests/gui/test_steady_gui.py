"""Steadier, cleaner films from the window: Restore panel ▸ Deflicker evens a flickering film out,
Restore panel ▸ Stabilize takes a weaving film's jitter out in the compare view (its luma moves),
Restore panel ▸ Dust fills specks of dirt, the project keeps them, the facts say how much a film
flickers, and an album has no such rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import make_video

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def test_deflicker_is_compared_exported_and_kept(qtbot, window, tmp_path: Path) -> None:
    win = window
    panel = win.restore_panel
    gain = 0.8 + np.random.default_rng(0).normal(0, 0.08, 60)
    film = make_video(tmp_path / "flicker.mp4", frames=60, pattern="gray", exposure=gain)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    # The facts say so once the shots are found.
    qtbot.waitUntil(lambda: "strong" in win.facts.values["flicker"].text(), timeout=WAIT_MS)
    assert "Restore panel ▸ Deflicker evens it out" in win.facts.values["flicker"].text()
    assert panel.deflicker.isVisibleTo(panel) and panel.deflicker.text() == "Off"
    panel.colorize.setChecked(False)
    assert not panel.restores_something()
    panel.deflicker.setValue(1.0)
    assert panel.restores_something() and panel.settings()["deflicker"] == 1.0

    # Compare a frame whose exposure is off its neighbours': the luma moves (and only by
    # evening out: the same frame unasked would be left as it is).
    frame = int(np.argmax(np.abs(gain - np.convolve(gain, np.ones(5) / 5, "same"))[3:-3])) + 3
    win.player.seek(frame)
    qtbot.waitUntil(lambda: win.player.displayed == frame, timeout=WAIT_MS)
    with qtbot.waitSignal(win.compareShown, timeout=WAIT_MS):
        win.exporter.compare_frame()
    assert win.compare.data["luma_mean_diff"] > 0.01
    assert "(deflicker)" in win.compare.header.text()  # what changed the luma

    # Export: the file's flicker is gone (frame means follow their neighbours').
    out = tmp_path / "steady.mp4"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS * 2):
        win.exporter.export(str(out))
    from panchro.engine import media

    def means(path: Path) -> np.ndarray:
        with media.open_source(path) as src:
            return np.array([f.image.mean() for f in src.frames(fmt="gray")])

    def wobble(m: np.ndarray) -> float:
        return float(np.abs(np.diff(m)).mean())

    assert wobble(means(out)) < 0.4 * wobble(means(film))

    # Saved and opened again: the setting comes back.
    project = tmp_path / "flicker.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    panel.deflicker.setValue(0.0)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    assert panel.deflicker.value() == 1.0
    assert '"deflicker": 1.0' in project.read_text()
    # With its shots: no pass over the film, yet the facts say how much it flickers, measured
    # around the key frames as the pass measures it.
    qtbot.waitUntil(lambda: "strong" in win.facts.values["flicker"].text(), timeout=WAIT_MS)


def test_an_album_has_no_deflicker_row(qtbot) -> None:
    from panchro.gui.restore import RestorePanel

    panel = RestorePanel()
    qtbot.addWidget(panel)
    panel.deflicker.setValue(0.5)
    assert panel.settings()["deflicker"] == 0.5
    panel.set_album_mode("album")
    assert not panel.deflicker.isVisibleTo(panel)
    assert panel.settings()["deflicker"] == 0.0  # nothing of a picture's to even out
    panel.set_album_mode("")
    assert panel.deflicker.isVisibleTo(panel) and panel.settings()["deflicker"] == 0.5


def test_the_facts_say_a_steady_film_hardly_flickers(qtbot, window, tmp_path: Path) -> None:
    win = window
    # lossless, without the frame counter (its bits flipping move the histogram): only its
    # square moves over the gradient, which the figure sees a little of (0.89 grey levels)
    film = make_video(
        tmp_path / "steady.mkv", frames=60, pattern="gray", codec="ffv1", audio=False,
        counter=False,
    )  # fmt: skip
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    qtbot.waitUntil(lambda: "little or none" in win.facts.values["flicker"].text(), timeout=WAIT_MS)
    short = make_video(tmp_path / "short.mp4", frames=12, pattern="gray")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(short)
    qtbot.waitUntil(
        lambda: win.facts.values["flicker"].text() == "too short to tell", timeout=WAIT_MS
    )


def compared(qtbot, win, film: Path, row: str, frame: int) -> float:
    """Open `film`, set Restore's `row` (a share box, off at first) to 1 alone and compare
    frame `frame`: how far its luma moved on average (the header names the row)."""
    panel = win.restore_panel
    box = getattr(panel, row)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film)
    assert box.isVisibleTo(panel) and box.text() == "Off"
    panel.colorize.setChecked(False)
    box.setValue(1.0)
    assert panel.restores_something() and panel.settings()[row] == 1.0
    win.player.seek(frame)
    qtbot.waitUntil(lambda: win.player.displayed == frame, timeout=WAIT_MS)
    with qtbot.waitSignal(win.compareShown, timeout=WAIT_MS):
        win.exporter.compare_frame()
    assert f"({row})" in win.compare.header.text()
    return float(win.compare.data["luma_mean_diff"])


def kept(qtbot, win, row: str, project: Path) -> None:
    """Saved, set off and opened again, the row's 1 comes back; an album has no such row
    (but Dust, which a picture has too)."""
    panel = win.restore_panel
    box = getattr(panel, row)
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    box.setValue(0.0)
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    assert box.value() == 1.0
    panel.set_album_mode("album")
    if row == "dust":  # a picture's dust is found by its look: the row stays, in its words
        assert box.isVisibleTo(panel) and "by their look" in box.toolTip()
    else:
        assert not box.isVisibleTo(panel) and panel.settings()[row] == 0.0


def test_stabilize_is_compared_and_kept(qtbot, window, tmp_path: Path) -> None:
    from makemedia import make_weaving_video

    rng = np.random.default_rng(3)
    film = make_weaving_video(
        tmp_path / "weave.mkv", [(int(x), int(y)) for x, y in rng.integers(-2, 3, (48, 2))]
    )
    assert compared(qtbot, window, film, "stabilize", 20) > 0.01  # the frame was moved
    kept(qtbot, window, "stabilize", tmp_path / "weave.panchro")


def cleaned_in_the_app(
    qtbot, win, frames: np.ndarray, row: str, tmp_path: Path, said: dict[str, str]
) -> np.ndarray:
    """`frames` (grey uint8) as a film, compared with Restore's `row` at 1 alone (something
    changed; the facts' lines begin as `said`), exported and read back grey (int16); the
    row is kept in the project."""
    from fractions import Fraction

    from panchro.engine import media
    from panchro.engine.evaluate.telecine import write_video

    film = write_video(tmp_path / "film.mkv", list(frames), Fraction(24), codec="ffv1")
    assert compared(qtbot, win, film, row, 10) > 0.0005  # a few pixels of a small frame
    facts = win.facts.values
    for key, text in said.items():
        qtbot.waitUntil(lambda k=key, t=text: facts[k].text().startswith(t), timeout=WAIT_MS)
    out = tmp_path / "clean.mkv"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS * 2):
        win.exporter.export(str(out))
    with media.open_source(out) as src:
        got = np.stack([f.image for f in src.frames(fmt="gray")]).astype(np.int16)
    kept(qtbot, win, row, tmp_path / "film.panchro")
    # Opened again as a project, with its shots: the facts' lines are looked for again.
    for key, text in said.items():
        qtbot.waitUntil(lambda k=key, t=text: facts[k].text().startswith(t), timeout=WAIT_MS)
    return got


def test_dust_is_compared_exported_and_kept(qtbot, window, tmp_path: Path) -> None:
    from makemedia import dusty_frames

    clean, dusty = dusty_frames(24)
    said = {"damage": "dirt ("}
    got = cleaned_in_the_app(qtbot, window, dusty, "dust", tmp_path, said)
    specks = dusty != clean
    assert np.abs(got - clean)[specks].mean() < 15


def test_scratches_are_compared_exported_and_kept(qtbot, window, tmp_path: Path) -> None:
    from makemedia import scratched_frames

    clean, scratched = scratched_frames(24)
    assert "scratches" in window.restore_panel.scratches.toolTip().lower()
    said = {"damage": "2 scratch lines; Restore panel ▸ Scratches"}
    got = cleaned_in_the_app(qtbot, window, scratched, "scratches", tmp_path, said)
    lined = scratched != clean
    before = np.abs(scratched.astype(np.int16) - clean)[lined].mean()
    assert np.abs(got - clean)[lined].mean() < 0.3 * before


def test_the_flicker_line_stays_when_the_same_film_is_read_again(qtbot) -> None:
    """Restore panel ▸ Fields reads the film again and keeps its shots (no new measure): the line
    stays; another film starts without one."""
    from panchro.gui.facts import FactsPanel

    facts = FactsPanel()
    qtbot.addWidget(facts)
    film = {"path": "/films/reel1.mp4", "kind": "video", "width": 720, "height": 576}
    facts.set_info(film)
    facts.set_flicker(2.4)
    assert facts.values["flicker"].text().startswith("strong — 2.4")
    facts.set_info(film | {"deinterlace": "not deinterlaced"})
    assert facts.values["flicker"].text().startswith("strong — 2.4")
    facts.set_info(film | {"path": "/films/reel2.mp4"})
    assert facts.values["flicker"].text() == "–"
    facts.set_flicker(None)
    assert facts.values["flicker"].text() == "too short to tell"
    facts.set_flicker(0.3)
    assert facts.values["flicker"].text() == "little or none (0.3 grey levels a frame)"


def test_the_damage_line_says_what_was_seen_and_its_tooltip_the_whole(qtbot) -> None:
    from panchro.gui.facts import FactsPanel, damage_text

    seen = {"looked": 6, "scratched": 1, "lines": 2, "dirty": 5, "specks": 3.14e-4}
    assert (
        damage_text(seen)
        == "2 scratch lines, dirt (3.1 in 10,000 px); Restore panel ▸ Scratches, Dust"
    )
    assert damage_text(seen | {"lines": 0}) == "dirt (3.1 in 10,000 px); Restore panel ▸ Dust"
    assert damage_text(seen | {"lines": 0, "dirty": 0}) == "none seen in 6 shots"
    assert damage_text(None) == "too short to tell"
    facts = FactsPanel()
    qtbot.addWidget(facts)
    facts.set_survey(seen)
    tip = facts.values["damage"].toolTip()
    assert "Line scratches: 2 lines in 1 of 6 shots looked at." in tip
    assert "Dirt: specks in 5 of 6 shots looked at (3.1 in 10,000 pixels)." in tip
    facts.set_info({"path": "/films/other.mp4", "kind": "video"})
    assert facts.values["damage"].text() == "–"  # another film: not measured yet
