"""install.sh and uninstall.sh in a throwaway HOME, on a fake bundle laid out as the spec lays
out the real one (bundle.add_desktop_files): the scripts' logic, without a 700 MB build."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
sys.path.insert(0, str(PACKAGING))
import bundle  # noqa: E402

# What the scripts use besides shell built-ins; a PATH of only these has no xdg-* tools.
TOOLS = (
    "sh", "cp", "mv", "rm", "mkdir", "ln", "sed", "cat", "dirname", "basename", "mktemp",
    "readlink", "rmdir",
)  # fmt: skip
SIZES = ("16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512")


def make_bundle(folder: Path, version: str = "9.9.9", extra: str = "") -> Path:
    """A bundle whose programs are shell scripts that say who they are and what they got."""
    out = folder / bundle.bundle_name(version, "linux-x86_64")
    (out / "_internal").mkdir(parents=True)
    (out / "_internal" / f"lib{extra or 'x'}.so").write_bytes(b"\0" * 100)
    for exe in (bundle.GUI_EXE, bundle.ENGINE_EXE):
        path = out / exe
        path.write_text(f'#!/bin/sh\necho "{exe} {version} $*"\n')
        path.chmod(0o755)
    bundle.add_desktop_files(out, version)
    return out


def tools_path(folder: Path, *, extra: tuple[Path, ...] = ()) -> str:
    """A PATH holding only TOOLS (linked from this system) and `extra` folders."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is needed to test install.sh"
        (folder / tool).symlink_to(found)
    return os.pathsep.join([*map(str, extra), str(folder)])


