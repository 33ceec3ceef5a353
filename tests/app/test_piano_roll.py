"""The piano-roll widget on its own: geometry, selection, and edits from real mouse/key events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.views.piano_roll import KEYBOARD_W, PianoRoll
from app.viewstate import ViewState
from core.notes.types import Note

NOTES = [Note(0.5, 1.0, 60, 0.7), Note(1.0, 1.5, 64, 0.9), Note(1.5, 2.5, 67, 0.5),
         Note(3.0, 3.5, 72, 0.8)]


@pytest.fixture
def roll(qtbot):
    vs = ViewState()
    vs.set_duration(4.0)
    vs.set_range(0.0, 4.0)
    w = PianoRoll(vs)
    qtbot.addWidget(w)
    w.resize(800, 400)
    w.show()
    qtbot.waitExposed(w)
    w.set_notes(NOTES, fit=True)
    edits = []
    w.editRequested.connect(lambda notes, text: edits.append((notes, text)))
    w.edits = edits
    return w


def centre(roll, note) -> QPoint:
    return roll.note_rect(note).center().toPoint()


def test_geometry_follows_time_range_and_pitch(roll):
    rects = roll.note_rects()
    assert len(rects) == 4
    r = roll.note_rect(NOTES[0])
    assert r.left() == pytest.approx(roll.x_of(0.5)) and r.right() == pytest.approx(roll.x_of(1.0))
    assert roll.x_of(0.0) == pytest.approx(KEYBOARD_W)
    # higher notes are higher up, one row per semitone
    assert roll.note_rect(NOTES[1]).top() == pytest.approx(r.top() - 4 * roll.row_height())
    assert roll.pitch_at(r.center().y()) == 60
    roll.vs.set_range(2.0, 4.0)  # zooming the shared axis moves the notes
    assert len(roll.note_rects()) == 2
    roll.set_pitch_range(70, 90)  # only the C5 is left in view
    assert len(roll.note_rects()) == 1


def test_click_box_select_and_delete(roll, qtbot):
    qtbot.mouseClick(roll, Qt.MouseButton.LeftButton, pos=centre(roll, NOTES[1]))
    assert roll.selected_notes() == [NOTES[1]]
    qtbot.mouseClick(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=centre(roll, NOTES[3]))
    assert roll.selected_notes() == [NOTES[1], NOTES[3]]
    QTest.keyClick(roll, Qt.Key.Key_Delete)
    notes, text = roll.edits[-1]
    assert notes == [NOTES[0], NOTES[2]] and text == "Delete 2 notes"
    # drag a box over the first two notes
    a = QPoint(int(roll.x_of(0.4)), int(roll.note_rect(NOTES[1]).top()) - 2)
    b = QPoint(int(roll.x_of(1.2)), int(roll.note_rect(NOTES[0]).bottom()) + 2)
    QTest.mousePress(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(roll, (a + b) / 2)
    QTest.mouseMove(roll, b)
    QTest.mouseRelease(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert roll.selected_notes() == [NOTES[0], NOTES[1]]
    QTest.keyClick(roll, Qt.Key.Key_Escape)
    assert roll.selected_notes() == []


def test_resize_by_dragging_the_right_edge(roll):
    n = NOTES[2]
    r = roll.note_rect(n)
    p0 = QPoint(int(r.right()) - 2, int(r.center().y()))
    p1 = QPoint(int(roll.x_of(n.end_s + 0.5)) - 2, p0.y())
    QTest.mousePress(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    QTest.mouseMove(roll, p1)
    QTest.mouseRelease(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p1)
    notes, text = roll.edits[-1]
    resized = [x for x in notes if x.pitch == 67]
    assert text.startswith("Resize") and len(resized) == 1
    assert resized[0].start_s == n.start_s
    assert resized[0].end_s == pytest.approx(n.end_s + 0.5, abs=0.02)


def test_selection_survives_the_edit_round_trip(roll, qtbot):
    qtbot.mouseClick(roll, Qt.MouseButton.LeftButton, pos=centre(roll, NOTES[0]))
    QTest.keyClick(roll, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)  # up an octave
    notes, text = roll.edits[-1]
    assert text == "Transpose notes" and any(x.pitch == 72 and x.start_s == 0.5 for x in notes)
    roll.set_notes(notes)  # what the owner does after storing the edit
    assert [(x.start_s, x.pitch) for x in roll.selected_notes()] == [(0.5, 72)]


def test_ctrl_a_and_click_on_the_ruler_moves_the_playhead(roll, qtbot):
    roll.setFocus()
    QTest.keyClick(roll, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(roll.selected_indices()) == 4
    qtbot.mouseClick(roll, Qt.MouseButton.LeftButton, pos=QPoint(int(roll.x_of(2.0)), 5))
    assert roll.vs.playhead == pytest.approx(2.0, abs=0.01)


def test_empty_roll_says_what_to_do(roll):
    roll.set_notes([])
    assert roll.note_rects() == []
    img = roll.grab().toImage()
    assert img.width() == 800
