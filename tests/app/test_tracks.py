"""Track lanes: add/rename/mute/solo/gain/reorder/remove through the UI, undo/redo, drag-out."""

from __future__ import annotations

import pytest
from conftest import open_and_wait
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


@pytest.fixture
def two_tracks(qtbot, window, tone_wav, tmp_path):
    from conftest import write_test_audio

    a = open_and_wait(qtbot, window, tone_wav)
    b = open_and_wait(qtbot, window, write_test_audio(tmp_path / "bass.wav", seconds=2.0,
                                                      channels=1, freq=110.0))
    return a, b


def test_rename_by_double_click_then_undo_redo(qtbot, window, two_tracks):
    a, _ = two_tracks
    lane = window.tracks_area.lane(a.id)
    QTest.mouseDClick(lane.name_label, Qt.MouseButton.LeftButton)
    assert lane.name_stack.currentWidget() is lane.name_edit
    lane.name_edit.selectAll()
    QTest.keyClicks(lane.name_edit, "Lead vocal")
    QTest.keyClick(lane.name_edit, Qt.Key.Key_Return)
    assert a.name == "Lead vocal" and lane.name_label.text() == "Lead vocal"
    assert window.isWindowModified()
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert a.name == "tone" and lane.name_label.text() == "tone"
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert a.name == "Lead vocal"


def test_mute_solo_gain_buttons_and_undo(qtbot, window, two_tracks):
    a, b = two_tracks
    lane = window.tracks_area.lane(a.id)
    QTest.mouseClick(lane.mute_button, Qt.MouseButton.LeftButton)
    assert a.mute and lane.mute_button.isChecked()
    QTest.mouseClick(window.tracks_area.lane(b.id).solo_button, Qt.MouseButton.LeftButton)
    assert b.solo
    lane.gain_slider.setFocus()
    for _ in range(4):
        QTest.keyClick(lane.gain_slider, Qt.Key.Key_Right)
    assert a.gain_db == pytest.approx(2.0)
    assert lane.gain_label.text() == "+2.0 dB"
    window.undo()  # the whole slider gesture is one undo step
    assert a.gain_db == 0.0 and lane.gain_slider.value() == 0
    window.undo()
    assert not b.solo
    window.undo()
    assert not a.mute and not lane.mute_button.isChecked()
    window.redo()
    assert a.mute


def test_keyboard_mute_solo_colour_on_current_track(qtbot, window, two_tracks):
    _, b = two_tracks
    assert window.current_track() is b
    QTest.keyClick(window, Qt.Key.Key_M)
    QTest.keyClick(window, Qt.Key.Key_S)
    assert b.mute and b.solo
    window.set_track_colour(b.id, "#123456")
    assert b.colour == "#123456"
    window.undo()
    assert b.colour != "#123456"


def test_reorder_remove_duplicate_with_undo(qtbot, window, two_tracks):
    a, b = two_tracks
    lanes = window.tracks_area.lanes
    assert [ln.track_id for ln in lanes()] == [a.id, b.id]
    QTest.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)  # b is current
    assert [t.id for t in window.model.tracks] == [b.id, a.id]
    assert [ln.track_id for ln in lanes()] == [b.id, a.id]
    window.undo()
    assert [ln.track_id for ln in lanes()] == [a.id, b.id]

    window.set_current_track(a.id)
    QTest.keyClick(window, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert [t.id for t in window.model.tracks] == [b.id]
    assert window.tracks_area.lane(a.id) is None
    assert window.current_track() is b
    window.undo()
    assert [t.id for t in window.model.tracks] == [a.id, b.id]
    assert window.tracks_area.lane(a.id).waveform.pyramid is not None

    QTest.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(window.model.tracks) == 3
    assert window.model.tracks[-1].name == "bass (copy)"
    window.undo()
    assert len(window.model.tracks) == 2
    # The undo text says what will be undone.
    assert window.acts["undo"].text().startswith("&Undo")


def test_selecting_lane_sets_current_track_for_views(qtbot, window, two_tracks):
    a, b = two_tracks
    wf = window.tracks_area.lane(a.id).waveform
    QTest.mouseClick(wf, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(10, 10))
    assert window.current_track() is a
    assert window.tracks_area.lane(a.id).waveform.current
    assert not window.tracks_area.lane(b.id).waveform.current
    if hasattr(window.spectrogram, "audio"):
        assert window.spectrogram.audio is a.audio


def test_drag_out_mime_has_wav_file(qtbot, window, two_tracks):
    from core.audio import info, load

    a, _ = two_tracks
    mime = window.track_mime_data(a.id)
    from app.tracks.area import TRACK_MIME

    assert bytes(mime.data(TRACK_MIME).data()).decode() == a.id
    urls = mime.urls()
    assert len(urls) == 1 and urls[0].isLocalFile()
    path = urls[0].toLocalFile()
    assert path.endswith("tone.wav")
    i = info(path)
    assert i.format == "WAV" and i.channels == 2 and i.frames == a.audio.frames
    assert abs(load(path).samples - a.audio.samples).max() < 1e-4


def test_add_track_from_job_is_derived_and_undoable(qtbot, window, two_tracks):
    from core.audio import Audio

    a, _ = two_tracks
    result = Audio(a.audio.samples * 0.5, a.audio.sr)
    t = window.add_track_from_job(result, "tone (restored)", kind="restored", source_id=a.id)
    assert window.model.index_of(t.id) == 1  # right under its source
    lane = window.tracks_area.lane(t.id)
    assert lane.ab_button.isVisibleTo(lane)
    qtbot.waitUntil(lambda: lane.waveform.pyramid is not None)
    window.undo()
    assert all(x.id != t.id for x in window.model.tracks)


def test_snap_helper_finds_nearest_crossing():
    import numpy as np

    from app.tracks.snap import nearest_zero_crossing

    x = np.sin(2 * np.pi * np.arange(1000) / 100).astype(np.float32)[None, :]
    assert nearest_zero_crossing(x, 47, 20) in (50, 51)
    assert nearest_zero_crossing(np.ones((1, 100), np.float32), 40, 10) == 40
