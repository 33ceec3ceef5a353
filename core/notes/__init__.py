"""Music transcription: audio to notes (Basic Pitch), pitch curves, tempo, key and chords.

Importing this package is cheap (numpy only); models and librosa load on first use.

>>> from core.notes import transcribe_notes, reextract, export
>>> track = transcribe_notes(audio)                     # NoteTrack with posteriors
>>> louder = reextract(track, onset_threshold=0.7)      # no model call
>>> export(louder, "riff.mid", tempo_bpm=120)
"""

from core.notes.export import (
    CSV_COLUMNS,
    export,
    note_midi,
    write_csv,
    write_midi,
    write_musicxml,
    write_parts_midi,
)
from core.notes.harmony import estimate_chords, estimate_key
from core.notes.pitch import pitch_track
from core.notes.rhythm import estimate_tempo, quantize
from core.notes.synth import find_soundfont, render_midi, render_notes
from core.notes.transcribe import reextract, transcribe_notes
from core.notes.types import (
    Chord,
    ExtractParams,
    Key,
    Note,
    NoteTrack,
    PitchTrack,
    Posteriors,
    midi_name,
)

__all__ = [
    "CSV_COLUMNS", "Chord", "ExtractParams", "Key", "Note", "NoteTrack", "PitchTrack",
    "Posteriors", "estimate_chords", "estimate_key", "estimate_tempo", "export",
    "find_soundfont", "midi_name", "note_midi", "pitch_track", "quantize", "reextract",
    "render_midi", "render_notes", "transcribe_notes", "write_csv", "write_midi", "write_parts_midi",
    "write_musicxml",
]
