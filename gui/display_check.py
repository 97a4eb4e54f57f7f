"""Can Qt open a window on this X11 display? `make run` asks before it starts the app.

Qt ≥ 6.5's X11 platform plugin (xcb) needs `libxcb-cursor0`, `libxcb-icccm4`,
`libxcb-keysyms1` and a few more libraries that minimal installs lack; without them
Qt aborts with 'Could not load the Qt platform plugin "xcb"' and a list of plugins,
which tells a new user nothing. This asks `ldd` which libraries of the plugin are
missing -- without loading Qt, which would abort -- and says what to install.

    python -m panchro.gui.display_check    # exit 1, with the apt command, when some are
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# What Qt's own message names, and what a fresh Ubuntu or Debian most often lacks.
XCB_PACKAGES = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1")


def xcb_plugin() -> Path | None:
    """PySide6's libqxcb.so, found without importing PySide6 (and so without loading Qt)."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries `plugin` needs that the system does not have (`ldd` says "not
    found"); empty when all are there, or when there is no `ldd` to ask."""
    try:
        out = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    missing: list[str] = []
    for line in out.splitlines():
        name, _, where = line.strip().partition("=>")
        if "not found" in where and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package of a library by the usual naming: libxcb-cursor.so.0 ->
    libxcb-cursor0, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0, libEGL.so.1 -> libegl1."""
    stem, _, version = library.partition(".so")
    stem, major = stem.lower(), version.lstrip(".").split(".")[0]
    if not major:
        return stem
    return f"{stem}-{major}" if stem[-1:].isdigit() else f"{stem}{major}"


def advice(missing: Sequence[str]) -> str:
    """What to tell a person whose system lacks `missing`."""
    packages = list(XCB_PACKAGES)
    packages += [p for p in map(debian_package, missing) if p not in packages]
    return (
        "Qt cannot open a window on this display: its X11 plugin needs libraries this system\n"
        f"does not have ({', '.join(missing)}). Install them (Debian, Ubuntu):\n\n"
        f"    sudo apt-get install -y {' '.join(packages)}\n\n"
        "(Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms.)\n"
        "Or colour the sample film without a window: DISPLAY= make run\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """0 when Qt's X11 plugin can load here (or X11 is not what Qt will use); else 1, with
    the libraries to install on stderr."""
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    if platform not in ("", "xcb"):
        return 0  # another platform was chosen
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return 0  # Qt uses its Wayland plugin there
    if not os.environ.get("DISPLAY"):
        return 0
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    if not missing:
        return 0
    sys.stderr.write(advice(missing))
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
