"""Render the app icon set from ``resources/icons/resonote.svg``.

Writes ``resonote-<N>.png`` for every size in :data:`SIZES` (Qt's SVG renderer,
antialiased), ``resonote.ico`` (Windows, several sizes in one file) and
``resonote.icns`` (macOS) with Pillow.  The results are committed; run this again
after changing the SVG::

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = ICONS / "resonote.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int, folder: Path = ICONS) -> Path:
    return folder / f"resonote-{size}.png"


def render(svg: Path = SVG, folder: Path = ICONS, sizes=SIZES) -> list[Path]:
    """Render ``svg`` to square PNGs in ``folder``; returns the paths written."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["make_icons"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = png_path(size, folder)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        out.append(path)
    return out


def platform_icons(folder: Path = ICONS) -> list[Path]:
    """Windows .ico and macOS .icns from the rendered PNGs (Pillow)."""
    from PIL import Image

    big = Image.open(png_path(512, folder)).convert("RGBA")
    ico = folder / "resonote.ico"
    big.save(ico, sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    icns = folder / "resonote.icns"
    big.save(icns)
    return [ico, icns]


def main() -> int:
    written = render() + platform_icons()
    for p in written:
        print(p.relative_to(ICONS.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
