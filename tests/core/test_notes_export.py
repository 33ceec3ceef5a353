"""MIDI / MusicXML / CSV export and SoundFont rendering."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from core.errors import InvalidParameterError
from core.notes import (
    CSV_COLUMNS,
    Key,
    Note,
    NoteTrack,
    export,
    find_soundfont,
    note_midi,
    render_midi,
    render_notes,
    write_midi,
)
from core.notes.export import ExportError

BEND = tuple(np.linspace(0.0, 1.0, 20).tolist())  # a one-semitone rise
NOTES = [
    Note(0.5, 1.0, 60, 0.8),
    Note(1.0, 1.5, 64, 0.5, pitch_bends=BEND),       # alone: keeps its bend
    Note(1.5, 2.5, 67, 0.9, pitch_bends=(0.5,) * 5),  # overlaps 71: bend dropped
    Note(2.0, 2.5, 71, 0.6),
]


def test_midi_round_trip_notes_bends_tempo(tmp_path):
    import pretty_midi

    path = write_midi(NoteTrack(NOTES), tmp_path / "n.mid", tempo_bpm=100.0, program=25,
                      key=Key("A", "minor", 0.8))
    pm = pretty_midi.PrettyMIDI(str(path))
    (inst,) = pm.instruments
    assert inst.program == 25
    got = sorted((round(n.start, 3), round(n.end, 3), n.pitch, n.velocity) for n in inst.notes)
    assert got == [(n.start_s, n.end_s, n.pitch, n.velocity) for n in NOTES]
    _, tempi = pm.get_tempo_changes()
    assert tempi[0] == pytest.approx(100.0, abs=0.01)
    bends = [(b.time, b.pitch) for b in inst.pitch_bends]
    in_note = [p for t, p in bends if 1.0 <= t < 1.5]
    assert in_note[0] == 0 and in_note[-1] == pytest.approx(4096, abs=250)  # +1 st of ±2
    assert all(p == 0 for t, p in bends if t >= 1.5)  # reset, and no bend under overlap
    assert pm.key_signature_changes[0].key_number == pretty_midi.key_name_to_key_number("a minor")


def test_midi_tempo_map_from_beats(tmp_path):
    import pretty_midi

    beats = np.concatenate([np.arange(0.5, 4.5, 0.5), 4.5 + np.arange(0, 4, 0.6)])
    pm = note_midi(NOTES, beat_times=beats, tempo_bpm=120.0)
    pm.write(str(tmp_path / "m.mid"))
    back = pretty_midi.PrettyMIDI(str(tmp_path / "m.mid"))
    times, tempi = back.get_tempo_changes()
    assert tempi[0] == pytest.approx(120.0, abs=0.1) and tempi[-1] == pytest.approx(100.0, abs=0.1)
    # every detected beat lands on a quarter note
    beat_ticks = [back.time_to_tick(b) for b in beats]
    assert all(abs(t % back.resolution) <= 1 or abs(t % back.resolution - back.resolution) <= 1
               for t in beat_ticks)
    notes = sorted((round(n.start, 3), n.pitch) for n in back.instruments[0].notes)
    assert notes == [(n.start_s, n.pitch) for n in NOTES]


def test_musicxml_parses_with_music21(tmp_path):
    import music21

    path = export(NOTES, tmp_path / "n.musicxml", tempo_bpm=120.0, key=Key("C", "major", 1))
    score = music21.converter.parse(str(path))
    pitches = sorted(p.midi for n in score.recurse().notes for p in n.pitches
                     if n.tie is None or n.tie.type == "start")  # tied halves count once
    assert pitches == sorted(n.pitch for n in NOTES)
    assert not list(tmp_path.glob(".*part*"))


def test_csv_columns(tmp_path):
    path = export(NoteTrack(NOTES), tmp_path / "n.csv")
    rows = list(csv.DictReader(path.open()))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [int(r["pitch_midi"]) for r in rows] == [60, 64, 67, 71]
    assert rows[0]["note_name"] == "C4" and rows[0]["pitch_bends_semitones"] == ""
    assert float(rows[1]["duration_s"]) == pytest.approx(0.5)
    assert len(rows[1]["pitch_bends_semitones"].split()) == 20
    assert int(rows[2]["velocity"]) == round(0.9 * 127)


@pytest.mark.parametrize("name", ["n.wav", "n", "n.txt"])
def test_unknown_format_is_one_plain_error(tmp_path, name):
    with pytest.raises(InvalidParameterError, match="mid"):
        export(NOTES, tmp_path / name)


def test_missing_folder_and_empty_score(tmp_path):
    with pytest.raises(ExportError):
        export(NOTES, tmp_path / "nope" / "n.mid")
    with pytest.raises(ExportError):
        export([], tmp_path / "n.musicxml")


def test_render_notes_sounds_at_the_right_pitch(tmp_path):
    assert find_soundfont().is_file()
    a = render_notes([Note(0.0, 1.0, 69, 0.8)], sr=22050, program=0)
    assert a.channels == 2 and a.sr == 22050 and a.duration_s == pytest.approx(2.0, abs=0.05)
    y = a.samples[0, : 22050]
    assert np.abs(y).max() > 0.01 and np.abs(a.samples[0, -2000:]).max() < np.abs(y).max()
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / 22050)
    peaks = freqs[np.argsort(spec)[-3:]]
    assert np.any(np.abs(peaks - 440) < 5)
    mid = tmp_path / "a.mid"
    write_midi([Note(0.0, 0.5, 60, 0.8)], mid)
    assert render_midi(mid, sr=16000).sr == 16000


def test_render_rejects_bad_program():
    with pytest.raises(InvalidParameterError):
        render_notes(NOTES, program=200)


def test_in_tune_notes_write_no_bend_events():
    pm = note_midi([Note(0.0, 0.5, 60, pitch_bends=(0.0,) * 40),
                    Note(1.0, 1.5, 62, pitch_bends=(0.0,) * 20 + (0.5,) * 20)])
    bends = [(round(b.time, 3), b.pitch) for b in pm.instruments[0].pitch_bends]
    assert bends == [(1.0, 0), (1.25, 2048), (1.5, 0)]


def test_parts_midi_one_track_per_stem_with_programs_and_drums(tmp_path):
    import pretty_midi

    from core.notes import write_parts_midi

    parts = {"bass": [Note(0.0, 0.5, 36), Note(0.5, 1.0, 43)],
             "song – drums": [Note(0.0, 0.1, 36), Note(0.25, 0.35, 38)],
             "vocals": [Note(0.0, 1.0, 67)]}
    write_parts_midi(parts, tmp_path / "stems.mid", tempo_bpm=100.0)
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "stems.mid"))
    assert [i.name for i in pm.instruments] == ["bass", "song - drums", "vocals"]
    bass, drums, vocals = pm.instruments
    assert (bass.program, bass.is_drum) == (33, False)
    assert drums.is_drum and not vocals.is_drum and vocals.program == 52
    assert [(round(n.start, 3), n.pitch) for n in bass.notes] == [(0.0, 36), (0.5, 43)]
    assert pm.get_tempo_changes()[1][0] == pytest.approx(100.0)
    with pytest.raises(InvalidParameterError):
        write_parts_midi({}, tmp_path / "none.mid")
