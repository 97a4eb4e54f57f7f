"""Albums and single pictures from the window, on a real engine with a small, untrained
colorizer: a dropped folder becomes a grid (a picture that cannot be read marked, the rest
usable), a picture's colour modes, a pick, compare, the picture and the whole album exported
(the unpicked pictures as the command line restores them), a cancelled export resumed, the
refusals in words, one picture opened alone, the film tools disabled with the reason, and an
album saved as a project and opened again with its picks and hints."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from dropping import drop, open_album
from makephotos import camera_jpeg, photo_pixels, png
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def _box(folder: Path) -> Path:
    """Four grey pictures of several sizes (one in a sub-folder, one a camera JPEG turned by
    its EXIF), a JPEG cut short and a text file."""
    (folder / "1950").mkdir(parents=True)
    png(folder / "a.png", photo_pixels((96, 64), seed=1))
    png(folder / "b.png", photo_pixels((80, 80), seed=2))
    png(folder / "1950" / "c.png", photo_pixels((72, 60), seed=3))
    camera_jpeg(folder / "lake.jpg", size=(96, 64))
    whole = camera_jpeg(folder.parent / "whole.jpg", size=(400, 300))
    (folder / "torn.jpg").write_bytes(whole.read_bytes()[:3000])
    (folder / "notes.txt").write_text("from the attic")
    return folder


def _apart(a: QImage, b: QImage) -> float:
    """The mean difference of two pictures of one size, over R, G and B of a grid of pixels."""
    points = [(x, y) for y in range(0, a.height(), 2) for x in range(0, a.width(), 2)]
    return sum(abs(p - q) for x, y in points
               for p, q in zip(a.pixelColor(x, y).getRgb()[:3], b.pixelColor(x, y).getRgb()[:3],
                               strict=True)) / (3 * len(points))  # fmt: skip


def _pixels(path: Path) -> np.ndarray:
    from panchro.engine import media

    return media.read_picture(path).pixels


def test_album_grid_modes_pick_compare_and_exports(
    qtbot, coloured_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    win = coloured_window
    box = _box(tmp_path / "box")
    open_album(qtbot, win, box)
    album, grid = win.album, win.album_grid
    assert album.active and not album.single and win.film is None
    assert win.stage.currentWidget() is win.album_stage
    assert [grid.item(n).text().split("\n")[0] for n in range(grid.count())] == [
        "c.png", "a.png", "b.png", "lake.jpg", "torn.jpg",
    ]  # fmt: skip
    # The picture cut short is marked, with the engine's reason; the others have thumbnails.
    torn = album.by_name["torn.jpg"]
    assert "cut short" in torn.error
    assert "cannot be read" in grid.item_of("torn.jpg").text()
    assert "cut short" in grid.item_of("torn.jpg").toolTip()
    assert all(grid.thumbnail(n) is not None for n in ("a.png", "b.png", "1950/c.png", "lake.jpg"))
    # Upright: the camera JPEG is stored 96 x 64 with orientation 6.
    assert (album.by_name["lake.jpg"].width, album.by_name["lake.jpg"].height) == (64, 96)
    assert "1 file(s) that are not pictures" in win.message_bar.text.text()
    assert "5 pictures from box" in win.album_panel.summary.text()
    # The film's tools are off, saying why (the hint tools stay: a picture takes hints);
    # the timeline and shot strip are gone.
    hint_edit = win.hint_editor.edit_action  # in Colour ▸ Hints
    assert hint_edit.isEnabled() and win.hints_panel.isEnabled()
    reference = next(a for a in win.colour_menu.actions() if "from a &picture" in a.text())
    assert not reference.isEnabled() and "films only" in reference.toolTip()
    assert not win.colour.reference_button.isEnabled()
    assert not win.timeline.isVisible() and not win.strip.isVisible()
    assert win.restore_panel.export_button.text() == "Export album…"

    # Select the broken picture: said plainly, and nothing to compare or export.
    grid.select("torn.jpg")
    assert "Cannot be used" in win.album_panel.picture.text()
    assert not win.restore_panel.compare_button.isEnabled()
    # Enter on b.png: its colour modes are drawn, shown in place of the grid.
    win.colour.k_spin.setValue(3)
    grid.select("b.png")
    grid.setFocus()
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert win.stage.currentWidget() is win.candidates and len(win.candidates.tiles) == 3
    assert "b.png" in win.candidates.header.text()
    assert win.candidates.warning.isVisible()  # untrained, said over the modes
    qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    assert album.picks["b.png"].n == 1 and album.dirty
    assert "mode 2 of 3 picked" in grid.item_of("b.png").text()
    assert album.pick_preview("b.png") is win.candidates.sampled.pixmaps[1]  # its tile's colours
    qtbot.keyClick(win.candidates, Qt.Key.Key_Escape)
    assert win.stage.currentWidget() is win.album_stage
    assert win.album_panel.preview.isHidden()

    # Compare: the picked mode, luma untouched; a picture without a pick: automatic colours.
    with qtbot.waitSignal(album.compareShown, timeout=WAIT_MS):
        win.restore_panel.compare_button.click()
    assert win.compare.data["pick"]["index"] == 1 and win.compare.data["luma_max_diff"] < 1e-3
    # The panel's preview of the picture is there while the grid (whose tile shows it) is not.
    assert not win.album_panel.preview.isHidden()
    assert "colour mode 2 picked" in win.compare.header.text()
    assert win.compare.back.text() == "Back to the album"
    qtbot.keyClick(win.compare, Qt.Key.Key_Escape)
    grid.select("a.png")
    with qtbot.waitSignal(album.compareShown, timeout=WAIT_MS):
        album.compare()
    assert win.compare.data["pick"]["source"] == "auto"
    # the seed the exported picture's Software tag names, which --seed takes
    assert f"automatic colours (seed {win.compare.data['seed']})" in win.compare.header.text()
    a_seed = win.compare.data["seed"]
    album.show_grid()

    # Export the selected picture; the format comes from the name chosen.
    grid.select("b.png")
    out = tmp_path / "b_colour.tif"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "TIFF (*.tif *.tiff)")
    )
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.restore_panel.export_picture_button.click()
    assert done.args[0] == "picture" and done.args[1]["codec"] == "tiff"
    with Image.open(out) as im:
        assert im.format == "TIFF" and im.mode == "RGB"
    # Into the input itself: refused in words, the input untouched.
    before = (box / "a.png").read_bytes()
    grid.select("a.png")
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as failed:
        album.exports.export_picture(str(box / "a.png"))
    assert "is the input" in failed.args[1] and "is the input" in win.message_bar.text.text()
    assert (box / "a.png").read_bytes() == before

    # The whole album: into the input folder refused; into a folder: every picture, with
    # the pick, the failure listed; the unpicked ones as `panchro restore --stills` makes them.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(box))
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as failed:
        win.restore_panel.export_button.click()
    assert "is the input folder" in failed.args[1]
    colour = tmp_path / "colour"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(colour))
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.restore_panel.export_button.click()
    kind, summary = done.args
    assert kind == "album" and summary["picked"] == ["b.png"]
    assert sorted(summary["restored"]) == ["1950/c.png", "a.png", "b.png", "lake.jpg"]
    assert [f["name"] for f in summary["failed"]] == ["torn.jpg"]
    assert "1 failed (torn.jpg" in win.message_bar.text.text()
    assert album.dirty and album.by_name["a.png"].exported == str(colour)  # exported, not saved
    cli = tmp_path / "cli"
    _restore_album_like_the_cli(box, cli, tmp_path / "models")
    for name in ("a.png", "1950/c.png", "lake.jpg"):
        np.testing.assert_array_equal(_pixels(colour / name), _pixels(cli / name))
    np.testing.assert_array_equal(_pixels(colour / "b.png"), _pixels(out))  # same pick
    with Image.open(colour / "a.png") as im:  # the seed the compare header named
        assert f"automatic pick, seed {a_seed})" in im.text["Software"]
    # Again into the same folder: nothing redone.
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        album.exports.export_album(str(colour))
    assert done.args[1]["restored"] == [] and len(done.args[1]["skipped"]) == 4

    # Opening a film afterwards asks first about picks not saved, and gives the film's
    # tools back.
    from makemedia import make_video
    from PySide6.QtWidgets import QMessageBox

    video = make_video(tmp_path / "film.mp4", frames=12)
    grid.select("b.png")
    album.unpick()  # automatic colours again, a change not exported
    assert "automatic colours" in grid.item_of("b.png").text()
    album.pick_candidate(0)
    assert album.dirty
    win.confirm_discard = True
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda _w, title, *a, **k: asked.append(title) or answers.pop(0)
    )
    win.projects.open_any(str(video))
    assert asked == ["Unsaved changes"] and album.active and win.film_path is None
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_any(str(video))
    win.confirm_discard = False
    assert not album.active and win.timeline.isVisible()
    assert hint_edit.isEnabled() and win.hints_panel.isEnabled()
    assert win.restore_panel.export_button.text() == "Export…"


def _restore_album_like_the_cli(box: Path, out: Path, models: Path) -> None:
    """`panchro restore BOX OUT --colorize` with the window's models (seed 0)."""
    from panchro.engine.restore.album import restore_album
    from panchro.engine.restore.stages import ColorizeStage

    stage = ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )
    summary = restore_album([box], out, stages=[stage], seed=0)
    assert len(summary.restored) == 4


