"""Files dropped on the window, as a person drags them from a file manager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def drop(win: Any, *paths: Path) -> None:
    """`paths` dropped on the middle of `win`."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    win.dropEvent(
        QDropEvent(QPointF(win.rect().center()), Qt.DropAction.CopyAction, mime,
                   Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    )  # fmt: skip


def open_album(qtbot: Any, win: Any, *paths: Path, timeout: int = 120_000) -> None:
    """`paths` dropped on `win`, read as an album, its grid settled."""
    with qtbot.waitSignal(win.album.settled, timeout=timeout):
        drop(win, *paths)
