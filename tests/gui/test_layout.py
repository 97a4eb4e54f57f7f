"""How the window uses its space (issue 15): the colour modes as large as the view allows,
one of them larger on request, the Export button in sight at the default size, and the
mouse wheel scrolling the side panel instead of changing the value under the pointer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QCursor, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from panchro.gui.colour_modes import CandidatesView, Sampled, grid_shape

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _sampled(k: int, size: tuple[int, int] = (854, 480)) -> Sampled:
    pixmaps = []
    for n in range(k):
        pm = QPixmap(*size)
        pm.fill(QColor.fromHsv(n * 40, 160, 200))
        pixmaps.append(pm)
    return Sampled(
        shot=0, key_frame=41, seed=7, temperature=1.0, trained=True, chroma_size=28,
        chroma=["x"] * k, pixmaps=pixmaps, seconds=1.2,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("k", "area", "aspect", "shape"),
    [
        (4, (990, 620), 16 / 9, (2, 2)),  # four film frames on a wide screen
        (4, (1600, 300), 16 / 9, (1, 4)),  # a letterbox of a view: one row
        (4, (400, 1200), 16 / 9, (4, 1)),  # a tall, narrow view: one column
        (3, (990, 620), 16 / 9, (2, 2)),
        (2, (990, 620), 16 / 9, (2, 1)),
        (8, (990, 620), 16 / 9, (3, 3)),
        (8, (990, 620), 4 / 3, (3, 3)),
        (6, (1400, 500), 4 / 3, (2, 3)),
    ],
)
def test_grid_shape_makes_the_pictures_largest(k, area, aspect, shape) -> None:
    rows, cols, width = grid_shape(k, *area, aspect)
    assert (rows, cols) == shape
    # No other shape gives larger pictures.
    for c in range(1, k + 1):
        r = -(-k // c)
        assert min(area[0] / c, area[1] / r * aspect) <= width + 0.5


def _picture_area(view: CandidatesView) -> list[int]:
    return [t.picture_rect().width() * t.picture_rect().height() for t in view.tiles]


def _shown_view(qtbot, width: int, height: int, *, picked: int | None) -> CandidatesView:
    """A CandidatesView of `width` x `height` on screen, showing four sampled modes."""
    view = CandidatesView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    view.show_sampled(_sampled(4), "Shot 1 of 1", picked=picked)
    qtbot.wait(10)
    return view


def test_four_modes_fill_a_wide_view_two_by_two_and_one_enlarges(qtbot) -> None:
    view = _shown_view(qtbot, 1000, 660, picked=1)
    assert view.grid.shape == (2, 2)
    grid = view.grid.rect()
    for tile in view.tiles:
        picture = tile.picture_rect()
        # Each picture gets nearly half the view's width (it got a quarter in one row).
        assert picture.width() >= 0.45 * grid.width(), picture
        assert picture.width() / picture.height() == pytest.approx(854 / 480, abs=0.02)
        assert grid.contains(tile.geometry())
    # The pictures sit together in the middle, not spread over tall black columns.
    assert all(t.height() < 0.55 * grid.height() for t in view.tiles)
    small = _picture_area(view)[2]

    # A double-click shows that mode alone and larger; Esc goes back to all four.
    closed: list[bool] = []
    view.closed.connect(lambda: closed.append(True))
    qtbot.mouseDClick(view.tiles[2], Qt.MouseButton.LeftButton)
    assert view.large == 2
    assert view.tiles[2].isVisible() and not any(t.isVisible() for t in view.tiles[:2])
    assert _picture_area(view)[2] > 3 * small
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)  # the next mode, still large
    assert view.large == 3 and view.tiles[3].isVisible() and not view.tiles[2].isVisible()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.large is None and all(t.isVisible() for t in view.tiles) and not closed
    # Z does the same from the keyboard: the mode under the pointer, else the picked one.
    QCursor.setPos(view.tiles[3].mapToGlobal(view.tiles[3].rect().center()))
    qtbot.keyClick(view, Qt.Key.Key_Z)
    assert view.large == 3
    qtbot.keyClick(view, Qt.Key.Key_Z)
    assert view.large is None
    QCursor.setPos(view.mapToGlobal(QPoint(-40, -40)))
    qtbot.keyClick(view, Qt.Key.Key_Z)
    assert view.large == 1
    qtbot.keyClick(view, Qt.Key.Key_Z)
    assert view.large is None
    qtbot.keyClick(view, Qt.Key.Key_Escape)  # from all the modes: back to the film
    assert closed == [True]


def test_the_grid_follows_the_view_shape(qtbot) -> None:
    view = _shown_view(qtbot, 520, 1000, picked=None)
    assert view.grid.shape == (4, 1)
    view.resize(1400, 700)
    qtbot.waitUntil(lambda: view.grid.shape == (2, 2))


def _unclipped(widget: QWidget) -> bool:
    """Whether all of `widget` shows: inside every ancestor (scroll areas' viewports too)."""
    w = widget
    while w.parentWidget() is not None:
        parent = w.parentWidget()
        box = widget.rect().translated(widget.mapTo(parent, QPoint(0, 0)))
        if not parent.rect().contains(box):
            return False
        w = parent
    return widget.isVisible()


def test_export_is_in_sight_at_the_default_size(qtbot, window, film) -> None:
    win = window
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    win.resize(win.sizeHint())  # 1280 x 800, as the app starts
    qtbot.wait(50)
    assert (win.width(), win.height()) == (1280, 800)
    button = win.restore_panel.export_button
    assert button.isEnabled() and _unclipped(button)
    # Even when the window is made smaller, and while an export runs.
    win.resize(900, 560)
    win.restore_panel.show_job("Exporting", 10, 48, 12.0, 3.0)
    qtbot.wait(50)
    assert _unclipped(button) and _unclipped(win.restore_panel.cancel_button)
    win.restore_panel.end_job("")


def test_an_exports_many_notes_do_not_grow_the_window(qtbot, window, film) -> None:
    """An album of 300 pictures has 900 notes: the panel shows a few and how many more,
    all of them in its tooltip, and the window keeps its size."""
    win = window
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    win.resize(1280, 800)
    qtbot.wait(50)
    lines = [f"p{i:03d}.png: border cut: 26, 28, 26, 28 px (left, top, right, bottom)"
             for i in range(30)]  # fmt: skip
    win.restore_panel.end_job("Album exported to out: 30 pictures")
    win.restore_panel.show_notes(lines)
    qtbot.wait(50)
    note = win.restore_panel.note
    assert note.text().splitlines()[-1] == "… and 24 more (point here to read them)"
    assert note.toolTip().splitlines() == lines
    assert (win.width(), win.height()) == (1280, 800) and _unclipped(
        win.restore_panel.export_button
    )
    win.restore_panel.show_notes(lines[:2])
    assert note.text().splitlines() == lines[:2] and note.toolTip() == ""


def _edges(widget: QWidget) -> tuple[int, int]:
    left = widget.mapTo(widget.window(), QPoint(0, 0)).x()
    return left, left + widget.width()


@pytest.mark.parametrize("size", [(1280, 560), (1280, 1000)])
def test_restore_lines_up_with_the_panels_above_it(qtbot, window, film, size) -> None:
    """Restore, pinned below the scrolling panels, has their left and right edges, with the
    panel's scroll bar (a low window: the panels scroll) and without it (a tall one)."""
    win = window
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    win.resize(*size)
    scrolls = win.side_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: win.restore_panel.width() > 0)
    qtbot.wait(50)
    assert scrolls.isVisible() == (size[1] < 800)
    for panel in (win.facts, win.shot_panel, win.colour):
        assert _edges(win.restore_panel) == _edges(panel), panel.title()


