"""Where a generation's input notes, key and tempo come from: a MIDI file or a recording."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from core.errors import AudioFileError
from core.jobs import CancelToken, ProgressCallback, no_progress
from core.notes.types import Key, Note

MIDI_SUFFIXES = (".mid", ".midi")


@dataclass
class NoteSource:
    """Notes read from a file, with the tempo and key found in it (None when unknown)."""

    notes: list[Note]
    tempo_bpm: Optional[float]
    key: Optional[Key]


def read_midi_notes(path: os.PathLike) -> NoteSource:
    """All pitched notes of a MIDI file (drum tracks skipped), its first tempo and key signature."""
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # pretty_midi raises many kinds on bad files
        raise AudioFileError(f"Could not read the MIDI file {Path(path).name}: {exc}",
                             path=str(path)) from exc
    notes = [Note(n.start, n.end, n.pitch, n.velocity / 127)
             for inst in pm.instruments if not inst.is_drum for n in inst.notes]
    times, tempi = pm.get_tempo_changes()
    tempo = float(tempi[0]) if len(tempi) else None
    key = None
    if pm.key_signature_changes:
        name = pretty_midi.key_number_to_key_name(pm.key_signature_changes[0].key_number)
        tonic, mode = name.split()
        key = Key(tonic[:1].upper() + tonic[1:], mode.lower(), 1.0)
    return NoteSource(sorted(notes, key=lambda n: (n.start_s, n.pitch)), tempo, key)


def read_notes(path: os.PathLike, *, device: Optional[str] = None,
               progress: ProgressCallback = no_progress,
               cancel: Optional[CancelToken] = None) -> NoteSource:
    """Notes of a MIDI file, or of a recording (transcribed; tempo and key estimated from it)."""
    p = Path(path)
    if p.suffix.lower() in MIDI_SUFFIXES:
        return read_midi_notes(p)
    from core.audio import load
    from core.notes import estimate_key, estimate_tempo, transcribe_notes

    audio = load(p, progress=progress, cancel=cancel)
    track = transcribe_notes(audio, device=device, progress=progress, cancel=cancel)
    bpm, _ = estimate_tempo(audio, cancel=cancel)
    key = estimate_key(audio, cancel=cancel)
    return NoteSource(list(track.notes), bpm if bpm > 0 else None, key)
