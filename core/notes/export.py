"""Write notes as MIDI (pitch bends, tempo map), MusicXML (music21) or CSV.

All writers are atomic: a temporary file in the target folder, renamed on success.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional, Union

import numpy as np

from core.errors import InvalidParameterError, ResonoteError
from core.notes.types import Key, Note, NoteTrack, midi_name

FORMATS = {".mid": "midi", ".midi": "midi", ".csv": "csv", ".musicxml": "musicxml",
           ".xml": "musicxml", ".mxl": "musicxml"}
CSV_COLUMNS = ("start_s", "end_s", "duration_s", "pitch_midi", "note_name", "velocity",
               "amplitude", "pitch_bends_semitones")
PITCH_BEND_RANGE = 2  # semitones (the General MIDI default)
MIDI_RESOLUTION = 480


class ExportError(ResonoteError):
    """Notes could not be written to a file."""


def _notes(notes: Union[NoteTrack, Iterable[Note]]) -> list[Note]:
    return list(notes.notes if isinstance(notes, NoteTrack) else notes)


def _atomic_write(path: Path, write) -> Path:
    from core.fsutil import atomic_path

    with atomic_path(path, error=ExportError) as tmp:
        write(str(tmp))
    return Path(path)


def _apply_tempo_map(pm, bpm: float, beat_times: Optional[Sequence[float]]) -> None:
    """Set ``pm``'s tempo map so each detected beat falls on a quarter note."""
    res = pm.resolution
    scales = [(0, 60.0 / (bpm * res))]
    beats = np.asarray(beat_times if beat_times is not None else [], float)
    beats = beats[np.isfinite(beats)]
    if beats.size >= 2 and np.all(np.diff(beats) > 0):
        ibi = np.diff(beats)
        if beats[0] > 1e-3:  # lead-in: a whole number of beats at the first tempo
            k = max(1, int(round(beats[0] / ibi[0])))
            scales = [(0, beats[0] / (k * res))]
            tick = k * res
        else:
            scales, tick = [], 0
        for d in ibi:
            s = d / res
            if not scales or abs(60.0 / (s * res) - 60.0 / (scales[-1][1] * res)) > 0.05:
                scales.append((tick, s))
            tick += res
    pm._tick_scales = scales  # pretty_midi has no public tempo-map setter
    pm._update_tick_to_time(scales[-1][0] + 1)