def run(script: Path, home: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8"}
    return subprocess.run(
        ["sh", str(script), *args], env=env, capture_output=True, text=True, timeout=60
    )


def files_under(home: Path) -> list[str]:
    return sorted(
        str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() or p.is_symlink()
    )


def desktop_exec(desktop: Path, file: str) -> list[str]:
    """The command a launcher runs for `file`, from the entry's Exec line."""
    line = next(x for x in desktop.read_text().splitlines() if x.startswith("Exec="))
    return [file if arg == "%f" else arg for arg in shlex.split(line[len("Exec=") :])]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home with space"
    folder.mkdir()
    return folder


def test_install_then_uninstall_without_xdg_tools(tmp_path: Path, home: Path) -> None:
    b = make_bundle(tmp_path / "download")
    path = tools_path(tmp_path / "bin")
    settings = home / ".config" / "panchro" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")

    done = run(b / "install.sh", home, path)
    assert done.returncode == 0, done.stderr
    share = home / ".local" / "share"
    app = share / "panchro" / "app"
    assert (app / "Panchro").is_file() and (app / "_internal" / "libx.so").is_file()
    assert not list((share / "panchro").glob("app.*"))  # no temporaries left
    # Commands: links into the program, which run it.
    gui = home / ".local" / "bin" / "panchro-gui"
    assert gui.is_symlink() and Path(os.readlink(gui)) == app / "Panchro"
    out = subprocess.run([str(home / ".local/bin/panchro"), "info", "x"], capture_output=True)
    assert out.stdout.decode().strip() == "panchro-engine 9.9.9 info x"
    # The menu entry starts the installed program with the file (a path with spaces too).
    desktop = share / "applications" / "panchro.desktop"
    film = str(tmp_path / "my film.mp4")
    launched = subprocess.run(desktop_exec(desktop, film), capture_output=True, text=True)
    assert launched.stdout.strip() == f"Panchro 9.9.9 {film}"
    assert f"TryExec={app}/Panchro" in desktop.read_text()
    assert "application/x-panchro-project;video/mp4;" in desktop.read_text()
    for size in SIZES:
        assert (share / "icons" / "hicolor" / size / "apps" / "panchro.png").is_file()
    assert (share / "icons/hicolor/scalable/apps/panchro.svg").is_file()
    assert (share / "mime" / "packages" / "panchro.xml").is_file()
    assert "note:" in done.stdout  # ~/.local/bin is not on this PATH: said so

    gone = run(app / "uninstall.sh", home, path)
    assert gone.returncode == 0, gone.stderr
    # Only the user's own settings stay, and the uninstaller says where they are.
    assert files_under(home) == [".config/panchro/settings.json"]
    assert f"kept:       {settings.parent}" in gone.stdout

    purged = run(b / "uninstall.sh", home, path, "--purge")
    assert purged.returncode == 0, purged.stderr
    assert files_under(home) == []


@pytest.mark.skipif(not shutil.which("update-mime-database"), reason="no shared-mime-info")
def test_the_mime_database_learns_and_forgets_panchro_files(tmp_path: Path, home: Path) -> None:
    b = make_bundle(tmp_path / "download")
    path = tools_path(tmp_path / "bin", extra=(Path(shutil.which("update-mime-database")).parent,))
    assert run(b / "install.sh", home, path).returncode == 0
    globs = home / ".local/share/mime/globs2"
    assert "application/x-panchro-project:*.panchro" in globs.read_text()
    assert run(b / "uninstall.sh", home, path).returncode == 0
    assert "panchro" not in globs.read_text()


def test_xdg_tools_are_used_when_present(tmp_path: Path, home: Path) -> None:
    b = make_bundle(tmp_path / "download")
    fake = tmp_path / "xdg"
    fake.mkdir()
    log = tmp_path / "calls.log"
    for tool in ("xdg-desktop-menu", "xdg-icon-resource", "xdg-mime"):
        script = fake / tool
        # Each records its arguments; the desktop entry it is given is kept to look at.
        script.write_text(
            f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n'
            f'for a; do case "$a" in *.desktop) [ -f "$a" ] && cp "$a" "{tmp_path}/";; esac; done\n'
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    path = tools_path(tmp_path / "bin", extra=(fake,))

    assert run(b / "install.sh", home, path).returncode == 0
    calls = log.read_text().splitlines()
    assert any(c.startswith("xdg-desktop-menu install --mode user --novendor ") for c in calls)
    icons = [c for c in calls if c.startswith("xdg-icon-resource install --mode user")]
    sizes = sorted(int(c.split("--size ")[1].split()[0]) for c in icons)
    assert sizes == sorted(int(s.split("x")[0]) for s in SIZES)
    assert "xdg-mime default panchro.desktop application/x-panchro-project" in calls
    assert any(c.startswith("xdg-mime install --mode user --novendor ") for c in calls)
    app = home / ".local/share/panchro/app"
    assert desktop_exec(tmp_path / "panchro.desktop", "f") == [str(app / "Panchro"), "f"]

    log.write_text("")
    assert run(app / "uninstall.sh", home, path).returncode == 0
    calls = log.read_text().splitlines()
    assert "xdg-desktop-menu uninstall --mode user panchro.desktop" in calls
    assert not app.exists()


def test_reinstall_replaces_the_program_and_keeps_foreign_commands(
    tmp_path: Path, home: Path
) -> None:
    path = tools_path(tmp_path / "bin")
    mine = home / ".local" / "bin" / "panchro"
    mine.parent.mkdir(parents=True)
    mine.write_text("#!/bin/sh\necho pip-installed\n")  # e.g. `pip install --user panchro`

    first = run(make_bundle(tmp_path / "v1", "1.0.0", "old") / "install.sh", home, path)
    assert first.returncode == 0, first.stderr
    second = run(make_bundle(tmp_path / "v2", "2.0.0", "new") / "install.sh", home, path)
    assert second.returncode == 0, second.stderr
    app = home / ".local/share/panchro/app"
    assert (app / "VERSION").read_text() == "2.0.0\n"
    assert (app / "_internal/libnew.so").exists() and not (app / "_internal/libold.so").exists()
    assert mine.read_text().endswith("pip-installed\n") and "skipped:" in second.stdout
    assert run(app / "uninstall.sh", home, path).returncode == 0
    assert mine.is_file()  # not ours: left alone


def test_refuses_what_is_not_a_bundle_and_the_installed_copy(tmp_path: Path, home: Path) -> None:
    path = tools_path(tmp_path / "bin")
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy2(PACKAGING / "install.sh", lone)
    done = run(lone / "install.sh", home, path)
    assert done.returncode == 1 and "is not a Panchro bundle" in done.stderr
    assert not (home / ".local").exists()

    assert run(make_bundle(tmp_path / "dl") / "install.sh", home, path).returncode == 0
    again = run(home / ".local/share/panchro/app/install.sh", home, path)
    assert again.returncode == 1 and "this is the installed copy" in again.stderr
    assert (home / ".local/share/panchro/app/Panchro").is_file()
