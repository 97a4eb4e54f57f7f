"""Shot ▸ Leave out in the window: a shot leaves a film's stage out (dust on snow, deflicker on
a flash), said in the panel and the strip, carried to the engine, kept by splits, undone as
one edit, and kept by the project."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_a_shot_leaves_dust_out(qtbot, window, film, tmp_path: Path) -> None:
    win = window
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    panel = win.shot_panel
    win.player.seek(20)  # shot 2 (16..31)
    qtbot.waitUntil(lambda: win.player.displayed == 20, timeout=WAIT_MS)
    assert panel.leave_button.isEnabled() and panel.leave_button.text() == "Leave out"
    win.dirty = False
    panel.leave_actions["dust"].trigger()  # as the menu's entry is clicked
    assert win.shots[1]["off"] == ["dust"] and "off" not in win.shots[0] and win.dirty
    assert panel.leave_button.text() == "Leave out ✓"
    assert "Leaves out: dust removal" in panel.text.text()
    assert win.strip.list.item(1).toolTip().endswith("; leaves out dust")
    assert win.exporter.restoration()["shots"][1]["off"] == ["dust"]  # what a render gets
    assert win.undo_action.text().replace("&", "") == "Undo leave dust removal out of shot 2"
    panel.leave_actions["deflicker"].trigger()
    assert win.shots[1]["off"] == ["deflicker", "dust"]
    win.undo_action.trigger()
    assert win.shots[1]["off"] == ["dust"] and not panel.leave_actions["deflicker"].isChecked()

    # Another shot: the panel follows the playhead, and says nothing is left out there.
    win.player.seek(3)
    qtbot.waitUntil(lambda: win.player.displayed == 3, timeout=WAIT_MS)
    assert not panel.leave_actions["dust"].isChecked() and "Leaves out" not in panel.text.text()

    # A split keeps it on both parts; the project keeps it.
    win.player.seek(24)
    qtbot.waitUntil(lambda: win.player.displayed == 24, timeout=WAIT_MS)
    win.shot_list.split_shot()
    assert [s.get("off") for s in win.shots] == [None, ["dust"], ["dust"], None]
    project = tmp_path / "off.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    assert [s.get("off") for s in win.shots] == [None, ["dust"], ["dust"], None]
    # Given back: the shot has the film's dust removal again.
    win.player.seek(20)
    qtbot.waitUntil(lambda: win.player.displayed == 20, timeout=WAIT_MS)
    panel.leave_actions["dust"].trigger()
    assert "off" not in win.shots[1]
    assert "Give shot 2 its dust removal again" in win.statusBar().currentMessage()