def test_a_cancelled_album_export_resumes(qtbot, coloured_window, tmp_path: Path) -> None:
    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    files = [png(box / f"scan {n}.png", photo_pixels((200, 150), seed=n)) for n in range(10)]
    open_album(qtbot, win, *files)  # several pictures dropped: an album of them
    assert len(win.album.pictures) == 10 and win.album.reason == "10 inputs"
    out = tmp_path / "colour"
    shown: list[float] = []
    win.restore_panel.progress.valueChanged.connect(
        lambda *_: shown.append(win.restore_panel.frames_shown())
    )
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as stopped:
        win.album.exports.export_album(str(out))
        assert win.restore_panel.cancel_button.isVisible()
        qtbot.waitUntil(lambda: any(v >= 2 for v in shown), timeout=WAIT_MS)
        assert "/ 10 pictures" in win.restore_panel.progress_label.text()
        assert "Exporting scan " in win.restore_panel.progress_label.text()  # the one under way
        win.restore_panel.cancel_button.click()
    assert stopped.args == ["album", "cancelled"]
    assert "export to the same folder again" in win.restore_panel.progress_label.text()
    kept = sorted(p.name for p in out.glob("*.png"))
    assert 2 <= len(kept) < 10
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.album.exports.export_album(str(out))
    assert sorted(done.args[1]["skipped"]) == kept
    assert len(done.args[1]["restored"]) == 10 - len(kept)


