"""Worker functions of the notes section (run in the job runner's thread, never the UI's)."""

from __future__ import annotations

from typing import Any


def hz(midi: float) -> float:
    """Frequency in Hz of a (fractional) MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def transcribe_job(audio, *, analyse: bool, params: dict, progress, cancel):
    """Worker: notes (with posteriors) and, when ``analyse``, tempo, key and chords."""
    from core.jobs import Progress
    from core.notes import estimate_chords, estimate_key, estimate_tempo, transcribe_notes

    track = transcribe_notes(audio, **params, progress=progress, cancel=cancel)
    analysis: dict[str, Any] = {}
    if analyse and track.notes:
        progress(Progress("analysis", 0, 3, "Finding the tempo"))
        bpm, beats = estimate_tempo(audio, cancel=cancel)
        progress(Progress("analysis", 1, 3, "Finding the key"))
        key = estimate_key(audio, cancel=cancel)
        progress(Progress("analysis", 2, 3, "Finding the chords"))
        chords = estimate_chords(audio, cancel=cancel)
        analysis = {"tempo_bpm": round(float(bpm), 2),
                    "beats_s": [round(float(b), 4) for b in beats],
                    "key": {"tonic": key.tonic, "mode": key.mode,
                            "confidence": round(float(key.confidence), 3)},
                    "chords": [{"start_s": round(c.start_s, 3), "end_s": round(c.end_s, 3),
                                "label": c.label} for c in chords]}
    return track, analysis


def reextract_job(note_track, params: dict, *, progress=None, cancel=None):
    from core.notes import reextract

    return reextract(note_track, **params)
