"""Facts about the desktop bundle that the spec, the Makefile and the tests share.

    python packaging/bundle.py name [SITE]   # Panchro-0.1.0-linux-x86_64

The version is the package metadata's (pyproject.toml -> the installed
dist-info), the one `panchro --version`, the About box and the engine's hello
show. SITE is the folder `make package` installed panchro into for PyInstaller
(its dist-info is read); without it, the installed distribution's.
"""

from __future__ import annotations

import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent

APP = "Panchro"
GUI_EXE = "Panchro"
ENGINE_EXE = "panchro-engine"  # must match panchro.engine.paths.ENGINE_EXECUTABLE


def version(site: str | Path | None = None) -> str:
    """panchro's version from its dist-info in `site`, or from the installed distribution."""
    if site is None:
        return metadata.version("panchro")
    found = [d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "panchro"]
    if len(found) != 1:
        raise SystemExit(f"{site}: expected one panchro dist-info, found {len(found)}")
    return found[0].version


def platform_tag() -> str:
    """linux-x86_64, linux-aarch64, ... (what the bundle runs on: where it was built)."""
    return f"{platform.system().lower()}-{platform.machine().lower()}"


def bundle_name(ver: str, tag: str | None = None) -> str:
    return f"{APP}-{ver}-{tag or platform_tag()}"


# Beside the programs in the bundle: what install.sh needs (from packaging/), at these paths.
DESKTOP_FILES = (
    ("install.sh", "install.sh"),
    ("uninstall.sh", "uninstall.sh"),
    ("panchro.desktop", "share/applications/panchro.desktop"),
    ("panchro-mime.xml", "share/mime/packages/panchro.xml"),
    ("icons/hicolor", "share/icons/hicolor"),
)

README = """Panchro {version}: restore old black-and-white films.

Run it from here:    ./Panchro [FILM]
Check it works:      ./Panchro --self-test
Install for you:     ./install.sh      (menu entry, icons, file types; no root)
Remove again:        ~/.local/share/panchro/app/uninstall.sh
Command line:        ./panchro-engine --help

Sample film: Big Buck Bunny (c) Blender Foundation, CC BY 3.0. Code: Apache-2.0.
"""


def add_desktop_files(out: Path, ver: str) -> None:
    """Put install.sh, uninstall.sh, share/ (menu entry, MIME type, icons), VERSION and
    README.txt into the bundle folder `out` (the spec calls this after PyInstaller)."""
    for src, dst in DESKTOP_FILES:
        target = out / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if (PACKAGING / src).is_dir():
            shutil.copytree(PACKAGING / src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(PACKAGING / src, target)
    (out / "VERSION").write_text(ver + "\n")
    (out / "README.txt").write_text(README.format(version=ver))


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("name", "version"):
        print("usage: bundle.py name|version [SITE]", file=sys.stderr)
        return 2
    ver = version(argv[2] if len(argv) > 2 else None)
    print(bundle_name(ver) if argv[1] == "name" else ver)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
