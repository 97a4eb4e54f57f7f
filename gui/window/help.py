"""The Help menu: the keyboard shortcuts, the self-test, the log folder, About."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QProcess, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from panchro.engine import __version__
from panchro.gui.album import AlbumGrid
from panchro.gui.colour_modes import CandidatesView
from panchro.gui.compare import CompareView
from panchro.gui.engine_process import self_test_command
from panchro.gui.hints import KEYS as HINT_KEYS
from panchro.gui.widgets import ShotStrip

if TYPE_CHECKING:
    from panchro.gui.window.main_window import MainWindow


class ShortcutsWindow(QDialog):
    """The keys, in a window that scrolls: the whole list is taller than a laptop's screen
    (a message box grew past it, its lower rows and OK button out of reach)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setModal(False)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        screen = parent.screen().availableGeometry()
        self.resize(min(560, screen.width() - 40), min(760, screen.height() * 4 // 5))

    def setText(self, html: str) -> None:  # noqa: N802 (as the message box it replaces)
        self.browser.setHtml(html)

    def text(self) -> str:
        return self.browser.toPlainText()


class Help(QObject):
    """Owns what the Help menu shows: the keyboard shortcuts window (read from the menus
    themselves; it stays open beside the film), the self-test's process and report, the
    engine's log folder in the file manager, and the About box."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.engine = win.engine
        self._shortcuts: ShortcutsWindow | None = None

    def shortcuts_html(self) -> str:
        """Every menu action with its keys, read from the menus themselves, then the keys of
        the colour modes and compare views."""
        from html import escape

        native = QKeySequence.SequenceFormat.NativeText
        rows: list[str] = []
        menus = [(top.text(), top.menu()) for top in self.win.menuBar().actions() if top.menu()]
        for title, menu in menus:
            keyed = [
                (a.text().replace("&", ""), ", ".join(k.toString(native) for k in a.shortcuts()))
                for a in menu.actions()
                if not a.isSeparator() and a.shortcuts()
            ]
            # a submenu's (Colour ▸ Hints) come after their menu's
            menus += [(f"{title} ▸ {a.text()}", a.menu()) for a in menu.actions() if a.menu()]
            if keyed:
                title = escape(title.replace("&", ""))
                rows.append(f"<tr><th colspan=2 align=left>{title}</th></tr>")
                rows += [f"<tr><td>{escape(k)}</td><td>{escape(t)}</td></tr>" for t, k in keyed]
        for title, keys in (
            ("In the shot strip", ShotStrip.KEYS),
            ("In an album's grid", AlbumGrid.KEYS),
            ("In the colour modes", CandidatesView.KEYS),
            ("In compare", CompareView.KEYS),
            ("In compare, editing colour hints", HINT_KEYS),
        ):
            rows.append(f"<tr><th colspan=2 align=left>{title}</th></tr>")
            rows += [f"<tr><td>{escape(k)}</td><td>{escape(t)}</td></tr>" for k, t in keys]
        tail = (
            "<p>Tab moves between controls; Space or Enter works the focused one. "
            "Alt and a menu's underlined letter open it.</p>"
        )
        return f"<table cellspacing=4>{''.join(rows)}</table>{tail}"

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts: a window that stays open beside the film."""
        if self._shortcuts is None:
            self._shortcuts = ShortcutsWindow(self.win)
        self._shortcuts.setText(self.shortcuts_html())
        self._shortcuts.show()
        self._shortcuts.raise_()

    def about(self) -> None:
        QMessageBox.about(self.win, "About Panchro", about_text(self.engine.hello))

    def open_log_folder(self) -> None:
        """The folder in the system's file manager; where none opens it (no file manager, a
        bare desktop), the folder's path, to copy, rather than nothing at all."""
        folder = str(self.engine.log_path.parent)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            box = QMessageBox(QMessageBox.Icon.Information, "Log folder",
                              f"No file manager opened it. The logs are in:\n\n{folder}",
                              QMessageBox.StandardButton.Ok, self.win)  # fmt: skip
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            box.open()

    def run_self_test(self) -> None:
        """`panchro self-test` in a process of its own (about half a minute); its report in a
        dialog when it ends."""
        win = self.win
        proc = QProcess(win)
        program, args = self_test_command()
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        win.statusBar().showMessage("Self-test running…")

        def done(code: int = -1, *_: Any) -> None:
            report = bytes(proc.readAll().data()).decode("utf-8", "replace").strip()
            ok = code == 0 and proc.exitStatus() == QProcess.ExitStatus.NormalExit
            box = QMessageBox(win)
            box.setIcon(QMessageBox.Icon.Information if ok else QMessageBox.Icon.Warning)
            box.setWindowTitle("Self-test")
            box.setText("The self-test passed." if ok else "The self-test FAILED.")
            box.setDetailedText(report or proc.errorString())
            win.statusBar().clearMessage()
            proc.deleteLater()
            box.open()

        proc.finished.connect(done)
        proc.errorOccurred.connect(
            lambda e: done() if e == QProcess.ProcessError.FailedToStart else None
        )
        proc.start(program, args)


def about_text(hello: dict[str, Any]) -> str:
    """The About box: this program's version, and what the engine said in hello."""
    return (
        f"<b>Panchro {__version__}</b> restores old black-and-white films.<br>"
        f"Engine {hello.get('version', '?')} (protocol {hello.get('protocol', '?')}), "
        f"Python {hello.get('python', '?')}, torch {hello.get('torch', '?')}, "
        f"PyAV {hello.get('av', '?')}."
    )
