"""How the window looks: light and dark themes (a choice shows at once, comes back at the
next start, and "system" hands the colours back to the platform), and HiDPI pixmaps."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from panchro.engine.paths import settings_file
from panchro.gui import app as gui_app
from panchro.gui.theme import apply_theme, current_theme, is_dark, save_theme, saved_theme


@pytest.fixture
def app(qapp) -> Iterator[QApplication]:
    before = settings_file().read_bytes() if settings_file().exists() else None
    yield qapp
    apply_theme(qapp, "system")
    if before is None:
        settings_file().unlink(missing_ok=True)
    else:
        settings_file().write_bytes(before)


def _icon_lightness(button) -> int:
    """The lightness of the icon's strokes (its opaque pixels)."""
    image = button.icon().pixmap(16, 16).toImage()
    values = [
        image.pixelColor(x, y).lightness()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert values, "the icon is empty"
    return sorted(values)[len(values) // 2]


def _window_colour(app: QApplication) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_dark_light_and_back_to_the_system(app: QApplication) -> None:
    system = _window_colour(app)
    apply_theme(app, "dark")
    assert is_dark(app) and current_theme() == "dark"
    p = app.palette()
    # Text stays readable on its background, and dimmed text is dimmer than text.
    for fg, bg in (
        (QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
        (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
        (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
    ):
        assert p.color(fg).lightness() - p.color(bg).lightness() > 120
    disabled = p.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    assert disabled.lightness() < p.color(QPalette.ColorRole.WindowText).lightness()
    apply_theme(app, "light")
    assert not is_dark(app)
    apply_theme(app, "system")
    assert _window_colour(app) == system and current_theme() == "system"
    with pytest.raises(ValueError, match="unknown theme"):
        apply_theme(app, "sepia")


def test_the_choice_is_kept_and_a_bad_settings_file_costs_only_the_choice(
    app: QApplication,
) -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text('{"other": 1}', encoding="utf-8")
    save_theme("dark")
    assert saved_theme() == "dark"
    assert json.loads(settings_file().read_text(encoding="utf-8")) == {"other": 1, "theme": "dark"}
    settings_file().write_text("{not json", encoding="utf-8")
    assert saved_theme() == "system"
    settings_file().write_text('{"theme": "sepia"}', encoding="utf-8")
    assert saved_theme() == "system"
    assert gui_app.build_parser().parse_args(["--theme", "dark"]).theme == "dark"


def test_view_menu_switches_the_theme_and_remembers_it(app: QApplication, window, qtbot) -> None:
    menu_titles = [a.text() for a in window.menuBar().actions()]
    assert "&View" in menu_titles
    window.theme_actions["dark"].trigger()
    assert is_dark(app) and saved_theme() == "dark"
    assert window.theme_actions["dark"].isChecked()
    assert not window.theme_actions["system"].isChecked()
    # Widgets paint from the palette: the side panel follows.
    qtbot.waitUntil(
        lambda: window.colour.palette().color(QPalette.ColorRole.Window).lightness() < 128,
        timeout=5000,
    )
    # The player's buttons are redrawn in the text colour, so they show on dark.
    qtbot.waitUntil(lambda: _icon_lightness(window.timeline.play) > 180, timeout=5000)
    window.timeline.set_playing(True)
    assert _icon_lightness(window.timeline.play) > 180
    window.timeline.set_playing(False)
    window.theme_actions["light"].trigger()
    assert not is_dark(app) and saved_theme() == "light"
    qtbot.waitUntil(lambda: _icon_lightness(window.timeline.next_frame) < 80, timeout=5000)
    window.theme_actions["system"].trigger()
    assert saved_theme() == "system" and current_theme() == "system"


def test_thumbnails_keep_device_pixels_on_hidpi(qapp) -> None:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QPixmap

    from panchro.gui.widgets import fit_pixmap

    source = QPixmap(320, 180)
    for ratio, device in ((1.0, (112, 63)), (2.0, (224, 126)), (1.5, (168, 95))):
        out = fit_pixmap(source, QSize(112, 63), ratio)
        assert (out.width(), out.height()) == device
        assert out.devicePixelRatio() == ratio
        logical = out.deviceIndependentSize()
        assert round(logical.width()) == 112 and abs(logical.height() - 63) <= 1


def test_the_first_window_fits_the_screen() -> None:
    """The window opened at 1280 x 800 whatever the screen: off a 1366 x 768 laptop's
    room (less its panel), or a screen scaled 1.5 times (933 x 600)."""
    from panchro.gui.app import DEFAULT_SIZE, fitted_size

    assert fitted_size((1920, 1040)) == DEFAULT_SIZE
    w, h = fitted_size((1366, 728))
    assert w == 1280 and h <= 728 - 40
    w, h = fitted_size((933, 600))
    assert w <= 933 and h <= 600 - 40
    assert fitted_size(None) == DEFAULT_SIZE
