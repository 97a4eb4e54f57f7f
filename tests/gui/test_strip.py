"""The shot strip with a feature film's worth of shots: every shot listed, its label and tick,
the current one selected and scrolled to, a click anywhere on it a jump."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_two_thousand_shots_are_listed_and_reached(qtbot) -> None:
    from panchro.gui.widgets import ShotStrip

    strip = ShotStrip()
    qtbot.addWidget(strip)
    strip.resize(900, strip.height())
    strip.show()
    shots = [{"start": n * 60, "end": (n + 1) * 60, "key_frame": n * 60 + 30} for n in range(2000)]
    strip.set_shots(shots, 24.0, 16 / 9, "10:00:00:00")
    assert strip.count() == 2000 and strip.texts()[1999] == "2000 · 11:23:17:12"
    assert strip.text(1) == "2 · 10:00:02:12" and strip.thumbnail_frame(1) is None
    red = QPixmap(64, 36)
    red.fill(QColor(200, 30, 30))
    strip.set_picked(1500, red)
    assert strip.picked(1500) and strip.text(1500).endswith(" ✓")
    shown = strip.icon_image(1500)
    assert shown.pixelColor(shown.width() // 2, shown.height() // 2).red() > 150
    strip.set_picked(1500, None)
    assert not strip.picked(1500) and not strip.text(1500).endswith("✓")

    strip.set_current(1999)  # the playhead in the last shot: scrolled into sight
    assert strip.current() == 1999
    assert strip.list.viewport().rect().intersects(strip.item_rect(1999))
    clicked: list[int] = []
    strip.shotClicked.connect(clicked.append)
    qtbot.mouseClick(
        strip.list.viewport(), Qt.MouseButton.LeftButton, pos=strip.item_rect(1998).center()
    )
    assert clicked == [1998]
    strip.set_current(None)
    assert strip.current() is None


def test_the_arrow_keys_go_through_the_shots_in_the_strip(qtbot, window, film) -> None:
    """With the strip's focus, Left and Right go to the shot before or after (Home, End: the
    first, the last); elsewhere they step a frame, as they always did."""
    win = window
    with qtbot.waitSignal(win.settled, timeout=60_000):
        win.projects.open_film(film.path)
    shot_now = lambda: win.shot_list.shot_at(win.current)  # noqa: E731
    strip = win.strip.list
    strip.setFocus()
    qtbot.waitUntil(strip.hasFocus)
    for key, shot in ((Qt.Key.Key_Right, 1), (Qt.Key.Key_Right, 2), (Qt.Key.Key_Home, 0),
                      (Qt.Key.Key_End, 2), (Qt.Key.Key_Left, 1)):  # fmt: skip
        qtbot.keyClick(strip, key)
        qtbot.waitUntil(lambda shot=shot: shot_now() == shot, timeout=10_000)
        assert win.strip.current() == shot
    at = win.current
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_Right)  # the frame key again
    qtbot.waitUntil(lambda: win.current == at + 1, timeout=10_000)