def _wheel(widget: QWidget, steps: int = -1) -> None:
    """One notch of the mouse wheel over the middle of `widget` (negative: towards the user),
    as the window system delivers it: to the widget under the pointer, then to its parents
    for as long as each ignores it."""
    from PySide6.QtTest import QTest

    window = widget.window()
    point = widget.mapTo(window, widget.rect().center())
    under = window.childAt(point)
    assert under is widget or widget.isAncestorOf(under), "the pointer is not on the widget"
    at = QPointF(point)
    QTest.wheelEvent(window.windowHandle(), at, QPoint(0, 120 * steps))
    QApplication.processEvents()


def test_the_wheel_scrolls_the_panel_not_the_box_under_the_pointer(qtbot, window, film) -> None:
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox

    win = window
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    # The colour controls show once there is a colorizer, trained or not.
    win.colour.set_models({"colorizer": {"status": "untrained", "path": "colorizer.safetensors"}})
    win.resize(900, 480)  # the side panel has to scroll
    qtbot.wait(50)
    panel = win.restore_panel
    panel.degrain.setValue(0.0)
    win.view.setFocus()
    boxes = [w for w in win.findChildren(QWidget) if isinstance(w, QAbstractSpinBox | QComboBox)]
    assert panel.degrain in boxes and panel.upscale in boxes and win.colour.k_spin in boxes
    for box in boxes:
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus, box  # a wheel gives no focus

    # Clean up and Enlarge keep their values under a wheel that is passing by.
    _wheel(panel.degrain, 1)
    _wheel(panel.upscale, -1)
    assert panel.degrain.value() == 0.0 and panel.upscale.currentData() == 1
    assert not panel.degrain.hasFocus() and not panel.upscale.hasFocus()
    # In the scrolling part, the wheel scrolls it instead.
    bar = win.side_scroll.verticalScrollBar()
    bar.setValue(0)
    win.side_scroll.ensureWidgetVisible(win.colour.k_spin)  # below the fold at first
    qtbot.wait(10)
    was, k = bar.value(), win.colour.k_spin.value()
    assert was > 0
    _wheel(win.colour.k_spin, 1)
    assert win.colour.k_spin.value() == k and bar.value() < was

    # A box that has the focus takes the wheel, as before.
    panel.degrain.setFocus()
    qtbot.waitUntil(panel.degrain.hasFocus)
    _wheel(panel.degrain, 1)
    assert panel.degrain.value() == pytest.approx(0.1)
