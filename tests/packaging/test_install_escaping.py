"""The menu entry install.sh writes is a valid Desktop Entry whose Exec starts the installed
program whatever its path holds (`&`, quotes, `$`, backticks, `%`, backslashes, spaces), the
shipped entry passes desktop-file-validate, and uninstall.sh leaves no empty folders behind."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.test_install import make_bundle, run, tools_path

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
VALIDATE = shutil.which("desktop-file-validate")
ODD = 'x&y z$`"%\\ q|'  # every character the spec or a sed replacement treats specially


def _string(value: str) -> str:
    """A Desktop Entry string value with its escapes (\\s \\n \\t \\r \\\\) undone."""
    out, chars = [], iter(value)
    for c in chars:
        if c == "\\":
            nxt = next(chars, "")
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt, c + nxt))
        else:
            out.append(c)
    return "".join(out)


def exec_argv(value: str, file: str) -> list[str]:
    """The spec's reading of an Exec value: the string escapes, then quoted arguments (a
    backslash in quotes escapes the next character), `%f` the file and `%%` a percent."""
    text, args, i = _string(value), [], 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        arg, field = "", False
        if text[i] == '"':
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                arg += text[i]
                i += 1
            i += 1
        else:
            while i < len(text) and text[i] != " ":
                arg += text[i]
                i += 1
            field = True
        args.append(file if field and arg == "%f" else arg.replace("%%", "%"))
    return args


def _entry(desktop: Path, key: str) -> str:
    line = next(x for x in desktop.read_text().splitlines() if x.startswith(f"{key}="))
    return line[len(key) + 1 :]


def test_an_odd_install_path_is_escaped(tmp_path: Path) -> None:
    home = tmp_path / ODD
    home.mkdir()
    b = make_bundle(tmp_path / "download")
    done = run(b / "install.sh", home, tools_path(tmp_path / "bin"))
    assert done.returncode == 0, done.stderr
    app = home / ".local/share/panchro/app"
    desktop = home / ".local/share/applications/panchro.desktop"
    film = str(tmp_path / "my film.mp4")
    argv = exec_argv(_entry(desktop, "Exec"), film)
    assert argv == [str(app / "Panchro"), film], argv
    launched = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert launched.stdout.strip() == f"Panchro 9.9.9 {film}"
    assert _string(_entry(desktop, "TryExec")) == str(app / "Panchro")
    if VALIDATE:
        checked = subprocess.run([VALIDATE, str(desktop)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.skipif(VALIDATE is None, reason="desktop-file-validate is not installed")
def test_the_shipped_entry_is_valid() -> None:
    checked = subprocess.run([VALIDATE, str(PACKAGING / "panchro.desktop")],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_uninstall_leaves_no_empty_folders(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = home / ".config/panchro/settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    b = make_bundle(tmp_path / "download")
    path = tools_path(tmp_path / "bin")
    assert run(b / "install.sh", home, path).returncode == 0
    assert run(home / ".local/share/panchro/app/uninstall.sh", home, path).returncode == 0
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_dir())
    assert left == [".config", ".config/panchro", ".local", ".local/share"], left
