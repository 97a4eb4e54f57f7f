"""A scan's values in the window: a DPX scan coded in log is read at video levels and said
so, Restore panel ▸ Scan reads it as coded instead, and the project keeps the choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from makemedia import make_frame_folder, make_log_dpx_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def test_a_log_scan_reads_at_video_levels_or_as_coded(qtbot, window, tmp_path: Path) -> None:
    win = window
    panel = win.restore_panel
    codes = np.linspace(60, 1000, 64)[None, :].repeat(48, 0).round()
    scans = make_log_dpx_folder(tmp_path / "reel", codes, n=4)
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scans)
    assert win.info["scan"] == "a log scan brought to video levels"
    assert "brought to video levels as it is read" in win.facts.values["colour"].text()
    assert win.message_bar.isVisible()
    assert "Panchro brings it to video levels" in win.message_bar.text.text()
    assert panel._form.isRowVisible(panel.scan) and panel.scan_mode() == "auto"

    panel.scan.setCurrentIndex(panel.scan.findData("coded"))  # Restore panel ▸ Scan ▸ As coded
    qtbot.waitUntil(lambda: bool(win.info) and not win.info.get("scan"), timeout=WAIT_MS)
    assert win.film_scan == "coded" and "read as coded" in win.facts.values["colour"].text()
    assert panel.settings()["scan"] == "coded"
    project = tmp_path / "reel.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    from panchro.engine.project import Project

    assert Project.load(project).settings.scan == "coded"
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(make_frame_folder(tmp_path / "other", 4))
    assert not panel._form.isRowVisible(panel.scan)  # nothing to choose for it
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: win.info.get("log_scan") is not None, timeout=WAIT_MS)
    assert win.film_scan == "coded" and not win.info.get("scan")
    assert panel.scan_mode() == "coded" and not win.negative_action.isChecked()
