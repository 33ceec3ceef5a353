"""Fixtures for the GUI tests: isolated settings/state folders, test audio, a main window.

Every test gets its own QSettings location (``RESONOTE_CONFIG_DIR``) and
autosave folder (``RESONOTE_STATE_DIR``), so no test reads or writes a real
user's settings, and tests never see each other's recent files or autosaves.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest  # noqa: E402
from guihelpers import open_and_wait, wait_idle, write_test_audio  # noqa: E402, F401 (re-exported)
from PySide6.QtWidgets import QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """Point QSettings and the autosave folder at fresh temporary folders."""
    config = tmp_path_factory.mktemp("config")
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("RESONOTE_CONFIG_DIR", str(config))
    monkeypatch.setenv("RESONOTE_STATE_DIR", str(state))
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(config))
    return config


@pytest.fixture
def tone_wav(tmp_path):
    return write_test_audio(tmp_path / "tone.wav")


class Answers:
    """Scripted answers for :meth:`MainWindow.ask` (default: the dialog's default button)."""

    def __init__(self) -> None:
        self.queue: list[QMessageBox.StandardButton] = []
        self.asked: list[tuple[str, str]] = []

    def __call__(self, title, text, buttons=None, default=QMessageBox.StandardButton.No):
        self.asked.append((title, text))
        if self.queue:
            return self.queue.pop(0)
        if default == QMessageBox.StandardButton.Save:
            return QMessageBox.StandardButton.Discard  # never block a test on saving
        return default


@pytest.fixture
def answers():
    return Answers()


@pytest.fixture
def window(qtbot, answers):
    """A shown main window at 1600x1000 whose questions are answered by ``answers``."""
    from app.main import create_app
    from app.mainwindow import MainWindow

    create_app()
    w = MainWindow()
    w.ask = answers
    w.show_error_dialogs = False
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
