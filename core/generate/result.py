"""The result of every generation mode: named parts of notes, with tempo, key and metre."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from core.notes.types import Key, Note, NoteTrack

#: General MIDI programs used by default for each part name.
DEFAULT_PROGRAMS = {"melody": 73, "soprano": 52, "alto": 52, "tenor": 52, "bass": 32,
                    "prefix": 0, "continuation": 0, "drums": 0}
DRUM_CHANNEL = 9  # General MIDI channel 10


@dataclass
class Generation:
    """Generated music: one list of notes per part, ready for the piano roll or export.

    Attributes
    ----------
    parts : dict of str to list of Note
        Part name (``"melody"``, ``"soprano"`` ... ``"bass"``, ``"drums"``,
        ``"prefix"``/``"continuation"``) to its notes, times in seconds.
    programs : dict of str to int
        General MIDI program (0-127) per part.
    drum_parts : set of str
        Parts that play on the General MIDI drum channel (10); their pitches are
        GM percussion keys (36 kick, 38 snare, 42 closed hi-hat ...).
    tempo_bpm : float
        Quarter notes per minute.
    key : Key or None
        The key the music was generated in (None for drums).
    metre : str
        Time signature, e.g. ``"4/4"``.
    bars : int
        Length in bars.
    seed : int or None
        Seed that reproduces this result.
    """

    parts: dict[str, list[Note]]
    tempo_bpm: float
    key: Optional[Key]
    metre: str
    bars: int
    seed: Optional[int] = None
    programs: dict[str, int] = field(default_factory=dict)
    drum_parts: set[str] = field(default_factory=set)

    def program(self, part: str) -> int:
        return self.programs.get(part, DEFAULT_PROGRAMS.get(part, 0))

    @property
    def duration_s(self) -> float:
        """Length of ``bars`` bars at the tempo (the last note may ring past it)."""
        num, den = (int(x) for x in self.metre.split("/"))
        return self.bars * num * (4 / den) * 60.0 / self.tempo_bpm

    def notes(self, part: Optional[str] = None) -> list[Note]:
        """Notes of one part, or of every part merged, sorted by onset."""
        ns = self.parts[part] if part is not None else [n for p in self.parts.values() for n in p]
        return sorted(ns, key=lambda n: (n.start_s, n.pitch))

    def to_notetrack(self, part: Optional[str] = None) -> NoteTrack:
        """A :class:`NoteTrack` (a project's note layer) of one part or all parts."""
        return NoteTrack(self.notes(part), duration_s=self.duration_s, model="resonote-generator")

    def to_midi(self):
        """A multi-track ``pretty_midi.PrettyMIDI``: one instrument per part, drums on channel 10."""
        import pretty_midi

        from core.notes.export import MIDI_RESOLUTION

        pm = pretty_midi.PrettyMIDI(resolution=MIDI_RESOLUTION, initial_tempo=float(self.tempo_bpm))
        num, den = (int(x) for x in self.metre.split("/"))
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
        if self.key is not None:
            tonic = self.key.tonic if self.key.mode == "major" else self.key.tonic.lower()
            try:
                pm.key_signature_changes.append(pretty_midi.KeySignature(
                    pretty_midi.key_name_to_key_number(f"{tonic} {self.key.mode.capitalize()}"), 0.0))
            except ValueError:
                pass
        for name, notes in self.parts.items():
            drum = name in self.drum_parts
            inst = pretty_midi.Instrument(program=0 if drum else self.program(name), is_drum=drum,
                                          name=name)
            for n in sorted(notes, key=lambda n: (n.start_s, n.pitch)):
                inst.notes.append(pretty_midi.Note(velocity=n.velocity, pitch=int(n.pitch),
                                                   start=float(n.start_s), end=float(n.end_s)))
            pm.instruments.append(inst)
        return pm

    def write_midi(self, path: Union[str, os.PathLike]) -> Path:
        """Write a Standard MIDI file (atomic)."""
        from core.notes.export import _atomic_write

        return _atomic_write(Path(path), self.to_midi().write)

    def render(self, *, sr: int = 44100, soundfont: Optional[Union[str, os.PathLike]] = None,
               tail_s: float = 1.0):
        """Audio of all parts through a General MIDI SoundFont (stereo, ``sr`` Hz)."""
        from core.notes.synth import render_midi

        fd, tmp = tempfile.mkstemp(suffix=".mid")
        os.close(fd)
        try:
            self.to_midi().write(tmp)
            return render_midi(tmp, sr=sr, soundfont=soundfont, tail_s=tail_s)
        finally:
            os.unlink(tmp)
