"""`make run` on an X11 display without the libraries Qt's xcb plugin needs: the apt command,
not Qt's abort (issue 15)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from panchro.gui import display_check

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""


@pytest.fixture
def ldd(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def run(args, **kwargs):
        calls.append(list(args))
        return subprocess.CompletedProcess(args, 0, stdout=LDD, stderr="")

    monkeypatch.setattr(display_check.subprocess, "run", run)
    return calls


@pytest.mark.parametrize(
    ("library", "package"),
    [
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libEGL.so.1", "libegl1"),
    ],
)
def test_debian_package_names(library: str, package: str) -> None:
    assert display_check.debian_package(library) == package


def test_missing_libraries_are_read_from_ldd(ldd) -> None:
    found = display_check.missing_libraries(Path("/x/libqxcb.so"))
    assert found == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"]
    assert ldd == [["ldd", "/x/libqxcb.so"]]


def test_the_plugin_is_found_without_loading_qt() -> None:
    plugin = display_check.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so" and plugin.is_file()


def test_run_says_what_to_install(ldd, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert display_check.main([]) == 1
    err = capsys.readouterr().err
    assert (
        "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0"
        in err
    )
    assert "libxcb-cursor.so.0" in err and "DISPLAY= make run" in err
    # Not asked where Qt will not use X11: another platform chosen, Wayland, no display.
    for name, value in (("QT_QPA_PLATFORM", "offscreen"), ("WAYLAND_DISPLAY", "wayland-0")):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            assert display_check.main([]) == 0
    monkeypatch.delenv("DISPLAY")
    assert display_check.main([]) == 0
    assert capsys.readouterr().err == ""


def test_nothing_said_when_all_is_there(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(display_check, "missing_libraries", lambda plugin: [])
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert display_check.main([]) == 0 and capsys.readouterr().err == ""
