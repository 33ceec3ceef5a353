"""Music → notes in the window: transcribe a rendered scale, live thresholds, overlay, export."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

SCALE = (60, 62, 64, 65, 67, 69, 71, 72)


@pytest.fixture(scope="module")
def scale_wav(tmp_path_factory):
    """A C-major scale rendered through the SoundFont: 8 notes of 0.35 s every 0.4 s."""
    from core.audio import save
    from core.notes import Note, render_notes

    notes = [Note(0.2 + 0.4 * i, 0.55 + 0.4 * i, p) for i, p in enumerate(SCALE)]
    path = tmp_path_factory.mktemp("notes") / "scale.wav"
    save(render_notes(notes, sr=22050), path, subtype="16", overwrite=True)
    return path


def section_of(window):
    return window.tool_panels["Transcribe"].notes


def transcribe(qtbot, window, scale_wav, *, analyse: bool = False):
    track = open_and_wait(qtbot, window, scale_wav)
    s = section_of(window)
    s.analyse_check.setChecked(analyse)
    window.tools.setCurrentWidget(window.tool_panels["Transcribe"])
    window.tool_panels["Transcribe"].tabs.setCurrentWidget(s)
    qtbot.mouseClick(s.transcribe_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(lr.kind == "notes" for lr in track.layers), timeout=60000)
    wait_idle(qtbot, window, 60000)
    return track, s


def layer_notes(track):
    from core.notes import NoteTrack

    layer = next(lr for lr in reversed(track.layers) if lr.kind == "notes")
    return NoteTrack.from_dict(layer.data).notes


def scale_notes(notes):
    """The notes that start near each scale step (octave ghosts left out)."""
    out = []
    for i, p in enumerate(SCALE):
        t = 0.2 + 0.4 * i
        out.append([n for n in notes if abs(n.start_s - t) < 0.08 and n.pitch == p])
    return out


def test_transcribe_scale_shows_notes_in_roll_and_readout(qtbot, window, scale_wav, tmp_path):
    track, s = transcribe(qtbot, window, scale_wav, analyse=True)
    layer = next(lr for lr in track.layers if lr.kind == "notes")
    assert set(layer.arrays) == {"note", "onset", "contour", "times_s"}
    notes = layer_notes(track)
    assert 8 <= len(notes) <= 12
    assert all(len(hits) == 1 for hits in scale_notes(notes)), notes
    # The piano roll shows every note, one rectangle each.
    assert s.roll_dock.isVisible()
    qtbot.waitUntil(lambda: len(s.roll.note_rects()) == len(notes))
    assert "C major" in s.readout.text() and "BPM" in s.readout.text()
    assert "C – D – E – F – G – A – B – C" in s.readout.text()
    # The layer is one undo step, and it is saved with the project.
    window.undo()
    assert not any(lr.kind == "notes" for lr in track.layers)
    assert s.roll.note_rects() == []
    window.redo()
    assert len(s.roll.note_rects()) == len(notes)
    from core.project import load_project, save_project

    save_project(window.model.project, tmp_path / "p")
    again = load_project(tmp_path / "p")
    reloaded = next(lr for lr in again.tracks[0].layers if lr.kind == "notes")
    assert len(reloaded.data["notes"]) == len(notes)
    assert reloaded.arrays["note"].shape == layer.arrays["note"].shape


def test_overlay_draws_notes_on_the_log_spectrogram(qtbot, window, scale_wav):
    from app.views.note_axis import midi_hz

    track, s = transcribe(qtbot, window, scale_wav)
    spec = window.spectrogram
    qtbot.waitUntil(lambda: spec.freq_map() is not None, timeout=20000)
    if spec.settings()["scale"] != "linear":
        with qtbot.waitSignal(spec.imageUpdated, timeout=20000,
                              check_params_cb=lambda kind: kind == "overview"):
            spec.apply_settings({"scale": "linear"})
    r0 = s.overlay.note_rects()[0]
    first = min(layer_notes(track), key=lambda n: (n.start_s, n.pitch, n.end_s))
    assert r0.top() < midi_hz(first.pitch) < r0.bottom()  # linear: y is Hz
    with qtbot.waitSignal(spec.imageUpdated, timeout=20000,
                          check_params_cb=lambda kind: kind == "overview"):
        spec.apply_settings({"scale": "log"})
    fmap = spec.freq_map()
    assert fmap.scale == "log" and not fmap.linear
    rects = s.overlay.note_rects()
    notes = sorted(layer_notes(track), key=lambda n: (n.start_s, n.pitch, n.end_s))
    assert len(rects) == len(notes)
    for n, r in zip(notes, rects, strict=True):
        y = float(fmap.hz_to_y(midi_hz(n.pitch)))
        assert r.top() < y < r.bottom()
        assert r.left() == pytest.approx(n.start_s) and r.width() == pytest.approx(n.duration_s)
        # the band is one semitone: the neighbours' frequencies fall outside it
        assert not r.top() < float(fmap.hz_to_y(midi_hz(n.pitch + 1))) < r.bottom()
    # The rectangle of the A4 note contains A4 on screen too.
    a4 = next(n for n in notes if n.pitch == 69)
    widget_pt = spec.view_to_widget((a4.start_s + a4.end_s) / 2, 440.0)
    r = rects[notes.index(a4)]
    corners = [spec.plot.mapFromScene(spec.vb.mapViewToScene(pt))
               for pt in (r.topLeft(), r.bottomRight())]
    xs, ys = sorted(c.x() for c in corners), sorted(c.y() for c in corners)
    assert xs[0] <= widget_pt.x() <= xs[1] and ys[0] <= widget_pt.y() <= ys[1]
    assert ys[1] - ys[0] >= 2  # a visible band, not a hairline


@pytest.mark.parametrize("in_job", [False, True], ids=["inline", "job"])
def test_onset_threshold_reextracts_live_without_the_model(qtbot, window, scale_wav, monkeypatch,
                                                          in_job):
    import onnxruntime as ort

    import app.panels.notes_section as ns

    if in_job:  # long files re-extract on the job runner
        monkeypatch.setattr(ns, "SYNC_FRAMES", 0)

    calls = []
    real_run = ort.InferenceSession.run

    def counting_run(self, *a, **k):
        calls.append(1)
        return real_run(self, *a, **k)

    monkeypatch.setattr(ort.InferenceSession, "run", counting_run)
    track, s = transcribe(qtbot, window, scale_wav)
    assert calls, "the model ran for the transcription"
    calls.clear()
    before = len(layer_notes(track))
    depth = window.undo_stack.count()
    s.onset.slider.setFocus()
    for _ in range(30):  # 0.50 -> 0.80 with the keyboard
        QTest.keyClick(s.onset.slider, Qt.Key.Key_Right)
    assert s.onset.value() == 80
    qtbot.waitUntil(lambda: len(layer_notes(track)) < before, timeout=5000)
    wait_idle(qtbot, window)
    assert calls == []
    layer = next(lr for lr in track.layers if lr.kind == "notes")
    assert layer.data["params"]["onset_threshold"] == pytest.approx(0.8)
    assert len(s.roll.note_rects()) == len(layer_notes(track))
    # the whole slider gesture is one undo step back to the first notes
    assert window.undo_stack.count() == depth + 1
    window.undo()
    assert len(layer_notes(track)) == before
    assert s.onset.value() == 50


def _centre(s, note):
    return s.roll.note_rect(note).center().toPoint()


def test_delete_move_and_add_notes_with_mouse_and_keys(qtbot, window, scale_wav):
    track, s = transcribe(qtbot, window, scale_wav)
    roll = s.roll
    window.view_state.set_range(0.0, 4.0)
    roll.set_pitch_range(55, 80)
    n0 = len(layer_notes(track))
    target = scale_notes(layer_notes(track))[3][0]  # the F
    # click selects, Delete deletes (one undo step)
    qtbot.mouseClick(roll, Qt.MouseButton.LeftButton, pos=_centre(s, target))
    assert [roll.notes()[i] for i in roll.selected_indices()] == [target]
    QTest.keyClick(roll, Qt.Key.Key_Delete)
    assert len(layer_notes(track)) == n0 - 1
    assert target not in layer_notes(track)
    window.undo()
    assert target in layer_notes(track)

    # drag two rows up and 0.1 s later: the note moves, undo puts it back
    rh, p0 = roll.row_height(), _centre(s, target)
    dx = int(round(roll.x_of(1.0 + 0.1) - roll.x_of(1.0)))
    p1 = p0 + type(p0)(dx, -int(round(2 * rh)))
    QTest.mousePress(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    QTest.mouseMove(roll, p0 + type(p0)(dx // 2, -int(rh)))
    QTest.mouseMove(roll, p1)
    QTest.mouseRelease(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p1)
    moved = [n for n in layer_notes(track) if n.pitch == target.pitch + 2
             and abs(n.start_s - target.start_s - 0.1) < 0.02]
    assert len(moved) == 1 and target not in layer_notes(track)
    assert moved[0].duration_s == pytest.approx(target.duration_s, abs=1e-6)
    assert window.undo_stack.undoText().startswith("Move")
    window.undo()
    assert target in layer_notes(track)

    # Up arrow transposes the selection; double-click on empty space adds a note
    qtbot.mouseClick(roll, Qt.MouseButton.LeftButton, pos=_centre(s, target))
    QTest.keyClick(roll, Qt.Key.Key_Up)
    assert any(n.pitch == target.pitch + 1 and n.start_s == pytest.approx(target.start_s)
               for n in layer_notes(track))
    window.undo()
    empty = roll.rect().bottomRight() - type(p0)(40, 8)
    pitch = roll.pitch_at(empty.y())
    QTest.mouseDClick(roll, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty)
    assert len(layer_notes(track)) == n0 + 1
    assert any(n.pitch == pitch for n in layer_notes(track))
    lo, hi = roll.pitch_range()
    assert len(roll.note_rects()) == sum(lo <= n.pitch <= hi for n in layer_notes(track))
    window.undo()
    assert len(layer_notes(track)) == n0


def test_export_midi_and_drag_out(qtbot, window, scale_wav, tmp_path, monkeypatch):
    import pretty_midi

    track, s = transcribe(qtbot, window, scale_wav)
    out = tmp_path / "scale"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(out), "MIDI file (*.mid)")))
    qtbot.mouseClick(s.export_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    pm = pretty_midi.PrettyMIDI(str(out.with_suffix(".mid")))
    got = sorted(pm.instruments[0].notes, key=lambda n: (n.start, n.pitch))
    want = layer_notes(track)
    assert [n.pitch for n in got] == [n.pitch for n in want]
    assert np.allclose([n.start for n in got], [n.start_s for n in want], atol=0.01)

    mime = s.io.midi_mime_data()
    urls = mime.urls()
    assert len(urls) == 1 and urls[0].isLocalFile() and urls[0].toLocalFile().endswith(".mid")
    dragged = pretty_midi.PrettyMIDI(urls[0].toLocalFile())
    assert len(dragged.instruments[0].notes) == len(want)


def test_play_notes_adds_a_generated_track_for_ab(qtbot, window, scale_wav):
    track, s = transcribe(qtbot, window, scale_wav)
    qtbot.mouseClick(s.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 2, timeout=20000)
    wait_idle(qtbot, window)
    rendered = window.model.tracks[1]
    assert rendered.kind == "generated" and rendered.source_id == track.id
    assert window.current_track() is track
    assert rendered.audio.duration_s > 3.0 and np.abs(rendered.audio.samples).max() > 0.05
    if window.playback is not None:
        assert window.playback._ab == (rendered.id, track.id, "a")
        qtbot.mouseClick(s.hear_group.button(1), Qt.MouseButton.LeftButton)
        assert window.playback._ab == (rendered.id, track.id, "b")
        qtbot.mouseClick(s.hear_group.button(2), Qt.MouseButton.LeftButton)
        assert window.playback._ab[0] is None
    # playing again with unchanged notes reuses the rendering
    qtbot.mouseClick(s.play_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert len(window.model.tracks) == 2
