"""The transport toolbar and PlaybackController on the real (null-sink) device."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QMainWindow, QSlider

from app.playback_controller import PlaybackController
from app.viewstate import ViewState
from core.audio import Audio
from core.playback import PlaySource


def _tone(dur_s: float = 1.5, sr: int = 44100) -> Audio:
    t = np.arange(round(dur_s * sr)) / sr
    return Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)


@pytest.fixture
def window(qtbot):
    win = QMainWindow()
    qtbot.addWidget(win)
    view = ViewState()
    view.set_duration(1.5)
    yield win, view
    for ctl in win.findChildren(PlaybackController):
        ctl.close()


def _setup(window, qtbot, device):
    win, view = window
    ctl = PlaybackController(view, win, device=device)
    bar = ctl.make_toolbar(win)
    win.addToolBar(bar)
    win.resize(900, 120)
    # A popup or modal window an earlier test left open would keep this one from being
    # activated (and the Space shortcut from reaching it).
    app = QApplication.instance()
    while (w := app.activePopupWidget() or app.activeModalWidget()) is not None:
        w.close()
        app.processEvents()
    win.show()
    win.activateWindow()
    # Waited for in Python, not with qtbot.waitActive: QTest.qWaitForWindowActive holds the
    # GIL in C++ and twice span forever here in the full suite (no timeout could fire).
    try:
        qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    except qtbot.TimeoutError:
        others = [(type(w).__name__, w.windowTitle(), w.isVisible())
                  for w in app.topLevelWidgets() if w.isVisible() and w is not win]
        raise AssertionError(f"the window was not activated; active: {app.activeWindow()}, "
                             f"visible top-level widgets: {others}") from None
    return win, view, ctl, bar


@pytest.mark.audio_device
def test_space_toggles_play_and_the_playhead_moves(window, qtbot, pulse_sink):
    win, view, ctl, bar = _setup(window, qtbot, pulse_sink.device)
    assert ctl.available and bar.isVisible()
    assert set(ctl.actions()) >= {"play_pause", "stop", "play_from_cursor", "loop", "ab"}
    assert bar.findChild(QComboBox, "transportDevice").currentData() == pulse_sink.device
    ctl.set_sources([PlaySource("a", _tone())])

    with qtbot.waitSignal(ctl.stateChanged, timeout=3000) as sig:
        qtbot.keyClick(win, Qt.Key.Key_Space)
    assert sig.args == ["playing"]
    assert ctl.actions()["play_pause"].text() == "Pause"
    qtbot.waitUntil(lambda: view.playhead > 0.2, timeout=3000)

    with qtbot.waitSignal(ctl.stateChanged, timeout=3000) as sig:
        qtbot.keyClick(win, Qt.Key.Key_Space)
    assert sig.args == ["paused"]
    paused_at = view.playhead
    assert paused_at > 0.2
    assert ctl.actions()["play_pause"].text() == "Play"

    with qtbot.waitSignal(ctl.stateChanged, timeout=3000):
        ctl.stop()
    assert view.playhead == 0.0  # back to where playback started

    grab = win.grab()
    grab.save("/tmp/resonote_transport.png")
    assert not grab.isNull()


@pytest.mark.audio_device
def test_loop_with_selection_and_finish(window, qtbot, pulse_sink):
    win, view, ctl, bar = _setup(window, qtbot, pulse_sink.device)
    ctl.set_sources([PlaySource("a", _tone(0.6))])
    view.set_selection(0.1, 0.3)
    ctl.actions()["loop"].trigger()
    assert ctl.player.loop == pytest.approx((0.1, 0.3), abs=1e-4)
    ctl.play()
    qtbot.waitUntil(lambda: view.playhead > 0.1, timeout=3000)
    heads = []
    for _ in range(8):
        qtbot.wait(50)
        heads.append(view.playhead)
    assert all(0.1 <= h < 0.3 for h in heads) and any(b < a for a, b in zip(heads, heads[1:], strict=False))
    ctl.set_loop_enabled(False)
    with qtbot.waitSignal(ctl.stateChanged, timeout=3000, check_params_cb=lambda s: s == "finished"):
        pass
    volume = bar.findChild(QSlider, "transportVolume")
    volume.setValue(25)
    assert ctl.player.volume == pytest.approx(0.25)


def test_without_an_output_the_controls_are_disabled_with_a_reason(window, qtbot):
    win, view, ctl, bar = _setup(window, qtbot, "no such device")
    assert not ctl.available and ctl.state == "unavailable"
    assert "no such device" in ctl.unavailable_reason
    for key in ("play_pause", "stop", "play_from_cursor", "loop"):
        assert not ctl.actions()[key].isEnabled()
        assert ctl.unavailable_reason in ctl.actions()[key].toolTip()
    notice = bar.findChild(QLabel, "transportNotice")
    assert notice.isVisible() and "No audio output" in notice.text()
    assert ctl.unavailable_reason in notice.toolTip()
    ctl.set_sources([PlaySource("a", _tone(0.2))])  # harmless without output
    qtbot.keyClick(win, Qt.Key.Key_Space)  # does nothing, raises nothing
    assert view.playhead == 0.0
    win.grab().save("/tmp/resonote_transport_unavailable.png")
