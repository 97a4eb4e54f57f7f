"""Help menu: "Run self-test" shows the report of the engine program's self-test; "Open log
folder" opens the folder the engine's log is in. `--startup-time` (what `make package` times)
paints the window, says when, and quits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox


@pytest.fixture
def window(qtbot, tmp_path: Path):
    from panchro.gui.engine_process import EngineProcess
    from panchro.gui.window.main_window import MainWindow

    # An engine that ends at once: these tests need the window, not the engine.
    engine = EngineProcess(
        log_path=tmp_path / "logs" / "engine.log",
        command=(sys.executable, ["-c", "pass"]),
        auto_restart=False,
    )
    win = MainWindow(engine)
    qtbot.addWidget(win)
    yield win
    engine.shutdown(100)


def _actions(win) -> dict[str, object]:
    return {a.text().replace("&", ""): a for a in win.actions()}


@pytest.mark.parametrize(("code", "verdict"), [(0, "passed"), (1, "FAILED")])
def test_run_self_test_shows_the_report(
    window, qtbot, monkeypatch: pytest.MonkeyPatch, code: int, verdict: str
) -> None:
    from panchro.gui.window import help as help_menu

    program = f"print('Panchro self-test report'); raise SystemExit({code})"
    monkeypatch.setattr(help_menu, "self_test_command", lambda: (sys.executable, ["-c", program]))
    _actions(window)["Run self-test"].trigger()

    def shown() -> QMessageBox | None:
        boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
        return boxes[0] if boxes else None

    qtbot.waitUntil(lambda: shown() is not None, timeout=20_000)
    box = shown()
    assert verdict in box.text() and box.detailedText() == "Panchro self-test report"
    box.close()


def test_open_log_folder_opens_the_engine_logs_folder(
    window, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from panchro.gui.window import help as help_menu

    opened = []
    monkeypatch.setattr(help_menu.QDesktopServices, "openUrl", lambda url: opened.append(url))
    _actions(window)["Open log folder"].trigger()
    assert [u.toLocalFile() for u in opened] == [str(tmp_path / "logs")]


def test_startup_time_option_paints_says_when_and_quits(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PANCHRO_USER_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "panchro.gui.app", "--startup-time"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    m = re.fullmatch(r"window visible (\d+\.\d\d) s after launch", done.stdout.strip())
    assert m and float(m.group(1)) > 0
