"""The application icon (``resources/icons``), for windows, dialogs and the taskbar."""

from __future__ import annotations

from PySide6.QtGui import QIcon

#: PNG sizes rendered from resources/icons/resonote.svg by packaging/make_icons.py.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """Resonote's icon with every rendered size (empty QIcon when resources are missing)."""
    from core.models.locate import resources_root

    folder = resources_root() / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        path = folder / f"resonote-{size}.png"
        if path.is_file():
            icon.addFile(str(path))
    return icon
