"""Compare zoomed: the restored frame pixel for pixel (actual pixels), the picture kept under
the pointer, dragged about with the middle button, the split line in the part in sight, the
hint tools' mapping zoomed with it; View ▸ Zoom outside compare says where it works."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPixmap

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _pixmap(w: int, h: int, colour: QColor) -> QPixmap:
    pm = QPixmap(w, h)
    pm.fill(colour)
    return pm


def test_zoom_keeps_the_point_under_the_pointer(qtbot) -> None:
    from panchro.gui.compare import CompareView

    view = CompareView()
    qtbot.addWidget(view)
    view.resize(640, 420)
    view.show()
    qtbot.waitExposed(view)
    canvas = view.canvas
    # a frame restored at twice the size of the view's fit (an x4 upscale of a small film)
    view.show_result({"before": _pixmap(1600, 1200, QColor(40, 40, 40)),
                      "after": _pixmap(1600, 1200, QColor(200, 120, 60))},
                     {"output_size": [1600, 1200]}, "Frame 1")  # fmt: skip
    fit = canvas.fit_rect()
    assert canvas.image_rect() == fit and canvas.visible() == fit
    actual = canvas.actual_zoom()
    assert actual == pytest.approx(1600 / canvas.devicePixelRatioF() / fit.width())

    at = QPointF(fit.x() + fit.width() * 0.25, fit.y() + fit.height() * 0.75)
    canvas.zoom_by(2.0, at)
    r = canvas.image_rect()
    assert r.width() == pytest.approx(fit.width() * 2, abs=1)
    # the picture's point a quarter across, three quarters down, is still under the pointer
    assert (at.x() - r.x()) / r.width() == pytest.approx(0.25, abs=0.01)
    assert (at.y() - r.y()) / r.height() == pytest.approx(0.75, abs=0.01)
    assert canvas.visible() == canvas.rect()  # zoomed in: the picture fills the view

    # the split line goes through the part in sight
    canvas.set_split(0.5)
    v = canvas.visible()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(v.x() + v.width() // 4, 50))
    assert canvas.split == pytest.approx(0.25, abs=0.01)

    # the middle button drags the picture; never beyond its edge
    before = canvas.image_rect().topLeft()
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(300, 200))
    qtbot.mouseMove(canvas, QPoint(260, 180))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=QPoint(260, 180))
    after = canvas.image_rect().topLeft()
    assert (after.x() - before.x(), after.y() - before.y()) == (-40, -20)
    canvas.pan(-10_000, -10_000)
    r = canvas.image_rect()
    assert r.right() + 1 == canvas.width() and r.bottom() + 1 == canvas.height()

    # keys: actual pixels, further in up to four times, out to fit
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert canvas.zoom == pytest.approx(actual)
    for _ in range(20):
        qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert canvas.zoom == pytest.approx(4 * actual)
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert canvas.zoom == 1.0 and canvas.image_rect() == fit
    qtbot.keyClick(view, Qt.Key.Key_Minus)  # a big frame: never smaller than fitting
    assert canvas.zoom == 1.0


def test_compare_answers_the_frame_pixel_for_pixel(qtbot, window, film) -> None:
    win = window
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    win.restore_panel.colorize.setChecked(False)  # no models: the crop alone restores
    win.restore_panel.set_crop((0, 0, 0, 8))
    with qtbot.waitSignal(win.compareShown, timeout=60_000):
        win.exporter.compare_frame()
    canvas = win.compare.canvas
    assert (canvas.after.width(), canvas.after.height()) == (160, 112)  # the output's own
    assert canvas.before.size() == canvas.after.size()
    win.zoom_compare(lambda c: c.actual_pixels())  # smaller than the view: shown as it is
    assert canvas.zoom == pytest.approx(canvas.actual_zoom()) and canvas.zoom < 1
    assert canvas.image_rect().width() == pytest.approx(160 / canvas.devicePixelRatioF(), abs=1)
    win.player.show_film()
    win.zoom_compare(lambda c: c.set_zoom(3.0))
    assert "Zoom is for Compare" in win.statusBar().currentMessage()


def test_hints_zoomed_in_are_previewed_at_the_frames_own_size(qtbot, window, tmp_path) -> None:
    """A hint preview is asked at the view's size; zoomed in, it is asked again at the frame's
    own, so hints placed on a detail are seen coloured pixel for pixel, not blown up."""
    from makemedia import make_video
    from PySide6.QtCore import Qt

    win = window
    big = make_video(tmp_path / "big.mp4", frames=4, size=(1600, 1200), audio=False)
    with qtbot.waitSignal(win.settled, timeout=120_000):
        win.projects.open_film(big)
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=120_000):
        qtbot.keyClick(win, Qt.Key.Key_H)  # Colour > Hints > Edit hints on the key frame
    qtbot.waitUntil(lambda: win.compare.canvas.after is not None, timeout=120_000)  # the frame
    canvas = win.compare.canvas
    qtbot.keyClick(win, Qt.Key.Key_P)  # a point (no models here: the hints alone colour)
    win.hint_editor.use_colour((200, 60, 40))
    r = canvas.image_rect()
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=120_000):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=r.center())
    assert win.compare.data["hints"] == 1
    side = win.player.preview_side()
    assert side < 1600 and max(canvas.after.width(), canvas.after.height()) <= side
    with qtbot.waitSignal(win.hint_editor.previewShown, timeout=120_000):
        win.zoom_compare(lambda c: c.set_zoom(2.0))
    assert (canvas.after.width(), canvas.after.height()) == (1600, 1200)
    assert canvas.zoom == 2.0  # the view stays where it was zoomed to
    with qtbot.assertNotEmitted(win.hint_editor.previewShown, wait=500):
        win.zoom_compare(lambda c: c.set_zoom(3.0))  # sharp already: nothing asked again


def test_the_picture_stays_put_as_hint_previews_come(qtbot) -> None:
    """The header keeps two lines whether the title takes one or two, and a hint preview's
    notes go to the hint bar, not over the picture: a second click lands where the first
    did (the first hint's method note grew the header and moved the picture)."""
    from panchro.gui.compare import CompareView

    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1100, 560)  # the window's compare at 1360 x 860
    view.show()
    qtbot.waitExposed(view)
    frames = {"before": _pixmap(320, 240, QColor(40, 40, 40)),
              "after": _pixmap(320, 240, QColor(200, 120, 60))}  # fmt: skip
    first = "Shot 1 — key frame 5: the shot's colours"
    view.show_result(frames, {"output_size": [320, 240]}, first, notes_shown=False)
    qtbot.wait(50)
    before = view.canvas.fit_rect()
    said = {"output_size": [320, 240], "notes": ["colour hints spread along the picture's edges"
                                                 " (Levin et al. 2004), then refined"]}  # fmt: skip
    view.show_result(frames, said, "Shot 1 — key frame 5: coloured by its hints alone",
                     notes_shown=False)  # fmt: skip
    qtbot.wait(50)
    assert "Levin" not in view.header.text()
    assert view.canvas.fit_rect() == before
    view.show_result(frames, said, "Frame 5")  # a compare (V) says its notes
    assert "Levin" in view.header.text()
