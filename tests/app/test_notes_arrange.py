"""Arrange box of the notes section: quantise to the beat grid, transcribe and export stems."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_and_wait, wait_idle
from PySide6.QtCore import Qt

from app.panels.notes_arrange import DIVISIONS


def _section(window):
    return window.tool_panels["Transcribe"].notes


def _notes_of(track):
    from core.notes import NoteTrack

    layer = next(lr for lr in reversed(track.layers) if lr.kind == "notes")
    return NoteTrack.from_dict(layer.data).notes


def _add_notes_layer(window, track, notes, analysis=None):
    from app.panels.notes_layer import make_layer
    from core.notes import NoteTrack

    window.add_layer_from_job(track.id, make_layer(NoteTrack(notes, duration_s=4.0), "Notes",
                                                   analysis=analysis))
    window.set_current_track(track.id)


@pytest.fixture
def clicks_wav(tmp_path):
    """Clicks every 0.5 s (120 BPM) for 8 s: a beat tracker's easy case."""
    from core.audio import Audio, save

    sr = 22050
    x = np.zeros(8 * sr, np.float32)
    click = (np.sin(2 * np.pi * 1000 * np.arange(400) / sr) * np.hanning(400)).astype(np.float32)
    for k in range(16):
        x[int(k * 0.5 * sr):int(k * 0.5 * sr) + 400] += click
    path = tmp_path / "clicks.wav"
    save(Audio(np.stack([x, x]), sr), path, overwrite=True)
    return path


def test_quantise_snaps_to_the_layer_beats_and_undoes(qtbot, window, clicks_wav):
    from core.notes import Note

    track = open_and_wait(qtbot, window, clicks_wav)
    beats = [0.5 * k for k in range(16)]
    off_grid = [Note(0.53, 0.97, 60), Note(1.11, 1.40, 64), Note(1.77, 2.26, 67)]
    _add_notes_layer(window, track, off_grid, {"tempo_bpm": 120.0, "beats_s": beats})
    s = _section(window)
    s.arrange.division.setCurrentIndex([d for _, d in DIVISIONS].index(2))  # eighths
    qtbot.mouseClick(s.arrange.quantise_button, Qt.MouseButton.LeftButton)
    got = _notes_of(track)
    assert [(n.start_s, n.end_s, n.pitch) for n in got] == [
        (0.5, 1.0, 60), (1.0, 1.5, 64), (1.75, 2.25, 67)]
    window.undo()
    assert [n.start_s for n in _notes_of(track)] == [0.53, 1.11, 1.77]


def test_quantise_without_beats_tracks_them_first(qtbot, window, clicks_wav):
    from core.notes import Note

    track = open_and_wait(qtbot, window, clicks_wav)
    _add_notes_layer(window, track, [Note(2.04, 2.49, 62), Note(3.46, 3.97, 65)])
    s = _section(window)
    s.arrange.division.setCurrentIndex(0)  # beats
    job = s.arrange.quantise()
    assert job is not None
    wait_idle(qtbot, window, 60000)
    got = _notes_of(track)
    # Beats of the click track fall every 0.5 s: the notes land on them.
    for n in got:
        assert min(abs(n.start_s - 0.5 * k) for k in range(17)) < 0.03, got
        assert min(abs(n.end_s - 0.5 * k) for k in range(17)) < 0.03, got
    assert got[0].start_s == pytest.approx(2.0, abs=0.03)


def test_transcribe_every_stem_and_export_one_midi_track_each(qtbot, window, tmp_path):
    import pretty_midi

    from core.notes import Note, render_notes

    bass = render_notes([Note(0.2 + 0.5 * i, 0.6 + 0.5 * i, p) for i, p in
                         enumerate((36, 43, 41, 36))], sr=22050, program=33)
    lead = render_notes([Note(0.2 + 0.5 * i, 0.6 + 0.5 * i, p) for i, p in
                         enumerate((72, 74, 76, 77))], sr=22050, program=0)
    from core.audio import Audio, save

    n = max(bass.frames, lead.frames)
    mix = np.zeros((2, n), np.float32)
    mix[:, :bass.frames] += bass.samples
    mix[:, :lead.frames] += lead.samples
    save(Audio(mix, 22050), tmp_path / "song.wav", overwrite=True)
    song = open_and_wait(qtbot, window, tmp_path / "song.wav")
    for name, a in (("bass", bass), ("other", lead)):
        window.add_track_from_job(a, f"song – {name}", kind="stem", source_id=song.id)
    qtbot.waitUntil(lambda: len(window.model.tracks) == 3)
    window.set_current_track(song.id)
    s = _section(window)
    assert [t.name for t in s.arrange.stem_tracks()] == ["song – bass", "song – other"]
    assert s.arrange.transcribe_stems() == 2
    wait_idle(qtbot, window, 120000)
    stems = s.arrange.stem_tracks()
    assert all(any(lr.kind == "notes" for lr in t.layers) for t in stems)
    bass_pitches = {n.pitch for n in _notes_of(stems[0])}
    lead_pitches = {n.pitch for n in _notes_of(stems[1])}
    assert {36, 43, 41} <= bass_pitches and {72, 74, 76, 77} <= lead_pitches
    s.arrange.export_stems(tmp_path / "stems.mid")
    wait_idle(qtbot, window)
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "stems.mid"))
    assert [i.name for i in pm.instruments] == ["bass", "other"]
    assert pm.instruments[0].program == 33
    assert {n.pitch for n in pm.instruments[1].notes} >= {72, 74, 76, 77}


def test_stems_buttons_explain_when_there_are_no_stems(qtbot, window, clicks_wav, tmp_path):
    open_and_wait(qtbot, window, clicks_wav)
    s = _section(window)
    assert s.arrange.transcribe_stems() == 0
    assert "Separate" in s.status.text()
    assert s.arrange.export_stems(tmp_path / "none.mid") is None
    assert "No stem has notes" in s.status.text()
    assert not (tmp_path / "none.mid").exists()
    s.arrange.quantise()
    assert "Transcribe notes first" in s.status.text()
