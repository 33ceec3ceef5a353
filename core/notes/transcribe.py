"""Polyphonic audio-to-notes: Basic Pitch posteriors + note extraction."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from core.audio import Audio, resample
from core.errors import EmptyAudioError, InvalidParameterError
from core.jobs import CancelToken, ProgressCallback, check, no_progress
from core.notes.types import ExtractParams, NoteTrack

MODEL_SR = 22050


def prepare(audio: Audio, sr: int = MODEL_SR) -> np.ndarray:
    """Mono float32 samples at ``sr`` Hz, shape (n,), from any Audio (NaN/Inf → silence)."""
    if audio.frames == 0:
        raise EmptyAudioError("The audio is empty: there is nothing to transcribe.")
    mono = audio.mono()
    if mono.count_nonfinite():
        mono = mono.cleaned()
    return resample(mono, sr).samples[0]


def transcribe_notes(
    audio: Audio,
    *,
    onset_threshold: float = 0.5,
    frame_threshold: float = 0.3,
    min_note_ms: float = 127.7,
    min_freq: Optional[float] = None,
    max_freq: Optional[float] = None,
    pitch_bends: bool = True,
    melodia_trick: bool = True,
    device: Optional[str] = None,
    progress: ProgressCallback = no_progress,
    cancel: Optional[CancelToken] = None,
) -> NoteTrack:
    """Transcribe the notes of any audio (polyphonic, any instrument) with Basic Pitch.

    Parameters
    ----------
    audio : Audio
        Any sample rate and channel count; mixed to mono and resampled to 22050 Hz.
    onset_threshold : float
        0-1; higher gives fewer, surer note starts.
    frame_threshold : float
        0-1; how strong a note must stay to keep sounding.
    min_note_ms : float
        Notes this short or shorter are dropped (ms).
    min_freq, max_freq : float, optional
        Keep only notes in this range (Hz).
    pitch_bends : bool
        Estimate per-note pitch bends (semitones, ~86 values a second).
    melodia_trick : bool
        Also pick up notes without a clear onset (Basic Pitch's post-processing).
    device : str, optional
        ``"cpu"``, ``"cuda"`` or None (CUDA when onnxruntime has it, else CPU).
    progress, cancel
        See :mod:`core.jobs`; checked between model calls (4 windows, about 6.6 s of audio, each).

    Returns
    -------
    NoteTrack
        Notes plus the posteriors, so :func:`reextract` can change the settings
        without running the model again.
    """
    from core.notes import basic_pitch
    from core.notes.extract import extract_notes

    params = ExtractParams(onset_threshold, frame_threshold, min_note_ms, min_freq, max_freq,
                           pitch_bends, melodia_trick)
    y = prepare(audio)
    check(cancel)
    post = basic_pitch.infer(y, device=device, progress=progress, cancel=cancel)
    check(cancel)
    notes = extract_notes(post, params)
    return NoteTrack(notes, params, post, duration_s=y.shape[0] / MODEL_SR, model="basic-pitch")


def reextract(track: NoteTrack, **changes) -> NoteTrack:
    """Re-derive a track's notes with changed settings, without running the model.

    Parameters
    ----------
    track : NoteTrack
        A track from :func:`transcribe_notes` (it must carry posteriors).
    **changes
        Any of ``onset_threshold``, ``frame_threshold``, ``min_note_ms``, ``min_freq``,
        ``max_freq``, ``pitch_bends``, ``melodia_trick``, ``infer_onsets``.

    Returns
    -------
    NoteTrack
        A new track sharing the posteriors (fast: tens of ms for a song).
    """
    from core.notes.extract import extract_notes

    if track.posteriors is None:
        raise InvalidParameterError("These notes were not transcribed in this session, so "
                                    "their thresholds cannot be changed; transcribe again.")
    unknown = set(changes) - set(ExtractParams.__dataclass_fields__)
    if unknown:
        raise InvalidParameterError(f"Unknown note setting(s): {', '.join(sorted(unknown))}.")
    params = replace(track.params, **changes)
    return replace(track, notes=extract_notes(track.posteriors, params), params=params)