def test_one_picture_opens_large_and_exports_a_picture(
    qtbot, coloured_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    win = coloured_window
    photo = camera_jpeg(tmp_path / "grandma.jpg", size=(120, 80))
    with qtbot.waitSignal(win.album.opened, timeout=WAIT_MS):
        win.projects.open_any(str(photo))
    qtbot.waitUntil(lambda: win.view.pixmap() is not None, timeout=WAIT_MS)
    assert win.album.single and win.stage.currentWidget() is win.view
    assert win.view.pixmap().size().toTuple() == (80, 120)  # upright
    assert win.restore_panel.export_button.text() == "Export…"
    assert not win.restore_panel.export_picture_button.isVisible()
    out = tmp_path / "grandma_colour"  # no extension: the dialog's filter gives it
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PNG (*.png)"))
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.restore_panel.export_button.click()
    assert done.args[0] == "picture" and Path(done.args[1]["output"]).name == "grandma_colour.png"
    with Image.open(tmp_path / "grandma_colour.png") as im:
        assert im.format == "PNG" and im.size == (80, 120)
    assert "Exported grandma.jpg" in win.message_bar.text.text()


def test_bad_albums_are_said_and_numbered_frames_stay_a_film(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    from makemedia import make_frame_folder

    win = coloured_window
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no pictures here")
    with qtbot.waitSignal(win.openFailed, timeout=WAIT_MS) as failed:
        drop(win, empty)
    assert "contains no pictures" in failed.args[0]
    assert "contains no pictures" in win.message_bar.text.text() and not win.album.active
    assert win.windowTitle() == "Panchro"
    frames = make_frame_folder(tmp_path / "reel", 6, (64, 48))
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        drop(win, frames)
    assert win.film_path == str(frames) and not win.album.active
    assert win.facts.values["frames"].text() == "6"


def _logged(out: Path) -> int:
    """Pictures the album's job log says are done (`restore.album`'s LOG, which its resume
    reads; found by name so this process stays free of torch)."""
    return sum(f.read_text().count('"state":"done"') for f in out.glob("*/log.jsonl"))


def test_an_engine_that_dies_mid_export_is_restarted_and_the_album_resumes(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    for n in range(8):
        png(box / f"p{n}.png", photo_pixels((160 + 8 * n, 120), seed=n))  # sizes differ: album
    open_album(qtbot, win, box)
    out = tmp_path / "colour"
    progressed: list[float] = []
    win.restore_panel.progress.valueChanged.connect(
        lambda *_: progressed.append(win.restore_panel.frames_shown())
    )
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as failed:
        win.album.exports.export_album(str(out))
        qtbot.waitUntil(lambda: any(v >= 2 for v in progressed), timeout=WAIT_MS)
        # the bar counts a picture in hand before it is written, and a picture is done once
        # the album's log says so: wait for two "done" records (on a loaded machine the kill
        # came before the second, and the resume rightly skipped only one)
        qtbot.waitUntil(lambda: _logged(out) >= 2, timeout=WAIT_MS)
        win.engine.process.kill()
    assert failed.args == ["album", "engine stopped"]
    assert "export to the same folder again" in win.restore_panel.progress_label.text()
    with qtbot.waitSignal(win.album.opened, timeout=WAIT_MS):  # opened again on the new engine
        pass
    assert win.album.active and win.album.handle is not None and win.engine.restarts == 1
    assert [p.name for p in win.album.pictures] == [f"p{n}.png" for n in range(8)]
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.album.exports.export_album(str(out))
    summary = done.args[1]
    assert len(summary["skipped"]) >= 2 and len(summary["skipped"]) + len(summary["restored"]) == 8


def test_hints_on_album_pictures_preview_and_export(
    qtbot, coloured_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """H on a picture: the hint tools on it (its upright pixels), the preview with its hints,
    Page Down to the next picture, each picture's hints in the album's export, equal to the
    command line's album with the same hints; undo; and leaving asks before they are lost."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QMessageBox

    from panchro.engine.imaging.hints import parse_hints
    from panchro.engine.restore.album import restore_album
    from panchro.engine.restore.stages import ColorizeStage
    from panchro.engine.service.protocol import Request

    win = coloured_window
    box = _box(tmp_path / "box")
    open_album(qtbot, win, box)
    album, editor, grid = win.album, win.hint_editor, win.album_grid
    sent: list[tuple[str, dict]] = []
    original = win.engine.request

    def request(type_: str, callback=None, **params):
        sent.append((type_, params))
        return original(type_, callback, **params)

    monkeypatch.setattr(win.engine, "request", request)

    def click(u: float, v: float) -> None:
        canvas = win.compare.canvas
        r = canvas.image_rect()
        pos = QPoint(r.x() + round(u * r.width()), r.y() + round(v * r.height()))
        with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
            qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)

    grid.select("b.png")
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win, Qt.Key.Key_H)
    b = album.index_of("b.png")
    assert editor.active and editor.frame == b and win.stage.currentWidget() is win.compare
    qtbot.keyClick(win, Qt.Key.Key_P)
    editor.use_colour((200, 40, 40))
    click(0.25, 0.5)
    (hint,) = editor.store.hints
    assert hint.frame == b and hint.points[0] == pytest.approx((20.0, 40.0), abs=1.0)  # 80 x 80
    asked = [p for t, p in sent if t == Request.PREVIEW_PICTURE][-1]
    assert asked["picture"] == "b.png" and asked["colorize"] is True
    assert asked["hints"]["frame_size"] == [80, 80]
    assert [pt["frame"] for pt in asked["hints"]["points"]] == [0]
    assert "coloured by its 1 hint alone" in win.compare.header.text()
    assert "1 hint" in grid.item_of("b.png").text() and album.dirty

    # Page Down: the next picture (lake.jpg, stored 96 x 64, upright 64 x 96), tool in hand.
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win.compare, Qt.Key.Key_PageDown)
    lake = album.index_of("lake.jpg")
    assert editor.frame == lake and editor.tool == "point" and album.current == "lake.jpg"
    editor.use_colour((40, 60, 200))
    click(0.5, 0.75)
    assert editor.store.on_frames(lake, lake + 1)[0].points[0] == pytest.approx((32, 72), abs=1)
    click(0.5, 0.25)
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(editor.store.on_frames(lake, lake + 1)) == 1  # undo took the last one back

    # The album's export carries each picture's hints, as the command line restores them.
    out = tmp_path / "colour"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        album.exports.export_album(str(out))
    summary = done.args[1]
    assert sorted(summary["hinted"]) == ["b.png", "lake.jpg"]
    exported = [p for t, p in sent if t == Request.EXPORT_ALBUM][-1]["hints"]
    models = Path(os.environ["PANCHRO_MODELS_DIR"])
    stage = ColorizeStage(
        device="cpu",
        refiner_path=str(models / "refiner.safetensors"),
        colorizer_path=str(models / "colorizer.safetensors"),
    )
    hints = {name: parse_hints(h) for name, h in exported.items()}
    restore_album([box], tmp_path / "cli", stages=[stage], seed=0, hints=hints)
    for name in ("b.png", "lake.jpg", "a.png"):
        np.testing.assert_array_equal(_pixels(out / name), _pixels(tmp_path / "cli" / name))
    r, g, bl = (int(v) for v in _pixels(out / "b.png")[40, 20])
    assert r > g and r > bl, (r, g, bl)

    # New hints after the export: leaving the album asks first.
    click(0.3, 0.3)
    win.confirm_discard = True
    asked_titles: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda _w, title, *a, **k: asked_titles.append(title) or QMessageBox.StandardButton.Cancel,
    )  # fmt: skip
    win.album.choose_folder = lambda: None
    assert not album.close() and asked_titles == ["Unsaved changes"]
    win.confirm_discard = False


def test_an_album_saved_as_a_project_and_opened_again(
    qtbot, coloured_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pick one picture, hint another, save (Save project as…), close, open the project: the
    picks, hints and settings are back, the title says the project, and the album exports as
    it did before the save. A picture retouched since is named and its pick left out; unsaved
    changes are asked about, and Save there saves them."""
    import json

    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    win = coloured_window
    box = _box(tmp_path / "box")
    open_album(qtbot, win, box)
    album, editor, grid = win.album, win.hint_editor, win.album_grid
    assert win.windowTitle() == "Panchro — box"
    actions = {a.text(): a for a in win.menuBar().actions()[0].menu().actions()}

    def click(u: float, v: float) -> None:
        r = win.compare.canvas.image_rect()
        pos = QPoint(r.x() + round(u * r.width()), r.y() + round(v * r.height()))
        with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
            qtbot.mouseClick(win.compare.canvas, Qt.MouseButton.LeftButton, pos=pos)

    def hint(name: str, u: float, v: float) -> None:
        grid.select(name)
        with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
            qtbot.keyClick(win, Qt.Key.Key_H)
        qtbot.keyClick(win, Qt.Key.Key_P)
        editor.use_colour((40, 60, 200))
        click(u, v)

    # Mode 2 of 3 picked on b.png; a point on lake.jpg; every picture as PNG.
    win.colour.k_spin.setValue(3)
    grid.select("b.png")
    with qtbot.waitSignal(album.modesShown, timeout=WAIT_MS):
        album.open_picture("b.png")
    qtbot.keyClick(win.candidates, Qt.Key.Key_2)
    assert win.windowTitle() == "Panchro — box *"
    hint("lake.jpg", 0.5, 0.75)
    lake = album.index_of("lake.jpg")
    (placed,) = editor.store.hints
    assert placed.frame == lake
    box_format = win.restore_panel.album_format
    box_format.setCurrentIndex(box_format.findData("png"))
    picked = album.picks["b.png"]
    drawn = album.pick_preview("b.png").toImage()  # its mode as drawn
    before = tmp_path / "before"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        album.exports.export_album(str(before))
    assert done.args[1]["picked"] == ["b.png"] and done.args[1]["hinted"] == ["lake.jpg"]

    # Save project as…: the dialog's name gets .panchro; the title is the project's.
    target = tmp_path / "family.panchro"
    asked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName",
        lambda _w, title, *a, **k: asked.append(title) or (str(tmp_path / "family"), ""),
    )  # fmt: skip
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS) as saved:
        actions["Sa&ve project as…"].trigger()
    assert asked == ["Save the album's project"] and saved.args == [str(target)]
    assert win.windowTitle() == "Panchro — family.panchro" and not album.dirty
    doc = json.loads(target.read_text())
    assert doc["format"] == "panchro.album-project" and doc["inputs"] == [str(box)]
    assert sorted(doc["pictures"]) == ["b.png", "lake.jpg"]
    assert doc["pictures"]["b.png"]["pick"]["index"] == 1
    assert doc["pictures"]["lake.jpg"]["hints"]["points"][0]["frame"] == 0
    assert doc["settings"]["format"] == "png" and doc["settings"]["output"] == str(before)
    assert win.projects.recent_files()[0] == str(target)

    # Closed without a question (nothing unsaved), then opened from File > Open recent.
    win.confirm_discard = True
    questions: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question",
        lambda _w, title, *a, **k: questions.append(title) or QMessageBox.StandardButton.Save,
    )  # fmt: skip
    assert album.close() and not album.active and questions == []
    assert win.windowTitle() == "Panchro"
    assert not album.picks and len(editor.store) == 0
    box_format.setCurrentIndex(0)
    win.recent_menu.aboutToShow.emit()
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS) as loaded:
        win.recent_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: grid.thumbnail("lake.jpg") is not None, timeout=WAIT_MS)
    assert loaded.args == [str(target)] and album.active
    back = album.picks["b.png"]
    assert (back.n, back.seed, back.chroma) == (picked.n, picked.seed, picked.chroma)
    assert list(album.picks) == ["b.png"]
    (again,) = editor.store.hints
    assert again.frame == album.index_of("lake.jpg") == lake and again == placed  # exactly
    assert "mode 2 picked" in grid.item_of("b.png").text()
    assert "1 hint" in grid.item_of("lake.jpg").text()
    # shown in its colours again: made by the engine, as the mode drawn was
    qtbot.waitUntil(lambda: album.pick_preview("b.png") is not None, timeout=WAIT_MS)
    made = album.pick_preview("b.png").toImage().scaled(drawn.size())
    assert _apart(made, drawn) < 8, _apart(made, drawn)
    assert album.pick_preview("lake.jpg") is None  # hints alone: no pick, its own thumbnail
    assert box_format.currentData() == "png" and album.last_output == str(before)
    assert win.windowTitle() == "Panchro — family.panchro" and not album.dirty
    assert not editor.undo.canUndo()
    after = tmp_path / "after"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        album.exports.export_album(str(after))
    assert done.args[1]["picked"] == ["b.png"] and done.args[1]["hinted"] == ["lake.jpg"]
    for name in ("a.png", "b.png", "1950/c.png", "lake.png"):
        np.testing.assert_array_equal(_pixels(after / name), _pixels(before / name))

    # b.png retouched since: named, its pick left out; the hints of lake.jpg still back.
    png(box / "b.png", photo_pixels((80, 80), seed=12))
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_any(str(target))
    assert questions == [] and album.picks == {} and len(editor.store) == 1
    text = win.message_bar.text.text()
    assert "1 picture changed since the project was saved (b.png)" in text, text
    assert "saving the project again forgets them" in text

    # A new hint: unsaved (the title says so); closing asks, and Save saves it first.
    qtbot.waitUntil(lambda: grid.thumbnail("a.png") is not None, timeout=WAIT_MS)
    hint("a.png", 0.3, 0.3)
    assert album.dirty and win.windowTitle() == "Panchro — family.panchro *"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        assert album.close()
    assert questions == ["Unsaved changes"] and not album.active
    assert sorted(json.loads(target.read_text())["pictures"]) == ["a.png", "lake.jpg"]
    win.confirm_discard = False


