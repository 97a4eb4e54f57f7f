"""A folder of scanned frames in the window: a gap in its numbering is said on the Frames
line, and the film goes out as DPX frames, the scanners' own format, when that is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import make_frame_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def test_a_scan_with_a_lost_frame_is_said_and_exports_as_dpx(qtbot, window, tmp_path: Path) -> None:
    win = window
    scans = make_frame_folder(tmp_path / "reel1", 10, (64, 48), bit_depth=16, ext="tif")
    (scans / "f7.tif").unlink()
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scans)
    assert win.frame_count == 9
    assert win.facts.values["frames"].text() == "9 (1 frame number missing: 7)"
    # ... and in sight above the picture, once, on opening.
    assert win.message_bar.isVisible()
    assert win.message_bar.text.text().startswith(
        "Frame number 7 is missing from this folder's numbering (1 in all)"
    )

    panel = win.restore_panel
    panel.colorize.setChecked(False)  # no models here: decode -> encode
    names = [panel.codec.itemText(i) for i in range(panel.codec.count())]
    assert "10-bit DPX frames (folder)" in names
    panel.codec.setCurrentIndex(names.index("10-bit DPX frames (folder)"))
    out = tmp_path / "reel1_restored"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
    assert done.args[1]["frames"] == 9
    files = sorted(out.glob("*.dpx"))
    assert len(files) == 9 and files[0].read_bytes()[:4] == b"SDPX"


def test_dpx_frames_out_carry_the_rate_and_open_at_it(qtbot, window, monkeypatch, tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from panchro.engine.media import dpx

    win = window
    scans = make_frame_folder(tmp_path / "reel2", 6, (64, 48), bit_depth=16, ext="tif")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scans, fps=18.0)  # shot at 18 frames a second
    panel = win.restore_panel
    panel.colorize.setChecked(False)
    names = [panel.codec.itemText(i) for i in range(panel.codec.count())]
    panel.codec.setCurrentIndex(names.index("10-bit DPX frames (folder)"))
    out = tmp_path / "reel2_dpx"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS):
        win.exporter.export(str(out))
    facts = dpx.read_headers(sorted(out.glob("*.dpx"))[4])
    assert facts == {"position": 4, "film_rate": 18.0, "tv_rate": 18.0, "timecode": "00:00:00:04"}

    # File ▸ Open a folder of scanned frames, the rate left to the files (0): 18, as they say.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (0.0, True))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.choose_folder()
    assert abs(win.fps - 18.0) < 1e-6 and win.film_fps is None
    assert win.facts.values["rate"].text() == "18 fps (as the DPX files say)"
    # A rate typed is the rate.
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (24.0, True))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.choose_folder()
    assert abs(win.fps - 24.0) < 1e-6
    assert win.facts.values["rate"].text() == "24 fps"
