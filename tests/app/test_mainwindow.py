"""Main window: opening files (menu, drop, command line), zoom/pan/selection, readout."""

from __future__ import annotations

import math

import pytest
from conftest import open_and_wait, wait_idle, write_test_audio
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox


def test_open_by_menu_action(qtbot, window, tone_wav, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(tone_wav)], "")))
    window.acts["open"].trigger()
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)
    track = window.model.tracks[0]
    assert track.name == "tone"
    assert track.audio.channels == 2 and track.audio.sr == 44100
    assert window.current_track() is track
    assert window.view_state.duration == pytest.approx(3.0, abs=1e-3)
    assert window.settings.recent_files()[0] == str(tone_wav.resolve())
    lane = window.tracks_area.lane(track.id)
    qtbot.waitUntil(lambda: lane.waveform.pyramid is not None)


def test_open_by_keyboard_shortcut(qtbot, window, tone_wav, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(tone_wav)], "")))
    QTest.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)


def test_open_by_drop(qtbot, window, tone_wav):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tone_wav))])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    # QApplication.notify only forwards a Drop while its drag manager runs a real
    # drag, so the event goes to the window's own handler, as the drag manager would.
    assert window.event(drop) and drop.isAccepted()
    qtbot.waitUntil(lambda: len(window.model.tracks) == 1, timeout=20000)
    assert window.model.tracks[0].source_path == str(tone_wav)


def test_open_from_command_line_args(qtbot, tone_wav, tmp_path):
    from app.main import build_window

    other = write_test_audio(tmp_path / "second.flac", seconds=1.0, channels=1)
    w = build_window([str(tone_wav), str(other)])
    qtbot.addWidget(w)
    w.ask = lambda *a, **k: QMessageBox.StandardButton.Discard
    qtbot.waitUntil(lambda: len(w.model.tracks) == 2, timeout=20000)
    assert sorted(t.name for t in w.model.tracks) == ["second", "tone"]
    wait_idle(qtbot, w)
    w.close()


def test_recent_files_menu_reopens(qtbot, window, tone_wav):
    open_and_wait(qtbot, window, tone_wav)
    window._fill_recent_menu()
    first = window.recent_menu.actions()[0]
    assert "tone.wav" in first.text()
    first.trigger()
    qtbot.waitUntil(lambda: len(window.model.tracks) == 2, timeout=20000)


def test_open_damaged_file_shows_error(qtbot, window, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4)
    window.open_path(bad)
    wait_idle(qtbot, window)
    job = window.runner.jobs[-1]
    assert job.status.value == "failed"
    assert "bad.wav" in job.error and "Traceback" not in job.error
    assert window.jobs_panel.row(job.id).error_label.text() == job.error
    assert not window.model.tracks


