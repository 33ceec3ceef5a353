"""Tempo and beats (librosa's dynamic-programming beat tracker), and quantising notes to beats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Optional, Union

import numpy as np

from core.audio import Audio
from core.errors import InvalidParameterError
from core.jobs import CancelToken, check
from core.notes.types import Note, NoteTrack

ANALYSIS_SR = 22050
HOP = 256


def estimate_tempo(
    audio: Audio,
    *,
    start_bpm: float = 120.0,
    cancel: Optional[CancelToken] = None,
) -> tuple[float, np.ndarray]:
    """Tempo and beat times.

    Parameters
    ----------
    audio : Audio
        Any rate and channels.
    start_bpm : float
        Prior tempo for the tracker (BPM).

    Returns
    -------
    (bpm, beat_times) : (float, np.ndarray [shape=(n_beats,)])
        Mean tempo in beats per minute, from a least-squares fit of the tracked
        beats (finer than the tracker's tempo grid); beat times in seconds.
        ``(0.0, [])`` when no beat is found (silence, free time).
    """
    import librosa

    from core.notes.transcribe import prepare

    y = prepare(audio, ANALYSIS_SR)
    check(cancel)
    onset_env = librosa.onset.onset_strength(y=y, sr=ANALYSIS_SR, hop_length=HOP)
    check(cancel)
    if not np.any(onset_env > 0):
        return 0.0, np.zeros(0)
    tempo, beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=ANALYSIS_SR,
                                           hop_length=HOP, start_bpm=start_bpm, units="time")
    beats = np.asarray(beats, float)
    bpm = float(np.atleast_1d(tempo)[0])
    if beats.size >= 4:
        slope = np.polyfit(np.arange(beats.size), beats, 1)[0]
        if slope > 0:
            bpm = 60.0 / slope
    return bpm, beats


def beat_grid(beats: Sequence[float], *, division: int = 4, end_s: float = 0.0) -> np.ndarray:
    """Grid times (s): each beat interval cut in ``division`` steps, extended before the first
    and after the last beat (to ``end_s``) at the mean beat period."""
    b = np.asarray(beats, float)
    if b.size < 2:
        raise InvalidParameterError("Quantising needs at least two beats.")
    period = float(np.mean(np.diff(b)))
    step = period / division
    inner = np.concatenate([np.linspace(b[i], b[i + 1], division, endpoint=False)
                            for i in range(b.size - 1)] + [b[-1:]])
    n_before = int(np.ceil(b[0] / step))
    before = b[0] - step * np.arange(n_before, 0, -1)
    n_after = max(0, int(np.ceil((end_s - b[-1]) / step))) + division
    after = b[-1] + step * np.arange(1, n_after + 1)
    return np.concatenate([before, inner, after])


def quantize(
    notes: Union[NoteTrack, Iterable[Note]],
    beats: Sequence[float],
    *,
    division: int = 4,
) -> Union[NoteTrack, list[Note]]:
    """Snap note starts and ends to the nearest point of the beat grid.

    Parameters
    ----------
    notes : NoteTrack or iterable of Note
    beats : sequence of float
        Beat times in seconds (e.g. from :func:`estimate_tempo`), at least two.
    division : int
        Grid steps per beat (4 = sixteenth notes in 4/4).

    Returns
    -------
    NoteTrack or list of Note
        Same kind as given.  Every note keeps at least one grid step of length;
        pitch bends are kept (they stretch with the note).
    """
    if int(division) < 1:
        raise InvalidParameterError(f"The grid division must be 1 or more; got {division}.")
    src = notes.notes if isinstance(notes, NoteTrack) else list(notes)
    end = max((n.end_s for n in src), default=0.0)
    grid = beat_grid(beats, division=int(division), end_s=end)

    def snap(t: float) -> int:
        i = int(np.searchsorted(grid, t))
        if i <= 0:
            return 0
        if i >= grid.size:
            return grid.size - 1
        return i if grid[i] - t < t - grid[i - 1] else i - 1

    out = []
    for n in src:
        a = snap(n.start_s)
        b = max(snap(n.end_s), a + 1)
        if b >= grid.size:
            a, b = grid.size - 2, grid.size - 1
        out.append(replace(n, start_s=float(grid[a]), end_s=float(grid[b])))
    if isinstance(notes, NoteTrack):
        return notes.with_notes(out)
    return out
