"""The colour hint tools in the window: points and strokes placed where the mouse (or the
keyboard cursor) says, in the film's pixels; undo, redo, erase, the eyedropper; the preview
asked after each edit with the hints; hints saved in the project and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor

from panchro.engine.service.protocol import Request
from panchro.gui.hints import FrameGeometry, Hint, hints_from_json, hints_json

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WAIT_MS = 120_000


def test_frame_geometry_maps_the_upright_picture_to_source_pixels() -> None:
    plain = FrameGeometry(160, 120)
    assert plain.to_source(0.25, 0.5) == (40.0, 60.0)
    # A phone film stored 160 x 120 and shown turned a quarter clockwise (120 wide, 160
    # high): the picture's top-right corner is the stored frame's top-left.
    turned = FrameGeometry(160, 120, 90)
    assert turned.to_source(1.0, 0.0) == (0.0, 0.0)
    assert turned.to_source(0.0, 0.0) == (0.0, 120.0)
    for rotation in (0, 90, 180, 270):
        g = FrameGeometry(160, 120, rotation)
        for u, v in ((0.1, 0.2), (0.7, 0.9), (0.5, 0.5)):
            x, y = g.to_source(u, v)
            back = g.to_view(x, y)
            assert abs(back[0] - u) < 1e-3 and abs(back[1] - v) < 1e-3, rotation
    # Screen pixels per source pixel: the narrower axis of a 640 x 480 rect over 160 x 120.
    assert plain.scale(QRect(0, 0, 640, 480)) == 4.0
    assert turned.scale(QRect(0, 0, 480, 640)) == 4.0


def test_a_shots_hints_on_its_other_frames_are_drawn_faint_and_erased() -> None:
    """A hints file may place a shot's hints on any of its frames; they colour the shot, so
    the key frame shows them (faint, where they were placed) and the eraser takes them."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QImage, QPainter

    from panchro.gui.hints import hint_at, paint_hints

    geometry, rect = FrameGeometry(100, 50), QRect(0, 0, 200, 100)
    red, blue = (230, 20, 20), (20, 20, 230)
    hints = [Hint(5, ((25.0, 25.0),), red), Hint(9, ((75.0, 25.0),), blue)]  # key frame 5
    at = {"red": QPointF(50, 50), "blue": QPointF(150, 50)}
    assert hint_at(hints, 5, geometry, rect, at["red"]) == 0
    assert hint_at(hints, 5, geometry, rect, at["blue"]) is None  # frame 5's alone: not found
    assert hint_at(hints, 5, geometry, rect, at["blue"], (0, 12)) == 1  # the shot's: found
    assert hint_at(hints, 5, geometry, rect, at["blue"], (0, 9)) is None  # another shot's
    image = QImage(200, 100, QImage.Format.Format_RGB32)
    image.fill(QColor(128, 128, 128))
    painter = QPainter(image)
    paint_hints(painter, rect, geometry, hints, 5, None, (0, 12))
    painter.end()
    full, faint = image.pixelColor(50, 50), image.pixelColor(150, 50)
    assert full.red() > 200 and full.blue() < 60
    assert 60 < faint.blue() < 200 and faint.red() < 110  # its colour, half over the picture


def test_the_json_form_is_the_hints_files() -> None:
    hints = [
        Hint(3, ((10.5, 20.0),), (200, 10, 10)),
        Hint(3, ((1.0, 2.0), (30.0, 40.0)), (0, 0, 255), 6.0),
    ]
    data = hints_json(hints)
    assert data == {
        "version": 1,
        "points": [{"frame": 3, "x": 10.5, "y": 20.0, "rgb": [200, 10, 10]}],
        "strokes": [{"frame": 3, "points": [[1.0, 2.0], [30.0, 40.0]], "width": 6.0,
                     "rgb": [0, 0, 255]}],
    }  # fmt: skip
    assert hints_from_json(json.loads(json.dumps(data))) == hints
    with pytest.raises(ValueError):
        hints_from_json({"version": 2})


