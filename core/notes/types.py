"""Result types of music transcription: notes, note tracks, pitch tracks, keys, chords.

Everything here is plain data (numpy arrays and Python numbers); nothing imports
a model or a heavy library, so the GUI can import these types at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from core.errors import InvalidParameterError

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def midi_name(pitch: int) -> str:
    """``60 -> "C4"``, ``70 -> "A#4"``."""
    pitch = int(pitch)
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


@dataclass(frozen=True)
class Note:
    """One note event.

    Attributes
    ----------
    start_s, end_s : float
        Onset and offset in seconds from the start of the audio; ``end_s > start_s``.
    pitch : int
        MIDI note number (60 = middle C, A4 = 69 = 440 Hz).
    amplitude : float
        Loudness in [0, 1] (mean note posterior for transcribed notes).
    pitch_bends : tuple of float, optional
        Deviation from ``pitch`` in semitones, one value per equal step from
        ``start_s`` (inclusive) to ``end_s`` (exclusive): one per model frame
        (~11.6 ms) for transcribed notes.  None when not estimated.
    """

    start_s: float
    end_s: float
    pitch: int
    amplitude: float = 0.8
    pitch_bends: Optional[tuple[float, ...]] = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def velocity(self) -> int:
        """MIDI velocity 1..127 from ``amplitude``."""
        return int(min(127, max(1, round(127 * self.amplitude))))

    @property
    def name(self) -> str:
        return midi_name(self.pitch)

    def bend_times(self) -> np.ndarray:
        """Times (s) of the ``pitch_bends`` samples, shape (len(pitch_bends),)."""
        if not self.pitch_bends:
            return np.zeros(0)
        return np.linspace(self.start_s, self.end_s, len(self.pitch_bends), endpoint=False)

    def to_dict(self) -> dict:
        d = {"start_s": float(self.start_s), "end_s": float(self.end_s),
             "pitch": int(self.pitch), "amplitude": float(self.amplitude)}
        if self.pitch_bends is not None:
            d["pitch_bends"] = [round(float(b), 4) for b in self.pitch_bends]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Note:
        pb = d.get("pitch_bends")
        return cls(float(d["start_s"]), float(d["end_s"]), int(d["pitch"]),
                   float(d.get("amplitude", 0.8)),
                   tuple(float(b) for b in pb) if pb is not None else None)


@dataclass(frozen=True)
class ExtractParams:
    """Note-extraction settings (see :func:`core.notes.extract.extract_notes`)."""

    onset_threshold: float = 0.5
    frame_threshold: float = 0.3
    min_note_ms: float = 127.7
    min_freq: Optional[float] = None
    max_freq: Optional[float] = None
    pitch_bends: bool = True
    melodia_trick: bool = True
    infer_onsets: bool = True

    def __post_init__(self) -> None:
        for name in ("onset_threshold", "frame_threshold"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise InvalidParameterError(f"The {name.replace('_', ' ')} must be between 0 and 1; "
                                            f"got {v}.")
        if self.min_note_ms < 0:
            raise InvalidParameterError(f"The minimum note length must be 0 ms or more; "
                                        f"got {self.min_note_ms}.")
        for name, words in (("min_freq", "minimum"), ("max_freq", "maximum")):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise InvalidParameterError(f"The {words} frequency must be above 0 Hz; got {v}.")
        if self.min_freq is not None and self.max_freq is not None and self.min_freq >= self.max_freq:
            raise InvalidParameterError(
                f"The minimum frequency ({self.min_freq} Hz) must be below the maximum "
                f"({self.max_freq} Hz).")

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> ExtractParams:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass(eq=False)
class Posteriors:
    """Frame-wise model outputs kept so notes can be re-extracted without the model.

    Attributes
    ----------
    note, onset : np.ndarray [shape=(n_frames, 88), dtype=float32]
        Note-active and onset probabilities per piano key (index 0 = MIDI 21 = A0).
    contour : np.ndarray [shape=(n_frames, 264), dtype=float32]
        Pitch salience at 1/3-semitone resolution from 27.5 Hz.
    times_s : np.ndarray [shape=(n_frames,), dtype=float64]
        Time (s) of each frame (about 86 frames per second).
    """

    note: np.ndarray
    onset: np.ndarray
    contour: np.ndarray
    times_s: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.note.shape[0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name, for ``np.savez`` in a project folder."""
        return {"note": self.note, "onset": self.onset, "contour": self.contour,
                "times_s": self.times_s}

    @classmethod
    def from_arrays(cls, arrays) -> Posteriors:
        return cls(np.asarray(arrays["note"], np.float32), np.asarray(arrays["onset"], np.float32),
                   np.asarray(arrays["contour"], np.float32),
                   np.asarray(arrays["times_s"], np.float64))


