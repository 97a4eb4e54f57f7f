"""Render resources/icons/panchro.svg into the PNG sizes desktops look for.

    python packaging/make_icons.py [OUT]     # default OUT: packaging/icons

writes OUT/hicolor/NxN/apps/panchro.png for N in SIZES, plus the SVG as
OUT/hicolor/scalable/apps/panchro.svg. Qt's own SVG renderer (PySide6 is a
dependency already), so no extra tool is needed. The PNGs are small (about
45 KB together) and kept in git; run this again after changing the SVG.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "panchro.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
NAME = "panchro"


def render(svg: Path, out: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """PNGs of `svg` at each size (square, transparent background) under out/hicolor/."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    written = []
    for n in sizes:
        image = QImage(n, n, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out / "hicolor" / f"{n}x{n}" / "apps" / f"{NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"{path}: cannot write")
        written.append(path)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    return [*written, scalable]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "packaging" / "icons"
    # QImage and QPainter need an application object; no window, so no screen either.
    app = QGuiApplication.instance() or QGuiApplication(["make_icons", "-platform", "offscreen"])
    del app
    for path in render(SVG, out):
        print(f"{path.stat().st_size:>8}  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