def _record_requests(win: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every request the window sends from now on, with its parameters."""
    sent: list[tuple[str, dict[str, Any]]] = []
    original = win.engine.request

    def request(type_: str, callback: Any = None, **params: Any) -> int:
        sent.append((type_, params))
        return original(type_, callback, **params)

    win.engine.request = request
    return sent


def _open_and_edit(qtbot: Any, win: Any, film: Any) -> None:
    win.confirm_discard = False  # a modal question about unsaved hints would block teardown
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    win.player.seek(film.shot_starts[1] + 3)  # inside shot 2
    qtbot.waitUntil(lambda: win.player.displayed == film.shot_starts[1] + 3, timeout=WAIT_MS)
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win, Qt.Key.Key_H)  # Colour > Hints > Edit hints on the key frame
    # A picture to place hints on: the preview, or (no models here, no hints yet) the frame.
    qtbot.waitUntil(lambda: win.compare.canvas.after is not None, timeout=WAIT_MS)


def _click(qtbot: Any, win: Any, u: float, v: float) -> tuple[float, float]:
    """Click at (u, v) of the picture in the compare view; the source pixel expected there."""
    canvas = win.compare.canvas
    r = canvas.image_rect()
    pos = QPoint(r.x() + round(u * r.width()), r.y() + round(v * r.height()))
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=WAIT_MS):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    w, h = win.info["width"], win.info["height"]
    return (pos.x() - r.x()) / r.width() * w, (pos.y() - r.y()) / r.height() * h


def _last_hint_preview(sent: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return [p for t, p in sent if t == Request.HINT_PREVIEW][-1]


def test_points_strokes_undo_redo_erase_and_the_preview(qtbot, window, film) -> None:
    win = window
    editor = win.hint_editor
    _open_and_edit(qtbot, win, film)
    key = int(win.shots[1]["key_frame"])
    assert win.stage.currentWidget() is win.compare and editor.active and editor.frame == key
    assert win.current == key
    sent = _record_requests(win)

    # A point where the click was, in the film's pixels, on the key frame.
    qtbot.keyClick(win, Qt.Key.Key_P)
    assert editor.tool == "point" and editor.tool_actions["point"].isChecked()
    editor.use_colour((220, 30, 30))
    x, y = _click(qtbot, win, 0.25, 0.5)
    (hint,) = editor.store.hints
    assert hint.frame == key and hint.is_point and hint.rgb == (220, 30, 30)
    assert hint.points[0] == pytest.approx((x, y), abs=0.01)
    assert hint.points[0] == pytest.approx((40.0, 60.0), abs=1.0)  # a 160 x 120 film
    # The preview after the edit carries the hints, the shot and the key frame.
    asked = _last_hint_preview(sent)
    assert asked["index"] == key and asked["shot"]["start"] == film.shot_starts[1]
    # the hints, and the size of the frames they were placed on (another film's are refused)
    assert asked["hints"] == {**hints_json(editor.store.hints), "frame_size": [160, 120]}
    assert "pick" not in asked
    assert win.compare.data["hints"] == 1 and win.compare.data["alone"] is True
    assert editor.latencies and win.dirty
    assert "no refiner weights" in win.hints_panel.note.text()  # no models here: said

    # A brush stroke: press, drag, release.
    qtbot.keyClick(win, Qt.Key.Key_B)
    editor._set_width(12)
    canvas, r = win.compare.canvas, win.compare.canvas.image_rect()
    start = QPoint(r.x() + r.width() // 2, r.y() + r.height() // 4)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for dx in range(10, 120, 10):
        qtbot.mouseMove(canvas, start + QPoint(dx, dx // 3))
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPoint(110, 36))
    stroke = editor.store.hints[-1]
    assert not stroke.is_point and stroke.width == 12.0 and len(stroke.points) >= 5
    assert len(_last_hint_preview(sent)["hints"]["strokes"]) == 1

    # Undo takes the stroke away, redo brings it back; each edit asks again.
    before = len([t for t, _ in sent if t == Request.HINT_PREVIEW])
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.store.hints == [hint]
    assert _last_hint_preview(sent)["hints"]["strokes"] == []
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        editor.redo_action.trigger()
    assert editor.store.hints == [hint, stroke]
    assert len([t for t, _ in sent if t == Request.HINT_PREVIEW]) == before + 2

    # The eraser removes the marker clicked, and only that one; undo brings it back.
    qtbot.keyClick(win, Qt.Key.Key_E)
    _click(qtbot, win, 0.25, 0.5)
    assert editor.store.hints == [stroke]
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        editor.undo_action.trigger()
    assert editor.store.hints == [hint, stroke]
    win.statusBar().clearMessage()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(r.x() + 2, r.bottom() - 2))
    assert "No hint marker there" in win.statusBar().currentMessage()

    # Markers can be hidden and shown (Shift+H).
    qtbot.keyClick(win, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)
    assert not editor.show_markers and not win.hints_panel.markers.isChecked()
    win.hints_panel.markers.setChecked(True)
    assert editor.show_markers and editor.markers_action.isChecked()

    # Compare (V), sampling and the export carry the hints too.
    win.exporter.compare_frame()
    preview = [p for t, p in sent if t == Request.PREVIEW][-1]
    assert preview["hints"] == {**hints_json([hint, stroke]), "frame_size": [160, 120]}
    qtbot.waitUntil(lambda: win.exporter._compare_req is None, timeout=WAIT_MS)

    # Clear this shot's hints, undoably.
    with qtbot.waitSignal(editor.hintsChanged, timeout=WAIT_MS):
        editor.clear_action.trigger()
    assert len(editor.store) == 0
    editor.undo_action.trigger()
    assert len(editor.store) == 2


def test_the_keyboard_places_hints_and_moves_between_shots(qtbot, window, film) -> None:
    win = window
    editor = win.hint_editor
    _open_and_edit(qtbot, win, film)
    key1 = int(win.shots[1]["key_frame"])
    win.compare.setFocus()
    qtbot.keyClick(win, Qt.Key.Key_P)
    # The hint cursor starts in the middle; arrows move it, Enter places a point there.
    for _ in range(5):
        qtbot.keyClick(win.compare, Qt.Key.Key_Left)
    assert editor.frame == key1 and win.current == key1  # the arrows moved the cursor only
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win.compare, Qt.Key.Key_Return)
    (hint,) = editor.store.hints
    assert hint.points[0] == pytest.approx((160 * 0.45, 60.0), abs=0.6)
    # Page Down: the next shot's key frame, the tool still in hand.
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win.compare, Qt.Key.Key_PageDown)
    key2 = int(win.shots[2]["key_frame"])
    assert editor.frame == key2 and editor.tool == "point"
    assert win.stage.currentWidget() is win.compare
    # (no models here: that shot, without hints or a pick, shows its frame as decoded)
    qtbot.waitUntil(lambda: win.compare.canvas.after is not None, timeout=WAIT_MS)

    # The eyedropper takes the colour shown under it, then gives back the point tool.
    qtbot.keyClick(win, Qt.Key.Key_I)
    assert editor.tool == "pick"
    canvas, r = win.compare.canvas, win.compare.canvas.image_rect()
    pos = QPoint(r.x() + r.width() // 3, r.y() + r.height() // 3)
    image = canvas.after.toImage()
    shown = image.pixelColor(
        int((pos.x() - r.x()) / r.width() * image.width()),
        int((pos.y() - r.y()) / r.height() * image.height()),
    )
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert editor.rgb == (shown.red(), shown.green(), shown.blue())
    assert editor.tool == "point" and editor.recent[0] == editor.rgb
    assert win.hints_panel.recent_buttons  # the recent colours, as swatches
    # A recent colour from the Colour menu.
    editor.use_colour((1, 2, 3))
    editor.recent_menu.aboutToShow.emit()
    entries = [a for a in editor.recent_menu.actions() if a.isEnabled()]
    assert len(entries) >= 2
    entries[1].trigger()
    assert editor.rgb == editor.recent[0] != (1, 2, 3)
    # The chooser (stubbed: a modal dialog would wait for a person).
    from PySide6.QtWidgets import QColorDialog

    original = QColorDialog.getColor
    QColorDialog.getColor = staticmethod(lambda *a, **k: QColor(10, 200, 30))
    try:
        editor.colour_action.trigger()
    finally:
        QColorDialog.getColor = original
    assert editor.rgb == (10, 200, 30)
    # Esc puts the tool down (and the status bar stops naming it); again, back to the film.
    editor.set_tool("brush")
    assert win.statusBar().currentMessage().startswith("Hints: ")
    qtbot.keyClick(win.compare, Qt.Key.Key_Escape)
    assert editor.tool == "" and win.stage.currentWidget() is win.compare
    assert not win.statusBar().currentMessage().startswith("Hints: ")
    qtbot.keyClick(win.compare, Qt.Key.Key_Escape)
    assert win.stage.currentWidget() is win.view and not editor.active


def test_hints_are_saved_in_the_project_and_read_back(qtbot, window, film, tmp_path: Path) -> None:
    win = window
    editor = win.hint_editor
    _open_and_edit(qtbot, win, film)
    qtbot.keyClick(win, Qt.Key.Key_P)
    _click(qtbot, win, 0.5, 0.25)
    qtbot.keyClick(win, Qt.Key.Key_B)
    editor._set_width(9)
    canvas, r = win.compare.canvas, win.compare.canvas.image_rect()
    a, b = QPoint(r.x() + 10, r.y() + 10), QPoint(r.x() + r.width() // 2, r.y() + 40)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(canvas, b)
    with qtbot.waitSignal(editor.previewShown, timeout=WAIT_MS):
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)
    placed = editor.store.hints
    assert len(placed) == 2

    target = tmp_path / "hinted.panchro"
    with qtbot.waitSignal(win.projectSaved, timeout=WAIT_MS):
        win.projects.save_project_as(str(target))
    on_disk = json.loads(target.read_text(encoding="utf-8"))["hints"]
    assert hints_from_json(on_disk) == sorted(placed, key=lambda h: not h.is_point)

    # Another film empties the hints; the project brings them back, with nothing to undo.
    with qtbot.waitSignal(win.settled, timeout=WAIT_MS):
        win.projects.open_film(film.path)
    assert len(editor.store) == 0
    with qtbot.waitSignal(win.projectLoaded, timeout=WAIT_MS):
        win.projects.open_project(target)
    assert editor.store.hints == sorted(placed, key=lambda h: not h.is_point)
    assert not editor.undo.canUndo() and not win.dirty
    # ... and the export sends them.
    # (The other shots need the colorizer, which this engine lacks: the export's end is not
    # the point here, what it asks for is.)
    sent = _record_requests(win)
    win.exporter.export(str(tmp_path / "out.mp4"))
    qtbot.waitUntil(lambda: win.exporter._job_req is None, timeout=WAIT_MS)
    render = [p for t, p in sent if t == Request.RENDER][-1]
    assert render["hints"] == {**hints_json(editor.store.hints), "frame_size": [160, 120]}


def test_an_untrained_model_is_said_over_the_hinted_frame(qtbot, coloured_window, film) -> None:
    win = coloured_window
    _open_and_edit(qtbot, win, film)  # no hints, no pick: the shot's automatic pick
    assert "UNTRAINED" in win.hints_panel.note.text()
    assert "UNTRAINED" in win.compare.header.text()
    # Colour modes drawn with a hint on the key frame keep it: the request carries it.
    sent = _record_requests(win)
    qtbot.keyClick(win, Qt.Key.Key_P)
    _click(qtbot, win, 0.5, 0.5)
    win.colour.k_spin.setValue(2)
    with qtbot.waitSignal(win.colourModesShown, timeout=WAIT_MS):
        win.colour_picks.sample_colour_modes()
    asked = [p for t, p in sent if t == Request.SAMPLE_KEYFRAME][-1]
    assert asked["hints"] == {**hints_json(win.hint_editor.store.hints), "frame_size": [160, 120]}
    # A pick made: the hints are laid over it in the next preview.
    win.colour_picks.pick_candidate(0)
    win.player.show_film()
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=WAIT_MS):
        qtbot.mouseClick(win.shot_panel.hints_button, Qt.MouseButton.LeftButton)
    assert win.stage.currentWidget() is win.compare and win.hint_editor.active
    assert "pick" in _last_hint_preview(sent) and win.compare.data["alone"] is False


def test_the_hinted_frame_follows_the_strength_and_a_whole_compare_stays_when_zoomed(
    qtbot, window, film
) -> None:
    """While hints are edited, the colours' strength changed is shown at once (the frame
    asked again at it); V's whole compare, zoomed in, stays the whole compare and is not
    swapped for the hint editor's colour-only preview."""
    win = window
    _open_and_edit(qtbot, win, film)
    qtbot.keyClick(win, Qt.Key.Key_P)
    _click(qtbot, win, 0.5, 0.5)
    sent = _record_requests(win)
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=WAIT_MS):
        win.restore_panel.strength.setValue(0.5)
    assert _last_hint_preview(sent).get("colour_strength") == 0.5
    win.restore_panel.dust.setValue(1.0)  # no model here: a stage that needs none
    win.restore_panel.colorize.setChecked(False)
    with qtbot.waitSignal(win.compareShown, timeout=WAIT_MS):
        win.exporter.compare_frame()
    assert not win.compare.data.get("hint_preview")
    before = len([t for t, _ in sent if t == Request.HINT_PREVIEW])
    win.compare.canvas.set_zoom(4.0)
    qtbot.wait(600)  # longer than the editor's wait before it asks
    assert len([t for t, _ in sent if t == Request.HINT_PREVIEW]) == before
    assert not win.compare.data.get("hint_preview")