@dataclass(eq=False)
class NoteTrack:
    """Notes transcribed from one piece of audio (a project's note layer).

    Attributes
    ----------
    notes : list of Note
        Sorted by ``(start_s, pitch)``.
    params : ExtractParams
        The settings the notes were extracted with.
    posteriors : Posteriors, optional
        Model outputs, kept so :func:`core.notes.reextract` can change thresholds
        live; None for tracks loaded from notes alone.
    duration_s : float
        Length of the transcribed audio.
    model : str
        Registry name of the model that produced the posteriors.
    """

    notes: list[Note]
    params: ExtractParams = field(default_factory=ExtractParams)
    posteriors: Optional[Posteriors] = None
    duration_s: float = 0.0
    model: str = "basic-pitch"

    def __post_init__(self) -> None:
        self.notes = sorted(self.notes, key=lambda n: (n.start_s, n.pitch, n.end_s))

    def __len__(self) -> int:
        return len(self.notes)

    def __iter__(self):
        return iter(self.notes)

    def with_notes(self, notes: list[Note]) -> NoteTrack:
        """A copy holding ``notes`` (edited) and the same posteriors and settings."""
        return replace(self, notes=list(notes))

    def pitches(self) -> np.ndarray:
        return np.array([n.pitch for n in self.notes], dtype=int)

    def intervals(self) -> np.ndarray:
        """Onsets and offsets in seconds, shape (n_notes, 2)."""
        return np.array([[n.start_s, n.end_s] for n in self.notes], dtype=float).reshape(-1, 2)

    def to_dict(self) -> dict:
        """JSON-able form without the posteriors (store those with ``posteriors.to_arrays()``)."""
        return {"notes": [n.to_dict() for n in self.notes], "params": self.params.to_dict(),
                "duration_s": float(self.duration_s), "model": self.model}

    @classmethod
    def from_dict(cls, d: dict, *, posteriors: Optional[Posteriors] = None) -> NoteTrack:
        return cls([Note.from_dict(n) for n in d.get("notes", [])],
                   ExtractParams.from_dict(d.get("params", {})), posteriors,
                   float(d.get("duration_s", 0.0)), str(d.get("model", "basic-pitch")))


@dataclass(eq=False)
class PitchTrack:
    """A monophonic fundamental-frequency curve.

    Attributes
    ----------
    times_s : np.ndarray [shape=(n,)]
        Frame centres in seconds.
    f0_hz : np.ndarray [shape=(n,)]
        Fundamental frequency in Hz; NaN where unvoiced (confidence below the threshold).
    confidence : np.ndarray [shape=(n,)]
        Voicing confidence in [0, 1].
    """

    times_s: np.ndarray
    f0_hz: np.ndarray
    confidence: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)

    def midi(self) -> np.ndarray:
        """Fractional MIDI pitch per frame (NaN where unvoiced)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 69.0 + 12.0 * np.log2(self.f0_hz / 440.0)


@dataclass(frozen=True)
class Key:
    """A key estimate: ``tonic`` like ``"C"`` or ``"F#"``, ``mode`` ``"major"``/``"minor"``,
    ``confidence`` the correlation of the pitch-class profile with the key's profile (-1..1)."""

    tonic: str
    mode: str
    confidence: float

    @property
    def name(self) -> str:
        return f"{self.tonic} {self.mode}"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Chord:
    """One chord segment: ``label`` like ``"C"``, ``"Am"`` or ``"N"`` (no chord)."""

    start_s: float
    end_s: float
    label: str
