"""A folder of scanned frames in the window: a gap in its numbering is said on the Frames
line, and the film goes out as DPX frames, the scanners' own format, when that is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from makemedia import make_frame_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 60_000


def test_a_scan_with_a_lost_frame_is_said_and_exports_as_dpx(qtbot, window, tmp_path: Path) -> None:
    import numpy as np

    from panchro.engine import media

    win = window
    scans = make_frame_folder(tmp_path / "reel1", 10, (64, 48), bit_depth=16, ext="tif")
    (scans / "f7.tif").unlink()
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scans)
    assert win.frame_count == 10  # f6 held in f7's place
    assert win.facts.values["frames"].text() == "10 (1 frame number missing: 7, held)"
    # ... and in sight above the picture, once, on opening.
    assert win.message_bar.isVisible()
    said = win.message_bar.text.text()
    assert said.startswith("Frame number 7 is missing from this folder's numbering (1 in all)")
    assert "the frame before a gap is shown again in its place" in said
    panel = win.restore_panel
    assert panel._form.isRowVisible(panel.gaps) and not panel._form.isRowVisible(panel._reading)
    assert panel.gaps.currentData() == "auto"

    panel.colorize.setChecked(False)  # no models here: decode -> encode
    names = [panel.codec.itemText(i) for i in range(panel.codec.count())]
    assert "10-bit DPX frames (folder)" in names
    panel.codec.setCurrentIndex(names.index("10-bit DPX frames (folder)"))
    out = tmp_path / "reel1_restored"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.exporter.export(str(out))
    assert done.args[1]["frames"] == 10
    files = sorted(out.glob("*.dpx"))
    assert len(files) == 10 and files[0].read_bytes()[:4] == b"SDPX"
    with media.open_source(out) as back:
        assert np.array_equal(back.read_frame(6).image, back.read_frame(5).image)
        assert not np.array_equal(back.read_frame(7).image, back.read_frame(5).image)

    # Restore panel ▸ Gaps ▸ Close up: read again, the files one after the other, and kept so.
    panel.gaps.setCurrentIndex(panel.gaps.findData("keep"))
    qtbot.waitUntil(lambda: win.frame_count == 9, timeout=WAIT_MS)
    assert win.facts.values["frames"].text() == "9 (1 frame number missing: 7, closed up)"
    assert panel.fields_mode() == "keep" and win.film_deinterlace == "keep"
    assert panel.settings()["deinterlace"] == "keep"  # what a project saves
    # Another frame count: the history starts again (its entries name frames as read before).
    assert win.edits.stack.count() == 0 and not win.undo_action.isEnabled()
    # Saved so and opened again: read so, its frames counted as read (the restore agrees).
    project = tmp_path / "reel1.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(project))
    from panchro.engine.project import Project

    assert Project.load(project).source.frame_count == 9
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(project)
    qtbot.waitUntil(lambda: win.frame_count == 9 and bool(win.info), timeout=WAIT_MS)
    assert panel.gaps.currentData() == "keep" and panel._form.isRowVisible(panel.gaps)


def test_dpx_frames_out_carry_the_rate_and_open_at_it(qtbot, window, monkeypatch, tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from panchro.engine.media import dpx

    win = window
    scans = make_frame_folder(tmp_path / "reel2", 6, (64, 48), bit_depth=16, ext="tif")
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scans, fps=18.0)  # shot at 18 frames a second
    panel = win.restore_panel
    assert not panel._form.isRowVisible(panel.gaps)  # its numbering is whole
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


def test_shots_picks_and_hints_stay_on_their_pictures_when_gaps_close(
    qtbot, window, tmp_path: Path
) -> None:
    from panchro.gui.colour_modes import Pick
    from panchro.gui.hints import Hint

    win = window
    scans = make_frame_folder(tmp_path / "reel3", 10, (64, 48))
    for n in (4, 5):
        (scans / f"f{n}.png").unlink()  # f1 f2 f3 . . f6 .. f10: held, f3 at 2, 3 and 4
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(scans)
    assert win.frame_count == 10
    win.shots = [
        {"start": 0, "end": 6, "key_frame": 2},
        {"start": 6, "end": 10, "key_frame": 8},  # f7 .. f10, its key frame f9
    ]
    pick = Pick(key_frame=8, seed=3, temperature=0.9, k=8, n=2, chroma="", chroma_size=28,
                trained=True)  # fmt: skip
    win.picks = {6: pick}
    win.hint_editor.reset([Hint(frame=8, points=((0.5, 0.5),), rgb=(200, 40, 40))])
    win.projects.read_fields("keep")  # as Restore panel ▸ Gaps ▸ Close up asks
    qtbot.waitUntil(lambda: win.frame_count == 8 and bool(win.info), timeout=WAIT_MS)
    # f7 is frame 4 now, f9 frame 6: the shot, its pick and the hint are on them still
    assert [(s["start"], s["end"], s["key_frame"]) for s in win.shots] == [(0, 4, 2), (4, 8, 6)]
    assert list(win.picks) == [4] and win.picks[4].key_frame == 6
    assert [h.frame for h in win.hint_editor.store.hints] == [6]