def test_a_shot_coloured_by_its_hints_has_its_colours_for_next_without(qtbot, window, film) -> None:
    """Go ▸ Next shot without colours passes over a shot its hints colour (no pick)."""
    win = window
    _open_and_edit(qtbot, win, film)  # shot 2's key frame
    qtbot.keyClick(win, Qt.Key.Key_P)
    before = win.strip.list.item(1).icon().pixmap(64, 48).toImage()
    _click(qtbot, win, 0.5, 0.5)
    # the strip shows shot 2 in its hint's colours, as it shows a picked shot in its pick's
    assert win.strip.list.item(1).icon().pixmap(64, 48).toImage() != before
    win.player.show_film()
    win.player.seek(0)  # shot 1
    qtbot.waitUntil(lambda: win.player.displayed == 0, timeout=WAIT_MS)
    win.shot_list.step_unpicked(1)
    assert win.shot_list.shot_at(win.current) == 2  # shot 3: shot 2 has its hint's colours
    assert f"of {len(win.shots)} shots without" in win.statusBar().currentMessage()


def test_a_shot_kept_grey_says_its_hints_still_colour_it(qtbot, window, film) -> None:
    """Keep black and white on a shot with a hint: the hint stays (a red coat in a grey
    scene), and the status says so and how to clear it."""
    win = window
    _open_and_edit(qtbot, win, film)
    qtbot.keyClick(win, Qt.Key.Key_P)
    _click(qtbot, win, 0.5, 0.5)
    with qtbot.waitSignal(win.flatPreviewShown, timeout=WAIT_MS):
        win.colour_picks.keep_black_and_white()
    said = win.statusBar().currentMessage()
    assert "kept black and white, locked; its 1 hint still colours where it lies" in said
    assert "Clear this shot's hints" in said
    # The hint editor again: its header says what the hint lies over, as an album's does.
    win.player.show_film()
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=WAIT_MS):
        qtbot.keyClick(win, Qt.Key.Key_H)
    assert "1 hint over black and white" in win.compare.header.text()
