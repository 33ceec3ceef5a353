"""Start the GUI: ``resonote [FILE ...]`` opens the window and loads audio files or projects."""

from __future__ import annotations

import os
import sys

HEADLESS_HELP = """\
Resonote needs a display to open its window, and none was found
(DISPLAY and WAYLAND_DISPLAY are not set).

  * On a desktop, run it from a graphical session.
  * Without a screen (a server, CI), use a virtual one:
        xvfb-run resonote [FILE ...]
    or render off-screen:
        QT_QPA_PLATFORM=offscreen resonote [FILE ...]
  * The command-line tools need no display: resonote --help
"""


def has_display() -> bool:
    """True when Qt can open a window: a display server or an explicit QPA platform."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def create_app(argv: list[str] | None = None):
    """The QApplication (created once), themed from the settings."""
    from PySide6.QtWidgets import QApplication

    from app.settings import APPLICATION, ORGANIZATION, Settings, configure_storage
    from app.theme import apply_theme

    app = QApplication.instance()
    if app is None:
        configure_storage()
        QApplication.setOrganizationName(ORGANIZATION)
        QApplication.setApplicationName(APPLICATION)
        app = QApplication(["resonote", *(argv or [])])
        from app.icon import app_icon

        app.setWindowIcon(app_icon())
        QApplication.setDesktopFileName("resonote")
    apply_theme(app, Settings().theme)
    return app


def build_window(paths: list[str] | None = None, *, autosave: bool = True):
    """Create the app (if needed) and a shown main window that is opening ``paths``."""
    from app.mainwindow import MainWindow

    create_app()
    window = MainWindow(autosave=autosave)
    window.show()
    for p in paths or []:
        window.open_path(p)
    return window


def run_gui(args: list[str]) -> int:
    """Entry point of ``resonote`` without a subcommand.  Returns the exit status."""
    if any(a in ("-h", "--help") for a in args):
        print("usage: resonote [FILE_OR_PROJECT ...]\n       resonote COMMAND ... (see "
              "'resonote --help' for the command-line tools)")
        return 0
    if args[:1] == ["--smoke-test"]:  # packaging/smoke.sh: open, run a tool, screenshot
        from app.smoke import main as smoke_main

        return smoke_main(args[1:])
    if not has_display():
        print(HEADLESS_HELP, end="")
        return 0
    from pathlib import Path

    missing = [a for a in args if not Path(a).exists()]
    for a in missing:
        print(f"resonote: no file or project at '{a}'", file=sys.stderr)
    app = create_app()
    from PySide6.QtCore import QTimer

    window = build_window([a for a in args if a not in missing])
    # Offer crash recovery once the window is on screen (not for files given to open).
    if not args:
        QTimer.singleShot(300, window.offer_recovery)
    # First start: a short, non-modal welcome (demo clip, where models come from).
    from app.welcome import maybe_show_welcome

    QTimer.singleShot(900, lambda: maybe_show_welcome(window))
    # Interrupted takes are offered always: a take must never be lost.
    from app.recovery_takes import offer_take_recovery

    QTimer.singleShot(600, lambda: offer_take_recovery(window))
    return int(app.exec())