def _lane_pos(lane, fraction: float) -> QPoint:
    wf = lane.waveform
    return QPoint(int(wf.width() * fraction), wf.height() // 2)


def test_zoom_pan_select_with_real_events(qtbot, window, tone_wav):
    track = open_and_wait(qtbot, window, tone_wav)
    vs = window.view_state
    assert vs.range == pytest.approx((0.0, 3.0), abs=1e-6)
    wf = window.tracks_area.lane(track.id).waveform

    # Drag with the left button selects.
    QTest.mousePress(wf, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     _lane_pos(window.tracks_area.lane(track.id), 0.25))
    QTest.mouseMove(wf, _lane_pos(window.tracks_area.lane(track.id), 0.5))
    QTest.mouseRelease(wf, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       _lane_pos(window.tracks_area.lane(track.id), 0.5))
    s0, s1, _, _ = vs.selection
    assert s0 == pytest.approx(0.75, abs=0.01) and s1 == pytest.approx(1.5, abs=0.01)

    # Zoom to the selection, then back out to fit, by keyboard.
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert vs.range == pytest.approx((s0, s1), abs=1e-6)
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert vs.range == pytest.approx((0.0, 3.0), abs=1e-6)

    # Ctrl+wheel zooms around the mouse.
    pos = QPointF(wf.width() * 0.5, wf.height() / 2)
    def wheel(dy, dx=0, mods=Qt.KeyboardModifier.NoModifier):
        ev = QWheelEvent(pos, wf.mapToGlobal(pos), QPoint(0, 0), QPoint(dx, dy),
                         Qt.MouseButton.NoButton, mods, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(wf, ev)

    wheel(240, mods=Qt.KeyboardModifier.ControlModifier)
    t0, t1 = vs.range
    assert t1 - t0 == pytest.approx(3.0 / 1.25 ** 2, rel=1e-6)
    assert (t0 + t1) / 2 == pytest.approx(1.5, abs=1e-6)  # anchored at the mouse (centre)

    # Shift+wheel pans, keeping the span.
    wheel(-120, mods=Qt.KeyboardModifier.ShiftModifier)
    assert vs.range[1] - vs.range[0] == pytest.approx(t1 - t0)
    assert vs.range[0] > t0

    # Arrow keys pan; Ctrl+- zooms out.
    before = vs.range
    QTest.keyClick(window, Qt.Key.Key_Left)
    assert vs.range[0] < before[0]
    span = vs.range[1] - vs.range[0]
    QTest.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert vs.range[1] - vs.range[0] == pytest.approx(span * 1.5, rel=1e-6)

    # Middle-button drag pans by the dragged distance.
    window.zoom_in()
    window.zoom_in()
    start = vs.range
    a, b = _lane_pos(window.tracks_area.lane(track.id), 0.6), \
        _lane_pos(window.tracks_area.lane(track.id), 0.4)
    QTest.mousePress(wf, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, a)
    move = QMouseEvent(
        QEvent.Type.MouseMove, QPointF(b), wf.mapToGlobal(QPointF(b)),
        Qt.MouseButton.NoButton, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(wf, move)
    QTest.mouseRelease(wf, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, b)
    shift = (start[1] - start[0]) * (a.x() - b.x()) / wf.width()
    assert vs.range[0] == pytest.approx(start[0] + shift, abs=1e-3)

    # The horizontal scrollbar follows the range, and moving it pans.
    bar = window.tracks_area.hbar
    value = bar.value()
    bar.setValue(bar.maximum())
    assert vs.range[1] == pytest.approx(3.0, abs=0.01)
    assert value != bar.value()


def test_click_clears_selection_and_moves_playhead(qtbot, window, tone_wav):
    track = open_and_wait(qtbot, window, tone_wav)
    window.view_state.set_selection(1.0, 2.0)
    wf = window.tracks_area.lane(track.id).waveform
    QTest.mouseClick(wf, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(wf.width() // 3, 20))
    assert not window.view_state.has_selection
    assert window.view_state.playhead == pytest.approx(1.0, abs=0.01)


def test_snap_to_zero_crossings(qtbot, window, tone_wav):
    track = open_and_wait(qtbot, window, tone_wav)
    window.acts["snap_to_zero"].trigger()
    assert window.settings.snap_to_zero
    window.view_state.set_range(1.0, 1.01)  # ~441 samples across
    wf = window.tracks_area.lane(track.id).waveform
    QTest.mousePress(wf, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(wf.width() * 0.3), 20))
    QTest.mouseMove(wf, QPoint(int(wf.width() * 0.7), 20))
    QTest.mouseRelease(wf, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(int(wf.width() * 0.7), 20))
    s = track.audio.samples.mean(axis=0)
    for t in window.view_state.selection[:2]:
        f = round(t * track.audio.sr)
        assert math.copysign(1, s[f - 1]) != math.copysign(1, s[f]) or s[f] == 0


def test_status_readout_after_mouse_move(qtbot, window, tone_wav):
    track = open_and_wait(qtbot, window, tone_wav)
    wf = window.tracks_area.lane(track.id).waveform
    QTest.mouseMove(wf, QPoint(wf.width() // 2, wf.height() // 2))
    qtbot.waitUntil(lambda: window.readout["time"].text() != "—")
    t = 1.5 * wf.x_to_t(wf.width() // 2) / 1.5
    assert window.readout["time"].text() == f"0:00:0{t:.3f}"
    assert window.readout["samples"].text() == f"{round(t * 44100):,} smp"
    assert window.readout["level"].text().endswith(" dB")
    level = float(window.readout["level"].text().split()[0])
    assert -20 < level < 0  # a tone around -6 dBFS
    # A frequency cursor (as the spectrogram sets it) shows Hz and the note.
    window.view_state.set_cursor(1.0, 440.0, -12.0)
    assert window.readout["freq"].text() == "440.0 Hz"
    assert window.readout["note"].text() == "A4 +0¢"
    assert window.readout["level"].text() == "-12.0 dB"


def test_shortcuts_dialog_lists_every_action(qtbot, window):
    dialog = window.show_shortcuts()
    qtbot.addWidget(dialog)
    texts = {dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())}
    assert "Ctrl+O" in texts and "Ctrl+Shift+F" in texts and "Ctrl+wheel" in texts
    dialog.close()


def test_theme_switch_persists(qtbot, window):
    window.acts["theme_light"].trigger()
    assert window.settings.theme == "light"
    assert QApplication.instance().palette().window().color().lightness() > 180
    window.acts["theme_dark"].trigger()
    assert window.settings.theme == "dark"
    assert QApplication.instance().palette().window().color().lightness() < 80


def test_layout_restored_on_restart(qtbot, window):
    from app.mainwindow import MainWindow

    window.docks["spectrum"].hide()
    window.resize(1200, 800)
    window.save_settings()
    w2 = MainWindow(autosave=False)
    qtbot.addWidget(w2)
    w2.show()
    assert not w2.docks["spectrum"].isVisible()
    assert w2.docks["tools"].isVisible()
    w2.close()
