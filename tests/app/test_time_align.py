"""The spectrogram and piano roll docked under the lanes put time t at the lanes' x."""

from __future__ import annotations

import pytest
from guihelpers import open_and_wait, write_test_audio
from PySide6.QtCore import QPoint, QPointF


def _ruler_x(window, t: float) -> float:
    ruler = window.tracks_area.ruler
    return ruler.mapToGlobal(QPoint(0, 0)).x() + ruler.t_to_x(t)


def _spectrogram_x(window, t: float) -> float:
    pane = window.spectrogram
    scene = pane.vb.mapViewToScene(QPointF(t, 0.0))
    return pane.plot.mapToGlobal(pane.plot.mapFromScene(scene)).x()


def _roll_x(roll, t: float) -> float:
    return roll.mapToGlobal(QPoint(0, 0)).x() + roll.x_of(t)


def test_views_under_the_lanes_share_their_time_axis(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, write_test_audio(tmp_path / "a.wav", seconds=4.0))
    window.view_state.set_range(0.5, 3.5)
    notes = window.tool_panels["Transcribe"].notes
    notes.show_roll()
    for w, h in ((1600, 1000), (1200, 900)):
        window.resize(w, h)
        qtbot.waitUntil(lambda: abs(_spectrogram_x(window, 1.0) - _ruler_x(window, 1.0)) <= 1.5
                        and abs(_roll_x(notes.roll, 1.0) - _ruler_x(window, 1.0)) <= 1.5,
                        timeout=3000)
        for t in (0.6, 2.0, 3.4):
            assert _spectrogram_x(window, t) == pytest.approx(_ruler_x(window, t), abs=1.5)
            assert _roll_x(notes.roll, t) == pytest.approx(_ruler_x(window, t), abs=1.5)


def test_floating_dock_gets_its_own_narrow_axis(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, write_test_audio(tmp_path / "a.wav", seconds=2.0))
    pane = window.spectrogram
    qtbot.waitUntil(lambda: pane.time_margins()[0] > pane.AXIS_W, timeout=3000)
    window.docks["spectrogram"].setFloating(True)
    qtbot.waitUntil(lambda: pane.time_margins() == (pane.AXIS_W, pane.RIGHT_MARGIN), timeout=3000)
    window.docks["spectrogram"].setFloating(False)
    qtbot.waitUntil(lambda: pane.time_margins()[0] > pane.AXIS_W, timeout=3000)