def test_closing_the_window_with_save_keeps_the_album_while_an_export_runs(
    qtbot, coloured_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question's Save on quitting sends the save; the window lets it land (the export
    under way is cancelled, resumable) before the engine stops."""
    import json

    from PySide6.QtWidgets import QMessageBox

    from panchro.gui.hints import AddHint, Hint

    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    for n in range(10):
        png(box / f"scan {n}.png", photo_pixels((200, 150), seed=n))
    with qtbot.waitSignal(win.album.settled, timeout=WAIT_MS):
        win.album.open([str(box)], stills=True)  # numbered, one size: a film by the rule
    target = tmp_path / "scans.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        assert win.album.projects.save_as(str(target))
    editor = win.hint_editor
    editor.undo.push(AddHint(editor.store, Hint(3, ((20.0, 30.0),), (200, 40, 40))))
    assert win.album.dirty and win.windowTitle() == "Panchro — scans.panchro *"
    progressed: list[float] = []
    win.restore_panel.progress.valueChanged.connect(
        lambda *_: progressed.append(win.restore_panel.frames_shown())
    )
    win.album.exports.export_album(str(tmp_path / "colour"))
    qtbot.waitUntil(lambda: any(v >= 1 for v in progressed), timeout=WAIT_MS)
    assert win.album.exports.busy
    win.confirm_discard = True
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    assert win.close()
    doc = json.loads(target.read_text())
    assert list(doc["pictures"]) == ["scan 3.png"]
    assert doc["pictures"]["scan 3.png"]["hints"]["points"][0]["x"] == 20


def test_an_album_export_onto_other_settings_offers_to_replace_them(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    """The engine's refusal names the command line's --overwrite, and says what it would
    replace in a field of its own (`replaceable`); the app says its button."""
    win = coloured_window
    box = tmp_path / "box"
    box.mkdir()
    files = [png(box / f"scan {n}.png", photo_pixels((64, 48), seed=n)) for n in range(2)]
    open_album(qtbot, win, *files)
    out = tmp_path / "colour"
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS):
        win.album.exports.export_album(str(out))
    win.restore_panel.colorize.setChecked(False)  # other settings, the same folder
    with qtbot.waitSignal(win.jobFailed, timeout=WAIT_MS) as failed:
        win.album.exports.export_album(str(out))
    said = win.message_bar.text.text()
    assert "colour already holds an album restored with other settings (" in said
    assert "--overwrite" not in said
    assert "Replace them restores the pictures with these settings" in said
    assert "--overwrite" not in win.restore_panel.progress_label.text()
    assert "(stages: colorize left out)" in failed.args[1]
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS) as done:
        win.message_bar.action_button.click()
    assert len(done.args[1]["restored"]) == 2


def test_an_album_picture_kept_black_and_white_or_tinted(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    """Keep black and white (G), Tint and Tone were off in an album, saying "films only":
    a portrait meant grey was coloured with the rest."""
    win = coloured_window
    open_album(qtbot, win, _box(tmp_path / "box"))
    album, grid = win.album, win.album_grid
    keep = next(a for a in win.colour_menu.actions() if "black and &white" in a.text())
    assert keep.isEnabled()
    levels = next(a for a in win.colour_menu.actions() if "le&vels" in a.text())
    assert not levels.isEnabled() and "Restore panel (Negatives, Levels)" in levels.toolTip()
    grid.select("a.png")
    # a selected tile keeps its picture's colours (the view tinted it blue)
    from PySide6.QtGui import QIcon

    assert grid.item_of("a.png").icon().availableSizes(QIcon.Mode.Selected)
    keep.trigger()
    assert album.picks["a.png"].source == "grey" and album.dirty
    assert "kept black and white" in win.statusBar().currentMessage()
    grid.select("b.png")
    win.colour_picks.tint(rgb=(200, 150, 60))
    assert album.picks["b.png"].source == "tint"
    out = tmp_path / "grey.png"
    grid.select("a.png")
    with qtbot.waitSignal(win.jobFinished, timeout=WAIT_MS):
        album.exports.export_picture(str(out))
    pixels = _pixels(out).astype(int)  # grey, as kept (written as a grey picture)
    assert pixels.ndim == 2 or np.abs(pixels - pixels.mean(axis=2, keepdims=True)).max() <= 1


def test_a_pictures_export_is_offered_outside_the_albums_folder(
    qtbot, coloured_window, tmp_path: Path
) -> None:
    """Offered beside the picture, inside the box, the copy joined the album when the box
    was opened again."""
    win = coloured_window
    box = _box(tmp_path / "box")
    open_album(qtbot, win, box)
    pic = win.album.by_name["1950/c.png"]
    suggested = Path(win.album.exports._suggest_picture_output(pic))
    assert suggested == tmp_path / "c_restored.png" and box not in suggested.parents
