"""One version everywhere (CLI, GUI, About box, bundle name); a GUI refuses an engine of another
protocol with a message that says what to do; a bundle starts its own engine executable."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest

from panchro.engine import __version__, paths
from panchro.engine.cli import main as cli_main

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
sys.path.insert(0, str(PACKAGING))
import bundle  # noqa: E402


def _version_line(main: Callable[[list[str]], object], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    return capsys.readouterr().out.strip()


def test_one_version_from_the_package_metadata(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from panchro.gui.app import main as gui_main

    assert __version__ == metadata.version("panchro") and not __version__.startswith("0.0.0")
    assert _version_line(cli_main, capsys) == f"panchro {__version__}"
    assert _version_line(gui_main, capsys) == f"Panchro {__version__}"
    assert bundle.version() == __version__
    assert bundle.bundle_name(__version__, "linux-x86_64") == f"Panchro-{__version__}-linux-x86_64"
    # The spec reads the version from the dist-info it is given (make package's install).
    info = tmp_path / "panchro-7.8.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: panchro\nVersion: 7.8.9\n")
    assert bundle.version(tmp_path) == "7.8.9"


def test_the_about_box_shows_this_version_and_the_engines() -> None:
    from panchro.gui.window.help import about_text

    text = about_text({"version": "0.1.0", "protocol": 1, "torch": "2.13.0"})
    assert f"Panchro {__version__}" in text and "Engine 0.1.0 (protocol 1)" in text
    assert "torch 2.13.0" in text and "Engine ? (protocol ?)" in about_text({})


def test_the_gui_refuses_an_engine_of_another_protocol(qtbot, tmp_path: Path) -> None:
    from panchro.gui.engine_process import FAILED, EngineProcess

    # A real engine that speaks protocol 99.
    code = (
        "import panchro.engine.service.protocol as p; p.PROTOCOL_VERSION = 99; "
        "from panchro.engine.service.server import serve; raise SystemExit(serve())"
    )
    engine = EngineProcess(log_path=tmp_path / "engine.log", command=(sys.executable, ["-c", code]))
    states: list[tuple[str, str]] = []
    engine.stateChanged.connect(lambda state, detail: states.append((state, detail)))
    try:
        engine.start()
        qtbot.waitUntil(lambda: engine.state == FAILED, timeout=30_000)
        detail = states[-1][1]
        assert "the client speaks protocol 1" in detail and "speaks protocol 99" in detail
        assert "use a GUI and an engine from the same panchro release" in detail
        assert engine.restarts == 0 and not engine.auto_restart  # restarting would not help
    finally:
        engine.shutdown()


def test_a_bundle_starts_its_own_engine_executable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from panchro.gui.engine_process import engine_command, self_test_command

    # From a checkout: this Python.
    assert engine_command() == (sys.executable, ["-m", "panchro.engine", "engine", "serve"])
    # Frozen: the executable beside the running one; resources inside the bundle.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "Panchro"))
    engine = str(tmp_path / "panchro-engine")
    assert engine_command() == (engine, ["engine", "serve"])
    assert self_test_command() == (engine, ["self-test"])
    assert paths.engine_argv() == [engine, "engine", "serve"]
    assert paths.sample_film() == tmp_path / "_internal/panchro/resources/samples/bbb_bw.mp4"


def test_gui_self_test_runs_the_engine_program_and_passes_its_exit_code_on(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from panchro.gui import app

    calls = []

    def fake() -> tuple[str, list[str]]:
        calls.append(1)
        return sys.executable, ["-c", "print('the report'); raise SystemExit(1)"]

    monkeypatch.setattr(app, "self_test_command", fake)
    assert app.main(["--self-test"]) == 1 and calls == [1]
    assert "the report" in capfd.readouterr().out
