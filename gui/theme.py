"""Light and dark: follow the system unless the person chose one (View → Theme).

"System" leaves the colours to Qt's platform theme, which on a desktop that says
dark (GNOME, KDE, Windows, macOS) gives a dark palette and tells us when it
changes. A chosen theme asks the platform first; where it cannot switch (a bare
X server, an old desktop) the Fusion style gets our own palette, so the choice
always shows. Widgets paint with palette roles, never fixed colours, except the
film views, which stay black as a screening room would.

The choice is kept in the GUI's settings file (`paths.settings_file()`).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "dark", "light")
THEME_LABELS = {"system": "Follow the &system", "dark": "&Dark", "light": "&Light"}
_SCHEMES = {"dark": Qt.ColorScheme.Dark, "light": Qt.ColorScheme.Light}
_original: dict[str, object] = {}
_current = ["system"]


def current_theme() -> str:
    """The theme in use ("system" until `apply_theme` says otherwise)."""
    return _current[0]


def _palette(dark: bool) -> QPalette:
    r = QPalette.ColorRole
    if dark:
        base, window, text, mid = "#3a3a3a", "#2b2b2b", "#e6e6e6", "#444444"
        button, highlight, link, disabled = "#353535", "#3d8ee0", "#6fb1ff", "#7c7c7c"
    else:
        base, window, text, mid = "#ffffff", "#efefef", "#1a1a1a", "#c8c8c8"
        button, highlight, link, disabled = "#e8e8e8", "#2f6fc0", "#1a5fb4", "#9a9a9a"
    p = QPalette()
    for role, colour in (
        (r.Window, window), (r.WindowText, text), (r.Base, base), (r.AlternateBase, mid),
        (r.Text, text), (r.Button, button), (r.ButtonText, text), (r.ToolTipBase, window),
        (r.ToolTipText, text), (r.PlaceholderText, disabled), (r.Highlight, highlight),
        (r.HighlightedText, "#ffffff"), (r.Link, link), (r.Mid, mid),
        (r.Dark, "#141414" if dark else "#a0a0a0"), (r.Light, "#4a4a4a" if dark else "#ffffff"),
        (r.Midlight, "#404040" if dark else "#e0e0e0"), (r.Shadow, "#000000"),
        (r.BrightText, "#ff5555"),
    ):  # fmt: skip
        p.setColor(role, QColor(colour))
    for role in (r.WindowText, r.Text, r.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return p


def is_dark(app: QApplication | None = None) -> bool:
    """True when the window's colours are dark, whichever way they got so."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    assert app is not None
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def apply_theme(app: QApplication, theme: str) -> None:
    """Use `theme` ("system", "dark" or "light") from now on."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; use one of {', '.join(THEMES)}")
    if not _original:
        _original["style"] = app.style().name()
    hints = app.styleHints()
    # Back to the platform's own colours first: an application palette, once set,
    # would hide every later change of the system's scheme. A palette with nothing
    # set is Qt's way to say "none of our own".
    _current[0] = theme
    app.setStyle(str(_original["style"]))
    app.setPalette(QPalette())
    if theme == "system":
        hints.unsetColorScheme()
        return
    hints.setColorScheme(_SCHEMES[theme])
    if hints.colorScheme() == _SCHEMES[theme] and is_dark(app) == (theme == "dark"):
        return  # the platform switched on its own
    app.setStyle("Fusion")
    app.setPalette(_palette(theme == "dark"))


def _settings(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def saved_theme() -> str:
    """The theme chosen last time ("system" when none or unreadable)."""
    from panchro.engine.paths import settings_file

    theme = _settings(settings_file()).get("theme", "system")
    return theme if theme in THEMES else "system"


def save_theme(theme: str) -> None:
    """Remember `theme` for the next start (atomically; a failure only costs the choice)."""
    from panchro.engine.paths import settings_file

    path = settings_file()
    data = _settings(path)
    data["theme"] = theme
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
