"""First-run welcome: a small, non-modal window that opens the demo clip and shows where
every model comes from.

It is shown once (a QSettings flag, :data:`SHOWN_KEY`), never blocks the main
window (modeless, nothing to answer), and can be reopened with :func:`show_welcome`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.icon import app_icon
from app.settings import APPLICATION, ORGANIZATION, configure_storage

#: QSettings key set once the welcome has been shown.
SHOWN_KEY = "ui/welcome_shown"

INTRO = (
    "<p>Open or record audio, <b>see</b> it as a waveform and spectrogram, <b>hear</b> it, "
    "and run tools on it: transcribe speech and music, separate stems, restore and "
    "generate. Everything runs on this computer: your audio never leaves it.</p>"
    "<p>Open your own files with <b>File → Open</b> or by dropping them on the window, "
    "or start with a 20-second demo: a Bach chorale (public domain) rendered for Resonote.</p>"
)

MODELS_NOTE = (
    "Models marked <b>included</b> ship with Resonote and work offline. The others are "
    "downloaded only when you choose them in a tool (you will see their size first). "
    "<i>resonote models list</i> prints the same list; the licence notices are in "
    "NOTICES.md next to the program."
)


def _qsettings() -> QSettings:
    configure_storage()
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                     ORGANIZATION, APPLICATION)


def was_shown() -> bool:
    """True once the welcome has been shown on this account."""
    value = _qsettings().value(SHOWN_KEY, False)
    return value.lower() in ("1", "true", "yes") if isinstance(value, str) else bool(value)


def mark_shown(shown: bool = True) -> None:
    qs = _qsettings()
    qs.setValue(SHOWN_KEY, bool(shown))
    qs.sync()


def demo_path() -> Path:
    """The bundled demo clip (``resources/demo/demo.flac``)."""
    from core.models.locate import resources_root

    return resources_root() / "demo" / "demo.flac"


def model_rows() -> list[tuple[str, str, str, str, str]]:
    """(name, task, where from, licence, size) for every registry model, bundled first."""
    from core import models

    rows = []
    for spec in sorted(models.all_models(), key=lambda s: s.source != "bundled"):
        if spec.source == "bundled":
            where = f"included ({spec.origin})" if spec.origin else "included"
        else:
            where = f"download: {spec.origin}" if spec.origin else "download"
        mb = spec.size_bytes / 1e6
        size = f"{mb:,.0f} MB" if mb >= 1 else f"{spec.size_bytes / 1e3:,.0f} kB"
        if not spec.size_exact:
            size = "≈ " + size
        rows.append((spec.name, spec.task, where, spec.licence, size))
    return rows


class WelcomeDialog(QDialog):
    """The welcome window.  Modeless; closing it (any way) is all the user ever has to do.

    Signals
    -------
    demoRequested()
        The user asked for the demo clip (the dialog also opens it through ``window``).
    """

    demoRequested = Signal()

    def __init__(self, window: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.window_ = window
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to Resonote")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        icon = app_icon()
        if not icon.isNull():
            self.setWindowIcon(icon)
        self._build(icon)
        self.resize(900, 600)

    def _build(self, icon: QIcon) -> None:
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        logo = QLabel()
        if not icon.isNull():
            logo.setPixmap(icon.pixmap(64, 64))
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        title = QLabel("<h2 style='margin:0'>Welcome to Resonote</h2>" + INTRO)
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        head.addWidget(title, 1)
        layout.addLayout(head)

        self.demo_button = QPushButton("▶  Open the demo clip")
        self.demo_button.setObjectName("welcomeDemo")
        self.demo_button.setDefault(True)
        demo = demo_path()
        self.demo_button.setEnabled(demo.is_file())
        self.demo_button.setToolTip(str(demo) if demo.is_file() else
                                    f"The demo clip is missing ({demo}).")
        self.demo_button.clicked.connect(self.open_demo)
        row = QHBoxLayout()
        row.addWidget(self.demo_button)
        row.addStretch(1)
        layout.addLayout(row)

        layout.addWidget(QLabel("<b>Where the models come from</b>"))
        rows = model_rows()
        table = QTableWidget(len(rows), 5)
        table.setObjectName("welcomeModels")
        table.setHorizontalHeaderLabels(["Model", "Task", "Where from", "Licence", "Size"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setWordWrap(False)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                # long licence notes ("MIT (trained by ...)") show in full as a tooltip
                shown = value.split(" (")[0] if c == 3 else value
                item = QTableWidgetItem(shown)
                item.setToolTip(value)
                if c == 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(r, c, item)
        header = table.horizontalHeader()
        for c in range(5):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.models_table = table
        layout.addWidget(table, 1)
        note = QLabel(MODELS_NOTE)
        note.setWordWrap(True)
        note.setObjectName("panelNote")
        layout.addWidget(note)

        buttons = QDialogButtonBox()
        close = buttons.addButton("Start using Resonote", QDialogButtonBox.ButtonRole.AcceptRole)
        close.setObjectName("welcomeClose")
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def open_demo(self) -> None:
        """Open the demo clip as a track in the main window, then get out of the way."""
        self.demoRequested.emit()
        if self.window_ is not None and hasattr(self.window_, "open_path"):
            self.window_.open_path(str(demo_path()))
        self.accept()


def show_welcome(window: Any) -> WelcomeDialog:
    """Show the welcome now (e.g. from Help → Welcome), whether or not it was seen."""
    dialog = WelcomeDialog(window)
    dialog.show()
    dialog.raise_()
    mark_shown()
    window._welcome = dialog  # keep a reference while it is open
    dialog.destroyed.connect(lambda *_: setattr(window, "_welcome", None))
    return dialog


def maybe_show_welcome(window: Any) -> WelcomeDialog | None:
    """Show the welcome on the first run only; returns the dialog, or None when already seen."""
    if was_shown():
        return None
    return show_welcome(window)


__all__ = ["SHOWN_KEY", "WelcomeDialog", "demo_path", "mark_shown", "maybe_show_welcome",
           "model_rows", "show_welcome", "was_shown"]