def _midi_text(text: str) -> str:
    """``text`` as MIDI meta text can hold it (Latin-1: dashes and quotes simplified)."""
    for a, b in (("–", "-"), ("—", "-"), ("’", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def note_midi(
    notes: Union[NoteTrack, Iterable[Note]],
    *,
    program: int = 0,
    pitch_bends: bool = True,
    tempo_bpm: float = 120.0,
    beat_times: Optional[Sequence[float]] = None,
    key: Optional[Key] = None,
    name: str = "Notes",
):
    """A ``pretty_midi.PrettyMIDI`` of the notes on one instrument.

    MIDI has one pitch wheel per channel, so bends are written only for notes that
    overlap no other note (as Basic Pitch does); bends beyond ±2 semitones are clipped.
    ``beat_times`` (s) make a tempo map with one quarter note per beat; otherwise
    the tempo is ``tempo_bpm`` throughout.
    """
    import pretty_midi

    if not tempo_bpm > 0:
        raise InvalidParameterError(f"The tempo must be above 0 BPM; got {tempo_bpm}.")
    ns = sorted(_notes(notes), key=lambda n: (n.start_s, n.pitch))
    pm = pretty_midi.PrettyMIDI(resolution=MIDI_RESOLUTION, initial_tempo=float(tempo_bpm))
    _apply_tempo_map(pm, float(tempo_bpm), beat_times)
    if key is not None:
        tonic = key.tonic if key.mode == "major" else key.tonic.lower()
        try:
            num = pretty_midi.key_name_to_key_number(f"{tonic} {key.mode.capitalize()}")
            pm.key_signature_changes.append(pretty_midi.KeySignature(num, 0.0))
        except ValueError:
            pass
    inst = pretty_midi.Instrument(program=int(program), name=_midi_text(name))
    # A note's bends are kept only when no other note sounds during it.
    ends_before = np.maximum.accumulate([n.end_s for n in ns]) if ns else np.zeros(0)
    for i, n in enumerate(ns):
        inst.notes.append(pretty_midi.Note(velocity=n.velocity, pitch=int(n.pitch),
                                           start=float(n.start_s), end=float(n.end_s)))
        if not (pitch_bends and n.pitch_bends):
            continue
        overlaps_prev = i > 0 and ends_before[i - 1] > n.start_s
        overlaps_next = i + 1 < len(ns) and ns[i + 1].start_s < n.end_s
        if overlaps_prev or overlaps_next:
            continue
        values = np.round(np.asarray(n.pitch_bends) * 8192 / PITCH_BEND_RANGE).astype(int)
        values = np.clip(values, -8192, 8191)
        if not values.any():
            continue  # in tune throughout: no events
        last = None
        for t, v in zip(n.bend_times(), values.tolist(), strict=True):
            if v != last:  # only changes: a DAW shows one curve, not a ramp of duplicates
                inst.pitch_bends.append(pretty_midi.PitchBend(int(v), float(t)))
                last = v
        inst.pitch_bends.append(pretty_midi.PitchBend(0, float(n.end_s)))
    pm.instruments.append(inst)
    return pm


def write_midi(notes: Union[NoteTrack, Iterable[Note]], path: Union[str, os.PathLike],
               **kwargs) -> Path:
    """Write a Standard MIDI file; ``kwargs`` as for :func:`note_midi`."""
    pm = note_midi(notes, **kwargs)
    return _atomic_write(Path(path), pm.write)


#: General MIDI programs for common stem names (drums go on the percussion channel).
STEM_PROGRAMS = {"vocals": 52, "voice": 52, "lead": 52, "bass": 33, "guitar": 25, "piano": 0,
                 "keys": 4, "other": 48, "accompaniment": 48, "harmonic": 48, "sides": 48,
                 "center": 52}


def write_parts_midi(parts: dict[str, Union[NoteTrack, Iterable[Note]]],
                     path: Union[str, os.PathLike], *, programs: Optional[dict[str, int]] = None,
                     tempo_bpm: float = 120.0, beat_times: Optional[Sequence[float]] = None,
                     key: Optional[Key] = None, pitch_bends: bool = True) -> Path:
    """Write one Standard MIDI file with one named MIDI track per part (e.g. per stem).

    Parameters
    ----------
    parts : dict of name -> notes
        Notes in seconds on one shared time line.  A part whose name contains
        "drum" or "percussion" goes on the General MIDI percussion channel.
    programs : dict of name -> int, optional
        General MIDI program per part; default from :data:`STEM_PROGRAMS` (else 0, piano).
    tempo_bpm, beat_times, key, pitch_bends
        As for :func:`note_midi`.
    """
    if not parts:
        raise InvalidParameterError("There are no parts with notes to write.")
    programs = dict(programs or {})
    pm = None
    for name, notes in parts.items():
        words = name.lower().replace("–", " ").replace("-", " ").split()
        prog = programs.get(name, next((STEM_PROGRAMS[w] for w in reversed(words)
                                        if w in STEM_PROGRAMS), 0))
        one = note_midi(notes, program=prog, pitch_bends=pitch_bends, tempo_bpm=tempo_bpm,
                        beat_times=beat_times, key=key if pm is None else None, name=name)
        inst = one.instruments[0]
        inst.is_drum = any(w in name.lower() for w in ("drum", "percussion"))
        if pm is None:
            pm = one
        else:
            pm.instruments.append(inst)
    return _atomic_write(Path(path), pm.write)


def write_csv(notes: Union[NoteTrack, Iterable[Note]], path: Union[str, os.PathLike]) -> Path:
    """Write one row per note with the columns :data:`CSV_COLUMNS`.

    ``pitch_bends_semitones`` is a space-separated list (empty when none).
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for n in sorted(_notes(notes), key=lambda n: (n.start_s, n.pitch)):
        bends = " ".join(f"{b:.3f}" for b in n.pitch_bends) if n.pitch_bends else ""
        w.writerow([f"{n.start_s:.4f}", f"{n.end_s:.4f}", f"{n.duration_s:.4f}", n.pitch,
                    midi_name(n.pitch), n.velocity, f"{n.amplitude:.4f}", bends])
    text = buf.getvalue()

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    return _atomic_write(Path(path), write)


def write_musicxml(notes: Union[NoteTrack, Iterable[Note]], path: Union[str, os.PathLike], *,
                   tempo_bpm: float = 120.0, beat_times: Optional[Sequence[float]] = None,
                   key: Optional[Key] = None, program: int = 0) -> Path:
    """Write a MusicXML score (music21 quantises to 16ths and triplet 8ths on import)."""
    import music21

    ns = _notes(notes)
    if not ns:
        raise ExportError("There are no notes to write as a score.")
    pm = note_midi(ns, program=program, pitch_bends=False, tempo_bpm=tempo_bpm,
                   beat_times=beat_times, key=key)
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmpdir:
        mid = os.path.join(tmpdir, "notes.mid")
        pm.write(mid)
        score = music21.converter.parse(mid, format="midi", quantizePost=True,
                                        quarterLengthDivisors=(4, 3))
        xml_fmt = "mxl" if path.suffix.lower() == ".mxl" else "musicxml"

        def write(tmp: str) -> None:
            out = score.write(xml_fmt, fp=tmp + ".x")  # music21 may add an extension
            os.replace(str(out), tmp)

        return _atomic_write(path, write)


def export(track: Union[NoteTrack, Iterable[Note]], path: Union[str, os.PathLike], *,
           tempo_bpm: float = 120.0, beat_times: Optional[Sequence[float]] = None,
           key: Optional[Key] = None, pitch_bends: bool = True, program: int = 0) -> Path:
    """Write notes in the format named by ``path``'s extension (.mid, .csv, .musicxml/.xml/.mxl)."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InvalidParameterError(
            f"Cannot write notes as '{Path(path).suffix or Path(path).name}': use .mid, .csv "
            "or .musicxml.")
    if fmt == "midi":
        return write_midi(track, path, program=program, pitch_bends=pitch_bends,
                          tempo_bpm=tempo_bpm, beat_times=beat_times, key=key)
    if fmt == "csv":
        return write_csv(track, path)
    return write_musicxml(track, path, tempo_bpm=tempo_bpm, beat_times=beat_times, key=key,
                          program=program)
