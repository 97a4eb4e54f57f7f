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


def two_pictures_with_modes(qtbot: Any, win: Any, folder: Path, k: int = 2) -> None:
    """An album of two pictures (a.png, b.png) in `folder` opened in `win`, and `k` colour
    modes of b.png drawn and shown."""
    from makephotos import photo_pixels, png

    folder.mkdir()
    png(folder / "a.png", photo_pixels((96, 64), seed=1))
    png(folder / "b.png", photo_pixels((80, 80), seed=2))
    open_album(qtbot, win, folder)
    win.colour.k_spin.setValue(k)
    win.album_grid.select("b.png")
    with qtbot.waitSignal(win.album.modesShown, timeout=120_000):
        win.album.open_picture("b.png")
