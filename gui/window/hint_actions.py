"""The Colour menu's hint entries and the hint panel's buttons on the same actions: the hint
tools, the colour, recent colours, brush width, undo and redo, markers, clearing a shot's (or
an album picture's) hints. Built once for the window's `HintEditor`, which they drive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from panchro.gui.window.hints import TOOLS

if TYPE_CHECKING:
    from panchro.gui.window.hints import HintEditor


def build_hint_actions(editor: HintEditor, menu: QMenu, action: Any) -> None:
    """The hint entries of `menu` (`action` is the window's maker of actions), kept on
    `editor` (`edit_action`, `tool_actions`, `colour_action`, `recent_menu`, `undo_action`,
    `redo_action`, `markers_action`, `clear_action`), and the panel's buttons on them."""
    win = editor.win
    editor.edit_action = action(
        "&Edit hints on the key frame",
        "H",
        editor.edit,
        menu,
        "Colour the shot's key frame with hints, in compare",
    )
    tools: dict[str, QAction] = {}
    editor.tool_actions = tools
    group = QActionGroup(win)
    group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for name, text, icon_text, key in (
        ("point", "&Point tool", "Point", "P"),
        ("brush", "&Brush tool", "Brush", "B"),
        ("erase", "E&rase tool", "Erase", "E"),
        ("pick", "Eye&dropper", "Eyedropper", "I"),
    ):
        a = action(
            text,
            key,
            lambda n=name: editor._tool_triggered(n),
            menu,
            f"Hint tool: {TOOLS[name]} (again: put it down)",
        )
        a.setCheckable(True)
        a.setIconText(icon_text)
        a.setToolTip(f"{icon_text}: {TOOLS[name]} ({key})")
        group.addAction(a)
        editor.tool_actions[name] = a
    editor.colour_action = action(
        "&Choose hint colour…",
        "Shift+C",
        editor.choose_colour,
        menu,
        "The colour of the next hints",
    )
    editor.colour_action.setIconText("Colour…")
    action(
        "Hint colour from a pic&ture…",
        "Shift+I",
        lambda: editor.colour_from_picture(),
        menu,
        "The eyedropper over a colour photo (the shot's reference picture, or any other)",
    )
    editor.recent_menu = menu.addMenu("Recent hint c&olours")
    editor.recent_menu.aboutToShow.connect(editor._fill_recent_menu)
    action(
        "&Wider brush", "]", lambda: editor._set_width(round(editor.brush_width * 1.25) + 1), menu
    )
    action(
        "&Narrower brush", "[", lambda: editor._set_width(round(editor.brush_width / 1.25)), menu
    )
    editor.undo_action, editor.redo_action = win.undo_action, win.redo_action  # Edit menu's
    editor.markers_action = action("&Show hint markers", "Shift+H", editor._toggle_markers, menu)
    editor.markers_action.setCheckable(True)
    editor.markers_action.setChecked(True)
    editor.markers_action.toggled.connect(editor._toggle_markers)  # the panel's box sets it too
    editor.clear_action = action("C&lear this shot's hints", None, editor.clear_shot, menu)
    editor.clear_action.setIconText("Clear shot")
    editor.panel.use_actions(
        [editor.tool_actions[n] for n in TOOLS],
        editor.colour_action,
        editor.undo_action,
        editor.redo_action,
        editor.clear_action,
        editor.markers_action,
    )
    editor.panel.set_colour(editor.rgb)
