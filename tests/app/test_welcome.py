"""First-run welcome: shown once, opens the bundled demo clip as a track, never blocks."""

from __future__ import annotations

import soundfile as sf
from guihelpers import wait_idle
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid


def test_demo_clip_is_short_small_flac():
    from app.welcome import demo_path

    path = demo_path()
    info = sf.info(str(path))
    assert info.format == "FLAC"
    assert 5.0 <= info.duration <= 20.0
    assert path.stat().st_size < 1_000_000


def test_shown_once_and_not_again_after_restart(qtbot, window):
    from app import welcome

    assert not welcome.was_shown()
    dialog = welcome.maybe_show_welcome(window)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert welcome.was_shown()
    dialog.close()
    # a later start (fresh QSettings read) does not show it again
    assert welcome.maybe_show_welcome(window) is None
    welcome.mark_shown(False)
    again = welcome.maybe_show_welcome(window)
    assert again is not None
    again.close()


def test_never_blocks_the_main_window(qtbot, window, tone_wav):
    from app.welcome import maybe_show_welcome

    dialog = maybe_show_welcome(window)
    qtbot.waitExposed(dialog)
    assert not dialog.isModal()
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert QApplication.activeModalWidget() is None
    # the window keeps working while the welcome is open
    window.open_path(tone_wav)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)
    assert dialog.isVisible()
    dialog.close()


def test_demo_button_opens_the_demo_as_a_track(qtbot, window):
    from app.welcome import demo_path, maybe_show_welcome

    dialog = maybe_show_welcome(window)
    qtbot.waitExposed(dialog)
    assert dialog.demo_button.isEnabled()
    with qtbot.waitSignal(dialog.demoRequested):
        qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)
    wait_idle(qtbot, window)
    track = window.model.tracks[0]
    assert track.name == "demo"
    assert track.source_path == str(demo_path())
    assert abs(track.audio.duration_s - sf.info(str(demo_path())).duration) < 0.01
    # the welcome got out of the way (closed and deleted)
    qtbot.waitUntil(lambda: not isValid(dialog) or not dialog.isVisible())


def test_lists_every_model_with_origin_and_licence(qtbot, window):
    from app.welcome import maybe_show_welcome
    from core import models

    dialog = maybe_show_welcome(window)
    table = dialog.models_table
    specs = models.all_models()
    assert table.rowCount() == len(specs)
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert set(names) == {s.name for s in specs}
    by_name = {s.name: s for s in specs}
    wheres = [table.item(r, 2).text() for r in range(table.rowCount())]
    # bundled models first, each saying it is included and where it came from
    n_bundled = sum(s.source == "bundled" for s in specs)
    assert all(w.startswith("included") for w in wheres[:n_bundled])
    assert all(w.startswith("download") for w in wheres[n_bundled:])
    for r, name in enumerate(names):
        assert table.item(r, 3).toolTip() == by_name[name].licence
        assert by_name[name].licence.startswith(table.item(r, 3).text())
    assert "basic-pitch" in names[:n_bundled]
    dialog.close()


def test_help_menu_shows_the_welcome_again(qtbot, window):
    from app.welcome import WelcomeDialog

    window.acts["welcome"].trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, WelcomeDialog) and w.isVisible()
                                for w in window.findChildren(WelcomeDialog)), timeout=3000)
