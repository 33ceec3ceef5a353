"""Musical note names and frequencies (equal temperament, A4 = 440 Hz)."""

from __future__ import annotations

import math
import re

from core.errors import InvalidParameterError

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE_RE = re.compile(r"^\s*([A-Ga-g])\s*(#|♯|b|♭|s|)\s*(-?\d+)\s*$")


def freq_to_midi(freq_hz: float, *, a4_hz: float = 440.0) -> float:
    """Fractional MIDI note number of a frequency (69 = A4)."""
    if not freq_hz > 0:
        raise InvalidParameterError(f"A frequency must be above 0 Hz; got {freq_hz}.")
    return 69.0 + 12.0 * math.log2(freq_hz / a4_hz)


def midi_to_name(midi: int) -> str:
    """Name of a MIDI note with sharps and octave: 60 -> ``"C4"``, 70 -> ``"A#4"``."""
    midi = int(midi)
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def note_name(freq_hz: float, *, a4_hz: float = 440.0) -> tuple[str, float]:
    """Nearest equal-tempered note and the offset from it.

    Parameters
    ----------
    freq_hz : float
        Frequency, Hz.
    a4_hz : float
        Tuning reference.

    Returns
    -------
    (name, cents) : (str, float)
        ``("A4", 0.0)`` for 440 Hz; cents in [-50, +50), positive when sharp.
        ``("", nan)`` for frequencies at or below 0 Hz (or not finite).
    """
    if not (isinstance(freq_hz, (int, float)) or hasattr(freq_hz, "__float__")):
        return "", math.nan
    f = float(freq_hz)
    if not (f > 0 and math.isfinite(f)):
        return "", math.nan
    m = freq_to_midi(f, a4_hz=a4_hz)
    n = math.floor(m + 0.5)
    cents = (m - n) * 100.0
    if abs(cents) < 1e-9:
        cents = 0.0
    return midi_to_name(n), cents


def note_to_freq(name_or_midi: str | int | float, *, a4_hz: float = 440.0) -> float:
    """Frequency in Hz of a note name (``"A4"``, ``"C#3"``, ``"Bb2"``) or a MIDI number."""
    if isinstance(name_or_midi, str):
        m = _NOTE_RE.match(name_or_midi)
        if not m:
            raise InvalidParameterError(
                f"'{name_or_midi}' is not a note name (examples: A4, C#3, Bb2).")
        letter, acc, octave = m.group(1).upper(), m.group(2), int(m.group(3))
        semis = _PITCH[letter] + {"#": 1, "♯": 1, "s": 1, "b": -1, "♭": -1}.get(acc, 0)
        midi = 12 * (octave + 1) + semis
    else:
        midi = float(name_or_midi)
        if not math.isfinite(midi):
            raise InvalidParameterError(f"Not a MIDI note number: {name_or_midi}.")
    return float(a4_hz * 2.0 ** ((midi - 69) / 12.0))
